"""Streaming quantiles on the float64 grid: the stated error bounds hold against exact results, with no range cap."""

import numpy as np
import pytest

from gpu_stress.kernels import layout as L
from gpu_stress.results.aggregates import combine, finalize, summarize_chunk
from gpu_stress.results.histogram import QUANTILE_REL_ERROR, TAIL_MEAN_REL_ERROR, Histogram, bin_edges, empty


def exact_quantile(values, level):
    return np.quantile(values, level, method="inverted_cdf")


def exact_tail_mean(values, level):
    worst = int(np.ceil((1 - level) * values.size - 1e-9))
    return np.sort(values)[-worst:].mean()


def sample(seed, size=200_000):
    """Mostly zero, a body of losses, a heavy tail up to 1e40, a few tiny values: 50 decades in all."""
    generator = np.random.default_rng(seed)
    values = np.where(generator.random(size) < 0.9, 0.0, 5e9 * generator.beta(0.5, 2.0, size))
    values[:50] = generator.random(50) * 1e-9
    values[50:2000] = 10.0 ** generator.uniform(12, 40, 1950)  # far above any fixed cap (equity of huge firms)
    return generator.permutation(values)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quantiles_and_tail_means_within_the_stated_bounds(seed):
    values = sample(seed)
    histogram = empty()
    for chunk in np.array_split(values, 7):  # accumulated chunk by chunk
        histogram = histogram + Histogram.of(chunk)
    assert histogram.total == values.size
    for level in (0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999):
        exact = exact_quantile(values, level)
        assert abs(histogram.quantile(level) - exact) <= QUANTILE_REL_ERROR * exact, level
        exact_tail = exact_tail_mean(values, level)
        assert abs(histogram.tail_mean(level) - exact_tail) <= TAIL_MEAN_REL_ERROR * exact_tail, level


def test_chunking_does_not_change_the_bins():
    values = sample(4)
    whole = Histogram.of(values)
    parts = empty()
    for chunk in np.array_split(values, 13):
        parts = parts + Histogram.of(chunk)
    np.testing.assert_array_equal(parts.keys, whole.keys)
    np.testing.assert_array_equal(parts.counts, whole.counts)
    np.testing.assert_allclose(parts.sums, whole.sums, rtol=1e-12)


def test_every_value_lies_in_its_bin_and_bins_are_narrow():
    values = np.array([5e-300, 1e-9, 0.1, 1.0, 3.0, 7.5e8, 1.23e15, 9e200, 1.7e308])
    histogram = Histogram.of(values)
    lower, upper = bin_edges(histogram.keys)
    assert np.all(lower <= values) and np.all(values < upper)
    assert np.all(upper / lower <= 1 + 2 * TAIL_MEAN_REL_ERROR)
    assert histogram.quantile(1.0) == pytest.approx(1.7e308, rel=QUANTILE_REL_ERROR)


def test_zero_quantile_is_exact_and_empty_has_no_value():
    histogram = Histogram.of(np.array([0.0] * 97 + [-0.0, 5.0, 7.0]))
    assert histogram.quantile(0.95) == 0.0
    assert empty().quantile(0.5) is None and empty().tail_mean(0.99) is None


def test_chunk_summaries_combine_to_the_whole():
    generator = np.random.default_rng(5)
    paths, horizon, debt = 10_000, 36, 1e9
    outputs_float = np.zeros((L.FLOAT_OUTPUT_COUNT, paths))
    outputs_int = np.zeros((L.INT_OUTPUT_COUNT, paths), np.int32)
    defaulted = generator.random(paths) < 0.2
    outputs_int[L.OUT_DEFAULT_MONTH] = np.where(defaulted, generator.integers(1, horizon + 1, paths), -1)
    outputs_int[L.OUT_DEFAULT_CAUSE] = np.where(defaulted, generator.integers(1, 5, paths), 0)
    outputs_float[L.OUT_EAD] = np.where(defaulted, debt * generator.random(paths), 0)
    outputs_float[L.OUT_LOSS] = outputs_float[L.OUT_EAD] * generator.random(paths)
    outputs_float[L.OUT_EQUITY_VALUE] = 10.0 ** generator.uniform(0, 20, paths)
    whole = finalize(summarize_chunk(outputs_float, outputs_int, horizon), debt)
    parts = [
        summarize_chunk(outputs_float[:, s], outputs_int[:, s], horizon)
        for s in (slice(0, 3000), slice(3000, 3001), slice(3001, None))
    ]
    combined = finalize(combine(parts), debt)
    assert combined["defaults"] == whole["defaults"] == int(defaulted.sum())
    assert combined["pd_by_year"] == whole["pd_by_year"]
    assert combined["pd_by_year"][-1] == pytest.approx(defaulted.mean())
    for key in ("expected_loss", "mean_lgd", "loss_var_99", "loss_cvar_99", "mean_ead", "equity_q95"):
        assert combined[key] == pytest.approx(whole[key], rel=1e-12)
    assert whole["expected_loss"] == pytest.approx(outputs_float[L.OUT_LOSS].mean())
    lgd = outputs_float[L.OUT_LOSS][defaulted] / outputs_float[L.OUT_EAD][defaulted]
    assert whole["mean_lgd"] == pytest.approx(lgd.mean())
    equity = outputs_float[L.OUT_EQUITY_VALUE]
    assert abs(whole["equity_q95"] - exact_quantile(equity, 0.95)) <= QUANTILE_REL_ERROR * exact_quantile(equity, 0.95)
    assert sum(whole["loss_histogram_counts"]) == paths


def test_no_defaults_means_no_lgd_rather_than_zero():
    outputs_float = np.zeros((L.FLOAT_OUTPUT_COUNT, 100))
    outputs_int = np.full((L.INT_OUTPUT_COUNT, 100), -1, np.int32)
    outputs_int[L.OUT_DEFAULT_CAUSE] = 0
    row = finalize(summarize_chunk(outputs_float, outputs_int, 12), 0.0)
    assert row["mean_lgd"] is None and row["mean_ead"] is None and row["expected_loss_rate"] is None
    assert row["pd"] == 0.0 and row["loss_var_99"] == 0.0

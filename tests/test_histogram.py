"""Streaming loss quantiles: the stated error bounds hold against exact results."""

import numpy as np
import pytest

from gpu_stress.kernels import layout as L
from gpu_stress.results.aggregates import combine, finalize, loss_histogram, summarize_chunk
from gpu_stress.results.histogram import LogHistogram


def exact_quantile(values, level):
    return np.quantile(values, level, method="inverted_cdf")


def exact_tail_mean(values, level):
    worst = int(np.ceil((1 - level) * values.size - 1e-9))
    return np.sort(values)[-worst:].mean()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quantiles_and_tail_means_within_the_stated_bounds(seed):
    generator = np.random.default_rng(seed)
    debt = 5e9
    # Mostly zero, a body of small losses, a heavy tail, a few tiny ones under the lowest bin.
    values = np.where(generator.random(200_000) < 0.9, 0.0, debt * generator.beta(0.5, 2.0, 200_000))
    values[:50] = generator.random(50) * 1e3
    histogram = loss_histogram(debt)
    counts = np.zeros(histogram.size, np.int64)
    sums = np.zeros(histogram.size)
    for chunk in np.array_split(values, 7):  # accumulated chunk by chunk
        chunk_counts, chunk_sums = histogram.count(chunk)
        counts += chunk_counts
        sums += chunk_sums
    relative_q, absolute = histogram.quantile_error()
    relative_t, _ = histogram.tail_mean_error()
    for level in (0.5, 0.9, 0.95, 0.99, 0.999):
        exact = exact_quantile(values, level)
        estimate = histogram.quantile(counts, level, values.max())
        assert abs(estimate - exact) <= relative_q * exact + absolute, level
        exact_tail = exact_tail_mean(values, level)
        assert abs(histogram.tail_mean(counts, sums, level) - exact_tail) <= relative_t * exact_tail + absolute


def test_zero_quantile_is_exact():
    histogram = LogHistogram(1.0, 1e6)
    counts, _ = histogram.count(np.array([0.0] * 98 + [5.0, 7.0]))
    assert histogram.quantile(counts, 0.95) == 0.0


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
    whole = finalize(summarize_chunk(outputs_float, outputs_int, horizon, debt), debt)
    parts = [
        summarize_chunk(outputs_float[:, s], outputs_int[:, s], horizon, debt)
        for s in (slice(0, 3000), slice(3000, 3001), slice(3001, None))
    ]
    combined = finalize(combine(parts), debt)
    assert combined["defaults"] == whole["defaults"] == int(defaulted.sum())
    assert combined["pd_by_year"] == whole["pd_by_year"]
    assert combined["pd_by_year"][-1] == pytest.approx(defaulted.mean())
    for key in ("expected_loss", "mean_lgd", "loss_var_99", "loss_cvar_99", "mean_ead"):
        assert combined[key] == pytest.approx(whole[key], rel=1e-12)
    assert whole["expected_loss"] == pytest.approx(outputs_float[L.OUT_LOSS].mean())
    lgd = outputs_float[L.OUT_LOSS][defaulted] / outputs_float[L.OUT_EAD][defaulted]
    assert whole["mean_lgd"] == pytest.approx(lgd.mean())

"""Per-scenario statistics, accumulated chunk by chunk.

:func:`summarize_chunk` reduces one chunk of per-path outputs to a few
counts, sums and histograms where the outputs live (numpy, or CuPy on the
GPU, so only those small arrays cross to the host); :func:`combine` adds
chunk summaries; :func:`finalize` turns a scenario's total into the
published aggregates.

Losses are in $, PD is the share of paths that default within the horizon.
"""

import numpy as np

from ..arrays import to_host
from ..kernels import layout as L
from .histogram import LogHistogram

TAIL_LEVELS = {"95": 0.95, "99": 0.99, "999": 0.999}
EQUITY_LEVELS = {"05": 0.05, "50": 0.50, "95": 0.95}
EQUITY_HISTOGRAM = LogHistogram(lowest=1.0, highest=1e15)
WILSON_Z = 1.959963984540054  # two-sided 95 %


def loss_histogram(initial_debt):
    """Loss never exceeds EAD, which never exceeds the initial debt D: bins over [1e-6 D, D]."""
    top = max(float(initial_debt), 1.0)
    return LogHistogram(lowest=1e-6 * top, highest=top)


def years(horizon):
    return -(-horizon // L.MONTHS_PER_YEAR)


def summarize_chunk(outputs_float, outputs_int, horizon, initial_debt, xp=np):
    """Counts, sums and histograms of one chunk (host numpy arrays, tiny)."""
    # Statistics in float64 whatever the simulation's precision.
    loss = outputs_float[L.OUT_LOSS].astype(xp.float64)
    ead = outputs_float[L.OUT_EAD].astype(xp.float64)
    equity = outputs_float[L.OUT_EQUITY_VALUE].astype(xp.float64)
    month = outputs_int[L.OUT_DEFAULT_MONTH]
    defaulted = month > 0
    with_exposure = defaulted & (ead > 0)
    lgd = xp.where(with_exposure, loss / xp.where(with_exposure, ead, 1), 0)
    default_year = xp.where(defaulted, (month - 1) // L.MONTHS_PER_YEAR, years(horizon))
    loss_counts, loss_sums = loss_histogram(initial_debt).count(loss, xp)
    equity_counts, equity_sums = EQUITY_HISTOGRAM.count(equity, xp)

    def total(values):
        return float(values.astype(xp.float64).sum())

    return {
        "paths": np.int64(loss.shape[0]),
        "causes": to_host(xp.bincount(outputs_int[L.OUT_DEFAULT_CAUSE], minlength=len(L.CAUSE_NAMES))).astype(np.int64),
        "defaults_by_year": to_host(xp.bincount(default_year, minlength=years(horizon) + 1))[:-1].astype(np.int64),
        "loss_sum": total(loss),
        "loss_squares": total(loss * loss),
        "loss_max": float(to_host(loss.max())) if loss.shape[0] else 0.0,
        "ead_sum": total(xp.where(defaulted, ead, 0)),
        "lgd_sum": total(lgd),
        "lgd_count": np.int64(to_host(with_exposure.sum())),
        "equity_sum": total(equity),
        "final_price_sum": total(outputs_float[L.OUT_FINAL_PRICE]),
        "utilization_sum": total(outputs_float[L.OUT_MEAN_UTILIZATION]),
        "loss_counts": loss_counts,
        "loss_sums": loss_sums,
        "equity_counts": equity_counts,
        "equity_sums": equity_sums,
    }


def combine(parts):
    """Sum of chunk summaries, in the order given (so results do not depend on timing)."""
    parts = list(parts)
    total = {key: np.copy(value) if isinstance(value, np.ndarray) else value for key, value in parts[0].items()}
    for part in parts[1:]:
        for key, value in part.items():
            total[key] = max(total[key], value) if key == "loss_max" else total[key] + value
    return total


def wilson_interval(successes, trials, z=WILSON_Z):
    """Wilson score interval for a binomial proportion."""
    if trials == 0:
        return np.nan, np.nan
    share = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half_width = z * np.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    return max(centre - half_width, 0.0), min(centre + half_width, 1.0)


def finalize(summary, initial_debt):
    """Published aggregates of one scenario from its combined summary."""
    paths = int(summary["paths"])
    causes = summary["causes"]
    defaults = int(paths - causes[L.NO_DEFAULT])
    low, high = wilson_interval(defaults, paths)
    mean_loss = summary["loss_sum"] / paths
    loss_variance = max(summary["loss_squares"] / paths - mean_loss**2, 0.0)
    histogram = loss_histogram(initial_debt)
    counts, sums = summary["loss_counts"], summary["loss_sums"]
    row = {
        "paths": paths,
        "defaults": defaults,
        "pd": defaults / paths,
        "pd_ci_low": low,
        "pd_ci_high": high,
        "pd_by_year": list(np.cumsum(summary["defaults_by_year"]) / paths),
        "expected_loss": mean_loss,
        "expected_loss_se": np.sqrt(loss_variance / paths),
        "mean_ead": summary["ead_sum"] / defaults if defaults else 0.0,
        "mean_lgd": summary["lgd_sum"] / summary["lgd_count"] if summary["lgd_count"] else 0.0,
        "initial_debt": float(initial_debt),
        "expected_loss_rate": mean_loss / initial_debt if initial_debt > 0 else 0.0,
    }
    for name, level in TAIL_LEVELS.items():
        row[f"loss_var_{name}"] = histogram.quantile(counts, level, summary["loss_max"])
        row[f"loss_cvar_{name}"] = histogram.tail_mean(counts, sums, level)
    # Error bounds of the histogram estimates (relative, plus absolute below 1e-6 of the debt).
    row["loss_var_rel_error"], row["loss_abs_error"] = histogram.quantile_error()
    row["loss_cvar_rel_error"], _ = histogram.tail_mean_error()
    for index, cause in enumerate(L.CAUSE_NAMES[1:], start=1):
        row[f"defaults_{cause}"] = int(causes[index])
    row["equity_mean"] = summary["equity_sum"] / paths
    for name, level in EQUITY_LEVELS.items():
        row[f"equity_q{name}"] = EQUITY_HISTOGRAM.quantile(summary["equity_counts"], level)
    # The loss distribution itself, for plots and users: counts per bin of loss_histogram(D).
    row["loss_histogram"] = [int(count) for count in counts]
    row["loss_histogram_lowest"] = histogram.lowest
    row["loss_histogram_highest"] = histogram.highest
    row["mean_final_price"] = summary["final_price_sum"] / paths
    row["mean_utilization"] = summary["utilization_sum"] / paths
    return row

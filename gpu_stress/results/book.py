"""The lender's book of a portfolio run: exposure losses, portfolio loss, its tails and their allocation.

An exposure e holds a share s_e of one firm's tranche (or of all its debt), so
its loss on a path is s_e x that tranche's (or the firm's) loss, in $. The
portfolio loss is L = sum_e L_e. Per scenario:

- EL = E[L] with its standard error, VaR_q (the q quantile of L) and CVaR_q
  (the mean of the worst (1 - q) share of paths) at TAIL_LEVELS;
- the Euler allocation of CVaR_q: exposure e contributes E[L_e | the worst
  (1 - q) paths], and the contributions add up to CVaR_q (Tasche, 1999:
  "Risk contributions and performance measurement"). Both come from one loss
  histogram that also sums each exposure's loss by bin, so they average the
  same paths;
- the standard error of CVaR_q, sqrt((Var(L | tail) + q (CVaR - VaR)^2) / ((1 - q) n))
  (the asymptotic variance of the tail-mean estimator; Manistre and Hancock,
  2005, "Variance of the CTE estimator");
- the distribution of the number of firms in credit default, and the pairwise
  default correlations (of the default indicators over the horizon).

Functions take numpy or CuPy arrays (``xp``); summaries are small host arrays
that add across chunks (``aggregates.combine``).
"""

import numpy as np

from ..arrays import to_host
from ..kernels import layout as L
from .aggregates import TAIL_LEVELS, credit_default
from .histogram import Histogram


def exposure_losses(outputs_float, exposures, xp=np):
    """(exposure x path) float64 losses, $; ``exposures``: (firm, tranche or -1, share) of each."""
    rows = []
    for firm, tranche, share in exposures:
        if tranche < 0:
            loss = outputs_float[firm, L.OUT_LOSS].astype(xp.float64)
        else:
            ead = outputs_float[firm, L.OUT_TRANCHE_EAD + tranche].astype(xp.float64)
            loss = ead - outputs_float[firm, L.OUT_TRANCHE_RECOVERY + tranche].astype(xp.float64)
        rows.append(share * loss)
    paths = outputs_float.shape[2]
    return xp.stack(rows) if rows else xp.zeros((0, paths), xp.float64)


def defaults_by_firm(outputs_int, xp=np):
    """(firm x path) bool: which firms are in credit default within the horizon."""
    return credit_default(outputs_int[:, L.OUT_DEFAULT_CAUSE], xp)


def summarize_book(by_exposure, outputs_int, market_outputs, xp=np):
    """The book's counts, sums and loss histogram of one chunk (keys prefixed ``book_``).

    ``by_exposure``: the chunk's ``exposure_losses``.
    """
    loss = by_exposure.sum(axis=0)
    defaulted = defaults_by_firm(outputs_int, xp)
    firms = defaulted.shape[0]
    indicator = defaulted.astype(xp.float64)
    return {
        "book_paths": np.int64(loss.shape[0]),
        "book_loss_sum": float(to_host(loss.sum())),
        "book_loss_squares": float(to_host((loss * loss).sum())),
        "book_exposure_loss_sum": to_host(by_exposure.sum(axis=1)),
        "book_exposure_loss_squares": to_host((by_exposure * by_exposure).sum(axis=1)),
        "book_loss": Histogram.of(loss, xp, parts=by_exposure),
        "book_default_counts": to_host(xp.bincount(defaulted.sum(axis=0), minlength=firms + 1)).astype(np.int64),
        "book_joint_defaults": to_host(indicator @ indicator.T).astype(np.int64),
        "book_min_resale_index_sum": float(to_host(market_outputs[L.OUT_MIN_RESALE_INDEX].astype(xp.float64).sum())),
        "book_gpus_sold_sum": float(to_host(market_outputs[L.OUT_GPUS_SOLD].astype(xp.float64).sum())),
    }


def default_correlations(joint_defaults, paths):
    """Pairwise correlation of the firms' default indicators (NaN where a firm always or never defaults)."""
    joint = np.asarray(joint_defaults, np.float64) / paths
    pd = np.diag(joint)
    covariance = joint - np.outer(pd, pd)
    spread = np.sqrt(pd * (1.0 - pd))
    with np.errstate(invalid="ignore", divide="ignore"):
        return covariance / np.outer(spread, spread)


def finalize_book(summary, amounts):
    """(portfolio row, exposure rows) of one scenario; ``amounts``: $ of each exposure."""
    paths = int(summary["book_paths"])
    mean = summary["book_loss_sum"] / paths
    variance = max(summary["book_loss_squares"] / paths - mean**2, 0.0)
    exposure = float(sum(amounts))
    counts = np.asarray(summary["book_default_counts"])
    row = {
        "paths": paths,
        "exposure": exposure,
        "expected_loss": mean,
        "expected_loss_se": float(np.sqrt(variance / paths)),
        "expected_loss_rate": mean / exposure if exposure > 0 else None,
        "expected_defaults": float(np.arange(len(counts)) @ counts) / paths,
        "pd_any_default": float(counts[1:].sum()) / paths,
        "default_count_distribution": [float(count) / paths for count in counts],
        "mean_min_resale_index": summary["book_min_resale_index_sum"] / paths,
        "mean_gpus_sold": summary["book_gpus_sold_sum"] / paths,
    }
    losses = summary["book_loss"]
    contributions = {}
    for name, level in TAIL_LEVELS.items():
        var, cvar = losses.quantile(level), losses.tail_mean(level)
        row[f"loss_var_{name}"] = var
        row[f"loss_cvar_{name}"] = cvar
        row[f"loss_cvar_{name}_se"] = _tail_mean_se(losses, level, var, cvar, paths)
        contributions[name] = losses.tail_mean_parts(level)
    rows = []
    sums = np.asarray(summary["book_exposure_loss_sum"])
    squares = np.asarray(summary["book_exposure_loss_squares"])
    for index, amount in enumerate(amounts):
        expected = float(sums[index]) / paths
        spread = max(float(squares[index]) / paths - expected**2, 0.0)
        exposure_row = {
            "amount": float(amount),
            "expected_loss": expected,
            "expected_loss_se": float(np.sqrt(spread / paths)),
            "expected_loss_rate": expected / amount if amount > 0 else None,
        }
        for name in TAIL_LEVELS:
            part = contributions[name]
            exposure_row[f"cvar_contribution_{name}"] = None if part is None else float(part[index])
        rows.append(exposure_row)
    row["loss_histogram_lower"] = [float(edge) for edge in losses.lower_edges()]
    row["loss_histogram_upper"] = [float(edge) for edge in losses.upper_edges()]
    row["loss_histogram_counts"] = [int(count) for count in losses.counts]
    return row, rows


def _tail_mean_se(losses, level, var, cvar, paths):
    """Standard error of the CVaR estimate (module docstring); None without values."""
    if cvar is None:
        return None
    tail_variance = max(losses.tail_second_moment(level) - cvar**2, 0.0)
    return float(np.sqrt((tail_variance + level * (cvar - var) ** 2) / ((1.0 - level) * paths)))

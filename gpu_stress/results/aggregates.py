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
from .histogram import QUANTILE_REL_ERROR, TAIL_MEAN_REL_ERROR, Histogram
from .names import RECOVERY_ROWS, RECOVERY_SOURCES

TAIL_LEVELS = {"95": 0.95, "99": 0.99, "999": 0.999}
HEADLINE_METRICS = ("pd", "expected_loss", "cvar_99")  # what sensitivities, reverse tests and charts measure
EQUITY_LEVELS = {"05": 0.05, "50": 0.50, "95": 0.95}
WILSON_Z = 1.959963984540054  # two-sided 95 %
HISTOGRAMS = (
    "loss",
    "equity",
    "lease_adjusted_debt",
    "lease_adjusted_leverage",
    "tranche_defaults_by_month",
    "tranche_ead_by_month",
    "tranche_loss_by_month",
)  # summary entries that are :class:`Histogram` s


def years(horizon):
    return -(-horizon // L.MONTHS_PER_YEAR)


def credit_default(causes, xp=np):
    """Which paths end in a credit default (PD counts these; an insolvency with no debt is not one)."""
    return (causes != L.NO_DEFAULT) & (causes != L.INSOLVENT_NO_DEBT)


def summarize_chunk(outputs_float, outputs_int, horizon, xp=np, tranches=0):
    """Counts, sums and histograms of one chunk (host numpy arrays, tiny), with those of its first ``tranches``."""
    # Statistics in float64 whatever the simulation's precision.
    loss = outputs_float[L.OUT_LOSS].astype(xp.float64)
    ead = outputs_float[L.OUT_EAD].astype(xp.float64)
    equity = outputs_float[L.OUT_EQUITY_VALUE].astype(xp.float64)
    month = outputs_int[L.OUT_DEFAULT_MONTH]
    defaulted = credit_default(outputs_int[L.OUT_DEFAULT_CAUSE], xp)
    with_exposure = defaulted & (ead > 0)
    lgd = xp.where(with_exposure, loss / xp.where(with_exposure, ead, 1), 0)
    default_year = xp.where(defaulted, (month - 1) // L.MONTHS_PER_YEAR, years(horizon))
    obligor_months = outputs_int[L.OUT_OBLIGOR_DEFAULT_MONTH : L.OUT_OBLIGOR_DEFAULT_MONTH + L.MAX_OBLIGORS]

    def total(values):
        return float(values.astype(xp.float64).sum())

    summary = (
        {
            "paths": np.int64(loss.shape[0]),
            "causes": to_host(xp.bincount(outputs_int[L.OUT_DEFAULT_CAUSE], minlength=len(L.CAUSE_NAMES))).astype(
                np.int64
            ),
            "defaults_by_year": to_host(xp.bincount(default_year, minlength=years(horizon) + 1))[:-1].astype(np.int64),
            "defaults_by_month_cause": _by_month_and_cause(
                month, outputs_int[L.OUT_DEFAULT_CAUSE], defaulted, horizon, xp
            ),
            "loss_sum": total(loss),
            "loss_squares": total(loss * loss),
            "loss_max": float(to_host(loss.max())) if loss.shape[0] else 0.0,
            "ead_sum": total(xp.where(defaulted, ead, 0)),
            "lgd_sum": total(lgd),
            "lgd_squares": total(lgd * lgd),
            "lgd_count": np.int64(to_host(with_exposure.sum())),
            "loss_undiscounted_sum": total(outputs_float[L.OUT_LOSS_UNDISCOUNTED]),
            "equity_sum": total(equity),
            "final_price_sum": total(outputs_float[L.OUT_FINAL_PRICE]),
            "utilization_sum": total(outputs_float[L.OUT_MEAN_UTILIZATION]),
            "loss": Histogram.of(loss, xp),
            "equity": Histogram.of(equity, xp),
            "equity_raised_sum": total(outputs_float[L.OUT_EQUITY_RAISED]),
            "backstop_paid_sum": total(outputs_float[L.OUT_BACKSTOP_PAID]),
            "obligor_defaults": to_host((obligor_months > 0).sum(axis=1)).astype(np.int64),
        }
        | _funding_summary(outputs_int, defaulted, xp)
        | _lease_summary(outputs_float, xp)
        | _terminal_summary(outputs_float, xp)
    )
    return summary | _tranche_summary(outputs_float, outputs_int, horizon, tranches, xp)


def _lease_summary(outputs_float, xp):
    """The fixed charges' counterparties' claims and losses (sums), and histograms of lease-adjusted debt and
    leverage in each path's last month."""
    claim = outputs_float[L.OUT_LEASE_CLAIM].astype(xp.float64)
    recovery = outputs_float[L.OUT_LEASE_RECOVERY].astype(xp.float64)
    return {
        "lease_claim_sum": float(claim.sum()),
        "lease_loss_sum": float((claim - recovery).sum()),
        "lease_adjusted_debt": Histogram.of(outputs_float[L.OUT_LEASE_ADJUSTED_DEBT].astype(xp.float64), xp),
        "lease_adjusted_leverage": Histogram.of(outputs_float[L.OUT_LEASE_ADJUSTED_LEVERAGE].astype(xp.float64), xp),
    }


def _terminal_summary(outputs_float, xp):
    """The survivors that fail the terminal test at the horizon (a shortfall above 0) and their shortfalls' sum."""
    shortfall = outputs_float[L.OUT_TERMINAL_SHORTFALL].astype(xp.float64)
    return {
        "terminal_failures": np.int64(to_host((shortfall > 0).sum())),
        "terminal_shortfall_sum": float(shortfall.sum()),
    }


def _funding_summary(outputs_int, defaulted, xp):
    """Paths on which every facility closed (or was signed), their credit defaults, and by cause the credit
    defaults that came at or after a facility failed to close (the first failed step: funding)."""
    failed_month = outputs_int[L.OUT_FUNDING_FAILED_MONTH]
    funded = failed_month < 0
    after_failure = defaulted & ~funded & (failed_month <= outputs_int[L.OUT_DEFAULT_MONTH])
    causes = xp.where(after_failure, outputs_int[L.OUT_DEFAULT_CAUSE], len(L.CAUSE_NAMES))
    return {
        "funded_paths": np.int64(to_host(funded.sum())),
        "funded_defaults": np.int64(to_host((defaulted & funded).sum())),
        "funding_defaults_by_cause": to_host(xp.bincount(causes, minlength=len(L.CAUSE_NAMES) + 1))[:-1].astype(
            np.int64
        ),
    }


def _by_month_and_cause(month, causes, defaulted, horizon, xp):
    """Credit defaults by cause code (row, as CAUSE_NAMES) and month (column 0: month 1), int64."""
    cells = len(L.CAUSE_NAMES) * horizon
    month = xp.clip(month.astype(xp.int64), 1, horizon)
    code = xp.where(defaulted, causes.astype(xp.int64) * horizon + month - 1, cells)
    return to_host(xp.bincount(code, minlength=cells + 1))[:-1].astype(np.int64).reshape(len(L.CAUSE_NAMES), horizon)


def _tranche_summary(outputs_float, outputs_int, horizon, tranches, xp):
    """Per-tranche counts, sums (arrays over the tranches) and loss histograms (``tranche_loss_J``)."""
    rows = slice(0, tranches)
    month = outputs_int[L.OUT_TRANCHE_DEFAULT_MONTH :][rows]
    ead = outputs_float[L.OUT_TRANCHE_EAD :][rows].astype(xp.float64)
    loss = ead - outputs_float[L.OUT_TRANCHE_RECOVERY :][rows].astype(xp.float64)
    defaulted = month > 0
    with_exposure = defaulted & (ead > 0)
    lgd = xp.where(with_exposure, loss / xp.where(with_exposure, ead, 1), 0)
    default_year = xp.where(defaulted, (month - 1) // L.MONTHS_PER_YEAR, years(horizon))
    by_year = [xp.bincount(default_year[j], minlength=years(horizon) + 1)[:-1] for j in range(tranches)]
    summary = {
        "tranche_defaults": to_host(defaulted.sum(axis=1)).astype(np.int64),
        "tranche_defaults_by_year": to_host(xp.stack(by_year)).astype(np.int64)
        if tranches
        else np.zeros((0, years(horizon)), np.int64),
        "tranche_loss_sum": to_host(loss.sum(axis=1)),
        "tranche_loss_squares": to_host((loss * loss).sum(axis=1)),
        "tranche_ead_sum": to_host(xp.where(defaulted, ead, 0).sum(axis=1)),
        "tranche_lgd_sum": to_host(lgd.sum(axis=1)),
        "tranche_lgd_squares": to_host((lgd * lgd).sum(axis=1)),
        "tranche_lgd_count": to_host(with_exposure.sum(axis=1)).astype(np.int64),
    }
    for source, part in zip(RECOVERY_SOURCES, recovery_sources(outputs_float, rows, xp), strict=True):
        summary[f"tranche_recovery_{source}_sum"] = to_host(xp.where(defaulted, part, 0).sum(axis=1))
    for j in range(tranches):
        summary[f"tranche_loss_{j}"] = Histogram.of(loss[j], xp)
    return summary | _tranche_months(month, ead, loss, defaulted, horizon, xp)


def recovery_sources(outputs_float, rows, xp=np):
    """Each tranche's recovery by source (RECOVERY_SOURCES; tranche x path arrays of ``rows``, float64): the kernels'
    rows, then the rest, reserves and cash (recovery less the others, at least 0)."""
    parts = [outputs_float[row:][rows].astype(xp.float64) for row in RECOVERY_ROWS]
    rest = outputs_float[L.OUT_TRANCHE_RECOVERY :][rows].astype(xp.float64) - sum(parts)
    return [*parts, xp.maximum(rest, 0.0)]


def _tranche_months(month, ead, loss, defaulted, horizon, xp):
    """Each tranche's defaults, EAD and loss by its default month (tranche x month, column 0: month 1): what its PD,
    EL and LGD to its own maturity are read from."""
    tranches = month.shape[0]
    cells = tranches * horizon
    code = xp.where(defaulted, xp.arange(tranches)[:, None] * horizon + xp.clip(month, 1, horizon) - 1, cells).ravel()

    def by_month(weights=None):
        counts = xp.bincount(code, weights=None if weights is None else weights.ravel(), minlength=cells + 1)
        return to_host(counts)[:-1].reshape(tranches, horizon)

    return {
        "tranche_defaults_by_month": by_month().astype(np.int64),
        "tranche_ead_by_month": by_month(xp.where(defaulted, ead, 0)).astype(np.float64),
        "tranche_loss_by_month": by_month(xp.where(defaulted, loss, 0)).astype(np.float64),
    }


# Entries that chunk summaries written by older versions lack (``firmK.`` prefixed in a portfolio's): a total
# over chunks of which one lacks it has none, and :func:`finalize` publishes null (so such a run still resumes).
LATER_ENTRIES = (
    "defaults_by_month_cause",
    "funded_paths",
    "funded_defaults",
    "funding_defaults_by_cause",
    "lease_claim_sum",
    "lease_loss_sum",
    "lease_adjusted_debt",
    "lease_adjusted_leverage",
    "lgd_squares",
    "loss_undiscounted_sum",
    "obligor_defaults",
    "terminal_failures",
    "terminal_shortfall_sum",
    "tranche_defaults_by_month",
    "tranche_ead_by_month",
    "tranche_loss_by_month",
    "tranche_lgd_squares",
    *(f"tranche_recovery_{source}_sum" for source in RECOVERY_SOURCES),
)


def _later_entry(key):
    return key.rpartition(".")[2] in LATER_ENTRIES


def combine(parts):
    """Sum of chunk summaries, in the order given (so results do not depend on timing)."""
    parts = list(parts)
    total = {key: np.copy(value) if isinstance(value, np.ndarray) else value for key, value in parts[0].items()}
    for part in parts[1:]:
        for key in [key for key in total if _later_entry(key) and key not in part]:
            del total[key]
        for key, value in part.items():
            if key not in total and _later_entry(key):
                continue
            total[key] = max(total[key], value) if key.endswith("loss_max") else total[key] + value
    return total


def wilson_interval(successes, trials, z=WILSON_Z):
    """Wilson score interval for a binomial proportion."""
    if trials == 0:
        return None, None
    share = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half_width = z * np.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    return max(centre - half_width, 0.0), min(centre + half_width, 1.0)


def credit_statistics(
    paths, defaults, defaults_by_year, loss_sum, loss_squares, ead_sum, lgd_sum, lgd_count, lgd_squares=None
):
    """PD with its Wilson interval and by year, EL with its standard error, mean EAD and LGD, from sums over paths."""
    low, high = wilson_interval(defaults, paths)
    mean_loss = float(loss_sum) / paths
    loss_variance = max(float(loss_squares) / paths - mean_loss**2, 0.0)
    return {
        "paths": paths,
        "defaults": defaults,
        "pd": defaults / paths,
        "pd_ci_low": low,
        "pd_ci_high": high,
        "pd_by_year": list(np.cumsum(defaults_by_year) / paths),
        "expected_loss": mean_loss,
        "expected_loss_se": float(np.sqrt(loss_variance / paths)),
        "mean_ead": float(ead_sum) / defaults if defaults else None,
        "mean_lgd": float(lgd_sum) / int(lgd_count) if lgd_count else None,
        "mean_lgd_se": _mean_se(lgd_sum, lgd_squares, lgd_count),
    }


def _mean_se(total, squares, count):
    """Standard error of a mean from its sum, sum of squares and count (sample sd, ddof 1); None below 2."""
    count = int(count)
    if squares is None or count < 2:
        return None
    mean = float(total) / count
    variance = max((float(squares) - count * mean * mean) / (count - 1), 0.0)
    return float(np.sqrt(variance / count))


def loss_tails(losses):
    """Loss VaR and CVaR at TAIL_LEVELS from a loss :class:`Histogram`."""
    tails = {}
    for name, level in TAIL_LEVELS.items():
        tails[f"loss_var_{name}"] = losses.quantile(level)
        tails[f"loss_cvar_{name}"] = losses.tail_mean(level)
    return tails


def finalize(summary, initial_debt):
    """Published aggregates of one scenario from its combined summary."""
    paths = int(summary["paths"])
    causes = summary["causes"]
    defaults = int(sum(causes[cause] for cause in L.CREDIT_CAUSES))
    row = credit_statistics(
        paths,
        defaults,
        summary["defaults_by_year"],
        summary["loss_sum"],
        summary["loss_squares"],
        summary["ead_sum"],
        summary["lgd_sum"],
        summary["lgd_count"],
        summary.get("lgd_squares"),
    )
    mean_loss = row["expected_loss"]
    undiscounted = summary.get("loss_undiscounted_sum")
    row["expected_loss_undiscounted"] = None if undiscounted is None else undiscounted / paths
    row["initial_debt"] = float(initial_debt)
    row["expected_loss_rate"] = mean_loss / initial_debt if initial_debt > 0 else None
    row["loss_max"] = summary["loss_max"]
    losses = summary["loss"]
    row |= loss_tails(losses)
    # Relative error bounds of the histogram estimates (loss and equity alike).
    row["loss_var_rel_error"] = QUANTILE_REL_ERROR
    row["loss_cvar_rel_error"] = TAIL_MEAN_REL_ERROR
    for cause in L.CREDIT_CAUSES:
        row[f"defaults_{L.CAUSE_NAMES[cause]}"] = int(causes[cause])
    row["defaults_by_month_cause"] = by_month_cause_row(summary.get("defaults_by_month_cause"))
    row["insolvent_no_debt"] = int(causes[L.INSOLVENT_NO_DEBT])
    row |= funding_statistics(summary)
    row["equity_mean"] = summary["equity_sum"] / paths
    for name, level in EQUITY_LEVELS.items():
        row[f"equity_q{name}"] = summary["equity"].quantile(level)
    row["equity_quantile_rel_error"] = QUANTILE_REL_ERROR
    # The loss distribution itself, for plots and users: the non-empty bins [lower, upper) and their counts.
    row["loss_histogram_lower"] = [float(edge) for edge in losses.lower_edges()]
    row["loss_histogram_upper"] = [float(edge) for edge in losses.upper_edges()]
    row["loss_histogram_counts"] = [int(count) for count in losses.counts]
    row["mean_final_price"] = summary["final_price_sum"] / paths
    row["mean_utilization"] = summary["utilization_sum"] / paths
    row["mean_equity_raised"] = summary["equity_raised_sum"] / paths
    row["mean_backstop_paid"] = summary["backstop_paid_sum"] / paths
    obligor_defaults = summary.get("obligor_defaults")  # [[obligors]] order; the caller keeps the run's
    row["obligor_pd"] = None if obligor_defaults is None else [int(count) / paths for count in obligor_defaults]
    return row | lease_statistics(summary) | terminal_statistics(summary, row["pd"])


def terminal_statistics(summary, pd):
    """The terminal test at the horizon: the survivors that fail it, as a count and a share of the paths, PD with
    them, and the mean shortfall per path ($); null where the chunks predate it."""
    names = ("terminal_failures", "pd_terminal", "pd_with_terminal", "mean_terminal_shortfall")
    if "terminal_failures" not in summary:
        return dict.fromkeys(names)
    paths, failures = int(summary["paths"]), int(summary["terminal_failures"])
    if not paths:
        return dict.fromkeys(names) | {"terminal_failures": failures}
    return {
        "terminal_failures": failures,
        "pd_terminal": failures / paths,
        "pd_with_terminal": pd + failures / paths,
        "mean_terminal_shortfall": summary["terminal_shortfall_sum"] / paths,
    }


def lease_statistics(summary):
    """Medians of lease-adjusted debt and leverage, the counterparties' mean claim and loss per path (null where
    the chunks predate them)."""
    if "lease_claim_sum" not in summary:
        names = ("median_lease_adjusted_debt", "median_lease_adjusted_leverage", "mean_lease_claim", "mean_lease_loss")
        return dict.fromkeys(names)
    paths = int(summary["paths"])
    return {
        "median_lease_adjusted_debt": summary["lease_adjusted_debt"].quantile(0.5),
        "median_lease_adjusted_leverage": summary["lease_adjusted_leverage"].quantile(0.5),
        "mean_lease_claim": summary["lease_claim_sum"] / paths,
        "mean_lease_loss": summary["lease_loss_sum"] / paths,
    }


def funding_statistics(summary):
    """pd_funded (PD on the paths where every facility closed or was signed) with its Wilson interval, the paths
    where a facility failed to close, and the credit defaults that followed such a failure by cause (null where
    the chunks predate funding risk)."""
    if "funded_paths" not in summary:
        names = ("pd_funded", "pd_funded_ci_low", "pd_funded_ci_high", "funding_failures", "funding_defaults")
        return dict.fromkeys(names)
    funded, defaults = int(summary["funded_paths"]), int(summary["funded_defaults"])
    low, high = wilson_interval(defaults, funded)
    by_cause = summary["funding_defaults_by_cause"]
    return {
        "pd_funded": defaults / funded if funded else None,
        "pd_funded_ci_low": low,
        "pd_funded_ci_high": high,
        "funding_failures": int(summary["paths"]) - funded,
        "funding_defaults": {L.CAUSE_NAMES[cause]: int(by_cause[cause]) for cause in L.CREDIT_CAUSES},
    }


def by_month_cause_row(counts):
    """The ``defaults_by_month_cause`` value of a row: {credit cause name: [defaults in month 1, 2, ...]}; None
    where the summary has no such counts (chunks summarized before gpu-stress recorded them)."""
    if counts is None:
        return None
    return {L.CAUSE_NAMES[cause]: [int(count) for count in counts[cause]] for cause in L.CREDIT_CAUSES}


def _entry(summary, key, j):
    """Tranche ``j``'s entry of ``key``, None where a run resumed from older chunks lacks it."""
    values = summary.get(key)
    return None if values is None else values[j]


def finalize_tranches(summary, commitments, maturities=None):
    """Published aggregates of each tranche of one scenario; ``commitments``: $ committed at month 0, by tranche;
    ``maturities``: their scheduled maturity months, for PD, EL and LGD to each one's own maturity."""
    paths = int(summary["paths"])
    rows = []
    for j, commitment in enumerate(commitments):
        row = credit_statistics(
            paths,
            int(summary["tranche_defaults"][j]),
            summary["tranche_defaults_by_year"][j],
            summary["tranche_loss_sum"][j],
            summary["tranche_loss_squares"][j],
            summary["tranche_ead_sum"][j],
            summary["tranche_lgd_sum"][j],
            summary["tranche_lgd_count"][j],
            _entry(summary, "tranche_lgd_squares", j),
        )
        defaults = int(summary["tranche_defaults"][j])
        for source in RECOVERY_SOURCES:
            total = _entry(summary, f"tranche_recovery_{source}_sum", j)
            row[f"mean_recovery_{source}"] = None if total is None or not defaults else float(total) / defaults
        row["commitment"] = float(commitment)
        row["expected_loss_rate"] = row["expected_loss"] / commitment if commitment > 0 else None
        row |= to_maturity(summary, j, None if maturities is None else maturities[j])
        rows.append(row | loss_tails(summary[f"tranche_loss_{j}"]))
    return rows


def to_maturity(summary, tranche, maturity):
    """PD, EL and LGD of ``tranche`` to its own ``maturity`` (months): its defaults in months 1 .. maturity; null
    where the run ends before it (or its chunks predate the monthly counts)."""
    names = ("maturity_month", "pd_to_maturity", "expected_loss_to_maturity", "mean_lgd_to_maturity")
    counts = summary.get("tranche_defaults_by_month")
    if maturity is None or counts is None or maturity > counts.shape[1]:
        return dict.fromkeys(names) | {"maturity_month": maturity}
    paths = int(summary["paths"])
    defaults = int(counts[tranche, :maturity].sum())
    ead = float(summary["tranche_ead_by_month"][tranche, :maturity].sum())
    loss = float(summary["tranche_loss_by_month"][tranche, :maturity].sum())
    return {
        "maturity_month": maturity,
        "pd_to_maturity": defaults / paths,
        "expected_loss_to_maturity": loss / paths,
        "mean_lgd_to_maturity": loss / ead if ead > 0 else None,
    }

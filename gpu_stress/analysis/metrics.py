"""PD, EL and CVaR 99 % from per-path outcomes, with per-path linearizations for standard errors.

The definitions are those of ``gpu_stress.results.aggregates``: PD is the share of
paths in credit default (a default cause other than none and ``insolvent_no_debt``),
EL the mean loss, and CVaR_q the mean of the worst k = ceil((1 - q) n) losses, with
VaR_q the inverted-CDF quantile, the loss of rank ceil(q n). Here they are computed
exactly from the per-path table, not from histogram bins.

Each metric m comes with a per-path linearization z_i (its influence function plus
m), so that m - E[m] ~ mean(z - E[z]) to first order:

    PD:    z_i = D_i                                  (the default indicator)
    EL:    z_i = L_i
    CVaR:  z_i = VaR + (L_i - VaR)^+ / (k / n)        (Rockafellar-Uryasev; k / n ~ 1 - q)

so SE(m) = sd(z) / sqrt(n); for CVaR this is the Manistre-Hancock (2005) standard
error, sqrt((Var(L | tail) + q (CVaR - VaR)^2) / ((1 - q) n)). Two scenarios of a run
simulate the same paths (common random numbers), so the change of a metric between
them is estimated with the standard error of the *paired* difference,

    SE(m_b - m_a) = sd(z_b - z_a) / sqrt(n),

which is far smaller than sqrt(SE_a^2 + SE_b^2) when the paths move little: a path
whose outcome is the same in both contributes nothing. (For CVaR each scenario's z
uses its own VaR.)
"""

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import UserError, excerpt
from ..kernels import layout as L
from ..results.aggregates import HEADLINE_METRICS

METRICS = HEADLINE_METRICS
LABELS = {"pd": "PD", "expected_loss": "EL", "cvar_99": "CVaR 99%"}
UNITS = {"pd": "share", "expected_loss": "USD", "cvar_99": "USD"}
DESCRIPTIONS = {
    "pd": "probability of credit default within the horizon",
    "expected_loss": "expected loss, the mean loss over the paths, undiscounted",
    "cvar_99": "loss CVaR at 99 %: the mean of the worst 1 % of the losses",
}
ALIASES = {"el": "expected_loss", "cvar": "cvar_99", "cvar99": "cvar_99", "cvar_99%": "cvar_99"}
CVAR_LEVEL = 0.99
Z95 = 1.959963984540054  # two-sided 95 %
_CREDIT = pa.array([L.CAUSE_NAMES[cause] for cause in L.CREDIT_CAUSES], pa.string())


class MetricError(UserError, ValueError):
    """An unknown metric; ``str()`` names the option."""


def metric_name(text, option):
    """The metric ``text`` names (pd, expected_loss or el, cvar_99 or cvar); a :class:`MetricError` naming
    ``option``."""
    if not isinstance(text, str):
        raise MetricError(f"{option}: a metric name, not {excerpt(text)}")
    name = text.strip().lower()
    name = ALIASES.get(name, name)
    if name not in METRICS:
        raise MetricError(f"{option}: unknown metric {excerpt(text)} (choose from {', '.join(METRICS)})")
    return name


@dataclass(frozen=True)
class Outcomes:
    """One scenario's paths, in path order: credit default (0/1) and loss ($)."""

    defaulted: np.ndarray
    loss: np.ndarray

    @property
    def paths(self):
        return self.loss.shape[0]


def outcomes(paths_table, scenario_id=0):
    """The :class:`Outcomes` of scenario ``scenario_id`` of a run's per-path table (``Results.paths``)."""
    rows = paths_table.filter(pc.equal(paths_table["scenario_id"], scenario_id))
    order = np.argsort(rows["path_id"].to_numpy(), kind="stable")
    causes = rows["default_cause"].cast(pa.string())
    defaulted = pc.fill_null(pc.is_in(causes, value_set=_CREDIT), False).to_numpy(zero_copy_only=False)
    loss = rows["loss"].to_numpy().astype(np.float64)
    return Outcomes(defaulted[order].astype(np.float64), loss[order])


def estimate(metric, outcome):
    """(value, per-path linearization z) of ``metric`` on one scenario's :class:`Outcomes`."""
    if metric == "pd":
        return float(outcome.defaulted.mean()), outcome.defaulted
    if metric == "expected_loss":
        return float(outcome.loss.mean()), outcome.loss
    if metric == "cvar_99":
        return tail(outcome.loss, CVAR_LEVEL)
    raise ValueError(f"metric: unknown metric {metric!r}")


def tail(loss, level):
    """(CVaR at ``level``, its linearization z) as aggregates.py defines them (worst ceil((1 - level) n) losses)."""
    n = loss.shape[0]
    ordered = np.sort(loss)
    worst = max(math.ceil((1.0 - level) * n - 1e-9), 1)
    rank = max(math.ceil(level * n - 1e-9), 1)
    var = float(ordered[rank - 1])
    cvar = float(ordered[n - worst :].mean())
    return cvar, var + np.maximum(loss - var, 0.0) * (n / worst)


def standard_error(z):
    """sd(z) / sqrt(n): the standard error of a mean-like estimate with linearization z."""
    n = z.shape[0]
    return float(np.std(z, ddof=1) / math.sqrt(n)) if n > 1 else math.nan


def measure(outcome):
    """{metric: (value, SE, z)} of every metric on one scenario's outcomes."""
    found = {}
    for metric in METRICS:
        value, z = estimate(metric, outcome)
        found[metric] = (value, standard_error(z), z)
    return found

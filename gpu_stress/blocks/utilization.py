"""Utilization: the fleet's busy share, a logit Ornstein-Uhlenbeck process by regime."""

from ..config.types import MeanReversion, OpenUnit, Section, between
from ..kernels import layout as L
from .regimes import REGIME_KEYS, regime_value
from .slots import REGIMES, Slot, logit, ou_transition

# --- the config sections (schema) ---


class Utilization(Section):
    enabled: bool = True
    initial: OpenUnit = 0.85
    mean: OpenUnit = 0.85
    mean_reversion: MeanReversion = 2.0
    volatility: between(0, 5) = 0.5  # per sqrt(year), of logit U


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "market.utilization": Utilization,
}
KERNEL = (
    "operations.utilization_step",
    "firm.init_firm",
)


SLOTS = (
    Slot(
        L.UTILIZATION_LOGIT_MEAN,
        "logit of a share",
        ("market.utilization.mean", *REGIME_KEYS),
        lambda c: [logit(regime_value(c, regime, "utilization")) for regime in REGIMES],
        2,
        by_regime=1,
    ),
    Slot(
        L.UTILIZATION_LOGIT_INITIAL,
        "logit of a share",
        ("market.utilization.initial",),
        lambda c: logit(c.market.utilization.initial),
    ),
    ou_transition(L.UTILIZATION_DECAY, "utilization"),  # UTILIZATION_DECAY, UTILIZATION_SHOCK
)


RULES = ()  # utilization's shocks are judged with the market's correlation (``shocks``)


EVENTS = ()  # no dated event of its own in a scenario's config


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {
    "mean_utilization": ("share", "the fleet's mean monthly utilization over the months the firm lived"),
}
STATEMENT_LINES = ("utilization",)

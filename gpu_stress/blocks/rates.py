"""The short rate: a Vasicek process, with the floor floating debt pays at least."""

from ..config.types import MeanReversion, Rate, Section, between
from ..kernels import layout as L
from .slots import Slot, ou_transition

# --- the config sections (schema) ---


class Rates(Section):
    enabled: bool = False
    initial: Rate = 0.043
    mean: Rate = 0.035
    mean_reversion: MeanReversion = 0.3
    volatility: between(0, 0.05) = 0.01  # per sqrt(year), in rate units
    floor: Rate = 0.0


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "market.rates": Rates,
}
KERNEL = (
    "market.initial_market",
    "market.market_step",
    "debt_service.debt_service",
)


SLOTS = (
    Slot(L.RATE_INITIAL, "annual", ("market.rates.initial",), lambda c: c.market.rates.initial),
    Slot(L.RATE_MEAN, "annual", ("market.rates.mean",), lambda c: c.market.rates.mean),
    ou_transition(L.RATE_DECAY, "rates"),  # RATE_DECAY, RATE_SHOCK
    Slot(L.RATE_FLOOR, "annual", ("market.rates.floor",), lambda c: c.market.rates.floor),
)


RULES = ()  # the rates' shocks are judged with the market's correlation (``shocks``)


EVENTS = ()  # no dated event of its own in a scenario's config


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {}
STATEMENT_LINES = ("rate",)

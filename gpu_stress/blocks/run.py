"""The run: Monte Carlo or the deterministic plan (``simulation.base_case``)."""

from typing import Literal

from ..config.types import Months, Paths, Section, between
from ..kernels import layout as L
from .slots import Slot

# --- the config sections (schema) ---


TO_LAST_MATURITY = "to-last-maturity"
MAX_HORIZON_TO_MATURITY = 240  # months: to-last-maturity runs at most 20 years
DEFAULT_HORIZON = 60  # months: also to-last-maturity's for a firm with no debt


class Simulation(Section):
    paths: Paths = 100_000
    # months, or "to-last-maturity": to the last scheduled maturity of the firm's debt (``horizon_to_maturity``)
    horizon_months: Months | Literal["to-last-maturity"] = DEFAULT_HORIZON
    seed: between(0, 2**64 - 1, int) = 2025
    precision: Literal["float64", "float32"] = "float64"
    independent_scenarios: bool = False
    chunk_paths: Paths | None = None
    band_paths: between(0, 10**12, int) = 10_000
    base_case: bool = False  # every shock zero and no random event: the deterministic plan


def final_maturity(tranche):
    """The last month ``tranche`` can be due: its maturity, after every extension if it is a revolver."""
    return tranche.maturity_month + (tranche.extensions * tranche.extension_months if tranche.revolving else 0)


def last_maturity(config):
    """The last month a tranche of ``config`` is due (``final_maturity``; signed or not, any tranche with something to
    lend); None without debt."""
    months = [final_maturity(tranche) for tranche in config.debt if tranche.principal + tranche.commitment > 0]
    return max(months, default=None)


def horizon_to_maturity(configs):
    """The horizon of "to-last-maturity" for firms ``configs``: the last of their maturities, at most
    MAX_HORIZON_TO_MATURITY months (DEFAULT_HORIZON with no debt at all)."""
    months = [month for month in map(last_maturity, configs) if month is not None]
    return min(max(months), MAX_HORIZON_TO_MATURITY) if months else DEFAULT_HORIZON


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "simulation": Simulation,
}
KERNEL = ("draws.fill_market_draws",)


SLOTS = (
    Slot(L.BASE_CASE, "1 plan / 0 Monte Carlo", ("simulation.base_case",), lambda c: float(c.simulation.base_case)),
)


RULES = ()  # the run's one switch is always read


EVENTS = ()  # no dated event of its own in a scenario's config


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {}
STATEMENT_LINES = ()

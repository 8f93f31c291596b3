"""The run: Monte Carlo, or one deterministic path (``simulation.base_case``: no shock; ``central_case``)."""

from typing import Literal

from pydantic import model_validator

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
    base_case: bool = False  # the no-shock case: every shock zero and no random event
    # the central case: no shock, no random event, and the market on its planned path (expected launches and regimes)
    central_case: bool = False

    @model_validator(mode="after")
    def _one_deterministic_case(self):
        if self.base_case and self.central_case:
            raise ValueError("base_case and central_case are two different paths: set one")
        return self


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
KERNEL = ("draws.fill_market_draws", "market.market_step")


# The deterministic paths every single-firm run reports beside its Monte Carlo (scenarios.arrow's <case>_* columns),
# by column prefix: the no-shock case keeps the name it had before the central case came.
CASES = {"base_case": "no-shock case", "central_case": "central case"}
CASE_OUTPUTS = ("loss", "final_cash", "min_cash", "equity_value")  # the float outputs each case reports


def case_parameters(params, case):
    """A copy of parameter vector ``params`` for deterministic path ``case`` (a key of CASES)."""
    params = params.copy()
    params[L.BASE_CASE] = 1.0
    params[L.CENTRAL_CASE] = float(case == "central_case")
    return params


def deterministic(config):
    """Whether the run is one deterministic path: the no-shock case or the central case."""
    return config.simulation.base_case or config.simulation.central_case


SLOTS = (
    Slot(
        L.BASE_CASE,
        "1 deterministic / 0 Monte Carlo",
        ("simulation.base_case", "simulation.central_case"),
        lambda c: float(deterministic(c)),
    ),
    Slot(L.CENTRAL_CASE, "1 central / 0 not", ("simulation.central_case",), lambda c: float(c.simulation.central_case)),
)


RULES = ()  # the run's one switch is always read


EVENTS = ()  # no dated event of its own in a scenario's config


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {}
STATEMENT_LINES = ()

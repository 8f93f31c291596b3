"""The run: Monte Carlo or the deterministic plan (``simulation.base_case``)."""

from typing import Literal

from ..config.types import Months, Paths, Section, between
from ..kernels import layout as L
from .slots import Slot

# --- the config sections (schema) ---


class Simulation(Section):
    paths: Paths = 100_000
    horizon_months: Months = 60
    seed: between(0, 2**64 - 1, int) = 2025
    precision: Literal["float64", "float32"] = "float64"
    independent_scenarios: bool = False
    chunk_paths: Paths | None = None
    band_paths: between(0, 10**12, int) = 10_000
    base_case: bool = False  # every shock zero and no random event: the deterministic plan


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

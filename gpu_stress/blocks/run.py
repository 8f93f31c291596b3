"""The run: Monte Carlo or the deterministic plan (``simulation.base_case``)."""

from ..kernels import layout as L
from .slots import Slot

SLOTS = (
    Slot(L.BASE_CASE, "1 plan / 0 Monte Carlo", ("simulation.base_case",), lambda c: float(c.simulation.base_case)),
)


RULES = ()  # the run's one switch is always read


EVENTS = ()  # no dated event of its own in a scenario's config

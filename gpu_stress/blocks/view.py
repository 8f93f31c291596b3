"""What one firm's paths can do under its parameters: the view every block's no-effect rules judge.

A block's ``RULES`` are ``(name, rule)`` pairs; ``rule(view)`` yields ``(slot indices, reason)``
for the slots of the parameter vector the kernels cannot read under the configuration
(``config.effects`` sets them to one canonical value and explains warnings with the reasons).
"""

from ..kernels import layout as L
from .slots import REGIMES

BASE_CASE_REASON = "the run is one deterministic path (simulation.base_case or central_case: no shock, no random event)"


def slot_indices(*names, size=1):
    """Every index of the layout slots ``names`` (``size`` entries each)."""
    return [getattr(L, name) + k for name in names for k in range(size)]


class FirmView:
    """One firm's configuration and raw parameter vector ``v``, and the regimes its market can be in."""

    def __init__(self, config, vector):
        v = self.v = vector
        self.config = config
        self.base_case = v[L.BASE_CASE] > 0  # a deterministic path: the no-shock case or the central case
        self.central_case = v[L.CENTRAL_CASE] > 0
        self.horizon = config.simulation.horizon_months
        self.regimes = self._reached_regimes()
        self.cohorts = int(v[L.COHORT_COUNT])
        self.customers = int(v[L.CUSTOMER_COUNT])
        self.tranches = int(v[L.TRANCHE_COUNT])
        self.pools = int(v[L.POOL_COUNT])
        self.owed = [j for j in range(self.tranches) if v[L.TRANCHE_PRINCIPAL + j] + v[L.TRANCHE_COMMITMENT + j] > 0]

    def _reached_regimes(self):
        v = self.v
        reached = {int(v[L.REGIME_INITIAL])}
        if v[L.STRESS_REGIME] >= 0:  # a stress overlay forces a regime for some months
            reached.add(int(v[L.STRESS_REGIME]))
        if self.central_case:  # the more probable regime of each month
            from .regimes import central_regimes  # the regimes block's rules import this module

            reached |= central_regimes(self.config, self.horizon)
        if not self.base_case:  # a deterministic path draws no switch
            for _ in REGIMES:
                reached |= {1 - r for r in tuple(reached) if v[L.SWITCH_PROBABILITY + r] > 0}
        return reached

    def by_regime(self, index, stride=1):
        """The values of a [regime] block (``stride`` apart) in the regimes the market can be in."""
        return [self.v[index + stride * r] for r in sorted(self.regimes)]

    def tranche(self, j):
        return f"debt.{j}"

    def customer(self, i):
        return f"customers.{i}"

    def pool(self, p):
        return f"pools.{p}"

    def cohort(self, c):
        return "the installed fleet" if c == 0 else f"cohorts.{c - 1} ({self.config.cohorts[c - 1].name})"

"""One month of the market on every path (``kernels/market.py``): regime, GPU rental price, short rate."""

import numpy as np

from ...kernels import layout as L
from .obligors import obligor_step


class ArrayMarket:
    """The market of every path (regime, ln P, planned ln P, r, launches), stepped a month at a time.

    After ``step`` it also holds the month's market normals (e_price, e_rate),
    which a firm's utilization loads on.
    """

    def __init__(self, params, paths, dtype, xp=np):
        p = self.p = np.asarray(params, dtype=dtype)
        self.dtype, self.xp = dtype, xp
        self.regime = xp.full(paths, int(p[L.REGIME_INITIAL]), dtype=xp.int64)
        self.log_price = xp.full(paths, p[L.LOG_PRICE_INITIAL], dtype=dtype)
        self.planned_log_price = xp.full(paths, p[L.LOG_PRICE_INITIAL], dtype=dtype)  # collateral is valued against it
        self.rate = xp.full(paths, p[L.RATE_INITIAL], dtype=dtype)
        self.launches = xp.zeros(paths, dtype)
        self.month = 0
        self.e_price = self.e_rate = None
        self.defaulted = xp.zeros((paths, int(p[L.OBLIGOR_COUNT])), bool)  # the named obligors that have defaulted

    def _by_regime(self, index):
        return self.xp.where(self.regime == 1, self.p[index + 1], self.p[index])

    def _departure(self, month):
        """(pi_0 - pi) k^m: how far P(glut in ``month``) is from its long run (``market.regime_departure``)."""
        p = self.p
        return (p[L.REGIME_INITIAL] - p[L.PLANNED_REGIME]) * p[L.PLANNED_REGIME + 1] ** self.dtype(month)

    def _glut_probability(self, month):
        """P(glut in month ``month``) from month 0's regime, the chain's expectation (``market.glut_probability``)."""
        return self.p[L.PLANNED_REGIME] + self._departure(month)

    def _planned_log_drift(self, month):
        """The planned ln P's step into ``month`` (``market.planned_log_drift``)."""
        p = self.p
        shift = self._glut_probability(month) - p[L.REGIME_INITIAL]
        return p[L.REFERENCE_LOG_DRIFT] + p[L.PLANNED_REGIME + 2] * shift

    def step(self, draws_now):
        """One month on, from the market's part of ``draws_now`` (see ``philox_draws``)."""
        p, xp = self.p, self.xp
        (e_price, _, e_rate, _), (u_jump, u_regime, *_), *_, (obligor_draws, credit_factor) = draws_now
        if p[L.BASE_CASE] > 0:  # the plan: no shock, and a uniform of 1 is below no probability
            e_price = e_rate = credit_factor = xp.zeros_like(self.log_price)
            u_jump = u_regime = xp.ones_like(self.log_price)
            obligor_draws = [u_jump] * len(obligor_draws)
        self.month += 1
        month = self.month
        planned_drift = self._planned_log_drift(month)
        central = p[L.CENTRAL_CASE] > 0
        if central:  # the more probable regime of the chain from month 0 (``market.central_regime``)
            glut = self._departure(month) > self.dtype(0.5) - p[L.PLANNED_REGIME]
            self.regime = xp.full_like(self.regime, int(glut))
        else:
            self.regime = xp.where(u_regime < self._by_regime(L.SWITCH_PROBABILITY), 1 - self.regime, self.regime)
        # A stress overlay's forced regime, launch, price ramp and rate shift (docs/model.md, "Stress overlays").
        forced_now = p[L.STRESS_REGIME] >= 0 and p[L.STRESS_REGIME_START] <= month <= p[L.STRESS_REGIME_END]
        if forced_now:
            self.regime = xp.full_like(self.regime, int(p[L.STRESS_REGIME]))
        cholesky = p[L.CHOLESKY : L.CHOLESKY + 3]
        z_price = cholesky[0] * e_price
        z_rate = cholesky[1] * e_price + cholesky[2] * e_rate
        log_drift = planned_drift if central and not forced_now else self._by_regime(L.LOG_DRIFT)
        log_price = self.log_price + log_drift + self._by_regime(L.LOG_VOLATILITY) * z_price
        launched = u_jump < p[L.JUMP_PROBABILITY]
        log_price = xp.where(launched, log_price + p[L.LOG_JUMP], log_price)
        self.launches = self.launches + launched
        if month == p[L.STRESS_LAUNCH_MONTH]:
            log_price = log_price + p[L.LOG_JUMP]
            self.launches = self.launches + 1
        if p[L.STRESS_PRICE_START] <= month <= p[L.STRESS_PRICE_END]:
            log_price = log_price + p[L.STRESS_PRICE_LOG_STEP]
        planned_log_price = self.planned_log_price + planned_drift
        if p[L.FLOOR_ENABLED] > 0:
            log_price = xp.maximum(log_price, p[L.LOG_PRICE_FLOOR])
            planned_log_price = xp.maximum(planned_log_price, p[L.LOG_PRICE_FLOOR])
        # The named obligors' defaults and their market impacts (``obligors.obligor_step``, ``market.market_impacts``).
        log_jump, glut = obligor_step(self, obligor_draws, credit_factor)
        log_price = log_price + log_jump
        if p[L.FLOOR_ENABLED] > 0:
            log_price = xp.maximum(log_price, p[L.LOG_PRICE_FLOOR])
        if not forced_now:
            self.regime = xp.where(glut, 1, self.regime)
        self.log_price, self.planned_log_price = log_price, planned_log_price
        rate, rate_mean = self.rate, p[L.RATE_MEAN]
        if month >= p[L.STRESS_RATE_START]:
            rate_mean = rate_mean + p[L.STRESS_RATE_SHIFT]
        if month == p[L.STRESS_RATE_START]:
            rate = rate + p[L.STRESS_RATE_SHIFT]
        self.rate = rate_mean + (rate - rate_mean) * p[L.RATE_DECAY] + p[L.RATE_SHOCK] * z_rate
        self.e_price, self.e_rate = e_price, e_rate

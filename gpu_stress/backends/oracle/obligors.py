"""Named obligors on every path (``kernels/obligors.py``): one default month per obligor, in the market's month."""

import math

import numpy as np

from ...kernels import layout as L


def default_probability(market, j, credit_factor):
    """Obligor ``j``'s probability of defaulting this month on every path, given the common credit factor."""
    p, xp = market.p, market.xp
    hazard = xp.where(market.regime == 1, p[L.OBLIGOR_HAZARD + L.MAX_OBLIGORS + j], p[L.OBLIGOR_HAZARD + j])
    if p[L.OBLIGOR_LOADING + j] <= 0:
        return hazard
    threshold = xp.where(market.regime == 1, p[L.OBLIGOR_THRESHOLD + L.MAX_OBLIGORS + j], p[L.OBLIGOR_THRESHOLD + j])
    shifted = (threshold - p[L.OBLIGOR_LOADING + j] * credit_factor) / p[L.OBLIGOR_IDIOSYNCRATIC + j]
    return market.dtype(0.5) * erfc(xp, -shifted * market.dtype(math.sqrt(0.5)))


def erfc(xp, x):
    """The complementary error function elementwise, by ``math.erfc`` (numpy has none). In float32 the kernels call
    erfcf, which may differ in the last place: a uniform within that of a probability can default on one and not
    the other (float32 runs agree path by path only up to such rare flips)."""
    values = np.asarray(x.get() if hasattr(x, "get") else x)  # a CuPy array comes to the host
    result = np.frompyfunc(math.erfc, 1, 1)(values.astype(np.float64)).astype(values.dtype)
    return xp.asarray(result)


def obligor_step(market, obligor_draws, credit_factor):
    """Default the market's obligors this month (``market.defaulted``, paths x obligors); returns the market impacts
    of the month's defaults per path: (ln P jump, glut)."""
    p, xp, dtype = market.p, market.xp, market.dtype
    log_jump = xp.zeros_like(market.log_price)
    glut = xp.zeros(market.log_price.shape, bool)
    for j in range(market.defaulted.shape[1]):
        alive = ~market.defaulted[:, j]
        probability = default_probability(market, j, credit_factor)
        u = obligor_draws[j]
        drawn = u < probability
        forced = alive & ~drawn & (market.month == p[L.OBLIGOR_FORCED_DEFAULT + j])
        with np.errstate(divide="ignore", invalid="ignore"):  # where neither holds, the quotient is not used
            impact_uniform = xp.where(drawn, u / probability, (u - probability) / (dtype(1.0) - probability))
        defaults = alive & (drawn | forced)
        market.defaulted[:, j] |= defaults
        impact = p[L.OBLIGOR_IMPACT_PROBABILITY + j]
        moved = defaults & ((impact >= 1) | (impact_uniform < impact))
        log_jump = xp.where(moved, log_jump + p[L.OBLIGOR_LOG_PRICE_JUMP + j], log_jump)
        glut |= moved & (p[L.OBLIGOR_GLUT_SWITCH + j] > 0)
    return log_jump, glut


def record_obligor_defaults(firm, s, m):
    """The firm's record (also after its end: each obligor's PD in the run) of the month each of the market's
    obligors defaulted (a portfolio's market has its first row's obligors, which a validated portfolio gives
    every firm alike)."""
    record_defaults(firm, s, m.obligors_defaulted, m.month)


def record_defaults(firm, s, defaulted, month):
    """Record ``defaulted`` (paths x the market's obligors) of ``month`` in the firm's ``s.obligor_default_month``."""
    xp = firm.xp
    for j in range(min(firm.obligors, defaulted.shape[1])):
        new = (s.obligor_default_month[:, j] == 0) & defaulted[:, j]
        s.obligor_default_month[:, j] = xp.where(new, month, s.obligor_default_month[:, j])


def obligor_defaulted(firm, s, slot):
    """Per path, whether the obligor named in parameter ``slot`` (-1: none) has defaulted."""
    obligor = int(firm.p[slot])
    if obligor < 0:
        return firm.full(False, bool)
    return s.obligor_default_month[:, obligor] > 0

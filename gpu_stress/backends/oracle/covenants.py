"""Tests of the month on every path (``kernels/covenants.py``): liquidity, and the LTV and DSCR covenants."""

import numpy as np

from ...kernels import layout as L


def loan_to_value(firm, debt, value):
    """debt / V, clipped to RATIO_CAP (a worthless fleet with debt sits at the cap)."""
    zero, cap = firm.dtype(0.0), firm.dtype(L.RATIO_CAP)
    return firm.xp.where(debt <= 0, zero, firm.xp.where(value * cap <= debt, cap, debt / value))


def trailing_coverage(firm, s, m):
    """(DSCR, trailing-quarter service $) per path: this month's cover and scheduled service join the quarter.

    A fixed-charge cover: leases and power contracts on both sides (none: EBITDA / service).
    """
    xp, cap = firm.xp, firm.dtype(L.RATIO_CAP)
    slot = m.month % L.TRAILING_MONTHS
    s.ebitda_trailing[:, slot] = xp.where(m.was_alive, m.ebitda + m.charges, s.ebitda_trailing[:, slot])
    s.service_trailing[:, slot] = xp.where(m.was_alive, m.scheduled_service + m.charges, s.service_trailing[:, slot])
    service_quarter = s.service_trailing.sum(axis=1)
    dscr = xp.where(service_quarter <= 0, cap, xp.clip(s.ebitda_trailing.sum(axis=1) / service_quarter, -cap, cap))
    return dscr, service_quarter


def unpaid_cause(firm, m):
    """Why a month whose service was not paid ends the path, per path.

    ``refinancing`` if cash and reserves could pay all but an unrefinanced balloon,
    else ``liquidity``; with no debt at all, ``insolvent_no_debt`` (no lender loses).
    """
    xp = firm.xp
    refinancing_failure = (m.balloon > 0) & (m.available >= m.service - m.balloon)
    cause = xp.where(refinancing_failure, L.REFINANCING, L.LIQUIDITY)
    return xp.where(m.debt > 0, cause, L.INSOLVENT_NO_DEBT)  # no debt: no credit default


def covenant_tests(firm, s, m, debt, ltv):
    """(covenant default, its cause) per path after this month's test, if one is due.

    Tested every TEST_EVERY months while debt is outstanding; a breach counts in
    ``s.breaches``, a clean test resets it, and more than CURE_TESTS breaches in a
    row is a default (LTV first when both are breached).
    """
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    covenant_default = xp.zeros(firm.paths, bool)
    covenant_cause = firm.full(L.NO_DEFAULT, np.int32)
    if m.month % int(p[L.TEST_EVERY]) == 0:
        ltv_breach = (p[L.LTV_MAX] > 0) & (ltv > p[L.LTV_MAX])
        dscr_breach = (p[L.DSCR_MIN] > 0) & (m.service_quarter > 0) & (m.dscr < p[L.DSCR_MIN])
        tested = m.going & (debt > 0)
        breach = tested & (ltv_breach | dscr_breach)
        s.breaches = xp.where(breach, s.breaches + dtype(1.0), xp.where(tested, dtype(0.0), s.breaches))
        covenant_default = breach & (s.breaches > p[L.CURE_TESTS])
        covenant_cause = xp.where(ltv_breach, L.LTV_BREACH, L.DSCR_BREACH)
    return covenant_default, covenant_cause

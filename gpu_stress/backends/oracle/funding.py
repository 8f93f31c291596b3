"""Funding risk on every path (``kernels/funding.py``): unsigned facilities close in their window, or fail."""

from ...kernels import layout as L


def pending(firm, s, j):
    """Paths where unsigned facility ``j`` has neither closed nor failed yet."""
    return (s.closing_month[:, j] < 0) & (s.closing_failed[:, j] < 0)


def financed(firm, s, c):
    """Paths where a facility that funds cohort ``c`` is signed or has closed, and where one is still pending."""
    closed, waiting = firm.full(False, bool), firm.full(False, bool)
    for j in range(firm.tranches):
        if (int(firm.p[L.TRANCHE_FUNDS + j]) >> c) & 1:
            closed |= s.closing_month[:, j] >= 0
            waiting |= pending(firm, s, j)
    return closed, waiting


def awaits_funding(firm, s, c):
    """Paths where the delivery of cohort ``c`` waits: no facility that funds it has closed, and one is pending."""
    closed, waiting = financed(firm, s, c)
    return waiting & ~closed


def closing_hazard(firm, s, m, j):
    """This month's probability that pending facility ``j`` closes, per path."""
    p, xp = firm.p, firm.xp
    leverage = xp.maximum(s.last_ltv - p[L.FUNDING_LTV_THRESHOLD], firm.dtype(0.0))
    exponent = p[L.FUNDING_PRICE_SENSITIVITY] * m.surprise - p[L.FUNDING_LEVERAGE_SENSITIVITY] * leverage
    hazard = p[L.TRANCHE_CLOSING_HAZARD + j] * m.by_regime(L.FUNDING_FACTOR) * xp.exp(exponent)
    return xp.minimum(hazard, firm.dtype(1.0))


def close_facilities(firm, s, m):
    """Close or fail the month's pending facilities (``m.raised_by_closing``: principal drawn into cash, $)."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero = dtype(0.0)
    m.raised_by_closing = firm.full(0.0)
    for j in firm.unsigned:
        if m.month_number < p[L.TRANCHE_CLOSING_START + j]:
            continue
        trying = m.was_alive & pending(firm, s, j)
        draw = m.closing_draws[int(p[L.TRANCHE_UNSIGNED + j]) - 1]
        closes = trying & (dtype(1.0) - draw < closing_hazard(firm, s, m, j))
        fails = trying & ~closes & (m.month_number >= p[L.TRANCHE_CLOSING_END + j])
        s.closing_month[:, j] = xp.where(closes, m.month_number, s.closing_month[:, j])
        s.undrawn[:, j] = xp.where(closes, p[L.TRANCHE_COMMITMENT + j], s.undrawn[:, j])
        s.balance[:, j] = xp.where(closes, p[L.TRANCHE_PRINCIPAL + j], s.balance[:, j])
        m.raised_by_closing = m.raised_by_closing + xp.where(closes, p[L.TRANCHE_PRINCIPAL + j], zero)
        s.closing_failed[:, j] = xp.where(fails, m.month_number, s.closing_failed[:, j])
        for c in range(firm.cohort_count):
            if (int(p[L.TRANCHE_FUNDS + j]) >> c) & 1:
                # Only deliveries not yet begun are cancelled (this month's come after this step), and only
                # those no other facility finances or may still finance.
                closed, waiting = financed(firm, s, c)
                cancelled = fails & (s.delivery[:, c] >= m.month_number) & ~closed & ~waiting
                s.delivery[:, c] = xp.where(cancelled, dtype(L.NEVER_DELIVERED), s.delivery[:, c])
    s.cash = s.cash + m.raised_by_closing if firm.unsigned else s.cash

"""Revolving credit facilities on every path (``kernels/revolvers.py``): drawn when short, repaid when flush."""

from ...kernels import layout as L
from .debt_service import draw_end


def revolver_available(firm, s, m, j):
    """What revolver ``j`` can still lend ($): its undrawn line, within its borrowing base if it has one."""
    p, xp, zero = firm.p, firm.xp, firm.dtype(0.0)
    available = s.undrawn[:, j]
    limit = p[L.TRANCHE_BORROWING_BASE + j]
    if limit > 0:
        unpledged = xp.maximum(m.value - m.pool_value.sum(axis=1), zero)
        collateral = m.pool_value[:, firm.tranche_pool[j]] if firm.tranche_pool[j] >= 0 else unpledged
        available = xp.minimum(available, xp.maximum(limit * collateral - s.balance[:, j], zero))
    return available


def draw_revolvers(firm, s, m):
    """Draw each revolver in its availability period for what keeps its minimum cash after the month's service:
    cash before service, the balances and what is due once paid (``m.new_balance``) grow by the draw."""
    p, xp, zero = firm.p, firm.xp, firm.dtype(0.0)
    m.revolver_net = firm.full(0.0)
    drawing = m.was_alive & ~m.cross_default
    for j in firm.revolvers:
        available = m.month_number <= draw_end(firm, s, j)  # its availability period
        needed = m.service + p[L.TRANCHE_MINIMUM_CASH + j] - m.cash_before_service
        can_draw = drawing & available & (m.month_number < s.maturity[:, j]) & (needed > 0)
        if p[L.TRANCHE_UNCOMMITTED + j] > 0:  # an uncommitted line lends only while lenders are open
            can_draw &= m.by_regime(L.REFINANCING_OPEN) > 0
        drawn = xp.where(can_draw, xp.minimum(needed, revolver_available(firm, s, m, j)), zero)
        drawn = xp.where(drawn > 0, drawn, zero)
        s.balance[:, j] = s.balance[:, j] + drawn
        s.undrawn[:, j] = s.undrawn[:, j] - drawn
        m.new_balance[:, j] = m.new_balance[:, j] + drawn
        m.cash_before_service = m.cash_before_service + drawn
        m.revolver_net = m.revolver_net + drawn


def repay_revolvers(firm, s, m):
    """After a paid month (``m.going``), cash above each revolver's target repays it; what is repaid within its
    availability period can be drawn again."""
    p, xp, zero = firm.p, firm.xp, firm.dtype(0.0)
    for j in firm.revolvers:
        owed = s.balance[:, j]
        repaid = xp.minimum(owed, xp.maximum(s.cash - p[L.TRANCHE_TARGET_CASH + j], zero))
        repaid = xp.where(m.going & (owed > 0) & (repaid > 0), repaid, zero)
        s.balance[:, j] = owed - repaid
        available = m.month_number <= draw_end(firm, s, j)
        s.undrawn[:, j] = s.undrawn[:, j] + xp.where(available, repaid, zero)
        m.revolver_net = m.revolver_net - repaid
        s.cash = s.cash - repaid

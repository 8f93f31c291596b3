"""The terminal test on every path at the horizon (``kernels/terminal.py``): the debt due after it, uncovered."""

from ...kernels import layout as L
from .debt_service import annual_interest, annualized_ebitda, lender_capacity
from .equity import equity_value


def terminal_refinancing(firm, s, m, value):
    """(D, R) per path: the cut-off tranches' balances ($) and what lenders would refinance of them."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero = dtype(0.0)
    cut = [j for j in range(firm.tranches) if p[L.TRANCHE_CUT_OFF + j] > 0]
    cut_off = firm.full(0.0)
    for j in cut:
        cut_off = cut_off + s.balance[:, j]
    refinanced = firm.full(0.0)
    open_now = (p[L.REFINANCING_ENABLED] > 0) & (m.by_regime(L.REFINANCING_OPEN) > 0)
    if not cut or not bool(open_now.any()):
        return cut_off, refinanced
    partial = p[L.REFINANCING_PARTIAL] > 0
    debt = s.balance.sum(axis=1)
    if p[L.REFINANCING_LENDER_TESTS] > 0:
        base_rate = xp.maximum(m.rate, p[L.RATE_FLOOR])
        new_rate = base_rate + (m.by_regime(L.REFINANCING_SPREAD) + p[L.REFINANCING_LEVERAGE_SPREAD] * s.last_ltv)
        interest = annual_interest(firm, s, base_rate)
        ebitda = annualized_ebitda(firm, s, m)
        for j in cut:
            balance = s.balance[:, j]
            owed = balance > 0
            annual_rate = s.coupon[:, j] + xp.where(s.floating[:, j], base_rate, zero)
            capacity = lender_capacity(firm, s, m, j, balance, annual_rate, new_rate, debt, interest, ebitda)
            whole = xp.where(capacity >= balance, balance, zero)
            rolled = xp.where(owed, xp.minimum(balance, xp.maximum(capacity, zero)) if partial else whole, zero)
            debt = debt - xp.where(owed, balance - rolled, zero)
            change = rolled * (new_rate - annual_rate) - (balance - rolled) * annual_rate
            interest = interest + xp.where(owed, change, zero)
            refinanced = refinanced + rolled
    else:  # the LTV gate
        max_ltv = p[L.REFINANCING_MAX_LTV] * m.by_regime(L.REFINANCING_CAPACITY)
        headroom = max_ltv * value - debt
        for j in cut:
            balance = s.balance[:, j]
            owed = balance > 0
            if partial:
                rolled = xp.minimum(balance, xp.maximum(headroom + balance, zero))
            else:
                rolled = xp.where(s.last_ltv <= max_ltv, balance, zero)
            rolled = xp.where(owed, rolled, zero)
            headroom = headroom - xp.where(owed, rolled - balance, zero)
            refinanced = refinanced + rolled
    return cut_off, xp.where(open_now, refinanced, zero)


def terminal_shortfall(firm, s, m, value):
    """The terminal test's shortfall ($) per path at the horizon (``value``: the fleet's collateral value there);
    0 on paths that did not live to it."""
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero, one = dtype(0.0), dtype(1.0)
    if m is None:  # the firm ended on every path before its first month
        return firm.full(0.0)
    cut_off, refinanced = terminal_refinancing(firm, s, m, value)
    raised = firm.full(0.0)
    if p[L.EQUITY_ENABLED] > 0:
        reserves = xp.where(s.pool_defaulted, zero, s.reserve).sum(axis=1)
        equity = equity_value(firm, s, m, s.cash, value, reserves, s.balance.sum(axis=1))
        room = xp.maximum(p[L.EQUITY_MAX_RAISE] * equity - s.raised_this_year, zero) * (one - p[L.EQUITY_COST])
        raised = xp.where(m.by_regime(L.EQUITY_OPEN) > 0, room, zero)
    shortfall = xp.maximum(cut_off - refinanced - s.cash - raised, zero)
    return xp.where(s.alive & (cut_off > 0), shortfall, zero)

"""Debt service on every path (``kernels/debt_service.py``): interest, fees, amortization, balloons, refinancing."""

from ...kernels import layout as L


def debt_service(firm, s, m):
    """What each tranche owes this month, and the refinancing of bullets that fall due.

    Sets ``m.service`` and ``m.balloon`` (the unrefinanced balloons), by tranche
    ``m.interest_by_tranche``, ``m.principal_by_tranche``, ``m.balloon_by_tranche``
    and ``m.service_by_tranche``, the balances once paid (``m.new_balance``) and
    ``m.refinanced_now``; by pool ``m.pool_service`` and ``m.pool_balloon`` (S_p:
    the service due on each pool's tranches, balloons included). Balances in ``s``
    stay as they are until the month's service is paid (``capital.pay_service``).
    """
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero, one = dtype(0.0), dtype(1.0)
    full, month_number, amortization = firm.full, m.month_number, firm.amortization
    base_rate = xp.maximum(m.rate, p[L.RATE_FLOOR])
    refinancing_open = (p[L.REFINANCING_ENABLED] > 0) & (m.by_regime(L.REFINANCING_OPEN) > 0)
    partial = p[L.REFINANCING_PARTIAL] > 0
    rolls_whole = refinancing_open & (m.ltv_before <= p[L.REFINANCING_MAX_LTV])  # the all-or-nothing rule
    headroom = p[L.REFINANCING_MAX_LTV] * m.value - m.debt  # what lenders would still lend against the fleet
    refinancing_spread = m.by_regime(L.REFINANCING_SPREAD) + p[L.REFINANCING_LEVERAGE_SPREAD] * m.ltv_before
    service, balloon, refinanced_now = full(0.0), full(0.0), full(0.0)
    interest_by_tranche, principal_by_tranche, balloon_by_tranche, service_by_tranche = [], [], [], []
    new_balance = s.balance.copy()
    for j in range(firm.tranches):
        in_window = month_number <= p[L.TRANCHE_DRAW_END + j]
        fee = s.undrawn[:, j] * p[L.TRANCHE_UNDRAWN_FEE + j] / dtype(12.0) if in_window else full(0.0)
        if not in_window:
            s.undrawn[:, j] = zero  # the commitment lapses at the end of the draw window
        service = service + fee
        owed = s.balance[:, j]
        outstanding = owed > 0
        monthly_rate = (s.coupon[:, j] + xp.where(s.floating[:, j], base_rate, zero)) / dtype(12.0)
        interest = owed * monthly_rate
        payments_left = s.maturity[:, j] - month_number + one
        due_now = payments_left <= one
        if in_window:
            principal = full(0.0)  # interest only while it can draw
        elif amortization[j] == L.LINEAR:
            principal = owed / payments_left
        elif amortization[j] == L.ANNUITY:
            # The level payment of the current balance: after a prepayment the payment falls, the term stays.
            annuity_factor = -xp.expm1(-payments_left * xp.log1p(monthly_rate))
            level = xp.where(monthly_rate != 0, owed * monthly_rate / annuity_factor, owed / payments_left)
            principal = level - interest
        else:
            principal = full(0.0)
        principal = xp.where(due_now, owed, principal)
        balloon_j = full(0.0)
        if amortization[j] == L.BULLET:
            due_balloon = outstanding & due_now
            if partial:
                # Lenders roll what keeps debt within max LTV x V; each repayment from cash adds headroom.
                rollable = due_balloon & refinancing_open
                rolled = xp.where(rollable, xp.minimum(owed, xp.maximum(headroom + owed, zero)), zero)
                headroom = headroom - xp.where(rollable, rolled - owed, zero)
            else:
                rolled = xp.where(due_balloon & rolls_whole, owed, zero)
            balloon_j = xp.where(due_balloon, owed - rolled, zero)
            principal = xp.where(due_balloon, owed - rolled, principal)
            balloon += balloon_j
            refinanced_now = refinanced_now + rolled
            commit = (rolled > 0) & m.was_alive  # a new floating loan for what was rolled
            s.floating[:, j] |= commit
            s.coupon[:, j] = xp.where(commit, refinancing_spread, s.coupon[:, j])
            s.maturity[:, j] = xp.where(commit, month_number + p[L.REFINANCING_TERM], s.maturity[:, j])
        principal = xp.where(outstanding, principal, zero)
        interest = xp.where(outstanding, interest, zero)
        new_balance[:, j] = owed - principal
        interest_by_tranche.append(fee + interest)
        principal_by_tranche.append(principal)
        balloon_by_tranche.append(balloon_j)
        service_by_tranche.append(fee + interest + principal)
        service += interest + principal
    m.pool_service, m.pool_balloon = [], []
    for q in range(firm.pools):
        service_q, balloon_q = full(0.0), full(0.0)
        for j in firm.pool_tranches[q]:
            service_q = service_q + service_by_tranche[j]
            balloon_q = balloon_q + balloon_by_tranche[j]
        m.pool_service.append(service_q)
        m.pool_balloon.append(balloon_q)
    m.service, m.balloon, m.refinanced_now, m.new_balance = service, balloon, refinanced_now, new_balance
    m.interest_by_tranche, m.principal_by_tranche = interest_by_tranche, principal_by_tranche

"""Debt service on every path (``kernels/debt_service.py``): interest, fees, amortization, balloons, refinancing."""

from ...kernels import layout as L
from .contracts import contracted_forward_ebitda


def annual_interest(firm, s, base_rate):
    """The firm's interest a year at this month's balances and rates ($), per path."""
    xp, zero = firm.xp, firm.dtype(0.0)
    return (s.balance * (s.coupon + xp.where(s.floating, base_rate[:, None], zero))).sum(axis=1)


def annualized_ebitda(firm, s, m):
    """EBITDA of the last three months, annualized ($ a year): their cover less this month's fixed charges x 12."""
    months = firm.dtype(L.MONTHS_PER_YEAR)
    return s.ebitda_trailing.sum(axis=1) * (months / firm.dtype(L.TRAILING_MONTHS)) - m.charges * months


def lender_capacity(firm, s, m, j, owed, annual_rate, new_rate, debt, interest, ebitda):
    """What lenders would lend ($) to refinance tranche ``j`` by their usual tests (see the kernel's)."""
    p, xp = firm.p, firm.xp
    share = m.by_regime(L.REFINANCING_CAPACITY)
    pool = firm.tranche_pool[j]
    if pool >= 0:
        pool_debt = s.balance[:, firm.pool_tranches[pool]].sum(axis=1)
        if p[L.TRANCHE_ON_CONTRACTS + j] > 0:
            if p[L.REFINANCING_MAX_LEVERAGE] <= 0:
                return owed  # the test is not made
            forward = contracted_forward_ebitda(firm, s, m, pool)
            return share * p[L.REFINANCING_MAX_LEVERAGE] * forward - (pool_debt - owed)
        return share * p[L.REFINANCING_MAX_LTV] * m.pool_value[:, pool] - (pool_debt - owed)
    capacity = owed
    if p[L.REFINANCING_MAX_LEVERAGE] > 0:
        capacity = xp.minimum(capacity, share * p[L.REFINANCING_MAX_LEVERAGE] * ebitda - (debt - owed))
    if p[L.REFINANCING_MIN_COVER] > 0:
        other_interest = interest - owed * annual_rate
        by_cover = (share * ebitda / p[L.REFINANCING_MIN_COVER] - other_interest) / xp.where(new_rate > 0, new_rate, 1)
        capacity = xp.where(new_rate > 0, xp.minimum(capacity, by_cover), capacity)
    return capacity


def debt_service(firm, s, m):
    """What each tranche owes this month, and the refinancing of tranches in their window or at maturity.

    Sets ``m.service``, ``m.balloon`` (unrefinanced), by tranche ``m.interest_by_tranche``, ``m.principal_by_tranche``
    (and the balances once paid, ``m.new_balance``), ``m.refinanced_now``, by pool ``m.pool_service`` and
    ``m.pool_balloon``. Balances in ``s`` stay until the month's service is paid (``capital.pay_service``).
    """
    p, xp, dtype = firm.p, firm.xp, firm.dtype
    zero, one = dtype(0.0), dtype(1.0)
    full, month_number, amortization = firm.full, m.month_number, firm.amortization
    base_rate = xp.maximum(m.rate, p[L.RATE_FLOOR])
    refinancing_open = (p[L.REFINANCING_ENABLED] > 0) & (m.by_regime(L.REFINANCING_OPEN) > 0)
    partial = p[L.REFINANCING_PARTIAL] > 0
    lender_tests = p[L.REFINANCING_LENDER_TESTS] > 0
    max_ltv = p[L.REFINANCING_MAX_LTV] * m.by_regime(L.REFINANCING_CAPACITY)
    rolls_whole = refinancing_open & (m.ltv_before <= max_ltv)  # the LTV gate's all-or-nothing rule
    headroom = max_ltv * m.value - m.debt  # what lenders would still lend against the fleet
    refinancing_spread = m.by_regime(L.REFINANCING_SPREAD) + p[L.REFINANCING_LEVERAGE_SPREAD] * m.ltv_before
    new_rate = base_rate + refinancing_spread
    debt = m.debt
    if lender_tests:
        interest_a_year = annual_interest(firm, s, base_rate)
        ebitda = annualized_ebitda(firm, s, m)
    service, balloon, refinanced_now = full(0.0), full(0.0), full(0.0)
    interest_by_tranche, principal_by_tranche, balloon_by_tranche, service_by_tranche = [], [], [], []
    new_balance = s.balance.copy()
    for j in range(firm.tranches):
        if p[L.TRANCHE_EXTENSIONS + j] > 0:
            extend_revolver(firm, s, m, j)
        in_window = month_number <= draw_end(firm, s, j)
        fee = xp.where(in_window, s.undrawn[:, j] * p[L.TRANCHE_UNDRAWN_FEE + j] / dtype(12.0), zero)
        s.undrawn[:, j] = xp.where(in_window, s.undrawn[:, j], zero)  # the commitment lapses after the draw window
        service = service + fee
        owed = s.balance[:, j]
        outstanding = owed > 0
        annual_rate = s.coupon[:, j] + xp.where(s.floating[:, j], base_rate, zero)
        payments_left = s.maturity[:, j] - month_number + one
        if p[L.REFINANCING_WINDOW] > 0:
            # In the window before maturity: refinanced whole, if lenders would lend its balance.
            early = refinancing_open & outstanding & ~in_window & (payments_left > one)
            early &= payments_left <= p[L.REFINANCING_WINDOW] + one
            if lender_tests:
                capacity = lender_capacity(firm, s, m, j, owed, annual_rate, new_rate, debt, interest_a_year, ebitda)
                early &= capacity >= owed
                interest_a_year = interest_a_year + xp.where(early, owed * (new_rate - annual_rate), zero)
            else:
                early &= rolls_whole
            refinanced_now = refinanced_now + xp.where(early, owed, zero)
            annual_rate, payments_left = refinance_early(
                firm, s, m, j, early, annual_rate, new_rate, refinancing_spread
            )
        monthly_rate = annual_rate / dtype(12.0)
        interest = owed * monthly_rate
        due_now = payments_left <= one
        if amortization[j] == L.LINEAR:
            principal = owed / payments_left
        elif amortization[j] == L.ANNUITY:
            principal = level_payment(firm, owed, monthly_rate, payments_left) - interest
        else:
            principal = full(0.0)
        principal = xp.where(in_window, zero, principal)  # interest only while it can draw
        principal = xp.where(due_now, owed, principal)
        balloon_j = full(0.0)
        if amortization[j] == L.BULLET:
            due_balloon = outstanding & due_now
            if lender_tests:
                capacity = lender_capacity(firm, s, m, j, owed, annual_rate, new_rate, debt, interest_a_year, ebitda)
                rollable = due_balloon & refinancing_open
                whole = (
                    xp.minimum(owed, xp.maximum(capacity, zero)) if partial else xp.where(capacity >= owed, owed, zero)
                )
                rolled = xp.where(rollable, whole, zero)
                debt = debt - xp.where(rollable, owed - rolled, zero)  # repaid from cash: the next tests see less
                interest_a_year += xp.where(
                    rollable, rolled * (new_rate - annual_rate) - (owed - rolled) * annual_rate, 0
                )
            elif partial:
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
            roll_over(firm, s, m, j, (rolled > 0) & m.was_alive, refinancing_spread)
        principal = xp.where(outstanding, principal, zero)
        interest = xp.where(outstanding, interest, zero)
        new_balance[:, j] = owed - principal
        interest_by_tranche.append(fee + interest)
        principal_by_tranche.append(principal)
        balloon_by_tranche.append(balloon_j)
        service_by_tranche.append(fee + interest + principal)
        service += interest + principal
    m.pool_service = [sum(service_by_tranche[j] for j in firm.pool_tranches[q]) + full(0.0) for q in range(firm.pools)]
    m.pool_balloon = [sum(balloon_by_tranche[j] for j in firm.pool_tranches[q]) + full(0.0) for q in range(firm.pools)]
    m.service, m.balloon, m.refinanced_now, m.new_balance = service, balloon, refinanced_now, new_balance
    m.interest_by_tranche, m.principal_by_tranche = interest_by_tranche, principal_by_tranche


def draw_end(firm, s, j):
    """The last month tranche ``j`` can draw, per path: its draw window's end, and a revolver's extensions."""
    return firm.p[L.TRANCHE_DRAW_END + j] + s.extended[:, j]


def extend_revolver(firm, s, m, j):
    """Revolver ``j`` extended where it falls due this month with an extension left, lenders open in the month's
    regime and no covenant breach (see the kernel's): its maturity and availability move out."""
    p, xp = firm.p, firm.xp
    months = p[L.TRANCHE_EXTENSION_MONTHS + j]
    maturity, extended = s.maturity[:, j], s.extended[:, j]
    extend = (maturity == m.month_number) & (extended < p[L.TRANCHE_EXTENSIONS + j] * months)
    extend &= maturity == p[L.TRANCHE_MATURITY + j] + extended  # never refinanced into a term loan
    extend &= (m.by_regime(L.REFINANCING_OPEN) > 0) & (s.breaches <= 0) & m.was_alive
    s.maturity[:, j] = xp.where(extend, maturity + months, maturity)
    s.extended[:, j] = xp.where(extend, extended + months, extended)


def level_payment(firm, owed, monthly_rate, payments_left):
    """The level payment of the current balance ($ a month): after a prepayment it falls, the term stays."""
    xp = firm.xp
    annuity_factor = -xp.expm1(-payments_left * xp.log1p(monthly_rate))
    return xp.where(monthly_rate != 0, owed * monthly_rate / annuity_factor, owed / payments_left)


def refinance_early(firm, s, m, j, early, annual_rate, new_rate, new_spread):
    """Tranche ``j`` refinanced where ``early`` (on paths alive this month): (its annual rate, payments left)."""
    xp = firm.xp
    roll_over(firm, s, m, j, early & m.was_alive, new_spread)
    return xp.where(early, new_rate, annual_rate), s.maturity[:, j] - m.month_number + firm.dtype(1.0)


def roll_over(firm, s, m, j, rolling, new_spread):
    """Where ``rolling``, tranche ``j``'s balance becomes a new floating loan: ``new_spread``, a new term."""
    xp = firm.xp
    s.floating[:, j] |= rolling
    s.coupon[:, j] = xp.where(rolling, new_spread, s.coupon[:, j])
    s.maturity[:, j] = xp.where(rolling, m.month_number + firm.p[L.REFINANCING_TERM], s.maturity[:, j])

"""The capital structure of one firm: security pools, reserves, prepayments, equity, and the waterfall.

All money in $. A pool holds POOL_SHARE of each cohort in its bit mask: that
share of the GPUs (their collateral value) and of their cash flows. Its
tranches recover from it first; what they still miss is an unsecured claim,
unless the pool is ring-fenced (non-recourse). Functions here read and write
the firm's state vector (``layout``'s state slots); ``firm.firm_step`` calls
them in the month's order, and docs/model.md ("Capital structure") states the
model they follow.

- ``pool_tests``: a ring-fenced pool whose cash flow and reserve cannot pay its
  tranches' service this month defaults on its own: its lenders take its
  collateral at the fire-sale haircut, its reserve and its cash flow, by rank.
- ``draw_reserves`` / ``top_up_reserves``: the
  debt-service reserve accounts, which pay their own pool's service only.
- ``raise_equity``: an emergency raise within the year's room, diluting the
  holders of month 0.
- ``borrowing_base`` and ``cash_sweep``: prepayments after the month's service.
- ``settle_parent``: the waterfall at the parent's default.
"""

import math

from .claims import lease_claim
from .device import device_function
from .equity import equity_value
from .layout import (
    BALANCE,
    BALLOON,
    CLAIMS_ON,
    CLAIMS_RANK,
    COHORT_CASH_FLOW,
    COHORT_COUNT,
    COHORT_IN_SERVICE,
    COHORT_VALUE,
    EQUITY_COST,
    EQUITY_ENABLED,
    EQUITY_MAX_RAISE,
    EQUITY_OPEN,
    EQUITY_RAISED,
    EQUITY_RAISED_YEAR,
    EQUITY_SHARE,
    FIRE_SALE_RECOVERY,
    GPUS,
    GPUS_SOLD,
    HAS_PREPAYMENTS,
    HAS_RESERVES,
    INTEREST,
    LEASE_CLAIM,
    LEASE_RECOVERY,
    LTV_BREACH,
    MAX_RANK,
    NO_DEFAULT,
    PAYMENT_RATE,
    POOL_COHORTS,
    POOL_COUNT,
    POOL_CROSS_DEFAULT,
    POOL_DEFAULTED,
    POOL_RESERVE_MONTHS,
    POOL_RING_FENCED,
    POOL_SHARE,
    POOL_VALUE,
    PREPAID,
    PRINCIPAL,
    RAISED,
    RECOVERY_NET,
    RESERVE,
    RESERVE_DRAWN,
    SOLD,
    TRANCHE_BORROWING_BASE,
    TRANCHE_COUNT,
    TRANCHE_DEFAULT_MONTH,
    TRANCHE_EAD,
    TRANCHE_POOL,
    TRANCHE_RANK,
    TRANCHE_RECOVERY,
    TRANCHE_RECOVERY_CONTRACTS,
    TRANCHE_RECOVERY_ENTERPRISE,
    TRANCHE_RECOVERY_GPUS,
    TRANCHE_SWEEP,
    TRANCHE_SWEEP_DSCR,
    UNDRAWN,
)
from .recovery import contract_gain, enterprise_surplus, pool_sale_value, shares_of, unpledged_sale_value


@device_function
def in_pool(params, cohort, pool):
    """True if ``pool`` holds a share of cohort ``cohort``."""
    return (int(params[POOL_COHORTS + pool]) >> cohort) & 1 == 1


@device_function
def pool_share_of(params, state, pool, cohort_slots, dtype):
    """The pool's share of the sum over its cohorts of state[cohort_slots + c] (a value or a cash flow, $)."""
    total = dtype(0.0)
    for c in range(int(params[COHORT_COUNT])):
        if in_pool(params, c, pool):
            total += state[cohort_slots + c]
    return total * params[POOL_SHARE + pool]


@device_function
def pool_values(params, state, dtype):
    """Fill state[POOL_VALUE + p]: each pool's share of its cohorts' values (0 once it defaulted)."""
    for p in range(int(params[POOL_COUNT])):
        value = dtype(0.0)
        if state[POOL_DEFAULTED + p] <= dtype(0.0):
            value = pool_share_of(params, state, p, COHORT_VALUE, dtype)
        state[POOL_VALUE + p] = value


@device_function
def unpledged_value(params, state, value, dtype):
    """What of the firm's collateral ``value`` ($) no pool not in default holds."""
    for p in range(int(params[POOL_COUNT])):
        value -= state[POOL_VALUE + p]
    return max(value, dtype(0.0))


@device_function
def pool_service(params, state, pool, dtype):
    """(balance owed before this month's payment, service due this month) of the pool's tranches, $."""
    owed = dtype(0.0)
    due = dtype(0.0)
    for j in range(int(params[TRANCHE_COUNT])):
        if int(params[TRANCHE_POOL + j]) == pool:
            owed += state[BALANCE + j]
            due += state[INTEREST + j] + state[PRINCIPAL + j]
    return owed, due


@device_function
def service_due(params, state, dtype):
    """(service, unrefinanced balloons) due this month over every tranche still served, $."""
    service = dtype(0.0)
    balloon = dtype(0.0)
    for j in range(int(params[TRANCHE_COUNT])):
        service += state[INTEREST + j] + state[PRINCIPAL + j]
        balloon += state[BALLOON + j]
    return service, balloon


@device_function
def share_by_rank(params, state, pool, month, assets, shares, dtype):
    """Pay ``assets`` to the claims of the tranches defaulting in ``month``; returns what is left.

    Claims are EAD - recovered so far. ``pool`` >= 0: that pool's tranches
    only; -1: every tranche defaulting now except those of ring-fenced
    (non-recourse) pools, and with [claims] the fixed charges' counterparties
    at CLAIMS_RANK (state[LEASE_CLAIM]). Rank 1 first, strictly; within a rank
    pro rata to the remaining claims, and a rank paid in full recovers its
    claims exactly. ``shares``: (GPUs, contracts, enterprise value) as shares
    of the pot (``recovery.shares_of``), what each payment is booked as coming from.
    """
    month_number = dtype(month)
    tranches = int(params[TRANCHE_COUNT])
    lease_rank = int(params[CLAIMS_RANK]) if pool < 0 and params[CLAIMS_ON] > dtype(0.0) else 0
    for rank in range(1, MAX_RANK + 1):
        claims = dtype(0.0)
        for j in range(tranches):
            if settles(params, state, j, pool, rank, month_number, dtype):
                claims += state[TRANCHE_EAD + j] - state[TRANCHE_RECOVERY + j]
        lease_owed = dtype(0.0)
        if rank == lease_rank:
            lease_owed = state[LEASE_CLAIM] - state[LEASE_RECOVERY]
            claims += lease_owed
        if claims <= dtype(0.0):
            continue
        full = assets >= claims
        paid = claims if full else assets
        for j in range(tranches):
            if settles(params, state, j, pool, rank, month_number, dtype):
                claim = state[TRANCHE_EAD + j] - state[TRANCHE_RECOVERY + j]
                if full:
                    state[TRANCHE_RECOVERY + j] = state[TRANCHE_EAD + j]
                    payment = claim
                else:
                    payment = claim * paid / claims
                    state[TRANCHE_RECOVERY + j] += payment
                book_sources(state, j, payment, shares)
        if lease_owed > dtype(0.0):
            state[LEASE_RECOVERY] = state[LEASE_CLAIM] if full else state[LEASE_RECOVERY] + lease_owed * paid / claims
        assets -= paid
    return assets


@device_function
def book_sources(state, tranche, amount, shares):
    """Book ``amount`` $ paid to ``tranche`` as from GPUs, contracts and enterprise value by ``shares``."""
    gpus, contracts, enterprise = shares
    state[TRANCHE_RECOVERY_GPUS + tranche] += amount * gpus
    state[TRANCHE_RECOVERY_CONTRACTS + tranche] += amount * contracts
    state[TRANCHE_RECOVERY_ENTERPRISE + tranche] += amount * enterprise


@device_function
def open_default(state, tranche, month_number, dtype):
    """Tranche ``tranche`` defaults in ``month_number`` with its balance as EAD; nothing recovered yet."""
    state[TRANCHE_DEFAULT_MONTH + tranche] = month_number
    state[TRANCHE_EAD + tranche] = state[BALANCE + tranche]
    clear_recovery(state, tranche, dtype)


@device_function
def clear_recovery(state, tranche, dtype):
    """Nothing recovered yet for ``tranche``, from any source."""
    state[TRANCHE_RECOVERY + tranche] = dtype(0.0)
    state[TRANCHE_RECOVERY_GPUS + tranche] = dtype(0.0)
    state[TRANCHE_RECOVERY_CONTRACTS + tranche] = dtype(0.0)
    state[TRANCHE_RECOVERY_ENTERPRISE + tranche] = dtype(0.0)


@device_function
def settles(params, state, tranche, pool, rank, month_number, dtype):
    """Does ``tranche`` (of ``rank``) share in this round of the waterfall (see ``share_by_rank``)?"""
    if state[TRANCHE_DEFAULT_MONTH + tranche] != month_number or int(params[TRANCHE_RANK + tranche]) != rank:
        return False
    own_pool = int(params[TRANCHE_POOL + tranche])
    if pool >= 0:
        return own_pool == pool
    # The estate: unsecured tranches and those of pools with recourse (a ring-fenced pool's have none).
    return own_pool < 0 or params[POOL_RING_FENCED + own_pool] <= dtype(0.0)


@device_function
def pool_tests(params, state, month, cash, value, dtype):
    """Ring-fenced pools that cannot serve their tranches this month default; returns (cash, V, cross-default).

    A pool defaults if its cash flow (its share of its cohorts' operating
    cash flow) plus its reserve is less than its tranches' service. Its
    lenders take its GPUs at the sale (``recovery``) x (1 - haircut), its
    contracts' going-concern value, its reserve and max(cash flow, 0), net of
    recovery costs, by rank; a surplus returns at once to the parent's ``cash``,
    gross of costs. Its share of its cohorts is sold
    (V falls by V_p), its tranches leave the month's service and its undrawn
    commitments lapse. The third value is True if a pool that defaulted now
    has a cross-default to the parent.
    """
    month_number = dtype(month)
    cross_default = False
    tranches = int(params[TRANCHE_COUNT])
    for p in range(int(params[POOL_COUNT])):
        if params[POOL_RING_FENCED + p] <= dtype(0.0) or state[POOL_DEFAULTED + p] > dtype(0.0):
            continue
        owed, due = pool_service(params, state, p, dtype)
        if owed <= dtype(0.0):
            continue
        flow = pool_share_of(params, state, p, COHORT_CASH_FLOW, dtype)
        if flow + state[RESERVE + p] >= due:
            continue
        for j in range(tranches):
            if int(params[TRANCHE_POOL + j]) != p:
                continue
            if state[BALANCE + j] > dtype(0.0):
                open_default(state, j, month_number, dtype)
            state[BALANCE + j] = dtype(0.0)
            state[UNDRAWN + j] = dtype(0.0)
            state[INTEREST + j] = dtype(0.0)
            state[PRINCIPAL + j] = dtype(0.0)
            state[BALLOON + j] = dtype(0.0)
        taken = max(flow, dtype(0.0))  # the month's cash flow of the pool goes to its lenders
        net = params[RECOVERY_NET]
        gpus = pool_sale_value(params, state, p, month, dtype) * params[FIRE_SALE_RECOVERY] * net
        contracts = contract_gain(params, state, month, p, dtype) * net
        assets = gpus + contracts + state[RESERVE + p] * net + taken * net
        shares = shares_of(assets, gpus, contracts, dtype(0.0), dtype)
        # Costs fall on what the lenders collect: the surplus returns gross (the parent's estate charges it once).
        cash += share_by_rank(params, state, p, month, assets, shares, dtype) / net - taken
        state[RESERVE + p] = dtype(0.0)
        state[POOL_DEFAULTED + p] = dtype(1.0)
        state[GPUS_SOLD] += pool_share_of(params, state, p, COHORT_IN_SERVICE, dtype)
        for c in range(int(params[COHORT_COUNT])):
            if in_pool(params, c, p):
                state[SOLD + c] += params[POOL_SHARE + p]
        value -= state[POOL_VALUE + p]
        state[POOL_VALUE + p] = dtype(0.0)
        cross_default = cross_default or params[POOL_CROSS_DEFAULT + p] > dtype(0.0)
    return cash, value, cross_default


@device_function
def reserves_held(params, state, dtype):
    """$ in the reserve accounts of the pools not in default."""
    held = dtype(0.0)
    for p in range(int(params[POOL_COUNT])):
        if state[POOL_DEFAULTED + p] <= dtype(0.0):
            held += state[RESERVE + p]
    return held


@device_function
def draw_reserves(params, state, needed, apply, dtype):
    """(drawn, still needed) of ``needed`` $: the reserves pay, pool by pool, their own tranches' service this month.

    Draws from the accounts only if ``apply`` (else it is what they could pay).
    """
    drawn = dtype(0.0)
    for p in range(int(params[POOL_COUNT])):
        if state[POOL_DEFAULTED + p] > dtype(0.0):
            continue
        _, due = pool_service(params, state, p, dtype)
        draw = min(min(state[RESERVE + p], due), needed)
        if draw > dtype(0.0):
            drawn += draw
            needed -= draw
            if apply:
                state[RESERVE + p] -= draw
    if apply:
        state[RESERVE_DRAWN] = drawn
    return drawn, needed


@device_function
def top_up_reserves(params, state, cash, dtype):
    """Set each reserve to min(target, reserve + cash+) (topped up from cash, released above target); returns cash.

    The target is POOL_RESERVE_MONTHS x this month's scheduled service of the
    pool's tranches (interest, fees, amortization; no balloon).
    """
    for p in range(int(params[POOL_COUNT])):
        if state[POOL_DEFAULTED + p] > dtype(0.0):
            continue
        scheduled = dtype(0.0)
        for j in range(int(params[TRANCHE_COUNT])):
            if int(params[TRANCHE_POOL + j]) == p:
                scheduled += state[INTEREST + j] + state[PRINCIPAL + j] - state[BALLOON + j]
        target = params[POOL_RESERVE_MONTHS + p] * scheduled
        reserve = min(target, state[RESERVE + p] + max(cash, dtype(0.0)))
        cash -= reserve - state[RESERVE + p]
        state[RESERVE + p] = reserve
    return cash


@device_function
def raise_equity(params, state, regime, needed, book_equity, dtype):
    """Sell new shares for ``needed`` $ of proceeds if investors are open and the year's room allows; True if so.

    Gross X = needed / (1 - cost) must fit within max_raise x E (``book_equity``: at book or at market value,
    ``equity.equity_value``) less what was raised earlier this year; the holders of month 0 keep E / (E + X)
    of what they owned.
    """
    if params[EQUITY_ENABLED] <= dtype(0.0) or params[EQUITY_OPEN + regime] <= dtype(0.0):
        return False
    if book_equity <= dtype(0.0):
        return False
    gross = needed / (dtype(1.0) - params[EQUITY_COST])
    if gross > params[EQUITY_MAX_RAISE] * book_equity - state[EQUITY_RAISED_YEAR]:
        return False
    state[EQUITY_SHARE] *= book_equity / (book_equity + gross)
    state[EQUITY_RAISED_YEAR] += gross
    state[EQUITY_RAISED] += gross
    state[RAISED] = gross
    return True


@device_function
def prepay(state, tranche, amount, dtype):
    """Prepay ``amount`` $ of a tranche; an annuity's level payment is recomputed next month."""
    state[BALANCE + tranche] -= amount
    state[PREPAID] += amount
    state[PAYMENT_RATE + tranche] = dtype(math.nan)


@device_function
def borrowing_base(params, state, cash, value, dtype):
    """Prepay each tranche's balance above its borrowing base x its collateral; returns (cash, cause).

    The collateral is its pool's value (what no pool holds, for an unsecured
    tranche). An excess that cash cannot prepay is a default with cause ``ltv``.
    """
    unpledged = unpledged_value(params, state, value, dtype)
    for j in range(int(params[TRANCHE_COUNT])):
        limit = params[TRANCHE_BORROWING_BASE + j]
        if limit <= dtype(0.0) or state[BALANCE + j] <= dtype(0.0):
            continue
        pool = int(params[TRANCHE_POOL + j])
        collateral = state[POOL_VALUE + pool] if pool >= 0 else unpledged
        excess = state[BALANCE + j] - limit * collateral
        if excess <= dtype(0.0):
            continue
        amount = min(excess, max(cash, dtype(0.0)))
        prepay(state, j, amount, dtype)
        cash -= amount
        if amount < excess:
            return cash, LTV_BREACH
    return cash, NO_DEFAULT


@device_function
def cash_sweep(params, state, ebitda, scheduled_service, cash, dtype):
    """Prepay each sweeping tranche its share of EBITDA above sweep_dscr x scheduled service; returns cash."""
    for j in range(int(params[TRANCHE_COUNT])):
        sweep = params[TRANCHE_SWEEP + j]
        if sweep <= dtype(0.0) or state[BALANCE + j] <= dtype(0.0):
            continue
        excess = max(ebitda - params[TRANCHE_SWEEP_DSCR + j] * scheduled_service, dtype(0.0))
        amount = min(min(sweep * excess, state[BALANCE + j]), max(cash, dtype(0.0)))
        if amount > dtype(0.0):
            prepay(state, j, amount, dtype)
            cash -= amount
    return cash


@device_function
def settle_parent(params, state, month, cash, value, dtype):
    """The waterfall at the parent's default in ``month``: every tranche with a balance is in default.

    The estate is cash+ and the unpledged collateral at the fire-sale haircut;
    each pool not in default pays its tranches by rank from its collateral,
    its contracts' going-concern value and its reserve, and adds what is left
    to the estate, which with the going-concern surplus (``recovery``) then
    pays every remaining claim (secured shortfalls, unsecured tranches and,
    with [claims], the landlords' and suppliers', ``claims.lease_claim``) by
    rank. Every pot is net of recovery costs; the GPUs are valued at the sale.
    """
    month_number = dtype(month)
    owed = False
    for j in range(int(params[TRANCHE_COUNT])):
        if state[TRANCHE_DEFAULT_MONTH + j] < dtype(0.0) and state[BALANCE + j] > dtype(0.0):
            open_default(state, j, month_number, dtype)
            owed = True
    if params[CLAIMS_ON] > dtype(0.0):  # the firm rejects its leases and contracts: their counterparties claim
        state[LEASE_CLAIM] = lease_claim(params, state, month, cash, dtype)
        state[LEASE_RECOVERY] = dtype(0.0)
        owed = owed or state[LEASE_CLAIM] > dtype(0.0)
    if owed:  # its lenders sell every GPU it still owns (a pool's sold this month among them); with none, nobody
        state[GPUS_SOLD] = state[GPUS]
    recovery = params[FIRE_SALE_RECOVERY]
    net = params[RECOVERY_NET]
    gpus = unpledged_sale_value(params, state, month, value, dtype) * recovery * net
    contracts = dtype(0.0)
    estate = max(cash, dtype(0.0)) * net + gpus
    liquidation = estate
    reserves = dtype(0.0)
    for p in range(int(params[POOL_COUNT])):
        if state[POOL_DEFAULTED + p] <= dtype(0.0):
            gpus_p = pool_sale_value(params, state, p, month, dtype) * recovery * net
            contracts_p = contract_gain(params, state, month, p, dtype) * net
            assets = gpus_p + contracts_p + state[RESERVE + p] * net
            liquidation += assets
            reserves += state[RESERVE + p]
            shares = shares_of(assets, gpus_p, contracts_p, dtype(0.0), dtype)
            left = share_by_rank(params, state, p, month, assets, shares, dtype)
            estate += left
            gpus += left * shares[0]
            contracts += left * shares[1]
    enterprise = enterprise_surplus(params, state, month, cash, reserves, liquidation / net, dtype) * net
    estate += enterprise
    share_by_rank(params, state, -1, month, estate, shares_of(estate, gpus, contracts, enterprise, dtype), dtype)


@device_function
def cover_shortfall(params, state, month, regime, cash, value, service, debt, dtype):
    """(cash $, reserves drawable $, covered): meet the month's ``service`` ($) that ``cash`` falls short of.

    The pools' reserves go first, then an equity raise for what they leave; only
    once the raise is made are the reserves drawn. Not covered: the parent
    defaults, with ``cash`` as it was.
    """
    shortfall = service - cash
    if shortfall <= dtype(0.0):
        return cash, dtype(0.0), True
    reserves = dtype(0.0)
    needed = shortfall
    if state[HAS_RESERVES] > dtype(0.0):
        reserves, needed = draw_reserves(params, state, shortfall, False, dtype)
    if needed > dtype(0.0):
        equity = equity_value(
            params, state, month, regime, cash, value, reserves_held(params, state, dtype), debt, dtype
        )
        if not raise_equity(params, state, regime, needed, equity, dtype):
            return cash, reserves, False
        cash += needed  # the raise's proceeds
    if reserves > dtype(0.0):
        drawn, _ = draw_reserves(params, state, shortfall, True, dtype)
        cash += drawn
    return cash, reserves, True


@device_function
def manage_cash(params, state, cash, value, ebitda, scheduled_service, dtype):
    """(cash $, cause) after a paid month: the borrowing base, the reserves' top-up, then the cash sweep."""
    cause = NO_DEFAULT
    if state[HAS_PREPAYMENTS] > dtype(0.0):
        cash, cause = borrowing_base(params, state, cash, value, dtype)
    if cause == NO_DEFAULT and state[HAS_RESERVES] > dtype(0.0):
        cash = top_up_reserves(params, state, cash, dtype)
    if cause == NO_DEFAULT and state[HAS_PREPAYMENTS] > dtype(0.0):
        cash = cash_sweep(params, state, ebitda, scheduled_service, cash, dtype)
    return cash, cause

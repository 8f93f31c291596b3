"""Debt service: interest, undrawn fees, amortization and balloons by tranche, refinancing before and at maturity."""

import math

from .contracts import contracted_forward_ebitda
from .device import device_function
from .layout import (
    ANNUITY,
    BALANCE,
    BALLOON,
    BREACHES,
    BULLET,
    EBITDA_TRAILING,
    EXTENDED,
    FIXED_CHARGES,
    FLOATING,
    INTEREST,
    LINEAR,
    MATURITY,
    MAX_TRANCHES,
    MONTHS_PER_YEAR,
    PAYMENT,
    PAYMENT_RATE,
    POOL_VALUE,
    PRINCIPAL,
    RAISED,
    RATE,
    RATE_FLOOR,
    REFINANCED,
    REFINANCING_CAPACITY,
    REFINANCING_ENABLED,
    REFINANCING_LENDER_TESTS,
    REFINANCING_LEVERAGE_SPREAD,
    REFINANCING_MAX_LEVERAGE,
    REFINANCING_MAX_LTV,
    REFINANCING_MIN_COVER,
    REFINANCING_OPEN,
    REFINANCING_PARTIAL,
    REFINANCING_SPREAD,
    REFINANCING_TERM,
    REFINANCING_WINDOW,
    TRAILING_MONTHS,
    TRANCHE_AMORTIZATION,
    TRANCHE_COUNT,
    TRANCHE_DRAW_END,
    TRANCHE_EXTENSION_MONTHS,
    TRANCHE_EXTENSIONS,
    TRANCHE_MATURITY,
    TRANCHE_ON_CONTRACTS,
    TRANCHE_POOL,
    TRANCHE_UNDRAWN_FEE,
    UNDRAWN,
)


@device_function
def total_debt(state, dtype):
    """Outstanding principal of all tranches ($); unused slots hold zero."""
    outstanding = dtype(0.0)
    for j in range(MAX_TRANCHES):
        outstanding += state[BALANCE + j]
    return outstanding


@device_function
def annual_interest(params, state, base_rate, dtype):
    """The firm's interest a year at this month's balances and rates ($): what the interest-cover test reads."""
    interest = dtype(0.0)
    for j in range(int(params[TRANCHE_COUNT])):
        annual_rate = state[RATE + j]
        if state[FLOATING + j] > dtype(0.0):
            annual_rate += base_rate
        interest += state[BALANCE + j] * annual_rate
    return interest


@device_function
def annualized_ebitda(state, dtype):
    """EBITDA of the last three months, annualized ($ a year): the cover of those months less this month's
    fixed charges. Before a quarter of history the months not yet lived count as zero."""
    cover = dtype(0.0)
    for k in range(TRAILING_MONTHS):
        cover += state[EBITDA_TRAILING + k]
    months = dtype(MONTHS_PER_YEAR)
    return cover * (months / dtype(TRAILING_MONTHS)) - state[FIXED_CHARGES] * months


@device_function
def draw_end(params, state, j):
    """The last month tranche ``j`` can draw: its draw window's end, and a revolver's extensions."""
    return params[TRANCHE_DRAW_END + j] + state[EXTENDED + j]


@device_function
def extend_revolver(params, state, j, month_number, regime, dtype):
    """Extend revolver ``j`` if it falls due this month (``month_number``), has an extension left, lenders are
    open in ``regime`` and the firm is in no covenant breach. ``debt_service`` calls it for a tranche with
    extensions, before its service is due."""
    months = params[TRANCHE_EXTENSION_MONTHS + j]
    if state[MATURITY + j] != month_number or state[EXTENDED + j] >= params[TRANCHE_EXTENSIONS + j] * months:
        return
    if state[MATURITY + j] != params[TRANCHE_MATURITY + j] + state[EXTENDED + j]:
        return  # refinanced into a term loan: no longer a line to extend
    if params[REFINANCING_OPEN + regime] > dtype(0.0) and state[BREACHES] <= dtype(0.0):
        state[MATURITY + j] += months
        state[EXTENDED + j] += months


@device_function
def lender_capacity(params, state, month, j, balance, annual_rate, new_rate, regime, debt, interest, ebitda, dtype):
    """What lenders would lend ($) to refinance tranche ``j`` (``balance`` $ at ``annual_rate``) by their usual
    tests, times the share of that capacity they offer in this regime (REFINANCING_CAPACITY).

    Secured on a pool: (share x max LTV) x the pool's value less the pool's other debt; secured on its pool's
    contracts (TRANCHE_ON_CONTRACTS), (share x max debt / EBITDA) x the pool's contracted forward EBITDA
    (``contracts.contracted_forward_ebitda``) less the pool's other debt. Unsecured: the least of
    (share x max debt / EBITDA) x ``ebitda`` less the firm's other debt (``debt`` $), and what keeps
    (share x ``ebitda``) / interest at min cover: (share x ebitda / min cover - other interest) / ``new_rate``.
    A test whose parameter is 0 is not made; with none, lenders roll the whole balance.
    """
    share = params[REFINANCING_CAPACITY + regime]
    pool = int(params[TRANCHE_POOL + j])
    if pool >= 0:
        pool_debt = dtype(0.0)
        for k in range(int(params[TRANCHE_COUNT])):
            if int(params[TRANCHE_POOL + k]) == pool:
                pool_debt += state[BALANCE + k]
        if params[TRANCHE_ON_CONTRACTS + j] > dtype(0.0):
            if params[REFINANCING_MAX_LEVERAGE] <= dtype(0.0):
                return balance  # the test is not made
            forward = contracted_forward_ebitda(params, state, month, pool, dtype)
            return share * params[REFINANCING_MAX_LEVERAGE] * forward - (pool_debt - balance)
        return share * params[REFINANCING_MAX_LTV] * state[POOL_VALUE + pool] - (pool_debt - balance)
    capacity = balance
    if params[REFINANCING_MAX_LEVERAGE] > dtype(0.0):
        capacity = min(capacity, share * params[REFINANCING_MAX_LEVERAGE] * ebitda - (debt - balance))
    if params[REFINANCING_MIN_COVER] > dtype(0.0) and new_rate > dtype(0.0):
        other_interest = interest - balance * annual_rate
        capacity = min(capacity, (share * ebitda / params[REFINANCING_MIN_COVER] - other_interest) / new_rate)
    return capacity


@device_function
def level_payment(state, j, balance, monthly_rate, payments_left, dtype):
    """An annuity's level payment ($ a month), kept in the state: it only changes with the rate (or a new
    term, which clears the kept rate), so it is recomputed then, not every month."""
    if monthly_rate != state[PAYMENT_RATE + j]:
        state[PAYMENT_RATE + j] = monthly_rate
        if monthly_rate != dtype(0.0):
            # 1 - (1 + i)^-n without cancellation, so tiny and negative rates stay exact.
            annuity_factor = -math.expm1(-payments_left * math.log1p(monthly_rate))
            state[PAYMENT + j] = balance * monthly_rate / annuity_factor
        else:
            state[PAYMENT + j] = balance / payments_left
    return state[PAYMENT + j]


@device_function
def rolled_balloon(balance, capacity, partial, dtype):
    """What of a ``balance`` ($) due lenders roll, given what they would lend (``capacity`` $): up to it if
    ``partial``, else all of it if they would lend all, or nothing."""
    if partial:
        return min(balance, max(capacity, dtype(0.0)))
    return balance if capacity >= balance else dtype(0.0)


@device_function
def roll_over(params, state, j, month_number, new_spread, dtype):
    """Tranche ``j``'s balance becomes a new floating loan: ``new_spread`` over the base rate, a new term."""
    state[FLOATING + j] = dtype(1.0)
    state[RATE + j] = new_spread
    state[MATURITY + j] = month_number + params[REFINANCING_TERM]
    state[PAYMENT_RATE + j] = dtype(math.nan)  # an annuity's level payment follows the new term


@device_function
def debt_service(params, state, month, regime, rate, debt, value, leverage, dtype):
    """Interest (undrawn fees included), principal and unrefinanced balloon due this month, by tranche.

    Fills state[INTEREST + j], state[PRINCIPAL + j] and state[BALLOON + j]
    and leaves balances as they are: ``pay_service`` reduces them once the
    month's service is paid. Inside its draw window a facility pays interest
    only; after it, its undrawn commitment lapses.

    Refinancing (while on, and lenders open in this regime): in the
    REFINANCING_WINDOW months before its maturity month a tranche is
    refinanced whole if lenders would lend its balance; at maturity a bullet's
    balloon in part (or all or nothing), by the LTV gate, (capacity share x
    max LTV) x ``value`` - ``debt`` (before service), or ``lender_capacity``.
    """
    month_number = dtype(month)
    base_rate = max(rate, params[RATE_FLOOR])
    lenders_open = params[REFINANCING_ENABLED] > dtype(0.0) and params[REFINANCING_OPEN + regime] > dtype(0.0)
    partial = params[REFINANCING_PARTIAL] > dtype(0.0)
    lender_tests = params[REFINANCING_LENDER_TESTS] > dtype(0.0)
    max_ltv = params[REFINANCING_MAX_LTV] * params[REFINANCING_CAPACITY + regime]
    window = params[REFINANCING_WINDOW]
    headroom = max_ltv * value - debt
    new_spread = params[REFINANCING_SPREAD + regime] + params[REFINANCING_LEVERAGE_SPREAD] * leverage
    new_rate = base_rate + new_spread
    interest_a_year = dtype(0.0)
    ebitda = dtype(0.0)
    if lenders_open and lender_tests:
        interest_a_year = annual_interest(params, state, base_rate, dtype)
        ebitda = annualized_ebitda(state, dtype)
    state[REFINANCED] = dtype(0.0)
    for j in range(int(params[TRANCHE_COUNT])):
        if params[TRANCHE_EXTENSIONS + j] > dtype(0.0):
            extend_revolver(params, state, j, month_number, regime, dtype)
        balance = state[BALANCE + j]
        in_window = month_number <= draw_end(params, state, j)
        fee = dtype(0.0)
        if in_window:
            fee = state[UNDRAWN + j] * params[TRANCHE_UNDRAWN_FEE + j] / dtype(MONTHS_PER_YEAR)
        else:
            state[UNDRAWN + j] = dtype(0.0)
        state[INTEREST + j] = fee
        state[PRINCIPAL + j] = dtype(0.0)
        state[BALLOON + j] = dtype(0.0)
        if balance <= dtype(0.0):
            continue
        annual_rate = state[RATE + j]
        if state[FLOATING + j] > dtype(0.0):
            annual_rate += base_rate
        payments_left = state[MATURITY + j] - month_number + dtype(1.0)
        amortization = int(params[TRANCHE_AMORTIZATION + j])
        early = lenders_open and not in_window and dtype(1.0) < payments_left and payments_left <= window + dtype(1.0)
        balloon_due = lenders_open and payments_left <= dtype(1.0) and amortization == BULLET
        capacity = dtype(0.0)
        if lender_tests and (early or balloon_due):  # one call site: the kernel stays small
            capacity = lender_capacity(
                params, state, month, j, balance, annual_rate, new_rate, regime, debt, interest_a_year, ebitda, dtype
            )
        if early:
            refinance = capacity >= balance if lender_tests else leverage <= max_ltv  # or the LTV gate
            if refinance:
                roll_over(params, state, j, month_number, new_spread, dtype)
                state[REFINANCED] += balance
                interest_a_year += balance * (new_rate - annual_rate)
                annual_rate = new_rate
                payments_left = state[MATURITY + j] - month_number + dtype(1.0)
        monthly_rate = annual_rate / dtype(MONTHS_PER_YEAR)
        interest = balance * monthly_rate
        if payments_left <= dtype(1.0):
            principal = balance
            if amortization == BULLET:
                rolled = dtype(0.0)
                if lenders_open and lender_tests:
                    rolled = rolled_balloon(balance, capacity, partial, dtype)
                    debt -= balance - rolled  # repaid from cash: the next tranche's tests see less debt
                    interest_a_year += rolled * (new_rate - annual_rate) - (balance - rolled) * annual_rate
                elif lenders_open:  # the LTV gate: all or nothing by the month's LTV
                    if partial:
                        rolled = rolled_balloon(balance, headroom + balance, partial, dtype)
                    elif leverage <= max_ltv:
                        rolled = balance
                    headroom -= rolled - balance
                if rolled > dtype(0.0):
                    roll_over(params, state, j, month_number, new_spread, dtype)
                    state[REFINANCED] += rolled
                    principal = balance - rolled
                state[BALLOON + j] = principal
        elif in_window:
            principal = dtype(0.0)
        elif amortization == LINEAR:
            principal = balance / payments_left
        elif amortization == ANNUITY:
            principal = level_payment(state, j, balance, monthly_rate, payments_left, dtype) - interest
        else:
            principal = dtype(0.0)
        state[INTEREST + j] += interest
        state[PRINCIPAL + j] = principal


@device_function
def pay_service(params, state, cash, service, dtype):
    """The month's service is paid from ``cash`` ($): each balance falls by its principal; returns the cash left."""
    for j in range(int(params[TRANCHE_COUNT])):
        state[BALANCE + j] -= state[PRINCIPAL + j]
    cash -= service
    if state[RAISED] > dtype(0.0):
        cash = dtype(0.0)  # a raise covers the shortfall exactly: no cash is left (whatever the rounding)
    return cash

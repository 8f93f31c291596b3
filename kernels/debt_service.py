"""Debt service: interest, undrawn fees, amortization and balloons by tranche, refinancing at maturity."""

import math

from .device import device_function
from .layout import (
    ANNUITY,
    BALANCE,
    BALLOON,
    BULLET,
    FLOATING,
    INTEREST,
    LINEAR,
    MATURITY,
    MAX_TRANCHES,
    MONTHS_PER_YEAR,
    PAYMENT,
    PAYMENT_RATE,
    PRINCIPAL,
    RAISED,
    RATE,
    RATE_FLOOR,
    REFINANCED,
    REFINANCING_ENABLED,
    REFINANCING_LEVERAGE_SPREAD,
    REFINANCING_MAX_LTV,
    REFINANCING_OPEN,
    REFINANCING_PARTIAL,
    REFINANCING_SPREAD,
    REFINANCING_TERM,
    TRANCHE_AMORTIZATION,
    TRANCHE_COUNT,
    TRANCHE_DRAW_END,
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
def debt_service(params, state, month, regime, rate, debt, value, leverage, dtype):
    """Interest (undrawn fees included), principal and unrefinanced balloon due this month, by tranche.

    Fills state[INTEREST + j], state[PRINCIPAL + j] and state[BALLOON + j]
    and leaves balances as they are: ``pay_service`` reduces them once the
    month's service is paid. Inside its draw window a facility pays interest
    only; after it, its undrawn commitment lapses. A bullet's balloon is
    refinanced while lenders are open: in part, up to what keeps debt within
    max LTV x ``value`` (``debt`` and ``leverage`` are from before service), or
    all or nothing by ``leverage`` if refinancing is not partial.
    """
    month_number = dtype(month)
    base_rate = max(rate, params[RATE_FLOOR])
    lenders_open = params[REFINANCING_ENABLED] > dtype(0.0) and params[REFINANCING_OPEN + regime] > dtype(0.0)
    partial = params[REFINANCING_PARTIAL] > dtype(0.0)
    headroom = params[REFINANCING_MAX_LTV] * value - debt
    new_spread = params[REFINANCING_SPREAD + regime] + params[REFINANCING_LEVERAGE_SPREAD] * leverage
    state[REFINANCED] = dtype(0.0)
    for j in range(int(params[TRANCHE_COUNT])):
        balance = state[BALANCE + j]
        in_window = month_number <= params[TRANCHE_DRAW_END + j]
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
        monthly_rate = annual_rate / dtype(MONTHS_PER_YEAR)
        interest = balance * monthly_rate
        payments_left = state[MATURITY + j] - month_number + dtype(1.0)
        amortization = int(params[TRANCHE_AMORTIZATION + j])
        if payments_left <= dtype(1.0):
            principal = balance
            if amortization == BULLET:
                rolled = dtype(0.0)
                if lenders_open:
                    if partial:
                        rolled = min(balance, max(headroom + balance, dtype(0.0)))
                    elif leverage <= params[REFINANCING_MAX_LTV]:
                        rolled = balance
                    headroom -= rolled - balance
                if rolled > dtype(0.0):
                    state[FLOATING + j] = dtype(1.0)
                    state[RATE + j] = new_spread
                    state[MATURITY + j] = month_number + params[REFINANCING_TERM]
                    state[REFINANCED] += rolled
                    principal = balance - rolled
                state[BALLOON + j] = principal
        elif in_window:
            principal = dtype(0.0)
        elif amortization == LINEAR:
            principal = balance / payments_left
        elif amortization == ANNUITY:
            # The level payment only changes with the rate: recompute it then, not every month.
            if monthly_rate != state[PAYMENT_RATE + j]:
                state[PAYMENT_RATE + j] = monthly_rate
                if monthly_rate != dtype(0.0):
                    # 1 - (1 + i)^-n without cancellation, so tiny and negative rates stay exact.
                    annuity_factor = -math.expm1(-payments_left * math.log1p(monthly_rate))
                    state[PAYMENT + j] = balance * monthly_rate / annuity_factor
                else:
                    state[PAYMENT + j] = balance / payments_left
            principal = state[PAYMENT + j] - interest
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

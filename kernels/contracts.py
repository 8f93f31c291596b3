"""Backlog contracts and fixed charges: what customers pay, when they renew, default or walk away."""

import math

from .device import device_function
from .fleet import cohort_log_price
from .layout import (
    COHORT_AGE_INITIAL,
    COHORT_COUNT,
    COHORT_GPUS,
    COHORT_IN_SERVICE,
    COHORT_POWER_FULL,
    CONTRACT_END,
    CONTRACT_PRICE,
    CUSTOMER_ALIVE,
    CUSTOMER_COHORT,
    CUSTOMER_COUNT,
    CUSTOMER_DEFAULT_MONTH,
    CUSTOMER_DELAY_LIMIT,
    CUSTOMER_DELAY_PENALTY,
    CUSTOMER_DRAW,
    CUSTOMER_HAZARD,
    CUSTOMER_OBLIGOR,
    CUSTOMER_RENEWAL,
    CUSTOMER_RENEWAL_DISCOUNT,
    CUSTOMER_SHARE,
    CUSTOMER_TAKE_OR_PAY,
    CUSTOMER_TERM,
    CUSTOMER_TERMINATES,
    DELIVERY,
    FIXED_CHARGES,
    FIXED_OPEX,
    HOURS_PER_MONTH,
    MAX_CUSTOMERS,
    MONTHS_PER_YEAR,
    OBLIGATION_AMOUNT,
    OBLIGATION_COUNT,
    OBLIGATION_END,
    OBLIGATION_LOG_ESCALATION,
    OBLIGATION_START,
    OPEX_PER_GPU,
    OPEX_SAVED,
    POOL_COHORTS,
    POOL_SHARE,
    RENEWAL_DRAW,
    SOLD,
)
from .obligors import obligor_defaulted


@device_function
def contracts(params, state, month, regime, log_price, dtype):
    """Expire, renew or lose the backlog contracts this month; returns the delay penalties due ($).

    Uses this month's uniforms state[RENEWAL_DRAW] (renewal at expiry) and
    state[CUSTOMER_DRAW] (default); a contract with a named obligor ends in the
    month its obligor defaults (``obligors.obligor_step``), waiting for its
    cohort or not. A contract on a cohort not yet delivered waits; once the
    cohort is later than planned by more than the contract's limit, the
    customer walks away (if it may) or is owed its penalty share of the
    contract's monthly value, each month.
    """
    month_number = dtype(month)
    penalties = dtype(0.0)
    for i in range(int(params[CUSTOMER_COUNT])):
        if state[CUSTOMER_ALIVE + i] <= dtype(0.0):
            continue
        if month_number == params[CUSTOMER_DEFAULT_MONTH + i] or obligor_defaulted(
            params, state, CUSTOMER_OBLIGOR + i, dtype
        ):
            state[CUSTOMER_ALIVE + i] = dtype(0.0)  # a stress overlay's default, or its obligor's
            continue
        cohort = int(params[CUSTOMER_COHORT + i])
        if cohort >= 0 and month_number < state[DELIVERY + cohort]:
            if month_number > state[CONTRACT_END + i]:  # its first term ran out before its cohort came
                state[CUSTOMER_ALIVE + i] = dtype(0.0)
                continue
            months_late = month_number + params[COHORT_AGE_INITIAL + cohort] + dtype(1.0)
            if months_late > params[CUSTOMER_DELAY_LIMIT + i]:
                if params[CUSTOMER_TERMINATES + i] > dtype(0.0):
                    state[CUSTOMER_ALIVE + i] = dtype(0.0)
                else:
                    gpu_hours = params[CUSTOMER_SHARE + i] * params[COHORT_GPUS + cohort] * dtype(HOURS_PER_MONTH)
                    penalties += params[CUSTOMER_DELAY_PENALTY + i] * gpu_hours * state[CONTRACT_PRICE + i]
            continue
        if month_number > state[CONTRACT_END + i]:
            if state[RENEWAL_DRAW + i] < params[CUSTOMER_RENEWAL + MAX_CUSTOMERS * regime + i]:
                state[CONTRACT_END + i] += params[CUSTOMER_TERM + i]
                spot = log_price if cohort < 0 else cohort_log_price(params, state, cohort, log_price, dtype)
                state[CONTRACT_PRICE + i] = math.exp(spot) * (dtype(1.0) - params[CUSTOMER_RENEWAL_DISCOUNT + i])
            else:
                state[CUSTOMER_ALIVE + i] = dtype(0.0)  # its capacity goes back to the spot market
                continue
        if state[CUSTOMER_DRAW + i] < params[CUSTOMER_HAZARD + MAX_CUSTOMERS * regime + i]:
            state[CUSTOMER_ALIVE + i] = dtype(0.0)
    return penalties


@device_function
def contracted(params, state, month, cohort, utilization, dtype):
    """(share of the cohort's GPUs under paying contracts, $ per cohort GPU-hour they pay) this month.

    Call after ``contracts``. Fleet-wide contracts (cohort -1) cover their
    share of every cohort. A contract pays its price on its take-or-pay share
    and on the used part (utilization U) of the rest.
    """
    share = dtype(0.0)
    rate = dtype(0.0)
    for i in range(int(params[CUSTOMER_COUNT])):
        covers = int(params[CUSTOMER_COHORT + i])
        if state[CUSTOMER_ALIVE + i] <= dtype(0.0) or (covers >= 0 and covers != cohort):
            continue
        if covers >= 0 and dtype(month) < state[DELIVERY + covers]:
            continue  # waiting for its cohort
        take_or_pay = params[CUSTOMER_TAKE_OR_PAY + i]
        paid = take_or_pay + (dtype(1.0) - take_or_pay) * utilization
        share += params[CUSTOMER_SHARE + i]
        rate += params[CUSTOMER_SHARE + i] * state[CONTRACT_PRICE + i] * paid
    return share, rate


@device_function
def in_force_on(params, state, contract, cohort, month_number, dtype):
    """Whether ``contract`` is in force on cohort ``cohort`` in ``month_number``: alive, covering the cohort (or
    the whole fleet), and not waiting for its cohort's delivery."""
    covers = int(params[CUSTOMER_COHORT + contract])
    if state[CUSTOMER_ALIVE + contract] <= dtype(0.0) or (covers >= 0 and covers != cohort):
        return False
    return covers < 0 or month_number >= state[DELIVERY + covers]


@device_function
def contracted_forward_ebitda(params, state, month, pool, dtype):
    """Contracted forward EBITDA ($ a year): what the contracts in force pay over the next twelve months on their
    take-or-pay share, less the cost of serving it (power at full load and per-GPU opex), on the GPUs in service
    this month; each contract for the months left in its term, at most twelve. Call after ``operating_cash_flow``.

    ``pool`` >= 0: the pool's share of its cohorts (what lenders secured on those contracts are repaid from);
    -1: what the firm owns, less twelve months of this month's fixed opex and fixed charges (what an enterprise
    value is priced on)."""
    month_number = dtype(month)
    year = dtype(MONTHS_PER_YEAR)
    total = dtype(0.0)
    for c in range(int(params[COHORT_COUNT])):
        gpus = state[COHORT_IN_SERVICE + c]
        if gpus <= dtype(0.0):
            continue
        if pool >= 0:
            if (int(params[POOL_COHORTS + pool]) >> c) & 1 == 0:
                continue
            held = params[POOL_SHARE + pool]
        else:
            held = dtype(1.0) - state[SOLD + c]
        cost = params[COHORT_POWER_FULL + c] / params[COHORT_GPUS + c] + params[OPEX_PER_GPU]  # $ a GPU-month
        for i in range(int(params[CUSTOMER_COUNT])):
            if not in_force_on(params, state, i, c, month_number, dtype):
                continue
            months_left = min(max(state[CONTRACT_END + i] - month_number, dtype(0.0)), year)
            margin = state[CONTRACT_PRICE + i] * dtype(HOURS_PER_MONTH) - cost  # $ a GPU-month
            total += held * params[CUSTOMER_SHARE + i] * gpus * params[CUSTOMER_TAKE_OR_PAY + i] * margin * months_left
    if pool < 0:
        total -= year * (params[FIXED_OPEX] - state[OPEX_SAVED] + state[FIXED_CHARGES])
    return total


@device_function
def charge_in(params, k, month_number):
    """What fixed charge ``k`` pays in month ``month_number`` if it runs then ($): escalating from its first month."""
    start = params[OBLIGATION_START + k]
    return params[OBLIGATION_AMOUNT + k] * math.exp(params[OBLIGATION_LOG_ESCALATION + k] * (month_number - start))


@device_function
def fixed_charges(params, month, dtype):
    """Leases and power contracts due this month ($), each escalating from its first month."""
    month_number = dtype(month)
    total = dtype(0.0)
    for k in range(int(params[OBLIGATION_COUNT])):
        if params[OBLIGATION_START + k] <= month_number <= params[OBLIGATION_END + k]:
            total += charge_in(params, k, month_number)
    return total

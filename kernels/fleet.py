"""The fleet: cohorts in service, the price each earns, their collateral value, deposits and deliveries."""

import math

from .device import device_function
from .funding import awaits_funding
from .layout import (
    BALANCE,
    COHORT_AGE_INITIAL,
    COHORT_COST,
    COHORT_COUNT,
    COHORT_DELIVERY_MONTHS,
    COHORT_DEPOSIT,
    COHORT_DEPOSIT_MONTH,
    COHORT_FIXED_DELAY,
    COHORT_GPUS,
    COHORT_IN_SERVICE,
    COHORT_LOG_DECAY,
    COHORT_LOG_PRICE_RATIO,
    COHORT_NEWEST,
    COHORT_POWER_FULL,
    COHORT_SLIPS,
    COHORT_USEFUL_LIFE,
    COHORT_VALUE,
    CONTRACT_END,
    CUSTOMER_COHORT,
    CUSTOMER_COUNT,
    CUSTOMER_END,
    DELAY_MAX,
    DELIVERY,
    FLOOR_ENABLED,
    HAS_UNSIGNED,
    LAUNCH_CREDIT,
    LAUNCHES,
    LOG_JUMP,
    LOG_PRICE_FLOOR,
    NEVER_DELIVERED,
    PRICE_ELASTICITY,
    RESALE_INDEX,
    SLIP_DRAW,
    SLIP_PROBABILITY,
    SOLD,
    TRANCHE_ADVANCE_RATE,
    TRANCHE_COUNT,
    TRANCHE_DRAW_END,
    TRANCHE_FUNDS,
    UNDRAWN,
)
from .response import CANCEL, DEFER, KEEP, delivery_decision


@device_function
def cohort_in_service(params, state, cohort, month, dtype):
    """(age, share delivered) of the cohort in ``month`` (a float): (-1, 0) if it is not in service.

    Age counts months since its first tranche arrived; it is delivered in
    COHORT_DELIVERY_MONTHS equal monthly tranches and retires whole when its
    age passes its useful life.
    """
    age = month - state[DELIVERY + cohort]
    if age < dtype(0.0) or age > params[COHORT_USEFUL_LIFE + cohort]:
        return dtype(-1.0), dtype(0.0)
    tranches = params[COHORT_DELIVERY_MONTHS + cohort]
    return age, min(age + dtype(1.0), tranches) / tranches


@device_function
def cohort_log_price(params, state, cohort, log_price, dtype):
    """ln of the rental price ($/GPU-hour) that the cohort's generation earns, given the market's ln P.

    The market's P is the price of the generation that was newest at month 0,
    cut by every launch since. A generation's price is a fixed ratio of it; a
    cohort whose generation is the newest at its delivery is not cut by the
    launches before that (its LAUNCH_CREDIT). No generation rents below the
    price floor.
    """
    value = log_price + params[COHORT_LOG_PRICE_RATIO + cohort] - state[LAUNCH_CREDIT + cohort] * params[LOG_JUMP]
    if params[FLOOR_ENABLED] > dtype(0.0) and value < params[LOG_PRICE_FLOOR]:
        value = params[LOG_PRICE_FLOOR]
    return value


@device_function
def fleet(params, state, month, price_surprise, dtype):
    """(GPUs in service, $ power bill with all of them busy, collateral value V $) of the cohorts in month ``month``.

    A cohort is in service from its delivery (age 0) until its age passes its
    useful life; before and after it earns nothing and is worth nothing. Its
    value is cost x share delivered x residual(age) x (P / planned P)^elasticity, with
    residual(age) = (1 - age_decay)^(age / 12) and ``price_surprise`` = ln P -
    ln planned P: the residual curve already holds the expected decline, so on
    the planned price path V = sum of cost x residual(age) exactly. Every
    value is scaled by the resale-value index state[RESALE_INDEX] (1 unless
    systemic fire sales in a portfolio depress it). The firm owns (1 - SOLD) of
    each cohort (lenders of defaulted pools sold the rest); state[COHORT_VALUE
    + c] and state[COHORT_IN_SERVICE + c] get each cohort's value and GPUs in full.
    """
    gpus = dtype(0.0)
    power_full = dtype(0.0)
    value = dtype(0.0)
    for c in range(int(params[COHORT_COUNT])):
        age, delivered = cohort_in_service(params, state, c, dtype(month), dtype)
        state[COHORT_VALUE + c] = dtype(0.0)
        state[COHORT_IN_SERVICE + c] = dtype(0.0)
        if age >= dtype(0.0):
            owned = dtype(1.0) - state[SOLD + c]
            state[COHORT_IN_SERVICE + c] = params[COHORT_GPUS + c] * delivered
            gpus += params[COHORT_GPUS + c] * delivered * owned
            power_full += params[COHORT_POWER_FULL + c] * delivered * owned
            exponent = params[PRICE_ELASTICITY] * price_surprise + params[COHORT_LOG_DECAY + c] * age
            full_value = params[COHORT_COST + c] * delivered * math.exp(exponent) * state[RESALE_INDEX]
            state[COHORT_VALUE + c] = full_value
            value += full_value * owned
    return gpus, power_full, value


@device_function
def fleet_value(params, state, month, price_surprise, dtype):
    """Collateral value V ($) of the cohorts in service in month ``month`` (see ``fleet``)."""
    _, _, value = fleet(params, state, month, price_surprise, dtype)
    return value


@device_function
def deliveries(params, state, month, regime, dtype):
    """Deposits and deliveries due this month: (capex $, drawn on delayed-draw facilities $).

    A planned cohort due this month slips one more month if its draw
    (state[SLIP_DRAW]) is below the regime's slip probability and it has not
    yet slipped DELAY_MAX months at random, or if a facility that funds it is
    not yet signed (``funding``), or if the firm puts it off for want of cash
    (``response.delivery_decision``, which may also cancel it); otherwise it starts to arrive, in
    COHORT_DELIVERY_MONTHS equal monthly tranches. Each tranche's cost less its
    part of the deposit is due, and each facility that funds the cohort draws
    min(advance rate x the tranche's cost - drawn so far for it, undrawn) while
    its draw window is open.
    """
    month_number = dtype(month)
    capex = dtype(0.0)
    drawn = dtype(0.0)
    for c in range(int(params[COHORT_COUNT])):
        if params[COHORT_DEPOSIT_MONTH + c] == month_number:
            capex += params[COHORT_DEPOSIT + c]
        planned = params[COHORT_FIXED_DELAY + c] - params[COHORT_AGE_INITIAL + c]
        due = state[DELIVERY + c] == month_number
        slips = (
            due
            and params[COHORT_SLIPS + c] > dtype(0.0)
            and state[SLIP_DRAW + c] < params[SLIP_PROBABILITY + regime]
            and month_number - planned < params[DELAY_MAX]
        )
        waits = slips or (due and state[HAS_UNSIGNED] > dtype(0.0) and awaits_funding(params, state, c, dtype))
        decision = delivery_decision(params, state, c, dtype) if due and not waits else KEEP
        if decision == CANCEL:
            state[DELIVERY + c] = dtype(NEVER_DELIVERED)
            continue
        if waits or decision == DEFER:
            state[DELIVERY + c] = month_number + dtype(1.0)
            for i in range(int(params[CUSTOMER_COUNT])):  # a first term from delivery starts later
                if int(params[CUSTOMER_COHORT + i]) == c and params[CUSTOMER_END + i] < dtype(0.0):
                    state[CONTRACT_END + i] += dtype(1.0)
            continue
        tranche = month_number - state[DELIVERY + c]  # 0 for the first of its monthly tranches
        tranches = params[COHORT_DELIVERY_MONTHS + c]
        if tranche < dtype(0.0) or tranche >= tranches or tranche > params[COHORT_USEFUL_LIFE + c]:
            continue  # none due, or the cohort has retired: no more tranches are bought
        owned = dtype(1.0) - state[SOLD + c]  # what lenders of a defaulted pool sold is not bought
        cost = params[COHORT_COST + c] / tranches * owned
        capex += cost - params[COHORT_DEPOSIT + c] / tranches * owned
        if tranche == dtype(0.0) and params[COHORT_NEWEST + c] > dtype(0.0):
            state[LAUNCH_CREDIT + c] = state[LAUNCHES]
        funded = dtype(0.0)
        for j in range(int(params[TRANCHE_COUNT])):
            if month_number > params[TRANCHE_DRAW_END + j] or (int(params[TRANCHE_FUNDS + j]) >> c) & 1 == 0:
                continue
            draw = min(params[TRANCHE_ADVANCE_RATE + j] * cost - funded, state[UNDRAWN + j])
            if draw > dtype(0.0):
                state[UNDRAWN + j] -= draw
                state[BALANCE + j] += draw
                funded += draw
        drawn += funded
    return capex, drawn

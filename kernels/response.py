"""The firm's response to stress: what management does before it misses a payment.

Below ``RESPONSE_LIQUIDITY`` of cash after the month's service, with
``RESPONSE_SELL_UNPLEDGED``, a firm that owes debt sells GPUs no pool holds (of cohorts fully
delivered) at the fire-sale value, pro rata across cohorts, for what brings
cash back to that level, or all of them if that is not enough. What it sold it
no longer owns (``SOLD``): no revenue, no power, no collateral from then on.

A planned delivery that falls due while last month's cash is below
``RESPONSE_DEFER_BELOW`` waits a month (its cost beyond the deposit is not yet
paid), up to ``RESPONSE_MAX_DEFERRAL`` months; due again while cash is still
short after that, it is cancelled, as a delivery whose financing failed
(``funding``). Once cash has ended ``RESPONSE_CUT_LAG`` months in a row below
``RESPONSE_CUT_BELOW``, the firm cuts ``RESPONSE_OPEX_CUT`` of its fixed opex
for good. A threshold of 0 is off. All money in $.
"""

from .device import device_function
from .layout import (
    ASSET_SALES,
    CAPEX_DEFERRED,
    CASH,
    COHORT_COST,
    COHORT_COUNT,
    COHORT_DEPOSIT,
    COHORT_GPUS,
    COHORT_IN_SERVICE,
    COHORT_VALUE,
    DEFERRED,
    FIRE_SALE_RECOVERY,
    MONTHS_SHORT,
    OPEX_CUT,
    POOL_COHORTS,
    POOL_COUNT,
    POOL_DEFAULTED,
    POOL_SHARE,
    RESPONSE_CUT_BELOW,
    RESPONSE_CUT_LAG,
    RESPONSE_DEFER_BELOW,
    RESPONSE_LIQUIDITY,
    RESPONSE_MAX_DEFERRAL,
    SOLD,
)

KEEP, DEFER, CANCEL = 0, 1, 2  # what the firm does with a delivery that falls due (``delivery_decision``)


@device_function
def unpledged_share(params, state, cohort, dtype):
    """The share of ``cohort`` the firm owns that no pool not in default holds (0 unless fully delivered)."""
    if state[COHORT_IN_SERVICE + cohort] < params[COHORT_GPUS + cohort]:
        return dtype(0.0)
    share = dtype(1.0) - state[SOLD + cohort]
    for p in range(int(params[POOL_COUNT])):
        if state[POOL_DEFAULTED + p] <= dtype(0.0) and (int(params[POOL_COHORTS + p]) >> cohort) & 1 == 1:
            share -= params[POOL_SHARE + p]
    return max(share, dtype(0.0))


@device_function
def sell_unpledged(params, state, cash, service, value, dtype):
    """(cash $, collateral value $) once the firm has sold unpledged GPUs to keep its liquidity threshold after
    the month's ``service``: a share f of each cohort's unpledged GPUs, f = min(needed / proceeds of all, 1).
    ``firm_step`` calls it when RESPONSE_SELL_UNPLEDGED is on and the firm owes debt."""
    needed = service + params[RESPONSE_LIQUIDITY] - cash
    if needed <= dtype(0.0):
        return cash, value
    unpledged = dtype(0.0)
    for c in range(int(params[COHORT_COUNT])):
        unpledged += unpledged_share(params, state, c, dtype) * state[COHORT_VALUE + c]
    proceeds = unpledged * params[FIRE_SALE_RECOVERY]
    if proceeds <= dtype(0.0):
        return cash, value
    sold = min(needed / proceeds, dtype(1.0))
    for c in range(int(params[COHORT_COUNT])):
        state[SOLD + c] += sold * unpledged_share(params, state, c, dtype)
    state[ASSET_SALES] += sold * proceeds
    return cash + sold * proceeds, value - sold * unpledged


@device_function
def delivery_decision(params, state, cohort, dtype):
    """KEEP, DEFER or CANCEL the delivery of ``cohort`` that falls due this month, by last month's cash."""
    below = params[RESPONSE_DEFER_BELOW]
    if below <= dtype(0.0) or state[CASH] >= below:
        return KEEP
    if state[DEFERRED + cohort] < params[RESPONSE_MAX_DEFERRAL]:
        state[DEFERRED + cohort] += dtype(1.0)
        state[CAPEX_DEFERRED] += params[COHORT_COST + cohort] - params[COHORT_DEPOSIT + cohort]
        return DEFER
    return CANCEL


@device_function
def count_short_months(params, state, cash, dtype):
    """After a paid month: count the month-ends in a row with ``cash`` ($) below RESPONSE_CUT_BELOW, and cut the
    fixed opex once there have been RESPONSE_CUT_LAG of them."""
    if cash < params[RESPONSE_CUT_BELOW]:
        state[MONTHS_SHORT] += dtype(1.0)
    else:
        state[MONTHS_SHORT] = dtype(0.0)
    if state[MONTHS_SHORT] >= params[RESPONSE_CUT_LAG]:
        state[OPEX_CUT] = dtype(1.0)

"""The firm's response to stress: what management does before it misses a payment.

Below ``RESPONSE_LIQUIDITY`` of cash after the month's service, with
``RESPONSE_SELL_UNPLEDGED``, a firm that owes debt sells GPUs no pool holds (of cohorts fully
delivered) at the fire-sale value, pro rata across cohorts, for what brings
cash back to that level, or all of them if that is not enough. What it sold it
no longer owns (``SOLD``): no revenue, no power, no collateral from then on.
All money in $.
"""

from .device import device_function
from .layout import (
    ASSET_SALES,
    COHORT_COUNT,
    COHORT_GPUS,
    COHORT_IN_SERVICE,
    COHORT_VALUE,
    FIRE_SALE_RECOVERY,
    POOL_COHORTS,
    POOL_COUNT,
    POOL_DEFAULTED,
    POOL_SHARE,
    RESPONSE_LIQUIDITY,
    SOLD,
)


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

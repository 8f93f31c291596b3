"""Recovery: what the creditors of a defaulted firm or pool collect, when, at what cost, and from what.

All money in $. A default in month d is settled by a sale in month d + W (W: RECOVERY_WORKOUT_MONTHS, the
workout). Until the sale the GPUs age along their generation's used-value curve, residual(a + W) /
residual(a) = e^(k W) with k the cohort's COHORT_LOG_DECAY (ln of the value kept per month of age), through
their useful life too (a cliff to nothing there would make recoveries hang on one assumed life); the
price level stays the one of month d (the lenders' mark at default); cash and reserves are held. Recovery
costs (professional fees, the sale's costs) take the share 1 - RECOVERY_NET of every pot before any
creditor, and a $ of month d + W is worth RECOVERY_PV_FACTOR = (1 + r)^(-W / 12) at default: a tranche's
loss reported at default is EAD - PV x recovery, and undiscounted EAD - recovery.

Contracts (RECOVERY_CONTRACTS): a secured pool's lenders may sell the GPUs of a surviving contract (its
customer alive, its cohort delivered) together with the contract, as a going concern. A buyer pays the
contract's take-or-pay margin m ($ a month: price x hours less power and per-GPU opex) for the n months left
after the sale (at most until its GPUs retire), and the GPUs' liquidation value when it ends,

    G = m a(n) + S e^((k - delta) n),    a(n) = sum_{t=1..n} e^(-delta t) = (1 - e^(-delta n)) / (e^delta - 1),

against S, the same GPUs' liquidation value at the sale, if sold bare (delta = RECOVERY_LOG_DISCOUNT, per
month). The lenders take the larger, so a contract adds max(G - S, 0) and a pool never recovers less than
its GPUs alone.

Enterprise value (RECOVERY_EV_MULTIPLE = M > 0): the firm as a going concern is worth EV = M x
max(contracted forward EBITDA, 0) + cash+ + reserves at default. Where EV exceeds the liquidation value of
everything (every pool's assets and the estate's), the excess joins the estate, which pays the unsecured
claims and the secured shortfalls with recourse: secured lenders keep what their collateral is worth, the
going-concern surplus goes down the ranks (absolute priority in a sale of the firm as a going concern).

Example: a $100 claim on GPUs that sell for $80 after a workout of 24 months at 5 % costs, discounted at
9.3 % a year, recovers 80 x 0.95 = $76.00 undiscounted and 76 x 1.093^-2 = $63.62 at default.
"""

import math

from .contracts import contracted_forward_ebitda, in_force_on
from .device import device_function
from .layout import (
    COHORT_COUNT,
    COHORT_GPUS,
    COHORT_IN_SERVICE,
    COHORT_LOG_DECAY,
    COHORT_POWER_FULL,
    COHORT_USEFUL_LIFE,
    COHORT_VALUE,
    CONTRACT_END,
    CONTRACT_PRICE,
    CUSTOMER_COUNT,
    CUSTOMER_SHARE,
    CUSTOMER_TAKE_OR_PAY,
    DELIVERY,
    FIRE_SALE_RECOVERY,
    HOURS_PER_MONTH,
    OPEX_PER_GPU,
    POOL_COHORTS,
    POOL_COUNT,
    POOL_DEFAULTED,
    POOL_SHARE,
    POOL_VALUE,
    RECOVERY_CONTRACTS,
    RECOVERY_EV_MULTIPLE,
    RECOVERY_LOG_DISCOUNT,
    RECOVERY_WORKOUT_MONTHS,
    SOLD,
)


@device_function
def life_left(params, state, cohort, month, dtype):
    """Months the cohort serves after month ``month`` before it retires (its age passes its useful life)."""
    return params[COHORT_USEFUL_LIFE + cohort] - (dtype(month) - state[DELIVERY + cohort])


@device_function
def sale_value(params, state, cohort, month, dtype):
    """The whole cohort's collateral value at the sale ($): this month's, aged W months along its used-value curve
    (past its useful life too: that is when the firm stops running it, not when its resale value ends)."""
    value = state[COHORT_VALUE + cohort]
    workout = params[RECOVERY_WORKOUT_MONTHS]
    if workout > dtype(0.0):
        value *= math.exp(params[COHORT_LOG_DECAY + cohort] * workout)
    return value


@device_function
def pool_sale_value(params, state, pool, month, dtype):
    """The pool's share of its cohorts' values at the sale ($); with no workout, this month's POOL_VALUE."""
    if params[RECOVERY_WORKOUT_MONTHS] <= dtype(0.0):
        return state[POOL_VALUE + pool]
    total = dtype(0.0)
    for c in range(int(params[COHORT_COUNT])):
        if (int(params[POOL_COHORTS + pool]) >> c) & 1 == 1:
            total += sale_value(params, state, c, month, dtype)
    return total * params[POOL_SHARE + pool]


@device_function
def unpledged_sale_value(params, state, month, value, dtype):
    """What of the firm's collateral no pool not in default holds, at the sale ($); ``value``: this month's V."""
    if params[RECOVERY_WORKOUT_MONTHS] > dtype(0.0):
        value = dtype(0.0)
        for c in range(int(params[COHORT_COUNT])):
            value += (dtype(1.0) - state[SOLD + c]) * sale_value(params, state, c, month, dtype)
    for p in range(int(params[POOL_COUNT])):
        if state[POOL_DEFAULTED + p] <= dtype(0.0):
            value -= pool_sale_value(params, state, p, month, dtype)
    return max(value, dtype(0.0))


@device_function
def annuity(delta, months, dtype):
    """sum_{t=1..months} e^(-delta t): the value of $1 a month for ``months`` months, paid at each month's end."""
    if delta <= dtype(0.0):
        return months
    return -math.expm1(-delta * months) / math.expm1(delta)


@device_function
def contract_gain(params, state, month, pool, dtype):
    """What the pool's surviving contracts add to its GPUs' liquidation value in a going-concern sale ($ at the
    sale): the sum over contracts of max(G - S, 0) (see the module docstring); 0 without RECOVERY_CONTRACTS."""
    gain = dtype(0.0)
    if params[RECOVERY_CONTRACTS] <= dtype(0.0):
        return gain
    sale_month = dtype(month) + params[RECOVERY_WORKOUT_MONTHS]
    delta = params[RECOVERY_LOG_DISCOUNT]
    for c in range(int(params[COHORT_COUNT])):
        gpus = state[COHORT_IN_SERVICE + c]
        if gpus <= dtype(0.0) or (int(params[POOL_COHORTS + pool]) >> c) & 1 == 0:
            continue
        cost = params[COHORT_POWER_FULL + c] / params[COHORT_GPUS + c] + params[OPEX_PER_GPU]  # $ a GPU-month
        bare_cohort = (
            params[POOL_SHARE + pool] * sale_value(params, state, c, month, dtype) * params[FIRE_SALE_RECOVERY]
        )
        serves = life_left(params, state, c, month, dtype) - params[RECOVERY_WORKOUT_MONTHS]  # months after the sale
        for i in range(int(params[CUSTOMER_COUNT])):
            if not in_force_on(params, state, i, c, dtype(month), dtype):
                continue
            months = min(state[CONTRACT_END + i] - sale_month, serves)  # no margin once its GPUs retire
            if months <= dtype(0.0):
                continue
            contracted = params[POOL_SHARE + pool] * params[CUSTOMER_SHARE + i] * gpus
            margin = (
                contracted
                * params[CUSTOMER_TAKE_OR_PAY + i]
                * (state[CONTRACT_PRICE + i] * dtype(HOURS_PER_MONTH) - cost)
            )
            bare = params[CUSTOMER_SHARE + i] * bare_cohort
            going = margin * annuity(delta, months, dtype) + bare * math.exp(
                (params[COHORT_LOG_DECAY + c] - delta) * months
            )
            gain += max(going - bare, dtype(0.0))
    return gain


@device_function
def enterprise_surplus(params, state, month, cash, reserves, liquidation, dtype):
    """The going-concern value above ``liquidation`` ($, the liquidation value of every pot, gross of costs): EV =
    M x max(contracted forward EBITDA, 0) + cash+ + ``reserves``, less ``liquidation``, at least 0; 0 with M = 0."""
    multiple = params[RECOVERY_EV_MULTIPLE]
    if multiple <= dtype(0.0):
        return dtype(0.0)
    ebitda = max(contracted_forward_ebitda(params, state, month, -1, dtype), dtype(0.0))
    enterprise = multiple * ebitda + max(cash, dtype(0.0)) + reserves
    return max(enterprise - liquidation, dtype(0.0))


@device_function
def shares_of(assets, gpus, contracts, enterprise, dtype):
    """(GPUs, contracts, enterprise value) as shares of a pot of ``assets`` $ (0 for an empty pot)."""
    if assets <= dtype(0.0):
        return dtype(0.0), dtype(0.0), dtype(0.0)
    return gpus / assets, contracts / assets, enterprise / assets

"""The month's operations: the fleet's utilization and the operating cash flow (EBITDA)."""

import math

from .contracts import contracted, fixed_charges
from .device import device_function
from .fleet import cohort_in_service, cohort_log_price
from .layout import (
    BACKSTOP_REVENUE,
    CHOLESKY,
    COHORT_CASH_FLOW,
    COHORT_COUNT,
    COHORT_GPUS,
    COHORT_POWER_FULL,
    DELAY_PENALTIES,
    EBITDA,
    FIXED_CHARGES,
    FIXED_OPEX,
    GPUS,
    HOURS_PER_MONTH,
    IDLE_POWER_FRACTION,
    OPEX_COST,
    OPEX_CUT,
    OPEX_PER_GPU,
    OPEX_SAVED,
    POWER_COST,
    RESPONSE_OPEX_CUT,
    REVENUE_CONTRACTED,
    REVENUE_SPOT,
    SOLD,
    UTILIZATION_DECAY,
    UTILIZATION_LOGIT,
    UTILIZATION_LOGIT_MEAN,
    UTILIZATION_SHOCK,
)
from .support import backstop_payment


@device_function
def utilization_step(params, state, regime, e_price, e_rate, e_utilization, dtype):
    """The fleet's utilization this month (share), a logit-OU process in the firm's state.

    x = m_R + (x - m_R) e^{-kappa dt} + eta sqrt((1 - e^{-2 kappa dt}) / (2 kappa)) Z_U, with
    Z_U = l20 e_price + l21 e_rate + l22 e_utilization: the firm's own shock
    loaded on the market's two.
    """
    z_utilization = (
        params[CHOLESKY + 3] * e_price + params[CHOLESKY + 4] * e_rate + params[CHOLESKY + 5] * e_utilization
    )
    mean = params[UTILIZATION_LOGIT_MEAN + regime]
    logit = (
        mean + (state[UTILIZATION_LOGIT] - mean) * params[UTILIZATION_DECAY] + params[UTILIZATION_SHOCK] * z_utilization
    )
    state[UTILIZATION_LOGIT] = logit
    return dtype(1.0) / (dtype(1.0) + math.exp(-logit))


@device_function
def operating_cash_flow(params, state, month, log_price, utilization, dtype):
    """EBITDA of the month ($): by cohort in service, contracted and spot revenue less power; less opex and charges.

    Call after ``contracts``; fills the statement lines (state[REVENUE_CONTRACTED] ...)
    and each whole cohort's operating cash flow (state[COHORT_CASH_FLOW + c], for
    its pools). The firm earns on the (1 - SOLD) it owns of each cohort, and the
    capacity backstop pays for its unused, uncontracted hours.
    """
    revenue_contracted = dtype(0.0)
    revenue_spot = dtype(0.0)
    power = dtype(0.0)
    gpus = dtype(0.0)
    unused_hours = dtype(0.0)
    idle = params[IDLE_POWER_FRACTION]
    for c in range(int(params[COHORT_COUNT])):
        state[COHORT_CASH_FLOW + c] = dtype(0.0)
        age, delivered = cohort_in_service(params, state, c, dtype(month), dtype)
        if age < dtype(0.0):
            continue
        owned = dtype(1.0) - state[SOLD + c]
        cohort_gpus = params[COHORT_GPUS + c] * delivered
        hours = cohort_gpus * dtype(HOURS_PER_MONTH)
        share, rate = contracted(params, state, month, c, utilization, dtype)
        spot_price = math.exp(cohort_log_price(params, state, c, log_price, dtype))
        contracted_c = hours * rate
        spot_c = hours * (dtype(1.0) - share) * utilization * spot_price
        busy = share + (dtype(1.0) - share) * utilization
        power_c = params[COHORT_POWER_FULL + c] * delivered * (busy + (dtype(1.0) - busy) * idle)
        state[COHORT_CASH_FLOW + c] = contracted_c + spot_c - power_c - params[OPEX_PER_GPU] * cohort_gpus
        revenue_contracted += contracted_c * owned
        revenue_spot += spot_c * owned
        power += power_c * owned
        gpus += cohort_gpus * owned
        unused_hours += hours * owned * (dtype(1.0) - share) * (dtype(1.0) - utilization)
    fixed = params[FIXED_OPEX]
    if state[OPEX_CUT] > dtype(0.0):  # the firm's cost cut (``response``)
        state[OPEX_SAVED] = fixed * params[RESPONSE_OPEX_CUT]
        fixed -= state[OPEX_SAVED]
    opex = params[OPEX_PER_GPU] * gpus + fixed
    charges = fixed_charges(params, month, dtype)
    backstop = backstop_payment(params, state, month, unused_hours, dtype)
    state[REVENUE_CONTRACTED] = revenue_contracted
    state[REVENUE_SPOT] = revenue_spot
    state[POWER_COST] = power
    state[OPEX_COST] = opex
    state[FIXED_CHARGES] = charges
    state[GPUS] = gpus
    state[BACKSTOP_REVENUE] = backstop
    ebitda = revenue_contracted + revenue_spot + backstop - power - opex - charges - state[DELAY_PENALTIES]
    state[EBITDA] = ebitda
    return ebitda

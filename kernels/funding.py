"""Funding risk: facilities not yet signed at the cut-off, which close within their window or fail.

An unsigned facility j lends nothing until it closes; then its commitment
becomes undrawn (drawn at the deliveries it funds) and its principal is drawn
into cash. In each month t of its window (TRANCHE_CLOSING_START ..
TRANCHE_CLOSING_END) it closes if 1 - its uniform is below the hazard

    h_t = min(1, h_j x g_regime x exp(b_price x s_t - b_leverage x max(LTV_{t-1} - LTV*, 0)))

h_j: the base hazard that gives its closing probability p over the n months
of its window on the planned path (1 - (1 - h_j)^n = p); g: the regime's
factor (0: lenders are shut, and the firm tries again when the market
reopens); s_t: the firm's price surprise (ln P - planned ln P); LTV_{t-1}:
last month's debt / collateral value against the threshold LTV*. (1 - u, not
u: a uniform not drawn is 1, so in the base case a facility closes at the start
of its window, as the plan has it.)

A delivery needs one facility that funds it to be signed or closed: it waits,
month by month, while none is and one is pending. If a window ends unclosed the
facility fails: the cohorts it funds whose deliveries have not begun, and that
no other facility finances or may yet, are cancelled (never delivered):
deposits paid are lost, the contracts on them
lapse by their delay terms (a customer that may walk away does; one that may
not is owed its delay penalty until its first term would have ended) and
their data-centre leases run on. All money in $.
"""

import math

from .device import device_function
from .layout import (
    BALANCE,
    CLOSING_DRAW,
    CLOSING_FAILED,
    CLOSING_MONTH,
    COHORT_COUNT,
    DELIVERY,
    FUNDING_FACTOR,
    FUNDING_LEVERAGE_SENSITIVITY,
    FUNDING_LTV_THRESHOLD,
    FUNDING_PRICE_SENSITIVITY,
    LAST_LTV,
    NEVER_DELIVERED,
    TRANCHE_CLOSING_END,
    TRANCHE_CLOSING_HAZARD,
    TRANCHE_CLOSING_START,
    TRANCHE_COMMITMENT,
    TRANCHE_COUNT,
    TRANCHE_FUNDS,
    TRANCHE_PRINCIPAL,
    TRANCHE_UNSIGNED,
    UNDRAWN,
)


@device_function
def pending(params, state, tranche, dtype):
    """Whether ``tranche`` is not signed and has neither closed nor failed yet."""
    return (
        params[TRANCHE_UNSIGNED + tranche] > dtype(0.0)
        and state[CLOSING_MONTH + tranche] < dtype(0.0)
        and state[CLOSING_FAILED + tranche] < dtype(0.0)
    )


@device_function
def financed(params, state, cohort, dtype):
    """(a facility that funds ``cohort`` is signed or has closed, one is still pending)."""
    closed = False
    waiting = False
    for j in range(int(params[TRANCHE_COUNT])):
        if (int(params[TRANCHE_FUNDS + j]) >> cohort) & 1 == 1:
            closed = closed or state[CLOSING_MONTH + j] >= dtype(0.0)
            waiting = waiting or pending(params, state, j, dtype)
    return closed, waiting


@device_function
def awaits_funding(params, state, cohort, dtype):
    """Whether the delivery of ``cohort`` waits: no facility that funds it has closed, and one is pending."""
    closed, waiting = financed(params, state, cohort, dtype)
    return waiting and not closed


@device_function
def closing_hazard(params, state, tranche, regime, price_surprise, dtype):
    """This month's probability that pending ``tranche`` closes (h_t of the module's docstring)."""
    leverage = max(state[LAST_LTV] - params[FUNDING_LTV_THRESHOLD], dtype(0.0))
    exponent = params[FUNDING_PRICE_SENSITIVITY] * price_surprise - params[FUNDING_LEVERAGE_SENSITIVITY] * leverage
    hazard = params[TRANCHE_CLOSING_HAZARD + tranche] * params[FUNDING_FACTOR + regime] * math.exp(exponent)
    return min(hazard, dtype(1.0))


@device_function
def close_facilities(params, state, month, regime, price_surprise, dtype):
    """Close or fail this month's pending facilities; returns the principal they draw into cash ($).

    Uses this month's uniforms state[CLOSING_DRAW + k] (k + 1 =
    TRANCHE_UNSIGNED). ``firm_step`` calls it, before the deliveries, for a
    firm with an unsigned facility.
    """
    month_number = dtype(month)
    raised = dtype(0.0)
    for j in range(int(params[TRANCHE_COUNT])):
        if not pending(params, state, j, dtype) or month_number < params[TRANCHE_CLOSING_START + j]:
            continue
        draw = state[CLOSING_DRAW + int(params[TRANCHE_UNSIGNED + j]) - 1]
        if dtype(1.0) - draw < closing_hazard(params, state, j, regime, price_surprise, dtype):
            state[CLOSING_MONTH + j] = month_number
            state[UNDRAWN + j] = params[TRANCHE_COMMITMENT + j]
            state[BALANCE + j] = params[TRANCHE_PRINCIPAL + j]
            raised += params[TRANCHE_PRINCIPAL + j]
        elif month_number >= params[TRANCHE_CLOSING_END + j]:
            state[CLOSING_FAILED + j] = month_number
            for c in range(int(params[COHORT_COUNT])):
                # Only deliveries not yet begun are cancelled (this month's come after this step), and only
                # those no other facility finances or may still finance.
                if (int(params[TRANCHE_FUNDS + j]) >> c) & 1 == 1 and state[DELIVERY + c] >= month_number:
                    closed, waiting = financed(params, state, c, dtype)
                    if not closed and not waiting:
                        state[DELIVERY + c] = dtype(NEVER_DELIVERED)
    return raised

"""Support from outside the lenders: the capacity backstop and the GPU vendor, both counterparties that can default."""

from .device import device_function
from .layout import (
    BACKSTOP_ALIVE,
    BACKSTOP_CAP,
    BACKSTOP_DRAW,
    BACKSTOP_END,
    BACKSTOP_HAZARD,
    BACKSTOP_OBLIGOR,
    BACKSTOP_PAID,
    BACKSTOP_PRICE,
    BACKSTOP_START,
    TRANCHE_COUNT,
    TRANCHE_VENDOR,
    UNDRAWN,
    VENDOR_ALIVE,
    VENDOR_DRAW,
    VENDOR_HAZARD,
    VENDOR_OBLIGOR,
)
from .obligors import obligor_defaulted


@device_function
def backstop_payment(params, state, month, unused_hours, dtype):
    """What the capacity backstop pays this month ($): unused, uncontracted GPU-hours at its price, up to its cap."""
    month_number = dtype(month)
    if (
        params[BACKSTOP_CAP] <= dtype(0.0)
        or state[BACKSTOP_ALIVE] <= dtype(0.0)
        or month_number < params[BACKSTOP_START]
        or month_number > params[BACKSTOP_END]
    ):
        return dtype(0.0)
    payment = min(params[BACKSTOP_PRICE] * unused_hours, params[BACKSTOP_CAP] - state[BACKSTOP_PAID])
    payment = max(payment, dtype(0.0))
    state[BACKSTOP_PAID] += payment
    return payment


@device_function
def support_counterparties(params, state, regime, dtype):
    """The backstop's counterparty and the vendor default with their regime's monthly hazard, or with their named
    obligor (``obligors.obligor_step``).

    Once the vendor has stopped financing, the undrawn commitments of every
    vendor-financed tranche lapse.
    """
    if state[BACKSTOP_ALIVE] > dtype(0.0) and (
        state[BACKSTOP_DRAW] < params[BACKSTOP_HAZARD + regime]
        or obligor_defaulted(params, state, BACKSTOP_OBLIGOR, dtype)
    ):
        state[BACKSTOP_ALIVE] = dtype(0.0)
    if state[VENDOR_ALIVE] > dtype(0.0) and (
        state[VENDOR_DRAW] < params[VENDOR_HAZARD + regime] or obligor_defaulted(params, state, VENDOR_OBLIGOR, dtype)
    ):
        state[VENDOR_ALIVE] = dtype(0.0)
    if state[VENDOR_ALIVE] <= dtype(0.0):
        for j in range(int(params[TRANCHE_COUNT])):
            if params[TRANCHE_VENDOR + j] > dtype(0.0):
                state[UNDRAWN + j] = dtype(0.0)

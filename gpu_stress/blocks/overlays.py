"""Stress overlays: forced regimes, price paths, rate shifts, launches, customer defaults and delivery delays."""

import math

from ..kernels import layout as L
from .slots import Slot

_OVERLAY_REGIMES = ("none", "shortage", "glut")


def _forced_defaults(config):
    """Per customer, the month a stress overlay makes it default (0: none)."""
    default = config.overlay.customer_default
    names = [customer.name for customer in config.customers]
    if default.month == 0 or (default.customer != "largest" and default.customer not in names):
        return [0.0] * L.MAX_CUSTOMERS  # (a portfolio's firms without the named customer)
    index = config.largest_customer() if default.customer == "largest" else names.index(default.customer)
    months = [0.0] * L.MAX_CUSTOMERS
    if index >= 0:
        months[index] = float(default.month)
    return months


SLOTS = (
    Slot(
        L.STRESS_REGIME,
        "-1 none / 0 shortage / 1 glut",
        ("overlay.regime.state",),
        lambda c: float(_OVERLAY_REGIMES.index(c.overlay.regime.state) - 1),
    ),
    Slot(L.STRESS_REGIME_START, "month", ("overlay.regime.start_month",), lambda c: c.overlay.regime.start_month),
    Slot(
        L.STRESS_REGIME_END,
        "month",
        ("overlay.regime.end_month", "simulation.horizon_months"),
        lambda c: c.overlay.regime.end_month or c.simulation.horizon_months,
    ),
    Slot(
        L.STRESS_PRICE_LOG_STEP,
        "ln price per month",
        ("overlay.price.multiplier", "overlay.price.months"),
        lambda c: math.log(c.overlay.price.multiplier) / c.overlay.price.months,
    ),
    Slot(L.STRESS_PRICE_START, "month", ("overlay.price.start_month",), lambda c: c.overlay.price.start_month),
    Slot(
        L.STRESS_PRICE_END,
        "month",
        ("overlay.price.start_month", "overlay.price.months"),
        lambda c: c.overlay.price.start_month + c.overlay.price.months - 1,
    ),
    Slot(L.STRESS_RATE_SHIFT, "annual", ("overlay.rates.shift",), lambda c: c.overlay.rates.shift),
    Slot(L.STRESS_RATE_START, "month", ("overlay.rates.start_month",), lambda c: c.overlay.rates.start_month),
    Slot(L.STRESS_LAUNCH_MONTH, "month (0 none)", ("overlay.launch.month",), lambda c: c.overlay.launch.month),
    Slot(
        L.CUSTOMER_DEFAULT_MONTH,
        "month (0 none)",
        ("overlay.customer_default.customer", "overlay.customer_default.month", "customers[].name"),
        lambda c: _forced_defaults(c),
        L.MAX_CUSTOMERS,
    ),
)


def overlay_rule(f):
    """A stress overlay's months of an event that does nothing (no regime forced, a multiplier of 1, no shift)."""
    v = f.v
    if v[L.STRESS_REGIME] < 0:
        yield [L.STRESS_REGIME_START, L.STRESS_REGIME_END], "overlay.regime.state is none (no regime is forced)"
    if v[L.STRESS_PRICE_LOG_STEP] == 0:
        yield [L.STRESS_PRICE_START, L.STRESS_PRICE_END], "overlay.price.multiplier is 1 (no price shock)"
    if v[L.STRESS_RATE_SHIFT] == 0:
        yield [L.STRESS_RATE_START], "overlay.rates.shift is 0 (no rate shift)"


RULES = (("overlay", overlay_rule),)  # the months of a stress event of size zero


def overlay_events(config, month, cause):
    """A stress overlay's events: a launch, a customer default, a forced regime's start and end, a price move's end."""
    events = []
    overlay = config.get("overlay") or {}
    stress = f"stress {overlay.get('name')!r}" if overlay.get("name") else "the stress overlay"
    if (overlay.get("launch") or {}).get("month") == month:
        events.append(f"{stress} launches a GPU generation then")
    if (overlay.get("customer_default") or {}).get("month") == month:
        events.append(f"{stress} has customer {overlay['customer_default'].get('customer')!r} default then")
    regime = overlay.get("regime") or {}
    if regime.get("state") not in (None, "none") and regime.get("start_month") == month:
        events.append(f"{stress} forces a {regime['state']} from then")
    if regime.get("state") not in (None, "none") and regime.get("end_month") and regime["end_month"] == month - 1:
        events.append(f"{stress}'s forced {regime['state']} ended in month {month - 1}")
    price = overlay.get("price") or {}
    if (
        price.get("multiplier", 1.0) != 1.0
        and (price.get("start_month") or 1) + (price.get("months") or 1) - 1 == month
    ):
        events.append(f"{stress}'s price move (x{price['multiplier']:g}) is complete then")
    return events


EVENTS = (("overlay", overlay_events),)

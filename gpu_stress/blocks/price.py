"""GPU rental price.

drift and volatility by regime, generation launches, the price floor, the market's correlation, the
firm's own price basis.
"""

import math

from ..config.types import Drift, MeanReversion, Section, Volatility, between
from ..kernels import layout as L
from .fleet import cash_cost_per_gpu_hour, delivery_window
from .regimes import REGIME_KEYS, initial_regime, log_drift, regime_value
from .slots import MONTH, REGIMES, Slot, ou_step
from .view import BASE_CASE_REASON, slot_indices

# --- the config sections (schema) ---


class Price(Section):
    initial: between(0.01, 1000) = 2.5  # $/GPU-hour
    drift: Drift = -0.10
    volatility: Volatility = 0.30
    jump_intensity: between(0, 12) = 0.0  # per year
    jump_size: between(0, 0.99) = 0.0  # fraction of the price a launch takes away
    floor_multiple: between(0, 10) = 0.0  # of the cash cost; 0 = no floor


class PriceBasis(Section):
    """The firm's own rental price against the market's: ln P_f = ln P + (loading - 1) s + b.

    s = ln P - planned ln P is the market's price surprise; b is the firm's own
    basis, an OU process in ln price (mean 0). Loading 1 and volatility 0: the
    firm rents at the market price.
    """

    market_loading: between(0, 3) = 1.0
    volatility: Volatility = 0.0  # per sqrt(year), of b
    mean_reversion: MeanReversion = 1.0  # per year


def _volatility(config, regime):
    return regime_value(config, regime, "volatility")


def _price_floor(config):
    return config.market.price.floor_multiple * cash_cost_per_gpu_hour(config.firm)


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "market.price": Price,
    "price_basis": PriceBasis,
}
KERNEL = (
    "market.initial_market",
    "market.market_step",
    "market.reference_step",
    "market.planned_log_drift",
    "fleet.cohort_log_price",
    "path.firm_month",
)


SLOTS = (
    Slot(L.LOG_PRICE_INITIAL, "ln $/GPU-hour", ("market.price.initial",), lambda c: math.log(c.market.price.initial)),
    Slot(
        L.LOG_DRIFT,
        "ln price per month",
        ("market.price.drift", "market.price.volatility", *REGIME_KEYS),
        lambda c: [log_drift(c, regime) for regime in REGIMES],
        2,
        by_regime=1,
    ),
    Slot(
        L.LOG_VOLATILITY,
        "ln price per sqrt(month)",
        ("market.price.volatility", *REGIME_KEYS),
        lambda c: [_volatility(c, regime) * math.sqrt(MONTH) for regime in REGIMES],
        2,
        by_regime=1,
    ),
    Slot(
        L.JUMP_PROBABILITY,
        "per month",
        ("market.price.jump_intensity",),
        lambda c: c.market.price.jump_intensity * MONTH,
    ),
    Slot(L.LOG_JUMP, "ln price", ("market.price.jump_size",), lambda c: math.log1p(-c.market.price.jump_size)),
    Slot(
        L.REFERENCE_LOG_DRIFT,
        "ln price per month",
        ("market.price.drift", "market.price.jump_intensity", "market.price.jump_size", *REGIME_KEYS),
        # The planned price path: the initial regime's log drift and the expected log cut of launches.
        lambda c: (
            log_drift(c, REGIMES[initial_regime(c)])
            + c.market.price.jump_intensity * MONTH * math.log1p(-c.market.price.jump_size)
        ),
    ),
    Slot(L.FLOOR_ENABLED, "1 on / 0 off", ("market.price.floor_multiple",), lambda c: float(_price_floor(c) > 0)),
    Slot(
        L.LOG_PRICE_FLOOR,
        "ln $/GPU-hour",
        ("market.price.floor_multiple", "firm.power_kw", "firm.pue", "firm.electricity_price"),
        lambda c: math.log(_price_floor(c)) if _price_floor(c) > 0 else 0.0,
    ),
    Slot(L.BASIS_LOADING, "", ("price_basis.market_loading",), lambda c: c.price_basis.market_loading),
    Slot(
        L.BASIS_DECAY,
        "per month; sd of ln price",
        ("price_basis.mean_reversion", "price_basis.volatility"),
        lambda c: list(ou_step(c.price_basis.mean_reversion, c.price_basis.volatility)),
        2,
    ),
)


def launches_rule(f):
    """Launches that cut no price, or none at all: every launch setting, the switch included, is unread."""
    v = f.v
    forced_launch = v[L.STRESS_LAUNCH_MONTH] > 0
    random_launch = not f.base_case and v[L.JUMP_PROBABILITY] > 0
    launches = [
        L.JUMP_PROBABILITY,
        L.LOG_JUMP,
        *slot_indices("COHORT_NEWEST", size=L.MAX_COHORTS),
        *slot_indices("STRESS_LAUNCH_MONTH"),
    ]
    if v[L.LOG_JUMP] == 0:
        yield launches, "market.price.jump_size is 0 (a launch cuts no price)"
    elif not (random_launch or forced_launch):
        reason = f"{BASE_CASE_REASON}: no launch" if f.base_case else "market.price.jump_intensity is 0 (no launches)"
        yield launches, reason
    elif f.base_case:
        yield [L.JUMP_PROBABILITY], f"{BASE_CASE_REASON}: no random launch"
    for c in range(f.cohorts):
        if delivery_window(f, c)[1] < 1:  # delivered before month 1: no launch can come before its delivery
            yield [L.COHORT_NEWEST + c], f"{f.cohort(c)} is delivered before month 1"


RULES = (("launches", launches_rule),)  # no launch, or launches that cut nothing


EVENTS = ()  # no dated event of its own in a scenario's config


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {"final_price": ("USD/GPU-hour", "the firm's GPU rental price in the last month it lived")}
STATEMENT_LINES = ("price", "planned_price", "launches")

"""Stress overlays: forced regimes, price paths, rate shifts, launches, customer and obligor defaults, delays."""

import math
from typing import Literal

from pydantic import model_validator

from ..config.types import Months, Name, Section, Text, between
from ..kernels import layout as L
from .slots import Slot

# --- the config sections (schema) ---


class RegimeOverlay(Section):
    """The market's regime forced to ``state`` in months ``start_month`` .. ``end_month`` (0: the horizon)."""

    state: Literal["none", "shortage", "glut"] = "none"
    start_month: Months = 1
    end_month: between(0, 1200, int) = 0

    @model_validator(mode="after")
    def _ends_after_it_starts(self):
        if 0 < self.end_month < self.start_month:
            raise ValueError(f"end_month {self.end_month} is before start_month {self.start_month} (0: the horizon)")
        return self


class PriceOverlay(Section):
    """The market price (every generation's) multiplied by ``multiplier``, reached in equal log steps over
    ``months`` months from ``start_month`` and kept from then on (random moves continue around it)."""

    multiplier: between(0.01, 100) = 1.0
    start_month: Months = 1
    months: Months = 1


class RatesOverlay(Section):
    """``shift`` (annual) added to the short rate from ``start_month`` on (the Vasicek mean moves with it)."""

    shift: between(-0.2, 0.5) = 0.0
    start_month: Months = 1


class LaunchOverlay(Section):
    """A GPU generation launches in ``month`` (0: none), cutting older generations' prices by jump_size."""

    month: between(0, 1200, int) = 0


class CustomerDefaultOverlay(Section):
    """``customer`` (a [[customers]] name, or "largest": the contract worth most) defaults in ``month`` (0: none)."""

    customer: Name = "largest"
    month: between(0, 1200, int) = 0


class ObligorDefaultOverlay(Section):
    """``obligor`` (an [[obligors]] name) defaults in ``month`` (0: none): every contract, backstop and vendor
    facility naming it ends then, in every firm of a portfolio alike."""

    obligor: Name | None = None
    month: between(0, 1200, int) = 0


class Overlay(Section):
    """A stress overlay: deterministic events by month on top of the random model, each inert by default.

    The random numbers are those of the baseline, so under common random numbers
    the difference to the baseline, path by path, is the overlay's effect.
    ``[[stress]]`` tables are named overlays, each run as a scenario beside the baseline.
    """

    name: Name | None = None  # a [[stress]] table's name; None: "baseline" if inert, else "custom"
    description: Text = ""
    regime: RegimeOverlay = RegimeOverlay()
    price: PriceOverlay = PriceOverlay()
    rates: RatesOverlay = RatesOverlay()
    launch: LaunchOverlay = LaunchOverlay()
    customer_default: CustomerDefaultOverlay = CustomerDefaultOverlay()
    obligor_default: ObligorDefaultOverlay = ObligorDefaultOverlay()
    delivery_delay_months: between(0, 120, int) = 0  # every planned delivery arrives this much later

    @property
    def inert(self):
        """True if every event is of size zero (the months of an event of size zero do nothing)."""
        return (
            self.regime.state == "none"
            and self.price.multiplier == 1
            and self.rates.shift == 0
            and self.launch.month == 0
            and self.customer_default.month == 0
            and self.obligor_default.month == 0
            and self.delivery_delay_months == 0
        )

    @property
    def label(self):
        """Its name in results (the ``stress`` column)."""
        if self.name is not None:
            return self.name
        return BASELINE if self.inert else "custom"


BASELINE = "baseline"


class Stress(Overlay):
    name: Name


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


def _forced_obligor_defaults(config):
    """Per obligor, the month a stress overlay makes it default (0: none)."""
    default = config.overlay.obligor_default
    names = [obligor.name for obligor in config.obligors]
    months = [0.0] * L.MAX_OBLIGORS
    if default.month > 0 and default.obligor in names:
        months[names.index(default.obligor)] = float(default.month)
    return months


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "overlay": Overlay,
    "stress": Stress,
}
KERNEL = (
    "market.market_step",
    "market.forced_regime",
    "market.stress_events",
    "contracts.contracts",
    "obligors.obligor_step",
)


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
    Slot(
        L.OBLIGOR_FORCED_DEFAULT,
        "month (0 none)",
        ("overlay.obligor_default.obligor", "overlay.obligor_default.month", "obligors[].name"),
        _forced_obligor_defaults,
        L.MAX_OBLIGORS,
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
    if (overlay.get("obligor_default") or {}).get("month") == month:
        events.append(f"{stress} has obligor {overlay['obligor_default'].get('obligor')!r} default then")
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


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {}
STATEMENT_LINES = ()

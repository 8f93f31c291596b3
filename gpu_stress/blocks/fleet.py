"""The fleet and its cohorts.

GPUs, costs, ages, useful lives, power, generations, deliveries and their delays, the firm's
operating costs and cash, collateral values.
"""

import math
from dataclasses import dataclass

from pydantic import model_validator

from ..config.types import Dollars, Escalation, Name, Probability, Section, between
from ..kernels import layout as L
from .slots import Slot, by_regime
from .view import BASE_CASE_REASON, slot_indices

# --- the config sections (schema) ---


class Firm(Section):
    name: Name = "neo-cloud"
    generation: Name = "H100"  # of the installed fleet; priced by [[generations]] if listed
    gpus: between(1, 10**8, int) = 10_000
    gpu_cost: between(1, 1e6) = 50_000.0  # $ per GPU
    gpu_age_months: between(0, 1200, int) = 0
    useful_life_months: between(1, 2400, int) = 72  # beyond age + horizon it cannot matter
    power_kw: between(0, 100) = 1.4  # kW per GPU
    pue: between(1, 5) = 1.2
    electricity_price: between(0, 10) = 0.08  # $/kWh
    idle_power_fraction: Probability = 0.3
    opex_per_gpu_month: between(0, 1e6) = 150.0  # $
    fixed_opex_month: Dollars = 1_000_000.0
    cash: Dollars = 50_000_000.0
    lease_escalation: Escalation = 0.0  # annual, of the cohorts' data-centre leases


class Generation(Section):
    """A GPU generation's rental price relative to the market price ``market.price`` at month 0.

    Every launch cuts the price of each generation but the one launched: a
    cohort of a generation that is ``newest_at_delivery`` is not cut by the
    launches before its delivery (the capex plan buys what is newest then).
    """

    name: Name
    relative_price: between(0.01, 100) = 1.0
    newest_at_delivery: bool = False
    # Its used-value curve: residual(age) = (1 - age_decay)^(age / 12) of cost; None: collateral.age_decay.
    age_decay: between(0, 0.99) | None = None  # per year


class Cohort(Section):
    """GPUs bought together, beside the firm's installed fleet (``[firm]``, cohort 0).

    Each cohort earns, draws power and is worth something from its delivery
    until its own useful life ends. ``delivery_month`` <= 0: delivered that many
    months before the start (its age at month 0 is -delivery_month); > 0: a
    planned delivery: its deposit is paid ``deposit_months_ahead`` before,
    the rest of its cost on delivery (from cash and the facilities that fund
    it); it arrives ``delay_months`` late plus any random slip
    (``[delivery_delays]``), while its data-centre lease runs from the planned
    month.
    """

    name: Name = "cohort"
    generation: Name = "H100"  # priced by [[generations]] if listed
    gpus: between(1, 10**8, int)
    gpu_cost: between(1, 1e6)  # $ per GPU
    delivery_month: between(-1200, 1200, int) = 0
    useful_life_months: between(1, 2400, int) = 72
    power_kw: between(0, 100) = 1.4  # kW per GPU
    age_decay: between(0, 0.99) | None = None  # per year; None: its generation's, else collateral.age_decay
    deposit: Probability = 0.0  # share of the cost paid ahead of delivery
    deposit_months_ahead: between(0, 1200, int) = 0
    delay_months: between(0, 1200, int) = 0  # a known slip past delivery_month
    delivery_months: between(1, 120, int) = 1  # delivered in this many equal monthly tranches
    lease_per_kw_month: between(0, 10_000) = 0.0  # $ per kW of IT load a month, from the planned delivery

    @model_validator(mode="after")
    def _plans_only_for_planned_deliveries(self):
        if self.delivery_month < 1 and (self.deposit > 0 or self.delay_months > 0):
            raise ValueError("deposit and delay_months apply only to planned deliveries (delivery_month >= 1)")
        return self


class DeliveryDelays(Section):
    """Random slips of planned deliveries: each month a due delivery slips one more month with the
    regime's probability, up to ``max_months`` in all (in one regime P(slip >= k) = q^k)."""

    slip_probability: Probability = 0.0  # per month, in shortage (power and construction delays)
    glut_slip_probability: Probability | None = None  # per month, in glut; None: as in shortage
    max_months: between(0, 1200, int) = 12


class Collateral(Section):
    price_elasticity: between(0, 3) = 1.0
    age_decay: between(0, 0.99) = 0.23  # per year
    fire_sale_haircut: Probability = 0.55


def cash_cost_per_gpu_hour(firm):
    """$/GPU-hour a busy GPU costs in power and per-GPU opex (the price floor's unit)."""
    power = firm.power_kw * firm.pue * firm.electricity_price
    return power + firm.opex_per_gpu_month / L.HOURS_PER_MONTH


@dataclass(frozen=True)
class FleetCohort:
    """One cohort as the slots see it, the installed fleet ([firm]) included."""

    gpus: int
    gpu_cost: float
    age_months: int  # at month 0: -(planned delivery month)
    useful_life_months: int
    power_kw: float
    age_decay: float
    generation: str
    deposit: float = 0.0  # share of the cost
    deposit_months_ahead: int = 0
    delay_months: int = 0
    lease_per_kw_month: float = 0.0
    delivery_months: int = 1

    @property
    def planned_delivery(self):
        return -self.age_months

    @property
    def cost(self):
        return self.gpus * self.gpu_cost


def cohorts(config):
    """The fleet's cohorts: the installed fleet of ``[firm]`` first, then ``[[cohorts]]``."""
    firm = config.firm
    curves = {generation.name: generation.age_decay for generation in config.generations}

    def used_value_decay(generation, own=None):
        """A cohort's own age_decay, else its generation's used-value curve, else the collateral block's."""
        if own is not None:
            return own
        of_generation = curves.get(generation)
        return config.collateral.age_decay if of_generation is None else of_generation

    fleet = [
        FleetCohort(
            firm.gpus,
            firm.gpu_cost,
            firm.gpu_age_months,
            firm.useful_life_months,
            firm.power_kw,
            used_value_decay(firm.generation),
            firm.generation,
        )
    ]
    for cohort in config.cohorts:
        own_decay = used_value_decay(cohort.generation, cohort.age_decay)
        fleet.append(
            FleetCohort(
                cohort.gpus,
                cohort.gpu_cost,
                -cohort.delivery_month,
                cohort.useful_life_months,
                cohort.power_kw,
                own_decay,
                cohort.generation,
                cohort.deposit,
                cohort.deposit_months_ahead,
                cohort.delay_months + (config.overlay.delivery_delay_months if cohort.delivery_month >= 1 else 0),
                cohort.lease_per_kw_month,
                cohort.delivery_months,
            )
        )
    return fleet


def generation_of(config, cohort):
    """The cohort's entry of [[generations]]; an unlisted generation is priced at the market price."""
    listed = {generation.name: generation for generation in config.generations}
    return listed.get(cohort.generation)


def _log_price_ratio(cohort, config):
    generation = generation_of(config, cohort)
    return 0.0 if generation is None else math.log(generation.relative_price)


def _deposit_month(cohort):
    """Month the deposit is paid; 0 (never in the model) if there is none or it was paid before month 1."""
    month = cohort.planned_delivery - cohort.deposit_months_ahead
    return float(month) if cohort.deposit > 0 and month >= 1 else 0.0


def per_cohort(function, padding=0.0):
    """A block of MAX_COHORTS values: ``function(cohort, config)`` for each cohort, ``padding`` for unused slots."""
    return lambda config: (
        [function(cohort, config) for cohort in cohorts(config)] + [padding] * (L.MAX_COHORTS - 1 - len(config.cohorts))
    )


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "firm": Firm,
    "generations": Generation,
    "cohorts": Cohort,
    "delivery_delays": DeliveryDelays,
    "collateral": Collateral,
}
KERNEL = (
    "fleet.cohort_in_service",
    "fleet.cohort_log_price",
    "fleet.fleet",
    "fleet.deliveries",
    "operations.operating_cash_flow",
    "firm.init_firm",
    "capital.pool_tests",
)


SLOTS = (
    Slot(L.COHORT_COUNT, "cohorts", ("cohorts",), lambda c: 1 + len(c.cohorts)),
    Slot(
        L.COHORT_GPUS,
        "GPUs",
        ("firm.gpus", "cohorts[].gpus"),
        per_cohort(lambda cohort, c: cohort.gpus),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_COST,
        "$",
        ("firm.gpu_cost", "cohorts[].gpu_cost"),
        per_cohort(lambda cohort, c: cohort.gpus * cohort.gpu_cost),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_AGE_INITIAL,
        "months",
        ("firm.gpu_age_months", "cohorts[].delivery_month"),
        per_cohort(lambda cohort, c: cohort.age_months),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_USEFUL_LIFE,
        "months",
        ("firm.useful_life_months", "cohorts[].useful_life_months"),
        per_cohort(lambda cohort, c: cohort.useful_life_months),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_LOG_DECAY,
        "ln value per month of age",
        ("collateral.age_decay", "generations[].age_decay", "cohorts[].age_decay"),
        per_cohort(lambda cohort, c: math.log1p(-cohort.age_decay) / L.MONTHS_PER_YEAR),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_POWER_FULL,
        "$ per month",
        ("firm.power_kw", "cohorts[].power_kw", "firm.pue", "firm.electricity_price"),
        per_cohort(
            lambda cohort, c: cohort.gpus * cohort.power_kw * c.firm.pue * L.HOURS_PER_MONTH * c.firm.electricity_price
        ),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_LOG_PRICE_RATIO,
        "ln price ratio",
        ("generations", "generations[].relative_price", "firm.generation", "cohorts[].generation"),
        per_cohort(_log_price_ratio),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_NEWEST,
        "1 newest at delivery / 0",
        ("generations[].newest_at_delivery", "firm.generation", "cohorts[].generation"),
        per_cohort(lambda cohort, c: float(getattr(generation_of(c, cohort), "newest_at_delivery", False))),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_DEPOSIT,
        "$",
        ("cohorts[].deposit",),
        per_cohort(lambda cohort, c: cohort.deposit * cohort.cost),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_DEPOSIT_MONTH,
        "month (0 none)",
        ("cohorts[].deposit", "cohorts[].deposit_months_ahead", "cohorts[].delivery_month"),
        per_cohort(lambda cohort, c: _deposit_month(cohort)),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_FIXED_DELAY,
        "months",
        ("cohorts[].delay_months", "overlay.delivery_delay_months"),
        per_cohort(lambda cohort, c: cohort.delay_months),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_DELIVERY_MONTHS,
        "months",
        ("cohorts[].delivery_months",),
        per_cohort(lambda cohort, c: cohort.delivery_months, padding=1.0),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_SLIPS,
        "1 can slip / 0",
        ("cohorts[].delivery_month",),
        per_cohort(lambda cohort, c: float(cohort.planned_delivery >= 1)),
        L.MAX_COHORTS,
    ),
    Slot(
        L.SLIP_PROBABILITY,
        "per month",
        ("delivery_delays.slip_probability", "delivery_delays.glut_slip_probability"),
        lambda c: by_regime(c.delivery_delays.slip_probability, c.delivery_delays.glut_slip_probability),
        2,
        by_regime=1,
    ),
    Slot(L.DELAY_MAX, "months", ("delivery_delays.max_months",), lambda c: c.delivery_delays.max_months),
    Slot(L.IDLE_POWER_FRACTION, "share", ("firm.idle_power_fraction",), lambda c: c.firm.idle_power_fraction),
    Slot(L.OPEX_PER_GPU, "$ per GPU-month", ("firm.opex_per_gpu_month",), lambda c: c.firm.opex_per_gpu_month),
    Slot(L.FIXED_OPEX, "$ per month", ("firm.fixed_opex_month",), lambda c: c.firm.fixed_opex_month),
    Slot(L.CASH_INITIAL, "$", ("firm.cash",), lambda c: c.firm.cash),
    Slot(L.PRICE_ELASTICITY, "", ("collateral.price_elasticity",), lambda c: c.collateral.price_elasticity),
    Slot(
        L.FIRE_SALE_RECOVERY, "share", ("collateral.fire_sale_haircut",), lambda c: 1.0 - c.collateral.fire_sale_haircut
    ),
)


def can_slip(f, c):
    """Whether cohort ``c``'s delivery can slip at random (``f``: a ``view.FirmView``)."""
    v = f.v
    if f.base_case or v[L.COHORT_SLIPS + c] <= 0 or v[L.DELAY_MAX] <= 0:
        return False
    return any(probability > 0 for probability in f.by_regime(L.SLIP_PROBABILITY))


def delivery_window(f, c):
    """(planned delivery month, first month it can arrive, last month it can arrive) of cohort ``c``."""
    v = f.v
    planned = -v[L.COHORT_AGE_INITIAL + c]
    first = v[L.COHORT_FIXED_DELAY + c] + planned
    return planned, first, first + (v[L.DELAY_MAX] if can_slip(f, c) else 0.0)


def deliveries_rule(f):
    """Deliveries that never slip at random: every slip setting, and which cohorts could slip."""
    v = f.v
    every = [*slot_indices("SLIP_PROBABILITY", size=2), L.DELAY_MAX, *slot_indices("COHORT_SLIPS", size=L.MAX_COHORTS)]
    planned = [c for c in range(f.cohorts) if v[L.COHORT_SLIPS + c] > 0]
    if not planned:
        yield every, "no cohort has a planned delivery (delivery_month >= 1)"
    elif f.base_case:
        yield every, f"{BASE_CASE_REASON}: no random slip"
    elif all(delivery_window(f, c)[1] > f.horizon for c in planned):
        yield every, f"every planned delivery is after the horizon (month {f.horizon})"
    elif not any(probability > 0 for probability in f.by_regime(L.SLIP_PROBABILITY)):
        yield every, "delivery_delays.slip_probability is 0 (no delivery slips)"
    elif v[L.DELAY_MAX] == 0:
        yield every, "delivery_delays.max_months is 0 (no delivery slips)"
    if all(v[L.COHORT_POWER_FULL + c] == 0 for c in range(f.cohorts)):
        yield [L.IDLE_POWER_FRACTION], "no GPU draws power (power_kw, pue or electricity_price is 0)"


def horizon_rule(f):
    """A useful life that outlasts the horizon: any longer one is the same."""
    v = f.v
    horizon = f"the horizon (month {f.horizon})"
    for c in range(f.cohorts):
        if v[L.COHORT_USEFUL_LIFE + c] >= f.horizon - delivery_window(f, c)[1]:
            yield [L.COHORT_USEFUL_LIFE + c], f"{f.cohort(c)} is in service to {horizon}"


RULES = (
    ("deliveries", deliveries_rule),  # slips that never happen; idle power with no power
    ("horizon", horizon_rule),
)


def fleet_events(config, month, cause):
    """Deliveries (and how late), deposits due, and cohorts retiring (the month after their useful life ends:
    a cohort is in service through month delivery + life, so that month changes nothing)."""
    events = []
    firm = config.get("firm") or {}
    late = (config.get("overlay") or {}).get("delivery_delay_months") or 0  # a stress overlay's slip of planned ones
    fleets = [("the installed fleet", -(firm.get("gpu_age_months") or 0), firm.get("useful_life_months"), 0, 0)]
    for cohort in config.get("cohorts") or []:
        planned = cohort.get("delivery_month") or 0
        delay = (cohort.get("delay_months") or 0) + (late if planned >= 1 else 0)
        fleets.append((f"cohort {cohort.get('name')!r}", planned, cohort.get("useful_life_months"), delay, cohort))
    for name, planned, life, delay, cohort in fleets:
        if cohort and planned >= 1 and planned + delay == month:
            events.append(f"{name} is delivered then" + (f" ({delay} months late)" if delay else ""))
        if cohort and cohort.get("deposit") and planned - (cohort.get("deposit_months_ahead") or 0) == month:
            events.append(f"the deposit for {name} is due then")
        if life and planned + delay + life + 1 == month:  # its life runs from its actual delivery
            events.append(f"{name} retires then (its useful life ended in month {month - 1})")
    return events


EVENTS = (("fleet", fleet_events),)


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {
    "final_cash": ("USD", "cash at the end of the last month the firm lived"),
    "min_cash": ("USD", "the lowest month-end cash on the path"),
}
STATEMENT_LINES = ("revenue_spot", "power", "opex", "ebitda", "gpus", "capex", "fleet_value", "cash")

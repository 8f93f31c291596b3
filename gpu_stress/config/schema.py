"""The configuration schema, validated with pydantic.

Units: money in $, GPU prices in $/GPU-hour, electricity in $/kWh, power in kW
per GPU (its share of the server included), rates and drifts as annual
decimals (0.10 = 10 %), volatilities per sqrt(year), switch probabilities per
month, times in months. docs/model.md explains each parameter.

Every model is strict (no silent string-to-number conversion) and forbids
unknown keys, so a typo is an error rather than a silently ignored setting.

Every number must be finite and every numeric field has a physical range,
declared once with :func:`between` and listed in docs/model.md. The ranges hold
every real-world firm with room to spare and keep float64 runs finite: the
largest quantity, the discounted equity of a firm whose price rises at the top
drift for the longest horizon (100 years) with elasticity 3 while rates sit at
their lowest, is below e^670 even on a 7-standard-deviation path; float64
overflows at e^709. float32 overflows at e^88: such runs can stop with one line
naming the output that left its range.
"""

import types
import typing
from typing import Annotated, Literal

import annotated_types
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..kernels.layout import MAX_COHORTS, MAX_CUSTOMERS, MAX_OBLIGATIONS, MAX_POOLS, MAX_RANK, MAX_TRANCHES

MAX_NAME_LENGTH = 200  # characters of a name (a firm, customer, tranche, pool, cohort, stress)
MAX_TEXT_LENGTH = 1000  # characters of a description
Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH)]
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]

INSTALLED_FLEET = "installed"  # the name contracts and facilities use for the fleet of ``[firm]`` (cohort 0)


def between(low, high, kind=float):
    """``kind`` (float or int) restricted to [low, high], both ends included."""
    return Annotated[kind, Field(ge=low, le=high)]


def numeric_range(field):
    """(kind, low, high) of a pydantic field declared with :func:`between`, else None."""
    kind, metadata = field.annotation, list(field.metadata)
    if typing.get_origin(kind) in (typing.Union, types.UnionType):  # ``between(...) | None``
        (kind,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if typing.get_origin(kind) is Annotated:
            kind, *extra = typing.get_args(kind)
            metadata += [item for info in extra for item in getattr(info, "metadata", [info])]
    bounds = {type(item): item for item in metadata}
    if kind not in (int, float) or annotated_types.Ge not in bounds or annotated_types.Le not in bounds:
        return None
    return kind, bounds[annotated_types.Ge].ge, bounds[annotated_types.Le].le


# Shared ranges (units as in the module docstring).
Probability = between(0, 1)
Correlation = between(-1, 1)
OpenUnit = between(0.001, 0.999)  # utilization: inside (0, 1), as the model works on its logit
Drift = between(-1, 1)  # annual, of the log price
Volatility = between(0, 3)  # per sqrt(year), of the log price
Months = between(1, 1200, int)
Dollars = between(0, 1e13)
Rate = between(-0.1, 1)  # annual short rate
Escalation = between(-0.5, 1)  # annual growth of a fixed charge
Coupon = between(-1, 1)  # annual fixed coupon or spread
MeanReversion = between(0, 100)  # per year
Ratio = between(0, 1000)  # LTV and DSCR limits; reported ratios are clipped to +-1000
Paths = between(1, 10**12, int)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True, allow_inf_nan=False)


class About(Section):
    """Free text shown by ``gpu-stress presets``; not used by the model."""

    description: Text = ""
    sources: list[str] = []


class Simulation(Section):
    paths: Paths = 100_000
    horizon_months: Months = 60
    seed: between(0, 2**64 - 1, int) = 2025
    precision: Literal["float64", "float32"] = "float64"
    independent_scenarios: bool = False
    chunk_paths: Paths | None = None
    band_paths: between(0, 10**12, int) = 10_000
    base_case: bool = False  # every shock zero and no random event: the deterministic plan


class Price(Section):
    initial: between(0.01, 1000) = 2.5  # $/GPU-hour
    drift: Drift = -0.10
    volatility: Volatility = 0.30
    jump_intensity: between(0, 12) = 0.0  # per year
    jump_size: between(0, 0.99) = 0.0  # fraction of the price a launch takes away
    floor_multiple: between(0, 10) = 0.0  # of the cash cost; 0 = no floor


class RegimeDynamics(Section):
    """Overrides for one regime; unset fields fall back to market.price / market.utilization."""

    drift: Drift | None = None
    volatility: Volatility | None = None
    utilization: OpenUnit | None = None


class Regime(Section):
    enabled: bool = False
    initial: Literal["shortage", "glut"] = "shortage"
    shortage_to_glut: Probability = 0.0
    glut_to_shortage: Probability = 0.0
    shortage: RegimeDynamics = RegimeDynamics()
    glut: RegimeDynamics = RegimeDynamics()


class Utilization(Section):
    enabled: bool = True
    initial: OpenUnit = 0.85
    mean: OpenUnit = 0.85
    mean_reversion: MeanReversion = 2.0
    volatility: between(0, 5) = 0.5  # per sqrt(year), of logit U


class Rates(Section):
    enabled: bool = False
    initial: Rate = 0.043
    mean: Rate = 0.035
    mean_reversion: MeanReversion = 0.3
    volatility: between(0, 0.05) = 0.01  # per sqrt(year), in rate units
    floor: Rate = 0.0


class CorrelationMatrix(Section):
    price_utilization: Correlation = 0.0
    price_rates: Correlation = 0.0
    utilization_rates: Correlation = 0.0

    def matrix(self):
        rho_pu, rho_pr, rho_ur = self.price_utilization, self.price_rates, self.utilization_rates
        return np.array([[1.0, rho_pu, rho_pr], [rho_pu, 1.0, rho_ur], [rho_pr, rho_ur, 1.0]])

    @model_validator(mode="after")
    def _positive_semidefinite(self):
        smallest = np.linalg.eigvalsh(self.matrix()).min()
        if smallest < -1e-10:
            raise ValueError(f"correlation matrix is not positive semi-definite (smallest eigenvalue {smallest:.4g})")
        return self


class Market(Section):
    price: Price = Price()
    regime: Regime = Regime()
    utilization: Utilization = Utilization()
    rates: Rates = Rates()
    correlation: CorrelationMatrix = CorrelationMatrix()


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
    age_decay: between(0, 0.99) | None = None  # per year; None: collateral.age_decay
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


class Obligation(Section):
    """A fixed charge (data-centre lease, power contract): $ a month, escalating once a year's worth a month."""

    name: Name = "lease"
    monthly: Dollars  # $ in its first month
    start_month: between(1, 1200, int) = 1
    end_month: between(1, 1200, int) = 1200
    escalation: Escalation = 0.0  # annual


class PriceBasis(Section):
    """The firm's own rental price against the market's: ln P_f = ln P + (loading - 1) s + b.

    s = ln P - planned ln P is the market's price surprise; b is the firm's own
    basis, an OU process in ln price (mean 0). Loading 1 and volatility 0: the
    firm rents at the market price.
    """

    market_loading: between(0, 3) = 1.0
    volatility: Volatility = 0.0  # per sqrt(year), of b
    mean_reversion: MeanReversion = 1.0  # per year


class Collateral(Section):
    price_elasticity: between(0, 3) = 1.0
    age_decay: between(0, 0.99) = 0.23  # per year
    fire_sale_haircut: Probability = 0.55


class Covenants(Section):
    ltv_max: Ratio = 0.0  # 0 = no LTV covenant
    dscr_min: Ratio = 0.0  # 0 = no DSCR covenant
    test_every_months: Months = 3
    cure_tests: between(0, 1200, int) = 0


class Refinancing(Section):
    """Balloons rolled into new floating loans while lenders are open, up to ``max_ltv`` x collateral
    (``partial``; all or nothing if false), at the regime's spread plus ``leverage_spread`` x LTV."""

    enabled: bool = False
    max_ltv: Ratio = 0.8
    spread: Coupon = 0.06
    glut_spread: Coupon = 0.10
    open_in_glut: bool = False
    term_months: Months = 36
    partial: bool = True  # false: a balloon is rolled whole if LTV <= max_ltv, else not at all
    leverage_spread: between(0, 1) = 0.0  # annual spread added per unit of LTV


class Equity(Section):
    """Emergency equity raises: when cash and reserves cannot pay the month's debt service and
    investors are open, new shares cover the shortfall, within a yearly room of the book equity."""

    enabled: bool = False
    max_raise_per_year: between(0, 10) = 0.25  # share of the book equity at the raise, per year
    cost: between(0, 0.9) = 0.10  # share of the gross raise lost to the discount and fees
    open_in_glut: bool = False


class Backstop(Section):
    """A capacity backstop: a counterparty buys unused, uncontracted capacity at ``price`` from
    ``start_month`` to ``end_month`` until it has paid ``cap`` in all (``cap = 0``: none)."""

    counterparty: Name = "backstop"
    cap: Dollars = 0.0  # $ in all
    price: between(0, 1000) = 0.0  # $/GPU-hour
    start_month: between(1, 1200, int) = 1
    end_month: between(1, 1200, int) = 1200
    annual_default_probability: Probability = 0.0  # of the counterparty, in shortage
    glut_annual_default_probability: Probability | None = None  # None: as in shortage


class Vendor(Section):
    """The GPU vendor that finances ``[[debt]]`` tranches with ``vendor = true``: if it stops
    financing (its default), their undrawn commitments lapse."""

    name: Name = "vendor"
    annual_default_probability: Probability = 0.0  # in shortage
    glut_annual_default_probability: Probability | None = None  # None: as in shortage


class Pool(Section):
    """A security pool: ``share`` of each listed cohort's GPUs and of their cash flows, pledged to
    the tranches that name it. A ``ring_fenced`` pool serves its tranches from its own cash flow
    and reserve, and defaults on its own when they fall short (the parent too if ``cross_default``)."""

    name: Name
    cohorts: list[str]  # cohort names; "installed" for [firm]'s fleet
    share: between(0.001, 1) = 1.0
    reserve_months: between(0, 24) = 0.0  # debt-service reserve: months of its tranches' scheduled service
    ring_fenced: bool = False
    cross_default: bool = True


class Customer(Section):
    """A backlog contract: take-or-pay on a share of one cohort's GPUs from its delivery for
    ``term_months``, or (no ``cohort``) on a share of the whole fleet until ``end_month``."""

    name: Name = "anchor"
    cohort: Name | None = None  # a cohort's name, "installed" for [firm]'s fleet; None: the whole fleet
    share: between(0.001, 1)
    price: between(0, 1000)  # $/GPU-hour
    end_month: between(0, 1200, int) | None = None  # last month of the first term (fleet contracts: required)
    term_months: between(1, 1200, int) | None = None  # a term from the cohort's delivery; renewals
    take_or_pay: Probability = 1.0  # share of the contracted hours paid whether used or not
    annual_default_probability: Probability = 0.0  # in shortage
    glut_annual_default_probability: Probability | None = None  # None: as in shortage
    renewal_probability: Probability = 0.0  # at expiry, in shortage
    glut_renewal_probability: Probability | None = None  # None: as in shortage
    renewal_discount: between(0, 0.99) = 0.0  # to the spot price of the cohort's generation at renewal
    delay_limit_months: between(0, 1200, int) = 1200  # months its cohort may be late before the remedy
    terminates_on_delay: bool = False  # past the limit: the customer walks away (else it is paid a penalty)
    delay_penalty: between(0, 10) = 0.0  # share of the contract's monthly value, each month past the limit

    @model_validator(mode="after")
    def _has_a_term(self):
        if self.cohort is None and self.end_month is None:
            raise ValueError("a fleet-wide contract (no cohort) needs end_month")
        if self.cohort is not None and self.term_months is None and self.end_month is None:
            raise ValueError("a contract on a cohort needs term_months (from its delivery) or end_month")
        if self.renewal_probability + (self.glut_renewal_probability or 0.0) > 0 and self.term_months is None:
            raise ValueError("a contract that can renew needs term_months (the length of a renewal)")
        return self


class Debt(Section):
    """A loan, notes or a delayed-draw term loan (DDTL): ``commitment`` is drawn at the deliveries of
    the cohorts it ``funds`` (advance rate x their cost) until ``draw_end_month``, then lapses."""

    name: Name = "loan"
    principal: between(0, 1e13) = 0.0  # $ drawn at month 0
    rate_type: Literal["fixed", "floating"] = "fixed"
    rate: Coupon = 0.0
    spread: Coupon = 0.0
    amortization: Literal["bullet", "linear", "annuity"] = "bullet"
    maturity_month: Months
    commitment: Dollars = 0.0  # $ undrawn at month 0
    draw_end_month: between(0, 1200, int) = 0  # last month it can draw; interest only until then
    advance_rate: Probability = 1.0  # of a funded cohort's cost
    undrawn_fee: between(0, 0.2) = 0.0  # annual, on the undrawn commitment
    funds: list[str] = []  # names of the cohorts it funds (draws on their deliveries)
    pool: Name | None = None  # the pool that secures it; None: unsecured at the parent
    rank: between(1, MAX_RANK, int) = 1  # seniority: 1 is paid first
    cash_sweep: Probability = 0.0  # share of the cash flow above sweep_dscr x debt service, prepaid each month
    sweep_dscr: between(0, 1000) = 1.0  # the cover of the month's scheduled debt service the firm keeps
    borrowing_base: Ratio = 0.0  # max balance / its collateral's value (0 = none); the excess is prepaid
    vendor: bool = False  # financed by the GPU vendor ([vendor]): its undrawn commitment can lapse


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


class Config(Section):
    about: About = About()
    simulation: Simulation = Simulation()
    market: Market = Market()
    firm: Firm = Firm()
    price_basis: PriceBasis = PriceBasis()
    collateral: Collateral = Collateral()
    covenants: Covenants = Covenants()
    refinancing: Refinancing = Refinancing()
    equity: Equity = Equity()
    backstop: Backstop = Backstop()
    vendor: Vendor = Vendor()
    generations: list[Generation] = []
    cohorts: Annotated[list[Cohort], Field(max_length=MAX_COHORTS - 1)] = []  # the installed fleet is cohort 0
    delivery_delays: DeliveryDelays = DeliveryDelays()
    obligations: list[Obligation] = []
    customers: Annotated[list[Customer], Field(max_length=MAX_CUSTOMERS)] = []
    pools: Annotated[list[Pool], Field(max_length=MAX_POOLS)] = []
    debt: Annotated[list[Debt], Field(max_length=MAX_TRANCHES)] = []
    overlay: Overlay = Overlay()  # the stress overlay in effect (a scenario of [[stress]] sets it)
    stress: list[Stress] = []  # named stress scenarios, each run beside the baseline
    sweep: dict[str, list[bool | int | float | str]] = {}

    @staticmethod
    def tables():
        """{key: model} of the settings that are lists of tables (``[[cohorts]]`` ...)."""
        return {
            "generations": Generation,
            "cohorts": Cohort,
            "obligations": Obligation,
            "customers": Customer,
            "pools": Pool,
            "debt": Debt,
        }  # (``[[stress]]`` tables are overlays: their settings are ``overlay``'s)

    def cohort_names(self):
        """Names of the fleet's cohorts in kernel order: the installed fleet, then ``[[cohorts]]``."""
        return _cohort_names(self.cohorts)

    def cohort_index(self, name):
        return self.cohort_names().index(name)

    def pool_index(self, name):
        return [pool.name for pool in self.pools].index(name)

    @field_validator("obligations")
    @classmethod
    def _fixed_charges_fit(cls, obligations, info):
        leases = sum(cohort.lease_per_kw_month > 0 for cohort in info.data.get("cohorts", []))
        if leases + len(obligations) > MAX_OBLIGATIONS:
            count = f"{leases} cohort leases and {len(obligations)} obligations"
            raise ValueError(f"{count}: at most {MAX_OBLIGATIONS} fixed charges")
        return obligations

    @field_validator("customers")
    @classmethod
    def _contracts_fit_their_cohorts(cls, customers, info):
        for name in _cohort_names(info.data.get("cohorts", [])):  # fleet-wide shares plus the cohort's own
            total = sum(c.share for c in customers if c.cohort is None or c.cohort == name)
            if total > 1.0 + 1e-12:
                raise ValueError(f"customer shares of cohort {name!r} sum to {total:.4g}, more than all of it (1)")
        return customers

    @model_validator(mode="after")
    def _references_resolve(self):
        """Generations, cohorts named by contracts and facilities exist; the error names the referring field."""
        listed = [generation.name for generation in self.generations]
        uses = [(("firm", "generation"), self.firm.generation)]
        uses += [(("cohorts", index, "generation"), cohort.generation) for index, cohort in enumerate(self.cohorts)]
        for location, generation in uses if listed else []:
            if generation not in listed:
                _fail(
                    location, f"generation {generation!r} is not in [[generations]] ({', '.join(listed)})", generation
                )
        for index, generation in enumerate(self.generations):
            if listed.index(generation.name) != index:
                _fail(
                    ("generations", index, "name"), f"generation {generation.name!r} is listed twice", generation.name
                )
        names = self.cohort_names()
        planned = [-self.firm.gpu_age_months] + [cohort.delivery_month for cohort in self.cohorts]
        for index, contract in enumerate(self.customers):
            if contract.cohort is None or contract.cohort not in names:
                continue
            delivery = planned[names.index(contract.cohort)]
            if contract.end_month is None and delivery < 1:
                message = f"cohort {contract.cohort!r} was delivered before month 1: its contract needs end_month"
                _fail(("customers", index, "end_month"), message, None)
            if contract.end_month is not None and delivery >= 1 and contract.end_month < delivery:
                message = f"{contract.end_month} is before its cohort's planned delivery (month {delivery})"
                _fail(("customers", index, "end_month"), message, contract.end_month)
        refers = [(("customers", i, "cohort"), c.cohort) for i, c in enumerate(self.customers) if c.cohort is not None]
        refers += [(("debt", j, "funds"), name) for j, tranche in enumerate(self.debt) for name in tranche.funds]
        refers += [(("pools", p, "cohorts"), name) for p, pool in enumerate(self.pools) for name in pool.cohorts]
        for location, name in refers:
            if len(set(names)) != len(names):
                _fail(location, f"cohort names must be unique (and not {INSTALLED_FLEET!r}) to be referred to", name)
            if name not in names:
                _fail(location, f"no cohort named {name!r} (cohorts: {', '.join(names)})", name)
        self._pools_resolve(names)
        self._stresses_resolve()
        return self

    def _stresses_resolve(self):
        """Stress names are unique (and not "baseline"); a customer a default overlay names exists."""
        stress_names = [stress.name for stress in self.stress]
        for index, name in enumerate(stress_names):
            if name == BASELINE or stress_names.index(name) != index:
                why = "is the unstressed scenario's name" if name == BASELINE else "is listed twice"
                _fail(("stress", index, "name"), f"stress {name!r} {why}", name)
        customers = [customer.name for customer in self.customers]
        overlays = [(("overlay",), self.overlay)] + [(("stress", i), stress) for i, stress in enumerate(self.stress)]
        for location, overlay in overlays:
            default = overlay.customer_default
            if default.month == 0 or default.customer == "largest":
                continue
            if default.customer not in customers:
                listed = ", ".join(customers) or "none"
                message = f'no customer named {default.customer!r} (customers: {listed}, or "largest")'
                _fail((*location, "customer_default", "customer"), message, default.customer)
            if customers.count(default.customer) > 1:
                count = customers.count(default.customer)
                message = f"{count} customers are named {default.customer!r}: name them apart"
                _fail((*location, "customer_default", "customer"), message, default.customer)

    def largest_customer(self):
        """Index of the contract worth most over its first term ($: share x GPUs x price x months), or -1."""
        names = self.cohort_names()
        gpus = [self.firm.gpus] + [cohort.gpus for cohort in self.cohorts]
        delivery = [-self.firm.gpu_age_months] + [cohort.delivery_month for cohort in self.cohorts]

        def worth(contract):
            if contract.cohort is None:
                return contract.share * sum(gpus) * contract.price * contract.end_month
            index = names.index(contract.cohort)
            # the first term runs to end_month if it has one (term_months is then the renewals' length)
            first_term_end = contract.end_month
            months = contract.term_months if first_term_end is None else first_term_end - max(delivery[index], 0)
            return contract.share * gpus[index] * contract.price * months

        worths = [worth(contract) for contract in self.customers]
        return worths.index(max(worths)) if worths else -1

    def _pools_resolve(self, cohort_names):
        """Pools have unique names, hold at most all of a cohort together, and tranches name existing pools."""
        pool_names = [pool.name for pool in self.pools]
        for index, pool in enumerate(self.pools):
            if pool_names.index(pool.name) != index:
                _fail(("pools", index, "name"), f"pool {pool.name!r} is listed twice", pool.name)
            if len(set(pool.cohorts)) != len(pool.cohorts):
                _fail(("pools", index, "cohorts"), "a cohort is listed twice", pool.cohorts)
        for name in cohort_names:
            pledged = sum(pool.share for pool in self.pools if name in pool.cohorts)
            if pledged > 1.0 + 1e-12:
                index = next(p for p, pool in enumerate(self.pools) if name in pool.cohorts)
                message = f"pool shares of cohort {name!r} sum to {pledged:.4g}, more than all of it (1)"
                _fail(("pools", index, "share"), message, pledged)
        for index, tranche in enumerate(self.debt):
            if tranche.pool is not None and tranche.pool not in pool_names:
                listed = ", ".join(pool_names) or "none"
                _fail(("debt", index, "pool"), f"no pool named {tranche.pool!r} (pools: {listed})", tranche.pool)


def _fail(location, message, value):
    """Raise a validation error at ``location`` (a field path), so that the message names that field."""
    error = InitErrorDetails(type=PydanticCustomError("reference", message), loc=location, input=value)
    raise ValidationError.from_exception_data("Config", [error])


def _cohort_names(cohorts):
    return [INSTALLED_FLEET] + [cohort.name for cohort in cohorts]

"""The configuration schema: the block sections (``gpu_stress.blocks``) assembled into one Config.

See ``config.types`` for the units and ranges every section uses.
"""

from typing import Annotated

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..blocks.capital import Pool
from ..blocks.claims import Claims
from ..blocks.contracts import Customer, Obligation
from ..blocks.facilities import Covenants, Debt, Refinancing
from ..blocks.fleet import Cohort, Collateral, DeliveryDelays, Firm, Generation
from ..blocks.funding import Funding, to_sign
from ..blocks.obligors import Obligor
from ..blocks.overlays import (  # noqa: F401
    BASELINE,
    CustomerDefaultOverlay,
    LaunchOverlay,
    Overlay,
    PriceOverlay,
    RatesOverlay,
    RegimeOverlay,
    Stress,
)
from ..blocks.price import Price, PriceBasis
from ..blocks.rates import Rates
from ..blocks.recovery import Recovery
from ..blocks.regimes import Regime, RegimeDynamics  # noqa: F401
from ..blocks.response import Response
from ..blocks.run import TO_LAST_MATURITY, Simulation, horizon_to_maturity
from ..blocks.shocks import CorrelationMatrix
from ..blocks.support import Backstop, Equity, Vendor
from ..blocks.utilization import Utilization
from ..kernels.layout import (
    MAX_COHORTS,
    MAX_CUSTOMERS,
    MAX_OBLIGATIONS,
    MAX_OBLIGORS,
    MAX_POOLS,
    MAX_TRANCHES,
    MAX_UNSIGNED,
)
from .types import (  # noqa: F401 (the schema's names)
    INSTALLED_FLEET,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    Correlation,
    Coupon,
    Dollars,
    Drift,
    Escalation,
    MeanReversion,
    Months,
    Name,
    OpenUnit,
    Paths,
    Probability,
    Rate,
    Ratio,
    Section,
    Text,
    Volatility,
    between,
    numeric_range,
)


class About(Section):
    """Free text shown by ``gpu-stress presets``, and the calendar of the months; not used by the model."""

    description: Text = ""
    sources: list[str] = []
    as_of: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None  # the information cut-off date
    first_month: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] | None = None  # month 1, YYYY-MM


class Market(Section):
    price: Price = Price()
    regime: Regime = Regime()
    utilization: Utilization = Utilization()
    rates: Rates = Rates()
    correlation: CorrelationMatrix = CorrelationMatrix()


class Config(Section):
    about: About = About()
    simulation: Simulation = Simulation()
    market: Market = Market()
    firm: Firm = Firm()
    price_basis: PriceBasis = PriceBasis()
    collateral: Collateral = Collateral()
    covenants: Covenants = Covenants()
    refinancing: Refinancing = Refinancing()
    funding: Funding = Funding()
    equity: Equity = Equity()
    backstop: Backstop = Backstop()
    vendor: Vendor = Vendor()
    response: Response = Response()
    generations: list[Generation] = []
    cohorts: Annotated[list[Cohort], Field(max_length=MAX_COHORTS - 1)] = []  # the installed fleet is cohort 0
    delivery_delays: DeliveryDelays = DeliveryDelays()
    obligations: list[Obligation] = []
    claims: Claims = Claims()
    recovery: Recovery = Recovery()
    obligors: Annotated[list[Obligor], Field(max_length=MAX_OBLIGORS)] = []
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
            "obligors": Obligor,
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
    def _horizon_to_last_maturity(self):
        """``simulation.horizon_months = "to-last-maturity"``: the months to the firm's last maturity."""
        if self.simulation.horizon_months == TO_LAST_MATURITY:
            self.simulation.horizon_months = horizon_to_maturity([self])
        return self

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
        self._obligors_resolve()
        self._facilities_resolve()
        self._stresses_resolve()
        return self

    def _obligors_resolve(self):
        """Obligors have unique names; a contract, backstop or vendor names one that exists, and then has no default
        probability of its own (the obligor's is the one)."""
        listed = [obligor.name for obligor in self.obligors]
        for index, name in enumerate(listed):
            if listed.index(name) != index:
                _fail(("obligors", index, "name"), f"obligor {name!r} is listed twice", name)
        named = [(("customers", i), customer) for i, customer in enumerate(self.customers)]
        named += [(("backstop",), self.backstop), (("vendor",), self.vendor)]
        for location, who in named:
            if who.obligor is None:
                continue
            if who.obligor not in listed:
                message = f"no obligor named {who.obligor!r} (obligors: {', '.join(listed) or 'none'})"
                _fail((*location, "obligor"), message, who.obligor)
            for key in ("annual_default_probability", "glut_annual_default_probability"):
                if getattr(who, key):
                    message = f"set by its obligor {who.obligor!r} ([[obligors]]): leave it out"
                    _fail((*location, key), message, getattr(who, key))

    def _facilities_resolve(self):
        """A convertible has a share count to price it; at most MAX_UNSIGNED facilities are still to be signed."""
        for index, tranche in enumerate(self.debt):
            if tranche.conversion_price > 0 and self.equity.shares <= 0:
                message = "a convertible needs equity.shares (the shares outstanding at month 0) to price it"
                _fail(("debt", index, "conversion_price"), message, tranche.conversion_price)
        unsigned = [index for index, tranche in enumerate(self.debt) if to_sign(tranche)]
        if len(unsigned) > MAX_UNSIGNED:
            message = f"{len(unsigned)} facilities are not signed: at most {MAX_UNSIGNED} can be (one draw each)"
            _fail(("debt", unsigned[MAX_UNSIGNED], "signed"), message, False)

    def _stresses_resolve(self):
        """Stress names are unique (and not "baseline"); a customer or obligor a default overlay names exists."""
        stress_names = [stress.name for stress in self.stress]
        for index, name in enumerate(stress_names):
            if name == BASELINE or stress_names.index(name) != index:
                why = "is the unstressed scenario's name" if name == BASELINE else "is listed twice"
                _fail(("stress", index, "name"), f"stress {name!r} {why}", name)
        customers = [customer.name for customer in self.customers]
        obligors = [obligor.name for obligor in self.obligors]
        overlays = [(("overlay",), self.overlay)] + [(("stress", i), stress) for i, stress in enumerate(self.stress)]
        for location, overlay in overlays:
            obligor = overlay.obligor_default.obligor
            if overlay.obligor_default.month > 0 and obligor not in obligors:
                message = f"no obligor named {obligor!r} (obligors: {', '.join(obligors) or 'none'})"
                _fail((*location, "obligor_default", "obligor"), message, obligor)
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

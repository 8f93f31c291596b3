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
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..kernels.layout import MAX_COHORTS, MAX_CUSTOMERS, MAX_TRANCHES


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
Coupon = between(-1, 1)  # annual fixed coupon or spread
MeanReversion = between(0, 100)  # per year
Ratio = between(0, 1000)  # LTV and DSCR limits; reported ratios are clipped to +-1000
Paths = between(1, 10**12, int)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True, allow_inf_nan=False)


class About(Section):
    """Free text shown by ``gpu-stress presets``; not used by the model."""

    description: str = ""
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
    name: str = "neo-cloud"
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


class Cohort(Section):
    """GPUs bought together, beside the firm's installed fleet (``[firm]``, cohort 0).

    Each cohort earns, draws power and is worth something from its delivery
    until its own useful life ends. ``delivery_month`` <= 0: delivered that many
    months before the start (its age at month 0 is -delivery_month); > 0: a
    planned delivery, paid from cash (GPUs x cost) in that month.
    """

    name: str = "cohort"
    generation: str = "H100"  # a label for now
    gpus: between(1, 10**8, int)
    gpu_cost: between(1, 1e6)  # $ per GPU
    delivery_month: between(-1200, 1200, int) = 0
    useful_life_months: between(1, 2400, int) = 72
    power_kw: between(0, 100) = 1.4  # kW per GPU
    age_decay: between(0, 0.99) | None = None  # per year; None: collateral.age_decay


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
    enabled: bool = False
    max_ltv: Ratio = 0.8
    spread: Coupon = 0.06
    glut_spread: Coupon = 0.10
    open_in_glut: bool = False
    term_months: Months = 36


class Customer(Section):
    name: str = "anchor"
    share: between(0.001, 1)
    price: between(0, 1000)  # $/GPU-hour
    end_month: between(0, 1200, int)
    annual_default_probability: Probability = 0.0


class Debt(Section):
    name: str = "loan"
    principal: between(1, 1e13)  # $
    rate_type: Literal["fixed", "floating"] = "fixed"
    rate: Coupon = 0.0
    spread: Coupon = 0.0
    amortization: Literal["bullet", "linear", "annuity"] = "bullet"
    maturity_month: Months


class Config(Section):
    about: About = About()
    simulation: Simulation = Simulation()
    market: Market = Market()
    firm: Firm = Firm()
    collateral: Collateral = Collateral()
    covenants: Covenants = Covenants()
    refinancing: Refinancing = Refinancing()
    cohorts: Annotated[list[Cohort], Field(max_length=MAX_COHORTS - 1)] = []  # the installed fleet is cohort 0
    customers: Annotated[list[Customer], Field(max_length=MAX_CUSTOMERS)] = []
    debt: Annotated[list[Debt], Field(max_length=MAX_TRANCHES)] = []
    sweep: dict[str, list[bool | int | float | str]] = {}

    @field_validator("customers")
    @classmethod
    def _shares_fit_the_fleet(cls, customers):
        total = sum(customer.share for customer in customers)
        if total > 1.0 + 1e-12:
            raise ValueError(f"customer shares sum to {total:.4g}, more than the whole fleet (1)")
        return customers

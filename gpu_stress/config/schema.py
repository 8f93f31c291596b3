"""The configuration schema, validated with pydantic.

Units: money in $, GPU prices in $/GPU-hour, electricity in $/kWh, power in kW
per GPU (its share of the server included), rates and drifts as annual
decimals (0.10 = 10 %), volatilities per sqrt(year), switch probabilities per
month, times in months. docs/model.md explains each parameter.

Every model is strict (no silent string-to-number conversion) and forbids
unknown keys, so a typo is an error rather than a silently ignored setting.
"""

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..kernels.layout import MAX_CUSTOMERS, MAX_TRANCHES

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Correlation = Annotated[float, Field(ge=-1.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
OpenUnit = Annotated[float, Field(gt=0.0, lt=1.0)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)


class About(Section):
    """Free text shown by ``gpu-stress presets``; not used by the model."""

    description: str = ""
    sources: list[str] = []


class Simulation(Section):
    paths: Annotated[int, Field(gt=0)] = 100_000
    horizon_months: Annotated[int, Field(gt=0, le=1200)] = 60
    seed: Annotated[int, Field(ge=0, lt=2**64)] = 2025
    precision: Literal["float64", "float32"] = "float64"
    independent_scenarios: bool = False
    chunk_paths: Annotated[int, Field(gt=0)] | None = None
    band_paths: Annotated[int, Field(ge=0)] = 10_000


class Price(Section):
    initial: Positive = 2.5
    drift: float = -0.10
    volatility: NonNegative = 0.30
    jump_intensity: Annotated[float, Field(ge=0.0, le=12.0)] = 0.0
    jump_size: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    floor_multiple: NonNegative = 0.0


class RegimeDynamics(Section):
    """Overrides for one regime; unset fields fall back to market.price / market.utilization."""

    drift: float | None = None
    volatility: NonNegative | None = None
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
    mean_reversion: NonNegative = 2.0
    volatility: NonNegative = 0.5


class Rates(Section):
    enabled: bool = False
    initial: float = 0.043
    mean: float = 0.035
    mean_reversion: NonNegative = 0.3
    volatility: NonNegative = 0.01
    floor: float = 0.0


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
    gpus: Annotated[int, Field(gt=0)] = 10_000
    gpu_cost: Positive = 50_000.0
    gpu_age_months: Annotated[int, Field(ge=0)] = 0
    useful_life_months: Annotated[int, Field(gt=0)] = 72
    power_kw: NonNegative = 1.4
    pue: Annotated[float, Field(ge=1.0)] = 1.2
    electricity_price: NonNegative = 0.08
    idle_power_fraction: Probability = 0.3
    opex_per_gpu_month: NonNegative = 150.0
    fixed_opex_month: NonNegative = 1_000_000.0
    cash: NonNegative = 50_000_000.0


class Collateral(Section):
    price_elasticity: NonNegative = 1.0
    age_decay: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.23
    fire_sale_haircut: Probability = 0.55


class Covenants(Section):
    ltv_max: NonNegative = 0.0
    dscr_min: NonNegative = 0.0
    test_every_months: Annotated[int, Field(gt=0)] = 3
    cure_tests: Annotated[int, Field(ge=0)] = 0


class Refinancing(Section):
    enabled: bool = False
    max_ltv: NonNegative = 0.8
    spread: float = 0.06
    glut_spread: float = 0.10
    open_in_glut: bool = False
    term_months: Annotated[int, Field(gt=0)] = 36


class Customer(Section):
    name: str = "anchor"
    share: Annotated[float, Field(gt=0.0, le=1.0)]
    price: NonNegative
    end_month: Annotated[int, Field(ge=0)]
    annual_default_probability: Probability = 0.0


class Debt(Section):
    name: str = "loan"
    principal: Positive
    rate_type: Literal["fixed", "floating"] = "fixed"
    rate: float = 0.0
    spread: float = 0.0
    amortization: Literal["bullet", "linear", "annuity"] = "bullet"
    maturity_month: Annotated[int, Field(gt=0)]


class Config(Section):
    about: About = About()
    simulation: Simulation = Simulation()
    market: Market = Market()
    firm: Firm = Firm()
    collateral: Collateral = Collateral()
    covenants: Covenants = Covenants()
    refinancing: Refinancing = Refinancing()
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

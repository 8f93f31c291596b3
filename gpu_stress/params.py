"""From a validated configuration to the flat parameter vector the kernels read.

Every slot of the vector (``kernels/layout.py``) is declared here once, in
:data:`SLOTS`: the config keys its value comes from, its unit, and how it is
derived. :func:`parameter_vector` starts from NaN, fills every declared slot
and fails, naming the slot, if any is left unfilled, so a slot cannot silently
read 0 ("off"). Everything that does not change along a path is folded here
once (drift corrections, exact OU and Vasicek transition constants, monthly
hazards, fleet-wide dollar amounts), so the kernels do as little as possible
per step.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .kernels import layout as L

MONTH = 1.0 / L.MONTHS_PER_YEAR  # dt in years

_AMORTIZATION_CODES = {"bullet": L.BULLET, "linear": L.LINEAR, "annuity": L.ANNUITY}
REGIMES = ("shortage", "glut")


class ParameterError(RuntimeError):
    """A slot of the parameter vector that no declaration filled (a bug, not bad input)."""


@dataclass(frozen=True)
class Slot:
    """Slot(s) ``index`` .. ``index + size - 1``: ``value(config)`` from ``sources`` (config keys), in ``unit``."""

    index: int
    unit: str
    sources: tuple
    value: Callable
    size: int = 1


def logit(probability):
    return math.log(probability / (1.0 - probability))


def ou_step(mean_reversion, volatility, dt=MONTH):
    """(decay, shock sd) of the exact one-step transition of dx = -k x dt + v dW."""
    decay = math.exp(-mean_reversion * dt)
    if mean_reversion == 0.0:
        return 1.0, volatility * math.sqrt(dt)
    return decay, volatility * math.sqrt(-math.expm1(-2.0 * mean_reversion * dt) / (2.0 * mean_reversion))


def correlation_factor(matrix):
    """Lower-triangular L with L L^T = matrix, for positive semi-definite matrices.

    A plain Cholesky that sets a column to zero when its pivot vanishes, so
    perfectly correlated shocks (rho = +-1) work too.
    """
    size = len(matrix)
    factor = np.zeros((size, size))
    for column in range(size):
        pivot = matrix[column, column] - factor[column, :column] @ factor[column, :column]
        if pivot <= 1e-12:
            continue
        factor[column, column] = math.sqrt(pivot)
        for row in range(column + 1, size):
            off_diagonal = matrix[row, column] - factor[row, :column] @ factor[column, :column]
            factor[row, column] = off_diagonal / factor[column, column]
    return factor


def cash_cost_per_gpu_hour(firm):
    """$/GPU-hour a busy GPU costs in power and per-GPU opex (the price floor's unit)."""
    power = firm.power_kw * firm.pue * firm.electricity_price
    return power + firm.opex_per_gpu_month / L.HOURS_PER_MONTH


def monthly_hazard(annual_probability):
    """Monthly default probability h with (1 - h)^12 = 1 - annual probability."""
    return -math.expm1(math.log1p(-annual_probability) / L.MONTHS_PER_YEAR) if annual_probability < 1 else 1.0


def initial_debt(config):
    """Committed debt at month 0 ($): drawn principal plus the undrawn commitments of delayed-draw loans."""
    return sum(tranche.principal + tranche.commitment for tranche in config.debt)


# --- derivations shared by several slots ---------------------------------------------------------


def _regime_value(config, regime, field, base):
    """A regime's drift, volatility or utilization: its override if regimes are on and it is set, else the base."""
    override = getattr(getattr(config.market.regime, regime), field) if config.market.regime.enabled else None
    return base if override is None else override


def _drift(config, regime):
    return _regime_value(config, regime, "drift", config.market.price.drift)


def _volatility(config, regime):
    return _regime_value(config, regime, "volatility", config.market.price.volatility)


def _log_drift(config, regime):
    return (_drift(config, regime) - 0.5 * _volatility(config, regime) ** 2) * MONTH


def _initial_regime(config):
    return 0 if not config.market.regime.enabled or config.market.regime.initial == "shortage" else 1


def _price_floor(config):
    return config.market.price.floor_multiple * cash_cost_per_gpu_hour(config.firm)


def _market_first(matrix):
    """The (price, utilization, rate) correlation matrix reordered (price, rate, utilization).

    Its Cholesky factor then builds the market's shocks from the market's two
    normals alone, and a firm's utilization shock from those and its own.
    """
    order = [0, 2, 1]
    return matrix[np.ix_(order, order)]


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
    firm, decay = config.firm, config.collateral.age_decay
    fleet = [
        FleetCohort(
            firm.gpus,
            firm.gpu_cost,
            firm.gpu_age_months,
            firm.useful_life_months,
            firm.power_kw,
            decay,
            firm.generation,
        )
    ]
    for cohort in config.cohorts:
        own_decay = decay if cohort.age_decay is None else cohort.age_decay
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


def _generation(config, cohort):
    """The cohort's entry of [[generations]]; an unlisted generation is priced at the market price."""
    listed = {generation.name: generation for generation in config.generations}
    return listed.get(cohort.generation)


def _log_price_ratio(cohort, config):
    generation = _generation(config, cohort)
    return 0.0 if generation is None else math.log(generation.relative_price)


def _deposit_month(cohort):
    """Month the deposit is paid; 0 (never in the model) if there is none or it was paid before month 1."""
    month = cohort.planned_delivery - cohort.deposit_months_ahead
    return float(month) if cohort.deposit > 0 and month >= 1 else 0.0


@dataclass(frozen=True)
class FixedCharge:
    """One fixed charge as the slots see it: $ a month from ``start`` to ``end``, escalating yearly."""

    monthly: float
    start: int
    end: int
    escalation: float  # annual


def fixed_charges(config):
    """The cohorts' data-centre leases (from their planned delivery, for their useful life), then [[obligations]].

    A cohort's lease is its IT load (GPUs x kW) x $ per kW-month: it is
    committed, so it runs from the planned month even if the delivery slips.
    """
    charges = []
    for cohort in cohorts(config)[1:]:
        if cohort.lease_per_kw_month > 0:
            start = max(1, cohort.planned_delivery)
            monthly = cohort.gpus * cohort.power_kw * cohort.lease_per_kw_month
            end = cohort.planned_delivery + cohort.useful_life_months
            charges.append(FixedCharge(monthly, start, end, config.firm.lease_escalation))
    for obligation in config.obligations:
        charges.append(
            FixedCharge(obligation.monthly, obligation.start_month, obligation.end_month, obligation.escalation)
        )
    return charges


def _per_charge(function):
    return lambda config: (
        [function(charge) for charge in fixed_charges(config)]
        + [0.0] * (L.MAX_OBLIGATIONS - len(fixed_charges(config)))
    )


def _by_regime(shortage, glut):
    """A glut value that falls back to the shortage value when not set."""
    return [shortage, shortage if glut is None else glut]


def _per_customer_by_regime(shortage, glut, transform=lambda value: value):
    """Two blocks of MAX_CUSTOMERS values, shortage then glut, for consecutive slots."""

    def values(config):
        pairs = [_by_regime(shortage(c), glut(c)) for c in config.customers]
        padding = [0.0] * (L.MAX_CUSTOMERS - len(config.customers))
        return [transform(pair[0]) for pair in pairs] + padding + [transform(pair[1]) for pair in pairs] + padding

    return values


def _funded_cohorts(config, tranche):
    """Bit mask of the cohorts the facility funds (bit c: cohort c)."""
    return float(sum(1 << config.cohort_index(name) for name in set(tranche.funds)))


def _per_cohort(function, padding=0.0):
    """A block of MAX_COHORTS values: ``function(cohort, config)`` for each cohort, ``padding`` for unused slots."""
    return lambda config: (
        [function(cohort, config) for cohort in cohorts(config)] + [padding] * (L.MAX_COHORTS - 1 - len(config.cohorts))
    )


def _per_customer(function, padding=0.0):
    """A block of MAX_CUSTOMERS values: ``function(customer)`` for each customer, ``padding`` for unused slots."""
    return lambda config: (
        [function(c) for c in config.customers] + [padding] * (L.MAX_CUSTOMERS - len(config.customers))
    )


def _per_tranche(function, padding=0.0):
    return lambda config: [function(t) for t in config.debt] + [padding] * (L.MAX_TRANCHES - len(config.debt))


def _per_pool(function, padding=0.0):
    return lambda config: (
        [function(pool, config) for pool in config.pools] + [padding] * (L.MAX_POOLS - len(config.pools))
    )


def _pooled_cohorts(config, pool):
    """Bit mask of the cohorts the pool holds a share of (bit c: cohort c)."""
    return float(sum(1 << config.cohort_index(name) for name in pool.cohorts))


def _hazards(shortage, glut):
    """[shortage, glut] monthly hazards of two annual default probabilities (glut None: as in shortage)."""
    return [monthly_hazard(probability) for probability in _by_regime(shortage, glut)]


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


_REGIME_KEYS = ("market.regime.enabled", "market.regime.shortage", "market.regime.glut")
_FLOATING = "floating"

SLOTS = (
    # --- the run ---
    Slot(L.BASE_CASE, "1 plan / 0 Monte Carlo", ("simulation.base_case",), lambda c: float(c.simulation.base_case)),
    # --- market ---
    Slot(L.LOG_PRICE_INITIAL, "ln $/GPU-hour", ("market.price.initial",), lambda c: math.log(c.market.price.initial)),
    Slot(L.REGIME_INITIAL, "0 shortage / 1 glut", ("market.regime.initial", "market.regime.enabled"), _initial_regime),
    Slot(
        L.SWITCH_PROBABILITY,
        "per month",
        ("market.regime.shortage_to_glut", "market.regime.glut_to_shortage", "market.regime.enabled"),
        lambda c: (
            [c.market.regime.shortage_to_glut, c.market.regime.glut_to_shortage]
            if c.market.regime.enabled
            else [0.0, 0.0]
        ),
        2,
    ),
    Slot(
        L.LOG_DRIFT,
        "ln price per month",
        ("market.price.drift", "market.price.volatility", *_REGIME_KEYS),
        lambda c: [_log_drift(c, regime) for regime in REGIMES],
        2,
    ),
    Slot(
        L.LOG_VOLATILITY,
        "ln price per sqrt(month)",
        ("market.price.volatility", *_REGIME_KEYS),
        lambda c: [_volatility(c, regime) * math.sqrt(MONTH) for regime in REGIMES],
        2,
    ),
    Slot(
        L.UTILIZATION_LOGIT_MEAN,
        "logit of a share",
        ("market.utilization.mean", *_REGIME_KEYS),
        lambda c: [logit(_regime_value(c, regime, "utilization", c.market.utilization.mean)) for regime in REGIMES],
        2,
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
        ("market.price.drift", "market.price.jump_intensity", "market.price.jump_size", *_REGIME_KEYS),
        # The planned price path: the initial regime's log drift and the expected log cut of launches.
        lambda c: (
            _log_drift(c, REGIMES[_initial_regime(c)])
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
    Slot(
        L.UTILIZATION_LOGIT_INITIAL,
        "logit of a share",
        ("market.utilization.initial",),
        lambda c: logit(c.market.utilization.initial),
    ),
    Slot(
        L.UTILIZATION_DECAY,
        "per month",
        ("market.utilization.enabled", "market.utilization.mean_reversion", "market.utilization.volatility"),
        lambda c: (
            list(ou_step(c.market.utilization.mean_reversion, c.market.utilization.volatility))
            if c.market.utilization.enabled
            else [1.0, 0.0]
        ),
        2,  # UTILIZATION_DECAY, UTILIZATION_SHOCK
    ),
    Slot(L.RATE_INITIAL, "annual", ("market.rates.initial",), lambda c: c.market.rates.initial),
    Slot(L.RATE_MEAN, "annual", ("market.rates.mean",), lambda c: c.market.rates.mean),
    Slot(
        L.RATE_DECAY,
        "per month",
        ("market.rates.enabled", "market.rates.mean_reversion", "market.rates.volatility"),
        lambda c: (
            list(ou_step(c.market.rates.mean_reversion, c.market.rates.volatility))
            if c.market.rates.enabled
            else [1.0, 0.0]
        ),
        2,  # RATE_DECAY, RATE_SHOCK
    ),
    # --- stress overlays ([overlay]): inert at their defaults ---
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
        L.CHOLESKY,
        "",
        (
            "market.correlation.price_utilization",
            "market.correlation.price_rates",
            "market.correlation.utilization_rates",
        ),
        lambda c: list(correlation_factor(_market_first(c.market.correlation.matrix()))[np.tril_indices(3)]),
        6,
    ),
    # --- the fleet: the installed fleet ([firm]) is cohort 0, then [[cohorts]] ---
    Slot(L.COHORT_COUNT, "cohorts", ("cohorts",), lambda c: 1 + len(c.cohorts)),
    Slot(
        L.COHORT_GPUS,
        "GPUs",
        ("firm.gpus", "cohorts[].gpus"),
        _per_cohort(lambda cohort, c: cohort.gpus),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_COST,
        "$",
        ("firm.gpu_cost", "cohorts[].gpu_cost"),
        _per_cohort(lambda cohort, c: cohort.gpus * cohort.gpu_cost),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_AGE_INITIAL,
        "months",
        ("firm.gpu_age_months", "cohorts[].delivery_month"),
        _per_cohort(lambda cohort, c: cohort.age_months),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_USEFUL_LIFE,
        "months",
        ("firm.useful_life_months", "cohorts[].useful_life_months"),
        _per_cohort(lambda cohort, c: cohort.useful_life_months),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_LOG_DECAY,
        "ln value per month of age",
        ("collateral.age_decay", "cohorts[].age_decay"),
        _per_cohort(lambda cohort, c: math.log1p(-cohort.age_decay) / L.MONTHS_PER_YEAR),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_POWER_FULL,
        "$ per month",
        ("firm.power_kw", "cohorts[].power_kw", "firm.pue", "firm.electricity_price"),
        _per_cohort(
            lambda cohort, c: cohort.gpus * cohort.power_kw * c.firm.pue * L.HOURS_PER_MONTH * c.firm.electricity_price
        ),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_LOG_PRICE_RATIO,
        "ln price ratio",
        ("generations", "generations[].relative_price", "firm.generation", "cohorts[].generation"),
        _per_cohort(_log_price_ratio),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_NEWEST,
        "1 newest at delivery / 0",
        ("generations[].newest_at_delivery", "firm.generation", "cohorts[].generation"),
        _per_cohort(lambda cohort, c: float(getattr(_generation(c, cohort), "newest_at_delivery", False))),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_DEPOSIT,
        "$",
        ("cohorts[].deposit",),
        _per_cohort(lambda cohort, c: cohort.deposit * cohort.cost),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_DEPOSIT_MONTH,
        "month (0 none)",
        ("cohorts[].deposit", "cohorts[].deposit_months_ahead", "cohorts[].delivery_month"),
        _per_cohort(lambda cohort, c: _deposit_month(cohort)),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_FIXED_DELAY,
        "months",
        ("cohorts[].delay_months", "overlay.delivery_delay_months"),
        _per_cohort(lambda cohort, c: cohort.delay_months),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_DELIVERY_MONTHS,
        "months",
        ("cohorts[].delivery_months",),
        _per_cohort(lambda cohort, c: cohort.delivery_months, padding=1.0),
        L.MAX_COHORTS,
    ),
    Slot(
        L.COHORT_SLIPS,
        "1 can slip / 0",
        ("cohorts[].delivery_month",),
        _per_cohort(lambda cohort, c: float(cohort.planned_delivery >= 1)),
        L.MAX_COHORTS,
    ),
    Slot(
        L.SLIP_PROBABILITY,
        "per month",
        ("delivery_delays.slip_probability", "delivery_delays.glut_slip_probability"),
        lambda c: _by_regime(c.delivery_delays.slip_probability, c.delivery_delays.glut_slip_probability),
        2,
    ),
    Slot(L.DELAY_MAX, "months", ("delivery_delays.max_months",), lambda c: c.delivery_delays.max_months),
    # --- fixed charges: the cohorts' leases, then [[obligations]] ---
    Slot(
        L.OBLIGATION_COUNT,
        "charges",
        ("obligations", "cohorts[].lease_per_kw_month"),
        lambda c: len(fixed_charges(c)),
    ),
    Slot(
        L.OBLIGATION_AMOUNT,
        "$ per month",
        ("obligations[].monthly", "cohorts[].lease_per_kw_month", "cohorts[].gpus", "cohorts[].power_kw"),
        _per_charge(lambda charge: charge.monthly),
        L.MAX_OBLIGATIONS,
    ),
    Slot(
        L.OBLIGATION_START,
        "month",
        ("obligations[].start_month", "cohorts[].delivery_month"),
        _per_charge(lambda charge: charge.start),
        L.MAX_OBLIGATIONS,
    ),
    Slot(
        L.OBLIGATION_END,
        "month",
        ("obligations[].end_month", "cohorts[].delivery_month", "cohorts[].useful_life_months"),
        _per_charge(lambda charge: charge.end),
        L.MAX_OBLIGATIONS,
    ),
    Slot(
        L.OBLIGATION_LOG_ESCALATION,
        "ln growth per month",
        ("obligations[].escalation", "firm.lease_escalation"),
        _per_charge(lambda charge: math.log1p(charge.escalation) / L.MONTHS_PER_YEAR),
        L.MAX_OBLIGATIONS,
    ),
    # --- firm ---
    Slot(L.IDLE_POWER_FRACTION, "share", ("firm.idle_power_fraction",), lambda c: c.firm.idle_power_fraction),
    Slot(L.OPEX_PER_GPU, "$ per GPU-month", ("firm.opex_per_gpu_month",), lambda c: c.firm.opex_per_gpu_month),
    Slot(L.FIXED_OPEX, "$ per month", ("firm.fixed_opex_month",), lambda c: c.firm.fixed_opex_month),
    Slot(L.CASH_INITIAL, "$", ("firm.cash",), lambda c: c.firm.cash),
    Slot(L.BASIS_LOADING, "", ("price_basis.market_loading",), lambda c: c.price_basis.market_loading),
    Slot(
        L.BASIS_DECAY,
        "per month; sd of ln price",
        ("price_basis.mean_reversion", "price_basis.volatility"),
        lambda c: list(ou_step(c.price_basis.mean_reversion, c.price_basis.volatility)),
        2,
    ),
    Slot(L.FIRM_STREAM, "firm index", (), lambda c: 0.0),  # a portfolio sets each firm's place
    # A firm alone sells into no secondary market; a portfolio sets its [fire_sales] (portfolio_matrix).
    Slot(L.FIRE_SALE_IMPACT, "per GPU", (), lambda c: 0.0),
    Slot(L.FIRE_SALE_RETENTION, "per month", (), lambda c: 0.0),
    Slot(L.PRICE_ELASTICITY, "", ("collateral.price_elasticity",), lambda c: c.collateral.price_elasticity),
    Slot(
        L.FIRE_SALE_RECOVERY, "share", ("collateral.fire_sale_haircut",), lambda c: 1.0 - c.collateral.fire_sale_haircut
    ),
    # --- anchor customers ---
    Slot(L.CUSTOMER_COUNT, "customers", ("customers",), lambda c: len(c.customers)),
    Slot(
        L.CUSTOMER_COHORT,
        "cohort index (-1 fleet)",
        ("customers[].cohort",),
        lambda c: (
            [-1.0 if x.cohort is None else c.cohort_index(x.cohort) for x in c.customers]
            + [-1.0] * (L.MAX_CUSTOMERS - len(c.customers))
        ),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_SHARE,
        "share",
        ("customers[].share",),
        _per_customer(lambda customer: customer.share),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_PRICE,
        "$/GPU-hour",
        ("customers[].price",),
        _per_customer(lambda customer: customer.price),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_END,
        "month (-1: a term from delivery)",
        ("customers[].end_month",),
        _per_customer(lambda customer: -1.0 if customer.end_month is None else customer.end_month),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_TERM,
        "months",
        ("customers[].term_months", "customers[].end_month"),
        _per_customer(lambda customer: customer.term_months or max(customer.end_month or 1, 1)),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_TAKE_OR_PAY,
        "share",
        ("customers[].take_or_pay",),
        _per_customer(lambda customer: customer.take_or_pay),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_HAZARD,
        "per month",
        ("customers[].annual_default_probability", "customers[].glut_annual_default_probability"),
        _per_customer_by_regime(
            lambda customer: customer.annual_default_probability,
            lambda customer: customer.glut_annual_default_probability,
            monthly_hazard,
        ),
        2 * L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_RENEWAL,
        "probability",
        ("customers[].renewal_probability", "customers[].glut_renewal_probability"),
        _per_customer_by_regime(
            lambda customer: customer.renewal_probability, lambda customer: customer.glut_renewal_probability
        ),
        2 * L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_RENEWAL_DISCOUNT,
        "share",
        ("customers[].renewal_discount",),
        _per_customer(lambda customer: customer.renewal_discount),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_DELAY_LIMIT,
        "months",
        ("customers[].delay_limit_months",),
        _per_customer(lambda customer: customer.delay_limit_months),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_TERMINATES,
        "1 walks away / 0",
        ("customers[].terminates_on_delay",),
        _per_customer(lambda customer: float(customer.terminates_on_delay)),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_DELAY_PENALTY,
        "share of a month's value",
        ("customers[].delay_penalty",),
        _per_customer(lambda customer: customer.delay_penalty),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.CUSTOMER_DEFAULT_MONTH,
        "month (0 none)",
        ("overlay.customer_default.customer", "overlay.customer_default.month", "customers[].name"),
        lambda c: _forced_defaults(c),
        L.MAX_CUSTOMERS,
    ),
    # --- debt ---
    Slot(L.TRANCHE_COUNT, "tranches", ("debt",), lambda c: len(c.debt)),
    Slot(L.RATE_FLOOR, "annual", ("market.rates.floor",), lambda c: c.market.rates.floor),
    Slot(L.TRANCHE_PRINCIPAL, "$", ("debt[].principal",), _per_tranche(lambda t: t.principal), L.MAX_TRANCHES),
    Slot(
        L.TRANCHE_FLOATING,
        "1 floating / 0 fixed",
        ("debt[].rate_type",),
        _per_tranche(lambda t: float(t.rate_type == _FLOATING)),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_RATE,
        "annual",
        ("debt[].rate", "debt[].spread", "debt[].rate_type"),
        _per_tranche(lambda t: t.spread if t.rate_type == _FLOATING else t.rate),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_AMORTIZATION,
        "BULLET | LINEAR | ANNUITY",
        ("debt[].amortization",),
        _per_tranche(lambda t: _AMORTIZATION_CODES[t.amortization]),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_MATURITY,
        "month",
        ("debt[].maturity_month",),
        _per_tranche(lambda t: t.maturity_month),
        L.MAX_TRANCHES,
    ),
    Slot(L.TRANCHE_COMMITMENT, "$", ("debt[].commitment",), _per_tranche(lambda t: t.commitment), L.MAX_TRANCHES),
    Slot(
        L.TRANCHE_DRAW_END,
        "month",
        ("debt[].draw_end_month",),
        _per_tranche(lambda t: t.draw_end_month),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_ADVANCE_RATE,
        "share",
        ("debt[].advance_rate",),
        _per_tranche(lambda t: t.advance_rate),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_UNDRAWN_FEE,
        "annual",
        ("debt[].undrawn_fee",),
        _per_tranche(lambda t: t.undrawn_fee),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_FUNDS,
        "bit mask of cohorts",
        ("debt[].funds",),
        lambda c: [_funded_cohorts(c, t) for t in c.debt] + [0.0] * (L.MAX_TRANCHES - len(c.debt)),
        L.MAX_TRANCHES,
    ),
    # --- covenants and refinancing ---
    Slot(L.LTV_MAX, "ratio (0 off)", ("covenants.ltv_max",), lambda c: c.covenants.ltv_max),
    Slot(L.DSCR_MIN, "ratio (0 off)", ("covenants.dscr_min",), lambda c: c.covenants.dscr_min),
    Slot(L.TEST_EVERY, "months", ("covenants.test_every_months",), lambda c: c.covenants.test_every_months),
    Slot(L.CURE_TESTS, "tests", ("covenants.cure_tests",), lambda c: c.covenants.cure_tests),
    Slot(L.REFINANCING_ENABLED, "1 on / 0 off", ("refinancing.enabled",), lambda c: float(c.refinancing.enabled)),
    Slot(L.REFINANCING_MAX_LTV, "ratio", ("refinancing.max_ltv",), lambda c: c.refinancing.max_ltv),
    Slot(
        L.REFINANCING_OPEN,
        "1 open / 0 closed",
        ("refinancing.open_in_glut",),
        lambda c: [1.0, float(c.refinancing.open_in_glut)],
        2,
    ),
    Slot(
        L.REFINANCING_SPREAD,
        "annual",
        ("refinancing.spread", "refinancing.glut_spread"),
        lambda c: [c.refinancing.spread, c.refinancing.glut_spread],
        2,
    ),
    Slot(L.REFINANCING_TERM, "months", ("refinancing.term_months",), lambda c: c.refinancing.term_months),
    Slot(
        L.REFINANCING_PARTIAL,
        "1 partial / 0 all or nothing",
        ("refinancing.partial",),
        lambda c: float(c.refinancing.partial),
    ),
    Slot(
        L.REFINANCING_LEVERAGE_SPREAD,
        "annual per unit of LTV",
        ("refinancing.leverage_spread",),
        lambda c: c.refinancing.leverage_spread,
    ),
    # --- capital structure ---
    Slot(L.POOL_COUNT, "pools", ("pools",), lambda c: len(c.pools)),
    Slot(
        L.POOL_COHORTS,
        "bit mask of cohorts",
        ("pools[].cohorts",),
        _per_pool(lambda pool, c: _pooled_cohorts(c, pool)),
        L.MAX_POOLS,
    ),
    Slot(L.POOL_SHARE, "share", ("pools[].share",), _per_pool(lambda pool, c: pool.share), L.MAX_POOLS),
    Slot(
        L.POOL_RESERVE_MONTHS,
        "months of service",
        ("pools[].reserve_months",),
        _per_pool(lambda pool, c: pool.reserve_months),
        L.MAX_POOLS,
    ),
    Slot(
        L.POOL_RING_FENCED,
        "1 ring-fenced / 0",
        ("pools[].ring_fenced",),
        _per_pool(lambda pool, c: float(pool.ring_fenced)),
        L.MAX_POOLS,
    ),
    Slot(
        L.POOL_CROSS_DEFAULT,
        "1 cross-default / 0",
        ("pools[].cross_default",),
        _per_pool(lambda pool, c: float(pool.cross_default)),
        L.MAX_POOLS,
    ),
    Slot(
        L.TRANCHE_POOL,
        "pool index (-1 unsecured)",
        ("debt[].pool",),
        lambda c: (
            [-1.0 if t.pool is None else float(c.pool_index(t.pool)) for t in c.debt]
            + [-1.0] * (L.MAX_TRANCHES - len(c.debt))
        ),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_RANK, "rank (1 senior)", ("debt[].rank",), _per_tranche(lambda t: t.rank, padding=1.0), L.MAX_TRANCHES
    ),
    Slot(L.TRANCHE_SWEEP, "share", ("debt[].cash_sweep",), _per_tranche(lambda t: t.cash_sweep), L.MAX_TRANCHES),
    Slot(L.TRANCHE_SWEEP_DSCR, "ratio", ("debt[].sweep_dscr",), _per_tranche(lambda t: t.sweep_dscr), L.MAX_TRANCHES),
    Slot(
        L.TRANCHE_BORROWING_BASE,
        "ratio (0 off)",
        ("debt[].borrowing_base",),
        _per_tranche(lambda t: t.borrowing_base),
        L.MAX_TRANCHES,
    ),
    Slot(L.TRANCHE_VENDOR, "1 vendor / 0", ("debt[].vendor",), _per_tranche(lambda t: float(t.vendor)), L.MAX_TRANCHES),
    # --- market access and support ---
    Slot(L.EQUITY_ENABLED, "1 on / 0 off", ("equity.enabled",), lambda c: float(c.equity.enabled)),
    Slot(
        L.EQUITY_OPEN,
        "1 open / 0 closed",
        ("equity.open_in_glut",),
        lambda c: [1.0, float(c.equity.open_in_glut)],
        2,
    ),
    Slot(
        L.EQUITY_MAX_RAISE,
        "share of book equity a year",
        ("equity.max_raise_per_year",),
        lambda c: c.equity.max_raise_per_year,
    ),
    Slot(L.EQUITY_COST, "share", ("equity.cost",), lambda c: c.equity.cost),
    Slot(L.BACKSTOP_CAP, "$", ("backstop.cap",), lambda c: c.backstop.cap),
    Slot(L.BACKSTOP_PRICE, "$/GPU-hour", ("backstop.price",), lambda c: c.backstop.price),
    Slot(L.BACKSTOP_START, "month", ("backstop.start_month",), lambda c: c.backstop.start_month),
    Slot(L.BACKSTOP_END, "month", ("backstop.end_month",), lambda c: c.backstop.end_month),
    Slot(
        L.BACKSTOP_HAZARD,
        "per month",
        ("backstop.annual_default_probability", "backstop.glut_annual_default_probability", "backstop.cap"),
        lambda c: (
            _hazards(c.backstop.annual_default_probability, c.backstop.glut_annual_default_probability)
            if c.backstop.cap > 0
            else [0.0, 0.0]
        ),
        2,
    ),
    Slot(
        L.VENDOR_HAZARD,
        "per month",
        ("vendor.annual_default_probability", "vendor.glut_annual_default_probability", "debt[].vendor"),
        lambda c: (
            _hazards(c.vendor.annual_default_probability, c.vendor.glut_annual_default_probability)
            if any(t.vendor for t in c.debt)
            else [0.0, 0.0]
        ),
        2,
    ),
)


# Slots a portfolio sets for each firm (its place in [[firms]]) rather than any setting of the firm.
PORTFOLIO_SLOTS = (L.FIRM_STREAM, L.FIRE_SALE_IMPACT, L.FIRE_SALE_RETENTION)


def portfolio_matrix(portfolio):
    """float64 matrix (firm, parameter) of a :class:`PortfolioConfig`, in the order of its [[firms]].

    Each row is the firm's own vector with FIRM_STREAM its place (it draws its
    own random blocks) and the market's slots (``layout.MARKET_PARAMETERS``)
    those of the first firm: every firm steps in one market. A row is what the
    firm's single-firm run in that market simulates.
    """
    rows = np.stack([parameter_vector(config) for config in portfolio.firm_configs])
    start, end = L.MARKET_PARAMETERS
    rows[:, start:end] = rows[0, start:end]
    rows[:, L.FIRM_STREAM] = np.arange(len(rows))
    rows[:, L.FIRE_SALE_IMPACT] = portfolio.fire_sales.impact_per_gpu
    rows[:, L.FIRE_SALE_RETENTION] = portfolio.fire_sales.retention
    return rows


def parameter_vector(config, slots=SLOTS):
    """float64 vector of length ``layout.PARAMETER_COUNT`` for one scenario, every slot filled by its declaration."""
    vector = np.full(L.PARAMETER_COUNT, np.nan)
    for slot in slots:
        vector[slot.index : slot.index + slot.size] = slot.value(config)
    unfilled = np.flatnonzero(np.isnan(vector))
    if unfilled.size:
        names = ", ".join(L.PARAMETER_NAMES[index] for index in unfilled[:5])
        raise ParameterError(f"parameter slots left unfilled (no declaration in params.SLOTS): {names}")
    return vector

"""From a validated configuration to the flat parameter vector the kernels read.

Everything that does not change along a path is folded here once (drift
corrections, exact OU and Vasicek transition constants, monthly hazards,
fleet-wide dollar amounts), so the kernels do as little as possible per step.
"""

import math

import numpy as np

from .kernels import layout as L

MONTH = 1.0 / L.MONTHS_PER_YEAR  # dt in years

_AMORTIZATION_CODES = {"bullet": L.BULLET, "linear": L.LINEAR, "annuity": L.ANNUITY}


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
    return sum(tranche.principal for tranche in config.debt)


def parameter_vector(config):
    """float64 vector of length ``layout.PARAMETER_COUNT`` for one scenario."""
    market, firm = config.market, config.firm
    p = np.zeros(L.PARAMETER_COUNT)
    p[L.BASE_CASE] = 1.0 if config.simulation.base_case else 0.0

    # Regimes: switched off, both regimes carry the base dynamics and never switch.
    regime = market.regime
    for index, name in enumerate(("shortage", "glut")):
        dynamics = getattr(regime, name) if regime.enabled else None
        drift = _override(dynamics, "drift", market.price.drift)
        volatility = _override(dynamics, "volatility", market.price.volatility)
        utilization = _override(dynamics, "utilization", market.utilization.mean)
        p[L.LOG_DRIFT + index] = (drift - 0.5 * volatility**2) * MONTH
        p[L.LOG_VOLATILITY + index] = volatility * math.sqrt(MONTH)
        p[L.UTILIZATION_LOGIT_MEAN + index] = logit(utilization)
    if regime.enabled:
        p[L.REGIME_INITIAL] = 0 if regime.initial == "shortage" else 1
        p[L.SWITCH_PROBABILITY] = regime.shortage_to_glut
        p[L.SWITCH_PROBABILITY + 1] = regime.glut_to_shortage

    price = market.price
    p[L.LOG_PRICE_INITIAL] = math.log(price.initial)
    p[L.JUMP_PROBABILITY] = price.jump_intensity * MONTH
    p[L.LOG_JUMP] = math.log1p(-price.jump_size)
    # The planned price path: the initial regime's log drift and the expected log cut of launches.
    p[L.REFERENCE_LOG_DRIFT] = p[L.LOG_DRIFT + int(p[L.REGIME_INITIAL])] + p[L.JUMP_PROBABILITY] * p[L.LOG_JUMP]
    floor = price.floor_multiple * cash_cost_per_gpu_hour(firm)
    if floor > 0:
        p[L.FLOOR_ENABLED] = 1.0
        p[L.LOG_PRICE_FLOOR] = math.log(floor)

    utilization = market.utilization
    p[L.UTILIZATION_LOGIT_INITIAL] = logit(utilization.initial)
    if utilization.enabled:
        p[L.UTILIZATION_DECAY], p[L.UTILIZATION_SHOCK] = ou_step(utilization.mean_reversion, utilization.volatility)
    else:
        p[L.UTILIZATION_DECAY] = 1.0

    rates = market.rates
    p[L.RATE_INITIAL] = rates.initial
    p[L.RATE_MEAN] = rates.mean
    if rates.enabled:
        p[L.RATE_DECAY], p[L.RATE_SHOCK] = ou_step(rates.mean_reversion, rates.volatility)
    else:
        p[L.RATE_DECAY] = 1.0

    factor = correlation_factor(market.correlation.matrix())
    p[L.CHOLESKY : L.CHOLESKY + 6] = factor[np.tril_indices(3)]

    p[L.FLEET_HOURS] = firm.gpus * L.HOURS_PER_MONTH
    p[L.POWER_COST_FULL] = firm.gpus * firm.power_kw * firm.pue * L.HOURS_PER_MONTH * firm.electricity_price
    p[L.IDLE_POWER_FRACTION] = firm.idle_power_fraction
    p[L.FLEET_OPEX] = firm.gpus * firm.opex_per_gpu_month
    p[L.FIXED_OPEX] = firm.fixed_opex_month
    p[L.CASH_INITIAL] = firm.cash
    p[L.AGE_INITIAL] = firm.gpu_age_months
    p[L.USEFUL_LIFE] = firm.useful_life_months

    collateral = config.collateral
    p[L.FLEET_COST] = firm.gpus * firm.gpu_cost
    p[L.PRICE_ELASTICITY] = collateral.price_elasticity
    p[L.LOG_AGE_DECAY] = math.log1p(-collateral.age_decay) / L.MONTHS_PER_YEAR
    p[L.FIRE_SALE_RECOVERY] = 1.0 - collateral.fire_sale_haircut

    p[L.CUSTOMER_COUNT] = len(config.customers)
    for i, customer in enumerate(config.customers):
        p[L.CUSTOMER_SHARE + i] = customer.share
        p[L.CUSTOMER_PRICE + i] = customer.price
        p[L.CUSTOMER_END + i] = customer.end_month
        p[L.CUSTOMER_HAZARD + i] = monthly_hazard(customer.annual_default_probability)

    p[L.TRANCHE_COUNT] = len(config.debt)
    p[L.RATE_FLOOR] = rates.floor
    for j, tranche in enumerate(config.debt):
        floating = tranche.rate_type == "floating"
        p[L.TRANCHE_PRINCIPAL + j] = tranche.principal
        p[L.TRANCHE_FLOATING + j] = 1.0 if floating else 0.0
        p[L.TRANCHE_RATE + j] = tranche.spread if floating else tranche.rate
        p[L.TRANCHE_AMORTIZATION + j] = _AMORTIZATION_CODES[tranche.amortization]
        p[L.TRANCHE_MATURITY + j] = tranche.maturity_month

    covenants = config.covenants
    p[L.LTV_MAX] = covenants.ltv_max
    p[L.DSCR_MIN] = covenants.dscr_min
    p[L.TEST_EVERY] = covenants.test_every_months
    p[L.CURE_TESTS] = covenants.cure_tests

    refinancing = config.refinancing
    p[L.REFINANCING_ENABLED] = 1.0 if refinancing.enabled else 0.0
    p[L.REFINANCING_MAX_LTV] = refinancing.max_ltv
    p[L.REFINANCING_OPEN] = 1.0
    p[L.REFINANCING_OPEN + 1] = 1.0 if refinancing.open_in_glut else 0.0
    p[L.REFINANCING_SPREAD] = refinancing.spread
    p[L.REFINANCING_SPREAD + 1] = refinancing.glut_spread
    p[L.REFINANCING_TERM] = refinancing.term_months
    return p


def _override(dynamics, field, default):
    value = getattr(dynamics, field) if dynamics is not None else None
    return default if value is None else value

"""Collateral is valued against the planned price path: the residual-value curve alone when nothing surprises."""

import math

import numba
import numpy as np
import pytest

from conftest import HOST_BACKENDS
from gpu_stress.backends.launch import Launch
from gpu_stress.blocks.fleet import cohorts
from gpu_stress.config.load import firm_preset_names
from gpu_stress.kernels import layout as L
from gpu_stress.kernels.firm import fleet_value, init_firm
from gpu_stress.kernels.layout import STATE_SIZE
from gpu_stress.kernels.market import initial_market, market_step, reference_step
from gpu_stress.params import parameter_vector
from helpers import preset_config

NO_SURPRISES = ("market.price.volatility=0.0", "market.price.jump_intensity=0.0", "market.regime.enabled=false")


@numba.njit
def collateral_by_month(params, horizon, normals, dtype):
    """V at the end of each month of one path, stepped by the kernels' own market and planned-price steps."""
    regime, log_price, rate, launches = initial_market(params)
    planned = log_price
    state = np.empty(STATE_SIZE, dtype)
    init_firm(params, state, dtype)  # the fleet's delivery months
    values = np.empty(horizon)
    for month in range(1, horizon + 1):
        e0, e1, _ = normals[month - 1]
        regime, log_price, rate, launches = market_step(
            params, month, regime, log_price, rate, launches, e0, e1, dtype(0.5), dtype(0.5), dtype
        )
        planned = reference_step(params, month, planned, dtype)
        values[month - 1] = fleet_value(params, state, month, log_price - planned, dtype)
    return values


@pytest.mark.parametrize("floor", [0.0, 3.0], ids=["no floor", "floor binding"])
@pytest.mark.parametrize("preset", firm_preset_names())
def test_with_no_surprise_value_is_cost_times_residual_at_every_anniversary(preset, floor):
    config = preset_config(
        preset, *NO_SURPRISES, f"market.price.floor_multiple={floor}", "simulation.horizon_months=120"
    )
    params = parameter_vector(config)
    horizon = config.simulation.horizon_months
    normals = np.random.default_rng(3).standard_normal((horizon, 3))  # shocks that must not matter
    values = collateral_by_month(params, horizon, normals, np.float64)
    for month in range(12, horizon + 1, 12):
        expected, residual_curve = 0.0, 0.0
        for index, cohort in enumerate(cohorts(config)):
            age = month - cohort.planned_delivery - cohort.delay_months  # no random slip in this market alone
            if 0 <= age <= cohort.useful_life_months:
                delivered = min(age + 1, cohort.delivery_months) / cohort.delivery_months  # monthly tranches
                expected += cohort.cost * delivered * (1 - cohort.age_decay) ** (age / 12)
                log_decay = params[L.COHORT_LOG_DECAY + index]
                residual_curve += params[L.COHORT_COST + index] * delivered * math.exp(log_decay * age)
        assert values[month - 1] == pytest.approx(expected, rel=1e-12, abs=0.0), month
        # and exactly the residual curve the kernel evaluates: the price factor is exactly 1
        assert values[month - 1] == residual_curve


def test_a_price_surprise_moves_value_by_its_elasticity():
    config = preset_config("coreweave", "market.regime.enabled=false", "market.price.jump_intensity=0.0")
    params = parameter_vector(config)
    normals = np.zeros((24, 3))
    normals[:, 0] = 1.0  # one standard deviation up every month
    surprised = collateral_by_month(params, 24, normals, np.float64)
    planned = collateral_by_month(params, 24, np.zeros((24, 3)), np.float64)
    sigma = config.market.price.volatility
    surprise = 24 * sigma * math.sqrt(1 / 12)  # 24 monthly shocks of +sigma sqrt(dt) each
    assert surprised[-1] / planned[-1] == pytest.approx(math.exp(config.collateral.price_elasticity * surprise))


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_with_no_surprise_every_cohort_is_worth_its_cost_times_residual(backend):
    """The central case (the market on its planned path: regimes, launches) values each cohort on the curve."""
    from gpu_stress.backends import get_backend
    from helpers import FULL_MODEL, config_of, table_with

    table = table_with(FULL_MODEL, {"simulation": {"central_case": True}})
    table = table_with(table, {"firm": {"cash": 1e10}, "covenants": {"ltv_max": 0.0, "dscr_min": 0.0}})  # lives on
    config = config_of(table)
    _, _, statement = get_backend(backend).trace(
        Launch(parameter_vector(config), 60, 1, 0, 0, 1, statement_path=0, dtype=np.float64)
    )
    fleet = cohorts(config)
    assert len(fleet) == 3
    retired = set()
    for month in range(12, 61, 12):
        expected = 0.0
        for cohort in fleet:
            age = month - cohort.planned_delivery - cohort.delay_months
            if 0 <= age <= cohort.useful_life_months:
                expected += cohort.gpus * cohort.gpu_cost * (1 - cohort.age_decay) ** (age / 12)
            else:
                retired.add(cohort.gpus)
        assert statement[month - 1, L.STATEMENT_FLEET_VALUE] == pytest.approx(expected, rel=1e-12), month
    assert retired, "a cohort retires on its own within the horizon"

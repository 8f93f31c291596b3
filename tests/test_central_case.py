"""The central case: one path with no shock and no random event, the market on its planned path.

The planned path is the expected ln price: each month the regimes' expected log drift (the two-state
chain's expectation from month 0's regime) plus the launches' expected log cut. The central case's
price is that path to the last bit, so its collateral is the residual-value curve; its regime each
month is the more probable one. The no-shock case (``simulation.base_case``) stays as it was.
"""

import math

import numpy as np
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from conftest import HOST_BACKENDS
from gpu_stress.blocks.regimes import glut_probability
from gpu_stress.cli import main
from gpu_stress.config.load import ConfigError, pin_horizon, preset_names, read_preset
from gpu_stress.kernels import layout as L
from helpers import FULL_MODEL, MARKET_ONLY, assert_same_paths, config_of, simulate, statement_of, table_with

CENTRAL = table_with(FULL_MODEL, {"simulation": {"central_case": True, "paths": 1}})
SWITCHING_MARKET = {
    "price": {"initial": 2.0, "jump_intensity": 1.5, "jump_size": 0.2, "floor_multiple": 0.0},
    "regime": {
        "enabled": True,
        "shortage_to_glut": 0.06,
        "glut_to_shortage": 0.04,
        "shortage": {"drift": 0.02, "volatility": 0.25},
        "glut": {"drift": -0.4, "volatility": 0.45},
    },
}


def planned_log_prices(config, months):
    """ln P on the planned path, by hand: ln P(0) + the sum of each month's expected log drift and launch cut."""
    price, regime = config.market.price, config.market.regime

    def log_drift(name):
        dynamics = getattr(regime, name)
        return (dynamics.drift - 0.5 * dynamics.volatility**2) / 12

    launch_cut = price.jump_intensity / 12 * math.log(1 - price.jump_size)
    steps = [
        (1 - glut_probability(config, m)) * log_drift("shortage") + glut_probability(config, m) * log_drift("glut")
        for m in range(1, months + 1)
    ]
    return math.log(price.initial) + np.cumsum(steps) + launch_cut * np.arange(1, months + 1)


def test_the_chains_expectation_by_hand():
    config = config_of(table_with(MARKET_ONLY, {"market": SWITCHING_MARKET}))
    p, q = 0.06, 0.04
    probability = 0.0
    for month in range(1, 61):
        probability = probability * (1 - q) + (1 - probability) * p  # one step of the chain
        assert glut_probability(config, month) == pytest.approx(probability, rel=1e-12)


def test_monte_carlo_mean_of_ln_price_is_the_planned_path_within_4_standard_errors():
    table = table_with(MARKET_ONLY, {"market": SWITCHING_MARKET, "simulation": {"paths": 20_000}})
    config = config_of(table)
    simulated = simulate(config, "cpu", tracked=config.simulation.paths)
    log_prices = np.log(simulated["tracks"][:, :, L.TRACK_PRICE])
    planned = planned_log_prices(config, 60)
    for month in (6, 24, 60):
        sample = log_prices[:, month - 1]
        standard_error = sample.std(ddof=1) / math.sqrt(sample.size)
        assert abs(sample.mean() - planned[month - 1]) < 4 * standard_error, month


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_central_case_price_is_the_planned_path_and_its_regime_the_more_probable(backend):
    config = config_of(CENTRAL)
    statement = statement_of(CENTRAL, backend)
    lived = ~np.isnan(statement[:, L.STATEMENT_PRICE])
    assert lived.sum() > 24
    np.testing.assert_array_equal(statement[lived, L.STATEMENT_PRICE], statement[lived, L.STATEMENT_PLANNED_PRICE])
    unfloored = table_with(CENTRAL, {"market": {"price": {"floor_multiple": 0.0}}})
    by_hand = np.exp(planned_log_prices(config_of(unfloored), 60))
    prices = statement_of(unfloored, backend)[:, L.STATEMENT_PRICE]
    np.testing.assert_allclose(prices[lived], by_hand[lived], rtol=1e-12)
    months = np.flatnonzero(lived) + 1
    expected = [float(glut_probability(config, month) > 0.5) for month in months]
    np.testing.assert_array_equal(statement[lived, L.STATEMENT_REGIME], expected)
    assert set(expected) == {0.0, 1.0}  # the market passes into glut on the way


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_central_case_collateral_is_the_residual_value_curve_every_month(backend):
    # An installed fleet, no debt, cash enough to live: its value is gpus x cost x (1 - age_decay)^(age / 12).
    table = table_with(
        MARKET_ONLY,
        {
            "market": SWITCHING_MARKET,
            "firm": {"gpus": 1000, "gpu_cost": 30_000.0, "gpu_age_months": 6, "useful_life_months": 120},
            "collateral": {"age_decay": 0.25},
            "simulation": {"central_case": True, "paths": 1},
        },
    )
    statement = statement_of(table, backend)
    months = np.arange(1, 61)
    curve = 1000 * 30_000.0 * 0.75 ** ((6 + months) / 12)
    np.testing.assert_allclose(statement[:, L.STATEMENT_FLEET_VALUE], curve, rtol=1e-12)
    shocked = statement_of(table_with(table, {"simulation": {"central_case": False, "paths": 2}}), backend, path=1)
    assert not np.allclose(shocked[:, L.STATEMENT_FLEET_VALUE], curve, rtol=1e-3)  # a Monte Carlo path is not


@pytest.mark.parametrize("preset", [name for name in preset_names() if name != "neoclouds"])
def test_every_preset_central_case_collateral_moves_with_age_alone(preset):
    table = table_with(read_preset(preset), {"simulation": {"central_case": True, "paths": 1}})
    statement = statement_of(table)
    lived = ~np.isnan(statement[:, L.STATEMENT_PRICE])
    np.testing.assert_array_equal(statement[lived, L.STATEMENT_PRICE], statement[lived, L.STATEMENT_PLANNED_PRICE])


def test_central_case_is_the_same_on_cpu_and_numpy_and_ignores_the_seed():
    config = config_of(CENTRAL)
    cpu = simulate(config, "cpu")
    assert_same_paths(cpu, simulate(config, "numpy"))
    reseeded = config_of(table_with(CENTRAL, {"simulation": {"seed": 12345}}))
    assert_same_paths(cpu, simulate(reseeded, "cpu"), rtol=0.0)


def test_planned_path_initial_keeps_the_initial_regimes_drift():
    table = table_with(CENTRAL, {"market": {"regime": {"planned_path": "initial"}, "price": {"floor_multiple": 0.0}}})
    config = config_of(table)
    statement = statement_of(table)
    shortage = config.market.regime.shortage
    step = (shortage.drift - 0.5 * shortage.volatility**2) / 12 + 0.8 / 12 * math.log(1 - 0.2)
    expected = 2.5 * np.exp(step * np.arange(1, 61))
    lived = ~np.isnan(statement[:, L.STATEMENT_PRICE])
    assert lived.sum() > 24
    np.testing.assert_allclose(statement[lived, L.STATEMENT_PLANNED_PRICE], expected[lived], rtol=1e-12)
    assert set(statement[lived, L.STATEMENT_REGIME]) == {0.0}  # the plan never leaves the shortage


def test_both_deterministic_cases_at_once_is_an_error():
    with pytest.raises(ConfigError, match="central_case"):
        config_of(table_with(FULL_MODEL, {"simulation": {"central_case": True, "base_case": True}}))


def test_every_run_reports_both_cases_and_trace_reproduces_each(tmp_path):
    output = tmp_path / "out"
    arguments = ["run", "--preset", "lambda", "--paths", "300", "--sweep", "firm.cash=1e7,1e9", "-o", str(output)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0 and "no shock" in result.stdout and "central case" in result.stdout
    scenarios = ds.dataset(output / "scenarios.arrow", format="ipc").to_table().to_pylist()
    alone = tmp_path / "central"
    arguments = ["run", "--preset", "lambda", "--central-case", "--set", "firm.cash=1e9", "-o", str(alone)]
    assert CliRunner().invoke(main, arguments).exit_code == 0
    row = ds.dataset(alone / "paths", format="ipc").to_table().to_pylist()
    assert len(row) == 1
    assert scenarios[1]["central_case_final_cash"] == row[0]["final_cash"]
    assert scenarios[1]["central_case_default_month"] == row[0]["default_month"]
    assert scenarios[1]["central_case_final_cash"] != scenarios[1]["base_case_final_cash"]
    for option, name in (("--central-case", "central case"), ("--no-shock", "no-shock case")):
        traced = CliRunner().invoke(main, ["trace", str(output), "--scenario", "1", option])
        assert traced.exit_code == 0, traced.output
        assert f"matches the stored {name}: yes, bit for bit" in traced.output
    both = CliRunner().invoke(main, ["trace", str(output), "--central-case", "--no-shock"])
    assert both.exit_code == 2 and "--central-case" in both.output


def test_central_case_reaches_the_horizon_of_to_last_maturity():
    table = table_with(read_preset("coreweave"), {"simulation": {"central_case": True, "paths": 1}})
    config = config_of(pin_horizon(table))
    assert config.simulation.horizon_months == 68
    assert simulate(config, "cpu")["default_month"].shape == (1,)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_an_even_chain_from_a_glut_stays_in_glut_whatever_the_rounding(backend):
    # p = q: P(glut) = 1/2 + (1/2) 0.8^m stays above 1/2, though the sum rounds to 1/2 by month 165.
    even = {"enabled": True, "initial": "glut", "shortage_to_glut": 0.1, "glut_to_shortage": 0.1}
    table = table_with(MARKET_ONLY, {"market": {"regime": even}, "simulation": {"central_case": True, "paths": 1}})
    table = table_with(table, {"simulation": {"horizon_months": 200}, "firm": {"cash": 1e12}})
    statement = statement_of(table, backend)
    assert set(statement[:, L.STATEMENT_REGIME]) == {1.0}

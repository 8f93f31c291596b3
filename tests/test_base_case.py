"""The no-shock case (simulation.base_case): one path with every shock zero and no random event."""

import numpy as np
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from conftest import HOST_BACKENDS
from gpu_stress.backends import get_backend
from gpu_stress.backends.launch import Launch
from gpu_stress.cli import main
from gpu_stress.kernels import layout as L
from gpu_stress.params import parameter_vector
from helpers import FULL_MODEL, assert_same_paths, config_of, simulate, table_with

PLAN = table_with(FULL_MODEL, {"simulation": {"base_case": True, "paths": 1}})


def statement_of(table, backend="cpu"):
    config = config_of(table)
    _, _, statement = get_backend(backend).trace(
        Launch(
            parameter_vector(config), config.simulation.horizon_months, 11, 0, 0, 1, statement_path=0, dtype=np.float64
        )
    )
    return statement


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_no_regime_switch_no_launch_no_shock_the_price_is_the_planned_path(backend):
    # The planned path with the initial regime's drift: the one the no-shock market follows, having no switch.
    market = {"price": {"jump_intensity": 0.0}, "regime": {"planned_path": "initial"}}
    statement = statement_of(table_with(PLAN, {"market": market}), backend)
    lived = ~np.isnan(statement[:, L.STATEMENT_PRICE])
    assert lived.sum() > 12
    np.testing.assert_array_equal(statement[lived, L.STATEMENT_PRICE], statement[lived, L.STATEMENT_PLANNED_PRICE])
    assert set(statement[lived, L.STATEMENT_REGIME]) == {0.0}  # the shortage regime persists


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_no_customer_defaults_whatever_their_probability(backend):
    # Fleet-wide take-or-pay contracts that do not renew, each with a default probability.
    customers = [
        {"name": name, "share": share, "price": price, "end_month": end, "annual_default_probability": pd}
        for name, share, price, end, pd in [
            ("a", 0.3, 2.6, 36, 0.05),
            ("b", 0.2, 2.4, 48, 0.1),
            ("c", 0.1, 2.8, 24, 0.02),
            ("d", 0.1, 2.2, 60, 0.2),
        ]
    ]
    table = table_with(PLAN, {"firm": {"cash": 5e9}})
    table["customers"] = customers
    config = config_of(table)
    statement = statement_of(table, backend)
    lived = int((~np.isnan(statement[:, L.STATEMENT_PRICE])).sum())
    assert lived > 48  # past the end of every contract
    for month in range(1, lived + 1):
        hours = statement[month - 1, L.STATEMENT_GPUS] * 730  # the GPUs in service
        expected = sum(c.share * c.price * hours for c in config.customers if month <= c.end_month)
        assert statement[month - 1, L.STATEMENT_REVENUE_CONTRACTED] == pytest.approx(expected, rel=1e-12), month


def test_base_case_is_the_same_on_cpu_and_numpy_and_ignores_the_seed():
    config = config_of(PLAN)
    cpu = simulate(config, "cpu")
    assert_same_paths(cpu, simulate(config, "numpy"))
    reseeded = config_of(table_with(PLAN, {"simulation": {"seed": 12345}}))
    assert_same_paths(cpu, simulate(reseeded, "cpu"), rtol=0.0)


def test_every_run_reports_its_base_case_and_trace_reproduces_it(tmp_path):
    output = tmp_path / "out"
    arguments = ["run", "--preset", "lambda", "--paths", "500", "--sweep", "firm.cash=1e7,1e9", "-o", str(output)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0 and "no shock" in result.stdout
    scenarios = ds.dataset(output / "scenarios.arrow", format="ipc").to_table().to_pylist()
    plan = tmp_path / "plan"
    alone = ["run", "--preset", "lambda", "--base-case", "--set", "firm.cash=1e9", "-o", str(plan)]
    assert CliRunner().invoke(main, alone).exit_code == 0
    row = ds.dataset(plan / "paths", format="ipc").to_table().to_pylist()
    assert len(row) == 1
    assert scenarios[1]["base_case_final_cash"] == row[0]["final_cash"]
    assert scenarios[1]["base_case_default_month"] == row[0]["default_month"]
    traced = CliRunner().invoke(main, ["trace", str(output), "--scenario", "0", "--base-case"])
    assert traced.exit_code == 0 and "matches the stored no-shock case: yes, bit for bit" in traced.output

"""The terminal test: at a horizon before the last maturity, the debt due after it against what would pay it there.

A flat firm (FLAT_FIRM: $2.336M of EBITDA a month, $100M of GPUs that keep their value, $50M of cash)
borrows $200M at 6 % fixed, a bullet due in month 24, and runs 12 months: at the horizon it has
$50M + 12 x ($2.336M - $1M) = $66.032M of cash and owes the $200M the horizon cuts off.
"""

import numpy as np
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from conftest import HOST_BACKENDS
from gpu_stress.cli import main
from gpu_stress.config.load import pin_horizon, preset_names, read_preset
from helpers import FLAT_FIRM, config_of, simulate, table_with

LOAN = {"name": "bullet", "principal": 200e6, "rate": 0.06, "maturity_month": 24, "amortization": "bullet"}
INDEBTED = table_with(FLAT_FIRM, {"debt": [LOAN]})
CASH_AT_HORIZON = 50e6 + 12 * (2.336e6 - 1e6)


def shortfall(table, backend):
    return float(simulate(config_of(table), backend)["terminal_shortfall"][0])


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_without_refinancing_or_equity_the_shortfall_is_the_debt_less_cash(backend):
    assert shortfall(INDEBTED, backend) == pytest.approx(200e6 - CASH_AT_HORIZON, rel=1e-12)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_the_ltv_gate_refinances_up_to_its_headroom(backend):
    # max LTV 0.8 x $100M of collateral - $200M of debt: lenders roll $200M - $120M = $80M of it.
    table = table_with(INDEBTED, {"refinancing": {"enabled": True, "max_ltv": 0.8, "partial": True}})
    assert shortfall(table, backend) == pytest.approx(200e6 - 80e6 - CASH_AT_HORIZON, rel=1e-12)
    whole = table_with(table, {"refinancing": {"partial": False}})  # all or nothing: LTV 2 > 0.8, nothing
    assert shortfall(whole, backend) == pytest.approx(200e6 - CASH_AT_HORIZON, rel=1e-12)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_the_lenders_tests_refinance_what_leverage_allows(backend):
    # 3 x annualised EBITDA ($2.336M x 12) is what an unsecured lender lends.
    refinancing = {"enabled": True, "tests": "lender", "max_debt_to_ebitda": 3.0, "partial": True}
    table = table_with(INDEBTED, {"refinancing": refinancing})
    expected = 200e6 - 3 * 2.336e6 * 12 - CASH_AT_HORIZON
    assert shortfall(table, backend) == pytest.approx(expected, rel=1e-12)
    shut = table_with(table, {"market": {"regime": {"enabled": True, "initial": "glut"}}})  # shut in a glut
    assert shortfall(shut, backend) == pytest.approx(200e6 - CASH_AT_HORIZON, rel=1e-12)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_new_equity_up_to_the_equity_blocks_limit_pays_the_rest(backend):
    # Market value: 10 x $28.032M of EBITDA + cash - debt; 20 % of it raised, 5 % of that lost to costs.
    equity = {"enabled": True, "basis": "market", "ebitda_multiple": 10.0, "max_raise_per_year": 0.2, "cost": 0.05}
    table = table_with(INDEBTED, {"equity": equity})
    market_value = 10 * 2.336e6 * 12 + CASH_AT_HORIZON - 200e6
    expected = 200e6 - CASH_AT_HORIZON - 0.2 * market_value * 0.95
    assert shortfall(table, backend) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_nothing_is_cut_off_at_the_last_maturity(backend):
    table = table_with(INDEBTED, {"simulation": {"horizon_months": 24}})
    assert shortfall(table, backend) == 0.0
    assert shortfall(table_with(INDEBTED, {"debt": [LOAN | {"maturity_month": 12}]}), backend) == 0.0


@pytest.mark.parametrize("preset", [name for name in preset_names() if name != "neoclouds"])
def test_every_preset_has_no_shortfall_to_its_last_maturity_and_some_before(preset):
    table = table_with(read_preset(preset), {"simulation": {"paths": 2000}})
    config = config_of(pin_horizon(table))
    assert np.all(simulate(config, "cpu")["terminal_shortfall"] == 0.0)
    earlier = config_of(table_with(table, {"simulation": {"horizon_months": 36}}))
    assert np.any(simulate(earlier, "cpu")["terminal_shortfall"] > 0.0)


def test_the_scenarios_table_counts_the_terminal_failures_apart_from_pd(tmp_path):
    output = tmp_path / "out"
    arguments = ["run", "--preset", "coreweave", "--paths", "400", "--horizon", "48", "-o", str(output)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0 and "terminal" in result.stdout
    row = ds.dataset(output / "scenarios.arrow", format="ipc").to_table().to_pylist()[0]
    paths = ds.dataset(output / "paths", format="ipc").to_table()
    shortfalls = np.asarray(paths["terminal_shortfall"])
    defaulted = np.asarray(paths["default_month"].is_valid())
    assert row["terminal_failures"] == int((shortfalls > 0).sum()) > 0
    assert not np.any(defaulted & (shortfalls > 0))  # a path that defaulted within the horizon is not tested
    assert row["pd_with_terminal"] == pytest.approx(row["pd"] + row["terminal_failures"] / 400, rel=1e-12)
    assert row["mean_terminal_shortfall"] == pytest.approx(shortfalls.mean(), rel=1e-9)

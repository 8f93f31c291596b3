"""The oracle has the kernels' skeleton: each sub-step, by name, gives what its kernel gives, month by month.

One test body per sub-step runs against both implementations (the compiled kernels through the cpu
backend and the numpy oracle) on the same paths and compares the statement lines that sub-step
writes, so a disagreement names the function to read on each side.
"""

import importlib

import numpy as np
import pytest

from gpu_stress.kernels import layout as L
from helpers import CAPITAL_STRUCTURE, FULL_MODEL, statement_of, table_with

# sub-step (module, function: the same names in kernels/ and backends/oracle/) -> the statement lines it writes
SUB_STEPS = {
    ("market", "market_step"): ["price", "rate", "regime", "launches"],
    ("operations", "utilization_step"): ["utilization"],
    ("fleet", "deliveries"): ["capex", "draws", "undrawn"],
    ("contracts", "contracts"): ["delay_penalties"],
    ("fleet", "fleet_value"): ["fleet_value"],
    ("operations", "operating_cash_flow"): ["revenue_contracted", "revenue_spot", "power", "opex", "ebitda"],
    ("contracts", "fixed_charges"): ["fixed_charges"],
    ("support", "backstop_payment"): ["backstop"],
    ("debt_service", "debt_service"): [f"interest_{j}" for j in range(5)] + ["refinanced"],
    ("capital", "pool_tests"): [f"principal_{j}" for j in range(5)],
    ("capital", "cover_shortfall"): ["reserve_drawn", "equity_raised"],
    ("capital", "manage_cash"): ["prepaid", "reserves", "cash"],
    ("covenants", "trailing_coverage"): ["dscr"],
    ("covenants", "covenant_tests"): ["breaches", "ltv", "debt", "event"],
}
MODELS = {
    "full model": table_with(FULL_MODEL, {"simulation": {"horizon_months": 48}}),
    "capital structure": table_with(CAPITAL_STRUCTURE, {"simulation": {"horizon_months": 48}}),
}
# Paths that default and live, refinance, lose a pool, draw reserves and raise equity (seed 11).
PATHS = (0, 1, 4, 6, 13, 37)
ORACLE_MODULES = {"market_step": "market"}  # where the oracle's name differs: ArrayMarket.step


@pytest.fixture(scope="module")
def statements():
    return {
        (model, backend, path): statement_of(table, backend, path)
        for model, table in MODELS.items()
        for backend in ("cpu", "numpy")
        for path in PATHS
    }


@pytest.mark.parametrize("step", list(SUB_STEPS), ids=[name for _, name in SUB_STEPS])
def test_each_sub_step_has_one_name_in_the_kernels_and_the_oracle(step):
    module, name = step
    assert hasattr(importlib.import_module(f"gpu_stress.kernels.{module}"), name), f"kernels/{module}.py: {name}"
    oracle = importlib.import_module(f"gpu_stress.backends.oracle.{module}")
    if name in ORACLE_MODULES:
        assert hasattr(oracle, "ArrayMarket"), f"backends/oracle/{module}.py: ArrayMarket"
    else:
        assert hasattr(oracle, name), f"backends/oracle/{module}.py: {name}"


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("step", list(SUB_STEPS), ids=[name for _, name in SUB_STEPS])
def test_each_sub_step_agrees_between_kernel_and_oracle_month_by_month(statements, step, model):
    lines = SUB_STEPS[step]
    columns = [L.STATEMENT_NAMES.index(line) for line in lines]
    for path in PATHS:
        kernel, oracle = statements[(model, "cpu", path)], statements[(model, "numpy", path)]
        lived = ~np.isnan(kernel[:, L.STATEMENT_CASH])
        np.testing.assert_array_equal(lived, ~np.isnan(oracle[:, L.STATEMENT_CASH]), err_msg=f"path {path}: months")
        for line, column in zip(lines, columns, strict=True):
            mine, theirs = kernel[lived, column], oracle[lived, column]
            scale = float(np.max(np.abs(theirs), initial=0.0))
            np.testing.assert_allclose(
                mine, theirs, rtol=1e-9, atol=1e-9 * scale, err_msg=f"{step[1]}: {line}, path {path}"
            )


def test_the_paths_compared_reach_every_sub_step(statements):
    """The compared months see deliveries, draws, penalties, refinancing, pools, reserves, raises and breaches."""
    seen = np.concatenate([statement for statement in statements.values()])
    lines = ("capex", "draws", "delay_penalties", "refinanced", "reserve_drawn", "equity_raised", "prepaid", "backstop")
    for line in (*lines, "breaches"):
        assert np.nanmax(np.abs(seen[:, L.STATEMENT_NAMES.index(line)])) > 0, line
    events = set(np.unique(seen[:, L.STATEMENT_NAMES.index("event")][~np.isnan(seen[:, 0])]).astype(int))
    assert {L.NO_DEFAULT, L.POOL_DEFAULT} <= events and len(events) >= 4, events

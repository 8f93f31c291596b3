"""The firm's response to stress (issue 28, item 5 a and b): a planned delivery put off while cash is short and
cancelled after the longest deferral; fixed opex cut after a lag of short month-ends; against hand computations
on cpu and numpy; cpu against the oracle and the CUDA simulator path by path; PD falls when the firm may cut."""

import numpy as np
import pytest

from conftest import HOST_BACKENDS
from gpu_stress.config.load import load_table
from gpu_stress.kernels import layout as L
from helpers import (
    CAPITAL_STRUCTURE,
    FLAT_FIRM,
    FULL_MODEL,
    assert_falls_on_common_random_numbers,
    assert_same_paths,
    config_of,
    per_path,
    simulate,
    statement_of,
    table_with,
)
from helpers import (
    statement_line as line,
)

CENT = 0.005  # $
MONTHLY = 2000 * 730 * 0.8 * 2.0  # FLAT_FIRM's revenue, $2.336M a month
# FLAT_FIRM with a cohort of 1,000 GPUs at $30,000 planned for month 3 and $10M of cash: below a $20M threshold
# the firm puts the delivery off (revenue $2.336M a month: cash passes $20M at the end of month 5).
DEFERRING = table_with(
    FLAT_FIRM,
    {
        "simulation": {"horizon_months": 12},
        "firm": {"cash": 10e6},
        "response": {"defer_capex_below": 20e6, "max_deferral_months": 6},
    },
) | {"cohorts": [{"name": "growth", "gpus": 1000, "gpu_cost": 30_000.0, "delivery_month": 3}]}


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_delivery_waits_while_cash_is_short_and_comes_when_it_is_not(backend):
    statement = statement_of(DEFERRING, backend)
    for month in (3, 4, 5):  # last month's cash: 10 + 2 x 2.336 < 20, ..., 10 + 4 x 2.336 < 20
        assert line(statement, "capex_deferred", month) == pytest.approx(30e6, abs=CENT)
        assert line(statement, "capex", month) == 0.0
    assert line(statement, "cash", 5) == pytest.approx(10e6 + 5 * MONTHLY, abs=CENT)  # $21.7M: above it
    assert line(statement, "capex", 6) == pytest.approx(30e6, abs=CENT)
    assert line(statement, "gpus", 6) == 3000


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_a_delivery_put_off_longer_than_the_firm_may_is_cancelled(backend):
    table = table_with(DEFERRING, {"response": {"max_deferral_months": 2}})
    statement = statement_of(table, backend)
    assert line(statement, "capex_deferred", 4) == pytest.approx(30e6, abs=CENT)
    assert line(statement, "capex_deferred", 5) == 0.0 and line(statement, "capex", 5) == 0.0  # cancelled
    assert line(statement, "gpus", 12) == 2000
    assert line(statement, "cash", 12) == pytest.approx(10e6 + 12 * MONTHLY, abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_fixed_opex_is_cut_after_the_lag_of_short_month_ends(backend):
    # Fixed opex of $3.336M: EBITDA -$1M a month from $10M of cash; below $9.5M from the end of month 1, a third
    # month-end below it (month 3) cuts 40 % ($1.3344M) from month 4.
    cutting = {"firm": {"fixed_opex_month": MONTHLY + 1e6}, "response": {"opex_cut": 0.4, "cut_lag_months": 3}}
    table = table_with(DEFERRING, cutting, {"response": {"defer_capex_below": 0.0, "cut_opex_below": 9.5e6}})
    table.pop("cohorts")
    statement = statement_of(table, backend)
    saved = 0.4 * (MONTHLY + 1e6)
    assert line(statement, "opex_saved", 3) == 0.0
    assert line(statement, "opex_saved", 4) == pytest.approx(saved, abs=CENT)
    assert line(statement, "ebitda", 4) == pytest.approx(-1e6 + saved, abs=CENT)
    assert line(statement, "cash", 4) == pytest.approx(10e6 - 4e6 + saved, abs=CENT)


def responding(model, paths=400):
    response = {"defer_capex_below": 3e7, "max_deferral_months": 3, "opex_cut": 0.3, "cut_lag_months": 2}
    return table_with(model, {"simulation": {"paths": paths}, "response": response | {"cut_opex_below": 3e7}})


@pytest.mark.parametrize("model", [FULL_MODEL, CAPITAL_STRUCTURE], ids=["full", "capital structure"])
def test_cpu_and_the_oracle_agree_path_by_path(model):
    config = config_of(responding(model))
    cpu = simulate(config, "cpu")
    assert_same_paths(cpu, simulate(config, "numpy"))
    assert (cpu["default_month"] > 0).any()


def test_pd_falls_when_the_firm_may_cut_its_fixed_opex_on_common_random_numbers():
    """Lambda with a cut of 0, 25 % and 50 % of its fixed opex after two month-ends below $50M of cash: on the same
    paths PD (credit defaults) must not rise by more than 4 paired SE as the cut deepens, and falls by more than
    4 SE from none to the deepest."""
    defaults = {}
    for cut in (0.0, 0.25, 0.5):
        table = load_table(preset="lambda", overrides=["simulation.paths=8000"])
        table["response"] = {"opex_cut": cut, "cut_lag_months": 2, "cut_opex_below": 5e7}
        causes = simulate(config_of(table), "cpu")["default_cause"]
        defaults[cut] = np.isin(causes, L.CREDIT_CAUSES).astype(float)
    assert_falls_on_common_random_numbers(defaults, [0.0, 0.25, 0.5])


@pytest.mark.slow
def test_the_cuda_kernels_agree_on_the_simulator(tmp_path):
    from test_cuda import SMALL, as_outputs, run_on_simulator

    table = table_with(responding(CAPITAL_STRUCTURE), SMALL)
    simulated = as_outputs(run_on_simulator(tmp_path, table))
    assert_same_paths(simulated, per_path(simulate(config_of(table), "cpu")))

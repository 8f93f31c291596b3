"""The firm's response to stress (issue 28, item 5): selling unpledged GPUs at the fire-sale value below a
liquidity threshold, against hand computations; cpu against the oracle and the CUDA simulator path by path;
PD falls when the firm may sell, on common random numbers."""

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
    simulate,
    statement_of,
    table_with,
)
from helpers import (
    statement_line as line,
)

CENT = 0.005  # $
REVENUE = 2000 * 730 * 0.8 * 2.0
RECOVERY = 1 - 0.5  # the fire-sale haircut below
# FLAT_FIRM losing $1M a month before $0.1M of interest a month, with $5M of cash and a $100M fleet.
SELLING = table_with(
    FLAT_FIRM,
    {
        "simulation": {"horizon_months": 8},
        "firm": {"fixed_opex_month": REVENUE + 1e6, "cash": 5e6},
        "collateral": {"fire_sale_haircut": 0.5},
        "response": {"sell_unpledged": True, "liquidity_threshold": 2e6},
    },
) | {"debt": [{"name": "term", "principal": 20e6, "rate": 0.06, "maturity_month": 120}]}


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_below_the_threshold_the_firm_sells_unpledged_gpus_for_what_restores_it(backend):
    statement = statement_of(SELLING, backend)
    # Months 1 and 2 end above $2M (5 - 2 x 1.1); month 3 would end at $1.7M: it sells $0.3M of GPUs, at
    # half their $100M value: a share f = 0.3 / 50 of the fleet.
    assert line(statement, "asset_sales", 2) == 0.0
    assert line(statement, "asset_sales", 3) == pytest.approx(0.3e6, abs=CENT)
    assert line(statement, "cash", 3) == pytest.approx(2e6, abs=CENT)
    share = 0.3e6 / (RECOVERY * 100e6)
    assert line(statement, "fleet_value", 3) == pytest.approx(100e6 * (1 - share), abs=CENT)
    # What it sold earns nothing from month 4.
    assert line(statement, "gpus", 4) == pytest.approx(2000 * (1 - share), rel=1e-12)
    assert line(statement, "revenue_spot", 4) == pytest.approx(REVENUE * (1 - share), abs=CENT)


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_gpus_a_pool_holds_are_not_sold(backend):
    table = table_with(SELLING, {"response": {"liquidity_threshold": 1e12}})  # more than it could ever raise
    table["pools"] = [{"name": "fleet", "cohorts": ["installed"], "share": 0.6}]
    table["debt"] = [table["debt"][0] | {"pool": "fleet"}]
    statement = statement_of(table, backend)
    # Everything unpledged goes in month 1: 40 % of $100M at half its value; the pool's 60 % stays.
    assert line(statement, "asset_sales", 1) == pytest.approx(RECOVERY * 40e6, abs=CENT)
    assert line(statement, "gpus", 2) == pytest.approx(2000 * 0.6, rel=1e-12)
    assert line(statement, "asset_sales", 2) == 0.0


@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_without_the_response_nothing_is_sold_and_the_firm_defaults_sooner(backend):
    off = table_with(SELLING, {"response": {"sell_unpledged": False}, "simulation": {"horizon_months": 60}})
    on = table_with(SELLING, {"simulation": {"horizon_months": 60}})
    assert np.nansum(statement_of(off, backend)[:, L.STATEMENT_NAMES.index("asset_sales")]) == 0.0
    assert simulate(config_of(off), backend)["default_month"][0] < simulate(config_of(on), backend)["default_month"][0]


@pytest.mark.parametrize("model", [FULL_MODEL, CAPITAL_STRUCTURE], ids=["full", "capital structure"])
def test_cpu_and_the_oracle_agree_path_by_path(model):
    layer = {"simulation": {"paths": 400, "horizon_months": 48, "base_case": False}}
    table = table_with(model, layer, {"response": {"sell_unpledged": True, "liquidity_threshold": 5e7}})
    config = config_of(table)
    cpu = simulate(config, "cpu")
    assert_same_paths(cpu, simulate(config, "numpy"))
    assert (cpu["default_month"] > 0).any()


def test_pd_falls_when_the_firm_may_sell_unpledged_gpus_on_common_random_numbers():
    """CoreWeave, whose general estate holds GPUs no SPV holds, its raises sized on book equity: with the response
    PD falls by more than 4 paired SE. (The crusoe and lambda presets pledge their whole fleets: there is nothing
    unpledged to sell.) With the preset's raises on market value the sale, made before a raise, lowers the EBITDA
    that value is a multiple of, and PD rises instead (by about 1.9 points at 8,000 paths). Over 60 months: to the
    2031 notes' maturity (68) every path the sale saves defaults later, and PD is the same."""
    defaults = {}
    for sells in (False, True):
        settings = ["simulation.paths=8000", "simulation.horizon_months=60", 'equity.basis="book"']
        table = load_table(preset="coreweave", overrides=settings)
        table["response"] = {"sell_unpledged": sells, "liquidity_threshold": 2.5e7}
        defaults[sells] = (simulate(config_of(table), "cpu")["default_month"] > 0).astype(float)
    assert_falls_on_common_random_numbers(defaults, [False, True])

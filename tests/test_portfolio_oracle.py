"""The numpy oracle against the compiled kernels: the firm's price basis, its random stream, and portfolios.

Path by path: float outputs to 1e-9 relative (of the column's scale), default
months and causes exactly. A portfolio is compared firm by firm and on its
market outputs (the lowest resale-value index, the GPUs sold), with and
without price impact (which makes each month clear at the index its own fire
sales imply, re-stepping the month where needed).
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gpu_stress.backends import get_backend
from gpu_stress.backends.launch import Launch
from gpu_stress.kernels import layout as L
from gpu_stress.params import parameter_vector
from helpers import (
    CAPITAL_STRUCTURE,
    FULL_MODEL,
    assert_same_paths,
    config_of,
    preset_config,
    table_with,
    with_fire_sales,
)

SEED = 7
HORIZON = 60
PATHS = 2000
BASIS = ("price_basis.market_loading=1.5", "price_basis.volatility=0.3", "price_basis.mean_reversion=2.0")
PRESETS = ("coreweave", "nebius", "nscale", "lambda", "crusoe")


def named(outputs_float, outputs_int):
    """A firm's outputs (output x path) as a dict of named columns."""
    outputs_float, outputs_int = np.asarray(outputs_float), np.asarray(outputs_int)
    result = {name: outputs_float[index] for index, name in enumerate(L.FLOAT_OUTPUT_NAMES)}
    return result | {name: outputs_int[index] for index, name in enumerate(L.INT_OUTPUT_NAMES)}


def single(backend, params, paths=PATHS, dtype=np.float64):
    outputs_float, outputs_int, _ = get_backend(backend).simulate(
        Launch(params, HORIZON, SEED, 0, 0, paths, 0, dtype=dtype)
    )
    return named(outputs_float, outputs_int)


def portfolio(backend, params, impact, retention=0.9, paths=PATHS, dtype=np.float64):
    """([each firm's named outputs], market outputs) of a portfolio run."""
    outputs_float, outputs_int, market = get_backend(backend).simulate_portfolio(
        Launch(with_fire_sales(params, impact, retention), HORIZON, SEED, 0, 0, paths, dtype=dtype)
    )
    firms = [named(outputs_float[f], outputs_int[f]) for f in range(params.shape[0])]
    return firms, np.asarray(market)


def stacked(rows):
    """A portfolio's parameter matrix: firm f draws from its own stream, every firm in row 0's market."""
    params = np.stack([np.array(row, dtype=np.float64) for row in rows])
    params[:, L.FIRM_STREAM] = np.arange(len(rows))
    params[:, L.LOG_PRICE_INITIAL : L.COHORT_COUNT] = params[0, L.LOG_PRICE_INITIAL : L.COHORT_COUNT]
    return params


def preset_rows(presets, *overrides):
    """Each preset's parameter row, with the obligors of them all merged by name, as a portfolio of them has it
    (an obligor is one list for every firm: its index is the same in every row)."""
    from gpu_stress.config.load import load_table, validate
    from gpu_stress.config.portfolio import PORTFOLIO_WIDE
    from gpu_stress.params import portfolio_matrix

    tables = [load_table(preset=preset, overrides=overrides) for preset in presets]
    overlay = tables[0].get("overlay", {})  # the overrides' overlay, the portfolio's
    firms = [{"name": table["firm"]["name"], "config": table} for table in tables]
    for table in tables:
        for key in PORTFOLIO_WIDE:
            table.pop(key, None)
    portfolio = {"simulation": {"horizon_months": HORIZON}, "overlay": overlay, "firms": firms}
    rows = portfolio_matrix(validate(portfolio))
    return list(rows)


def total_gpus(params):
    return sum(float(row[L.COHORT_GPUS : L.COHORT_GPUS + int(row[L.COHORT_COUNT])].sum()) for row in params)


def assert_same_portfolio(first, second, rtol=1e-9):
    (first_firms, first_market), (second_firms, second_market) = first, second
    for f, (one, other) in enumerate(zip(first_firms, second_firms, strict=True)):
        try:
            assert_same_paths(one, other, rtol)
        except AssertionError as error:
            raise AssertionError(f"firm {f}: {error}") from None
    np.testing.assert_allclose(first_market, second_market, rtol=rtol, err_msg="market outputs")


# --- one firm: its price basis and its random stream ---


@pytest.mark.parametrize(
    ("preset", "overrides", "firm_stream"),
    [
        ("coreweave", BASIS, 0),
        ("coreweave", BASIS, 3),
        ("nebius", ("price_basis.market_loading=0.5", "price_basis.volatility=0.2"), 1),
        ("crusoe", ("price_basis.market_loading=2.0", "price_basis.volatility=0.4"), 0),
        ("lambda", ("price_basis.volatility=0.25", "price_basis.mean_reversion=0.5"), 2),
    ],
)
def test_a_firm_with_a_price_basis_matches_the_kernel(preset, overrides, firm_stream):
    params = parameter_vector(preset_config(preset, *overrides))
    params[L.FIRM_STREAM] = firm_stream
    assert_same_paths(single("cpu", params), single("numpy", params))


def test_the_full_model_and_capital_structure_with_a_price_basis_match_the_kernel():
    basis = {"price_basis": {"market_loading": 1.3, "volatility": 0.3, "mean_reversion": 1.5}}
    for table in (FULL_MODEL, CAPITAL_STRUCTURE):
        params = parameter_vector(config_of(table_with(table, basis)))
        assert_same_paths(single("cpu", params), single("numpy", params))


def test_the_basis_and_the_stream_move_the_firm():
    """The comparisons above mean something only if the firm's price and draws differ from the plain run's."""
    plain = parameter_vector(preset_config("coreweave"))
    based = parameter_vector(preset_config("coreweave", *BASIS))
    moved = plain.copy()
    moved[L.FIRM_STREAM] = 3
    reference = single("numpy", plain, paths=500)
    assert not np.allclose(single("numpy", based, paths=500)["final_price"], reference["final_price"])
    assert not np.allclose(single("numpy", moved, paths=500)["mean_utilization"], reference["mean_utilization"])
    # Loading 1 and no basis volatility: the market's price to the last bit.
    unit = parameter_vector(preset_config("coreweave", "price_basis.market_loading=1", "price_basis.volatility=0"))
    np.testing.assert_array_equal(single("numpy", unit, paths=500)["final_price"], reference["final_price"])


def test_base_case_has_no_basis_shock():
    params = parameter_vector(preset_config("coreweave", *BASIS))
    params[L.BASE_CASE] = 1.0
    result = single("numpy", params, paths=4)
    assert_same_paths(single("cpu", params, paths=4), result)
    calm = parameter_vector(preset_config("coreweave", "price_basis.market_loading=1.5", "price_basis.volatility=0"))
    calm[L.BASE_CASE] = 1.0  # the plan draws no basis shock: its basis volatility changes nothing
    np.testing.assert_array_equal(result["final_price"], single("numpy", calm, paths=4)["final_price"])


# --- portfolios ---


def test_a_firm_alone_in_a_portfolio_is_its_single_firm_run():
    params = stacked(preset_rows(["crusoe"], *BASIS))
    for backend in ("numpy", "cpu"):
        (firm,), market = portfolio(backend, params, impact=0.0, paths=1000)
        alone = single(backend, params[0], paths=1000)
        for name, column in alone.items():
            np.testing.assert_array_equal(firm[name], column, err_msg=f"{backend}: {name}")
        np.testing.assert_array_equal(market[L.OUT_MIN_RESALE_INDEX], 1.0)


@pytest.mark.parametrize("firms", [2, 5])
@pytest.mark.parametrize("impact_per_fleet", [0.0, 3.0])
def test_a_portfolio_of_presets_matches_the_kernel(firms, impact_per_fleet):
    params = stacked(preset_rows(PRESETS[:firms], *BASIS))
    impact = impact_per_fleet / total_gpus(params)
    cpu = portfolio("cpu", params, impact)
    assert_same_portfolio(cpu, portfolio("numpy", params, impact))
    market = cpu[1]
    assert (market[L.OUT_GPUS_SOLD] > 0).any()  # lenders sold GPUs on some paths
    if impact > 0:
        assert market[L.OUT_MIN_RESALE_INDEX].min() < 0.5  # and their sales depressed the index


def test_fire_sales_spread_to_the_other_firms():
    """With price impact some firm defaults where it would not alone: the comparison covers contagion."""
    params = stacked(preset_rows(PRESETS, *BASIS))
    impact = 3.0 / total_gpus(params)
    with_impact, _ = portfolio("numpy", params, impact)
    without, _ = portfolio("numpy", params, 0.0)
    changed = [(a["default_month"] != b["default_month"]).sum() for a, b in zip(with_impact, without, strict=True)]
    assert sum(changed) > 0, changed


def test_a_portfolio_with_ring_fenced_pools_matches_the_kernel():
    """Pools that default alone sell their share of GPUs: those sales move the index too."""
    basis = {"price_basis": {"market_loading": 1.4, "volatility": 0.3}}
    rows = [parameter_vector(config_of(table_with(table, basis))) for table in (CAPITAL_STRUCTURE, FULL_MODEL)]
    rows.append(parameter_vector(preset_config("coreweave", *BASIS)))
    params = stacked(rows)
    impact = 5.0 / total_gpus(params)
    cpu = portfolio("cpu", params, impact, retention=0.7)
    assert_same_portfolio(cpu, portfolio("numpy", params, impact, retention=0.7))
    firm_results, _ = cpu
    assert (firm_results[0]["default_cause"] == L.POOL_DEFAULT).any()


def test_a_float32_portfolio_stays_close_to_the_kernel():
    params = stacked(preset_rows(PRESETS[:3], *BASIS))
    impact = 3.0 / total_gpus(params)
    cpu_firms, cpu_market = portfolio("cpu", params, impact, paths=1000, dtype=np.float32)
    numpy_firms, numpy_market = portfolio("numpy", params, impact, paths=1000, dtype=np.float32)
    assert numpy_market.dtype == np.float32
    np.testing.assert_allclose(numpy_market, cpu_market, rtol=1e-5)
    for cpu, oracle in zip(cpu_firms, numpy_firms, strict=True):
        # Rounded differently, a threshold can flip on a rare path; on the others prices agree closely.
        same = cpu["default_month"] == oracle["default_month"]
        assert same.mean() > 0.99
        np.testing.assert_allclose(oracle["final_price"][same], cpu["final_price"][same], rtol=1e-4)


# --- the CUDA kernel on numba's simulator ---

_SIMULATOR_SCRIPT = textwrap.dedent(
    """
    import sys

    import numpy as np

    from gpu_stress.backends import get_backend
    from gpu_stress.backends.launch import Launch

    inputs = np.load(sys.argv[1])
    backend = get_backend("cuda")
    assert backend.simulator
    launch = Launch(inputs["params"], int(inputs["horizon"]), int(inputs["seed"]), paths=int(inputs["paths"]))
    outputs = backend.simulate_portfolio(launch)
    single = backend.simulate(launch.but(parameters=inputs["params"][0]))
    np.savez(sys.argv[2], *[np.asarray(array) for array in (*outputs, *single[:2])])
    """
)


@pytest.mark.slow
def test_the_simulated_cuda_portfolio_kernel_matches_cpu(tmp_path):
    # Paths 0-39 of this portfolio hold fire sales, and on path 37 they change when a firm defaults: CoreWeave's
    # raises are sized on book equity here, as raises on market value would absorb that default (and the planned
    # path keeps the initial regime's drift, as when these paths were picked).
    settings = (
        "price_basis.market_loading=1.5",
        "price_basis.volatility=0.3",
        'equity.basis="book"',
        'market.regime.planned_path="initial"',
    )
    params = stacked(preset_rows(["crusoe", "coreweave", "lambda"], *settings))
    impact = 10.0 / total_gpus(params)
    paths = 40
    inputs, outputs = tmp_path / "inputs.npz", tmp_path / "outputs.npz"
    np.savez(inputs, params=with_fire_sales(params, impact, 0.9), horizon=HORIZON, seed=SEED, paths=paths)
    environment = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    script = tmp_path / "simulate.py"
    script.write_text(_SIMULATOR_SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), str(inputs), str(outputs)], capture_output=True, text=True, env=environment
    )
    assert result.returncode == 0, result.stderr
    simulated = np.load(outputs)
    outputs_float, outputs_int, market, single_float, single_int = (simulated[f"arr_{k}"] for k in range(5))
    firms = [named(outputs_float[f], outputs_int[f]) for f in range(params.shape[0])]
    reference = portfolio("cpu", params, impact, paths=paths)
    assert_same_portfolio((firms, market), reference)
    assert_same_paths(named(single_float, single_int), single("cpu", params[0], paths=paths))
    assert (reference[1][L.OUT_GPUS_SOLD] > 0).any()
    alone, _ = portfolio("cpu", params, 0.0, paths=paths)
    assert any((a["default_month"] != b["default_month"]).any() for a, b in zip(reference[0], alone, strict=True))


STRESS = (
    "overlay.regime.state='glut'",
    "overlay.regime.start_month=2",
    "overlay.regime.end_month=14",
    "overlay.price.multiplier=0.6",
    "overlay.price.start_month=3",
    "overlay.price.months=9",
    "overlay.rates.shift=0.02",
    "overlay.rates.start_month=4",
    "overlay.launch.month=5",
    "overlay.customer_default.month=7",
    "overlay.delivery_delay_months=3",
)


def test_a_stressed_portfolio_matches_the_kernel():
    """Every overlay event at once (each firm's largest customer defaulting), with fire sales."""
    params = stacked(preset_rows(PRESETS[:3], *STRESS))
    assert (params[:, L.CUSTOMER_DEFAULT_MONTH : L.CUSTOMER_DEFAULT_MONTH + L.MAX_CUSTOMERS] == 7).sum() == 3
    impact = 3.0 / total_gpus(params)
    stressed = portfolio("cpu", params, impact)
    assert_same_portfolio(stressed, portfolio("numpy", params, impact))
    baseline = portfolio("cpu", stacked(preset_rows(PRESETS[:3])), impact)
    assert (stressed[1][L.OUT_GPUS_SOLD] > baseline[1][L.OUT_GPUS_SOLD]).mean() > 0.1  # the stress bites

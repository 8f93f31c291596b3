"""The cuda backend: on numba's CUDA simulator in CI, on a real GPU when there is one."""

import os
import subprocess
import sys
import tomllib

import numpy as np
import pyarrow.dataset as ds
import pytest

from conftest import requires_gpu
from gpu_stress.backends.launch import Launch
from gpu_stress.results.aggregates import summarize_chunk
from gpu_stress.results.histogram import Histogram
from helpers import (
    CAPITAL_STRUCTURE,
    EVERY_EVENT,
    FULL_MODEL,
    assert_same_paths,
    config_of,
    outputs_of_table,
    per_path,
    preset_config,
    simulate,
    table_with,
    with_fire_sales,
)

pytestmark = pytest.mark.slow  # runs the CUDA kernels on numba's simulator

GPU_PATHS = int(os.environ.get("GPU_STRESS_TEST_PATHS", "1000000"))


def write_toml(path, table):
    """A minimal TOML writer for nested dicts/lists of scalars (tests only)."""

    def value(item):
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, str):
            return f'"{item}"'
        if isinstance(item, dict):
            return "{ " + ", ".join(f"{key} = {value(inner)}" for key, inner in item.items()) + " }"
        if isinstance(item, list):
            return "[" + ", ".join(value(inner) for inner in item) + "]"
        return repr(item)

    path.write_text("\n".join(f"{key} = {value(item)}" for key, item in table.items()) + "\n")
    assert tomllib.loads(path.read_text()) == table


def run_on_simulator(tmp_path, table, *options, part="paths"):
    """The ``part`` dataset (paths, or tranches: one row per path and tranche) of a run on the simulator."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "model.toml"
    write_toml(config, table)
    output = tmp_path / "simulated"
    environment = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    command = [sys.executable, "-m", "gpu_stress", "run", str(config), "--backend", "cuda", "-o", str(output)]
    result = subprocess.run([*command, *options], capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr
    assert "numba CUDA simulator" in result.stderr
    order = [("path_id", "ascending")] + ([("tranche", "ascending")] if part == "tranches" else [])
    return ds.dataset(output / part, format="ipc").to_table().sort_by(order)


def as_outputs(table):
    return outputs_of_table(table)


SMALL = {"simulation": {"paths": 160, "horizon_months": 36, "band_paths": 32, "chunk_paths": 64}}


def test_simulated_cuda_kernel_matches_cpu_path_by_path(tmp_path):
    table = table_with(FULL_MODEL, SMALL)
    simulated = as_outputs(run_on_simulator(tmp_path, table))
    assert_same_paths(simulated, per_path(simulate(config_of(table), "cpu")))


def test_simulated_cuda_kernel_matches_cpu_on_the_capital_structure_path_by_path_and_tranche_by_tranche(tmp_path):
    table = table_with(CAPITAL_STRUCTURE, SMALL)
    reference = simulate(config_of(table), "cpu")
    assert_same_paths(as_outputs(run_on_simulator(tmp_path / "paths", table)), per_path(reference))
    tranches = run_on_simulator(tmp_path / "tranches", table, part="tranches")
    count = len(table["debt"])
    assert tranches.num_rows == 160 * count
    for name in ("ead", "recovery"):
        expected = np.stack([reference[f"tranche_{name}_{j}"] for j in range(count)], axis=1).ravel()
        np.testing.assert_allclose(tranches[name].to_numpy(), expected, rtol=1e-9, atol=1e-3)
    months = np.stack([reference[f"tranche_default_month_{j}"] for j in range(count)], axis=1).ravel()
    np.testing.assert_array_equal(tranches["default_month"].fill_null(-1).to_numpy(), months)
    assert (months > 0).any()


def test_simulated_cuda_kernel_matches_cpu_refinancing_in_a_window_by_the_lenders_tests(tmp_path):
    layer = {"refinancing": {"window_months": 12, "tests": "lender", "max_debt_to_ebitda": 4.0, "glut_capacity": 0.5}}
    table = table_with(CAPITAL_STRUCTURE, SMALL, layer, {"refinancing": {"open_in_glut": True}})
    simulated = as_outputs(run_on_simulator(tmp_path, table))
    assert_same_paths(simulated, per_path(simulate(config_of(table), "cpu")))


def test_simulated_cuda_kernel_matches_cpu_refinancing_on_contracts(tmp_path):
    from test_refinancing_window import secured_on_contracts

    table = table_with(secured_on_contracts(CAPITAL_STRUCTURE), SMALL)
    simulated = as_outputs(run_on_simulator(tmp_path, table))
    assert_same_paths(simulated, per_path(simulate(config_of(table), "cpu")))


@pytest.mark.parametrize(
    "terms",
    [
        {"maturity_month": 30, "draw_end_month": 24},
        {"maturity_month": 12, "draw_end_month": 12, "extensions": 1},
        {"maturity_month": 30, "draw_end_month": 30, "borrowing_base": 0.5, "committed": False},
    ],
    ids=["availability ends first", "extended", "uncommitted"],
)
def test_simulated_cuda_kernel_matches_cpu_with_a_revolver(tmp_path, terms):
    table = table_with(CAPITAL_STRUCTURE, SMALL)
    revolver = {"name": "rcf", "revolving": True, "commitment": 2e8, "rate": 0.09, "undrawn_fee": 0.00375}
    table["debt"] = [*table["debt"], revolver | terms | {"minimum_cash": 5e7, "target_cash": 1e8}]
    simulated = as_outputs(run_on_simulator(tmp_path, table))
    assert_same_paths(simulated, per_path(simulate(config_of(table), "cpu")))


def test_simulated_cuda_kernel_matches_cpu_when_the_firm_sells_unpledged_gpus(tmp_path):
    table = table_with(CAPITAL_STRUCTURE, SMALL, {"response": {"sell_unpledged": True, "liquidity_threshold": 5e7}})
    simulated = as_outputs(run_on_simulator(tmp_path, table))
    assert_same_paths(simulated, per_path(simulate(config_of(table), "cpu")))


def test_simulated_cuda_kernel_matches_cpu_under_every_stress_event(tmp_path):
    table = table_with(FULL_MODEL, SMALL, {"overlay": EVERY_EVENT})
    simulated = as_outputs(run_on_simulator(tmp_path, table))
    assert_same_paths(simulated, per_path(simulate(config_of(table), "cpu")))


def test_simulated_cuda_kernel_in_float32(tmp_path):
    table = table_with(FULL_MODEL, SMALL)
    simulated = as_outputs(run_on_simulator(tmp_path, table, "--precision", "float32"))
    assert simulated["final_price"].dtype == np.float32
    reference = simulate(config_of(table), "cpu")
    np.testing.assert_allclose(simulated["final_price"], reference["final_price"], rtol=1e-3)


def portfolio_outputs(backend, paths, impact_scale=1.0, dtype=np.float64):
    """The neoclouds portfolio (fire sales on) on ``backend``: firm outputs and the market's."""
    from gpu_stress.backends import get_backend
    from gpu_stress.config.load import load_config
    from gpu_stress.params import portfolio_matrix

    config = load_config(preset="neoclouds")
    impact = impact_scale * config.fire_sales.impact_per_gpu
    return get_backend(backend).simulate_portfolio(
        Launch(
            with_fire_sales(portfolio_matrix(config), impact, config.fire_sales.retention),
            60,
            2025,
            0,
            0,
            paths,
            dtype=dtype,
        )
    )


def assert_same_portfolios(found, expected, rtol=1e-9):
    for index, (mine, theirs) in enumerate(zip(found, expected, strict=True)):
        mine, theirs = np.asarray(mine), np.asarray(theirs)
        if mine.dtype.kind == "i":
            np.testing.assert_array_equal(mine, theirs, err_msg=f"output block {index}")
        else:
            np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=1e-3, err_msg=f"output block {index}")


def test_simulated_cuda_portfolio_matches_cpu_path_by_path():
    """The portfolio kernel through the cuda backend's own launch, on the simulator (in a fresh process)."""
    probe = (
        "import numpy as np, sys; sys.path.insert(0, 'tests'); from test_cuda import portfolio_outputs;"
        "np.savez(sys.argv[1], *portfolio_outputs('cuda', 24))"
    )
    target = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"portfolio-{os.getpid()}.npz")
    environment = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-c", probe, target], cwd=root, env=environment, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    with np.load(target) as simulated:
        found = [simulated[f"arr_{k}"] for k in range(3)]
    os.unlink(target)
    expected = portfolio_outputs("cpu", 24)
    assert_same_portfolios(found, expected)
    assert expected[2][1].max() > 0  # a fire sale happened: the clearing passes ran


@requires_gpu
@pytest.mark.gpu
def test_gpu_portfolio_matches_cpu_path_by_path_in_float64():
    paths = max(GPU_PATHS // 10, 1000)
    assert_same_portfolios(portfolio_outputs("cuda", paths), portfolio_outputs("cpu", paths))


@requires_gpu
@pytest.mark.gpu
@pytest.mark.parametrize("name", ["coreweave", "full model"])
def test_gpu_matches_cpu_path_by_path_in_float64(name):
    if name == "full model":
        config = config_of(table_with(FULL_MODEL, {"simulation": {"paths": GPU_PATHS}}))
    else:
        config = preset_config("coreweave", f"simulation.paths={GPU_PATHS}")
    assert_same_paths(simulate(config, "cuda", tracked=1000), simulate(config, "cpu", tracked=1000))


@requires_gpu
@pytest.mark.gpu
def test_gpu_float32_statistics_agree_with_float64():
    config = preset_config("coreweave", f"simulation.paths={GPU_PATHS}")
    single, double = simulate(config, "cuda", dtype=np.float32), simulate(config, "cuda")
    n = GPU_PATHS
    for name in ("final_price", "loss", "mean_utilization"):
        a, b = single[name].astype(np.float64), double[name]
        standard_error = np.sqrt((a.var() + b.var()) / n)
        assert abs(a.mean() - b.mean()) < 4 * standard_error + 1e-6 * abs(b.mean()), name
    pd_single, pd_double = (single["default_month"] > 0).mean(), (double["default_month"] > 0).mean()
    assert abs(pd_single - pd_double) < 4 * np.sqrt(2 * pd_double * (1 - pd_double) / n) + 1 / n


@requires_gpu
@pytest.mark.gpu
def test_device_reductions_equal_host_reductions():
    import cupy

    from gpu_stress.backends import get_backend
    from gpu_stress.params import parameter_vector

    config = preset_config("coreweave")
    outputs_float, outputs_int, _ = get_backend("cuda").simulate(
        Launch(parameter_vector(config), 60, 1, 0, 0, 200_000, 0, dtype=np.float64)
    )
    on_device = summarize_chunk(outputs_float, outputs_int, 60, cupy)
    on_host = summarize_chunk(cupy.asnumpy(outputs_float), cupy.asnumpy(outputs_int), 60, np)
    for key, value in on_host.items():
        if isinstance(value, Histogram):  # bins are exact integer arithmetic: identical keys and counts
            np.testing.assert_array_equal(on_device[key].keys, value.keys, err_msg=key)
            np.testing.assert_array_equal(on_device[key].counts, value.counts, err_msg=key)
            np.testing.assert_allclose(on_device[key].sums, value.sums, rtol=1e-12, err_msg=key)
        else:
            np.testing.assert_allclose(on_device[key], value, rtol=1e-12, err_msg=key)

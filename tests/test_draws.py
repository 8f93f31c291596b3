"""The draws array: months at a time (the CPU) or one at a time (CUDA) give the same bits.

The CPU fills DRAW_MONTHS_PER_FILL months of a path at once, in vector lanes; a CUDA
thread fills one month at a time. Both run ``draws.fill_draws``, and the model reads
only the array, so the paths agree to the last bit if the draws do.
"""

import platform
import re

import numba
import numpy as np
import pytest

from conftest import DTYPES
from gpu_stress.backends.launch import Launch
from gpu_stress.config import load_config
from gpu_stress.kernels import cpu, rng
from gpu_stress.kernels import draws as month_draws
from gpu_stress.kernels import layout as L
from gpu_stress.params import parameter_vector
from helpers import FULL_MODEL, config_of

HORIZON = 40


@numba.njit(error_model="numpy")
def _path_draws(params, seed, path_id, horizon, width, dtype):
    """Every month's column of the draws, as simulate_path reads them with a draws array ``width`` wide."""
    draws = np.full((L.DRAW_COUNT, width), np.nan, dtype)
    seen = np.empty((L.DRAW_COUNT, horizon), dtype)
    for month in range(1, horizon + 1):
        column = month_draws.draws_column(params, seed, 0, path_id, month, horizon, draws, dtype)
        seen[:, month - 1] = draws[:, column]
    return seen


def _params(kind):
    if kind == "full model":
        return parameter_vector(config_of(FULL_MODEL))
    params = parameter_vector(load_config(preset="coreweave"))
    if kind == "base case":
        params[L.BASE_CASE] = 1.0
    return params


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["coreweave", "full model", "base case"])
def test_months_at_once_are_the_months_one_at_a_time(kind, dtype):
    params = _params(kind).astype(dtype)
    for path_id in (0, 7, 2**40 + 3):
        one_at_a_time = _path_draws(params, np.uint64(2025), path_id, HORIZON, 1, dtype)
        assert np.isfinite(one_at_a_time).all()
        for width in (cpu.DRAW_MONTHS_PER_FILL, 7):  # 7: a last fill shorter than the array
            np.testing.assert_array_equal(
                _path_draws(params, np.uint64(2025), path_id, HORIZON, width, dtype), one_at_a_time
            )


def test_unused_blocks_are_ones_and_the_base_case_is_the_plan():
    draws = _path_draws(_params("coreweave"), np.uint64(1), 3, HORIZON, 1, np.float64)
    customers = int(_params("coreweave")[L.CUSTOMER_COUNT])
    assert (draws[L.DRAW_U_CUSTOMER + customers : L.DRAW_U_CUSTOMER + 4] == 1.0).all()
    plan = _path_draws(_params("base case"), np.uint64(1), 3, HORIZON, 1, np.float64)
    credit_pair = [L.DRAW_E_CREDIT_FACTOR, L.DRAW_E_CREDIT_FACTOR + 1]  # a Box-Muller pair's rows: normals
    normals = [L.DRAW_E_PRICE, L.DRAW_E_RATE, L.DRAW_E_UTILIZATION, L.DRAW_E_BASIS, *credit_pair]
    assert (plan[normals] == 0.0).all()
    assert (draws[L.DRAW_U_OBLIGOR : L.DRAW_U_OBLIGOR + 4] < 1.0).all()  # coreweave names four: one block
    assert (draws[L.DRAW_U_OBLIGOR + 4 : L.DRAW_U_OBLIGOR + L.MAX_OBLIGORS] == 1.0).all()
    unnamed = _path_draws(parameter_vector(config_of(FULL_MODEL)), np.uint64(1), 3, HORIZON, 1, np.float64)
    assert (unnamed[L.DRAW_U_OBLIGOR : L.DRAW_U_OBLIGOR + L.MAX_OBLIGORS] == 1.0).all()  # no obligor: no block
    assert (unnamed[credit_pair] == 0.0).all()
    assert (np.delete(plan, normals, axis=0) == 1.0).all()


@numba.njit
def _logs(values, dtype):
    out = np.empty_like(values)
    for i in range(values.size):
        out[i] = rng.log_unit(values[i], dtype)
    return out


@pytest.mark.parametrize(("dtype", "ulps"), [(np.float64, 2), (np.float32, 3)])
def test_polynomial_log_is_within_a_few_units_in_the_last_place(dtype, ulps):
    words = np.concatenate(
        [
            np.random.default_rng(5).integers(0, 2**32, 200_000, dtype=np.uint64),
            np.arange(4096, dtype=np.uint64),  # the smallest uniforms (the normals' tails)
            np.uint64(2**32 - 1) - np.arange(4096, dtype=np.uint64),  # uniforms next to 1
        ]
    )
    uniforms = _uniforms(words, dtype)
    exact = np.log(uniforms.astype(np.float64))
    error = np.abs(_logs(uniforms, dtype).astype(np.float64) - exact)
    assert (error <= ulps * np.spacing(np.abs(exact).astype(dtype)).astype(np.float64)).all()


@numba.njit
def _uniforms(words, dtype):
    out = np.empty(words.size, dtype)
    for i in range(words.size):
        out[i] = rng.to_uniform(words[i], dtype)
    return out


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="reads x86-64 assembly")
def test_the_cpu_draws_compile_to_vector_instructions():
    checksums = np.zeros(4)
    launch = Launch(_params("coreweave"), 20, 1, paths=4)
    cpu.draw_paths(launch, launch.parameters_as(), checksums)
    kernel = cpu.draw_path_range
    assembly = "".join(kernel.inspect_asm().values())
    if "pd" not in assembly:  # loaded from numba's on-disk cache, which keeps no assembly: compile it afresh
        options = {key: value for key, value in kernel.targetoptions.items() if key != "cache"}
        fresh = numba.njit(**options)(kernel.py_func)
        fresh.compile(kernel.signatures[0])
        assembly = "".join(fresh.inspect_asm().values())
    # Packed double arithmetic (mulpd, vfmadd231pd, ... on xmm/ymm/zmm): months in vector lanes.
    assert re.search(r"\bv?(mul|add|sub|fmadd\d*|sqrt)pd\s", assembly)

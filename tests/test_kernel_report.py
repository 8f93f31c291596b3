"""Every CUDA kernel compiles to PTX and SASS with no GPU: no spills, no float64 in float32.

These need the CUDA compiler toolkit (NVVM and ptxas: the `kernels` extra); without it they skip,
saying why.
"""

import json

import pytest
from click.testing import CliRunner

from conftest import kernel_toolchain_problem
from gpu_stress.cli import main
from gpu_stress.kernel_report import best_occupancy, float64_instructions, theoretical_occupancy

pytestmark = pytest.mark.slow  # compiles every kernel to PTX and SASS

TOOLCHAIN_PROBLEM = kernel_toolchain_problem()
requires_toolchain = pytest.mark.skipif(
    TOOLCHAIN_PROBLEM is not None, reason=f"needs the CUDA compiler toolkit: {TOOLCHAIN_PROBLEM}"
)


@pytest.fixture(scope="module")
def report():
    result = CliRunner().invoke(main, ["kernels", "--cc", "80,90", "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), result.exit_code


@requires_toolchain
def test_every_kernel_precision_and_target_is_reported(report):
    from gpu_stress.kernels.cuda import SIGNATURES

    items, _ = report
    found = {(item["kernel"], item["precision"], item["target"]) for item in items}
    expected = {
        (kernel, precision, target)
        for kernel in SIGNATURES
        for precision in ("float32", "float64")
        for target in ("sm_80", "sm_90")
    }
    assert found == expected
    assert all(item["registers"] > 0 and item["ptx_lines"] > 100 for item in items)


@requires_toolchain
def test_no_kernel_spills(report):
    items, _ = report
    assert [(item["kernel"], item["target"]) for item in items if item["spill_stores"] or item["spill_loads"]] == []


@requires_toolchain
def test_float32_kernels_have_no_float64_instructions(report):
    items, exit_code = report
    assert [item["kernel"] for item in items if item["precision"] == "float32" and item["float64_instructions"]] == []
    assert exit_code == 0
    # The check is not vacuous: the float64 kernels do use float64.
    assert all(item["float64_instructions"] for item in items if item["precision"] == "float64")


@requires_toolchain
def test_float64_detector_sees_a_silent_promotion():
    import numba
    from numba import cuda

    def promoted(values):
        index = cuda.grid(1)
        if index < values.size:
            values[index] = values[index] * 0.1  # a float64 literal: float32 * float64 -> float64

    ptx, _ = cuda.compile_ptx(promoted, (numba.float32[::1],), cc=(8, 0))
    assert any(".f64" in instruction for instruction in float64_instructions(ptx))


def test_info_without_a_gpu_explains_and_picks_cpu():
    result = CliRunner().invoke(main, ["info"])
    assert result.exit_code == 0
    assert "auto backend: cpu" in result.stdout or "auto backend: cuda" in result.stdout
    assert "numba" in result.stdout and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("registers", "threads", "target", "expected"),
    [
        (64, 128, "sm_80", 0.5),  # 2048 registers a warp: 32 of 64 warps
        (32, 256, "sm_80", 1.0),
        (255, 128, "sm_90", 0.125),  # 8160 registers a warp, allocated as 8192: 8 warps
        (86, 128, "sm_80", 20 / 64),  # 2816 a warp: 5 warps in each quarter of the SM's registers
        (86, 32, "sm_80", 20 / 64),  # ... whatever the block size
        (16, 32, "sm_80", 0.5),  # the 32 blocks an SM holds, of one warp each
        (32, 64, "sm_86", 32 / 48),  # sm_86: 48 warps and 16 blocks an SM
    ],
)
def test_theoretical_occupancy_follows_the_limits_of_an_sm(registers, threads, target, expected):
    assert theoretical_occupancy(registers, threads, target) == pytest.approx(expected)


def test_occupancy_of_a_compute_capability_without_known_limits_is_none():
    assert theoretical_occupancy(64, 128, "sm_61") is None
    assert best_occupancy(64, "sm_61") is None


@requires_toolchain
def test_every_kernel_reports_its_occupancy(report):
    items, _ = report
    for item in items:
        occupancy = theoretical_occupancy(item["registers"], item["threads_per_block"], item["target"])
        assert item["occupancy"] == occupancy > 0
        assert occupancy <= item["best_occupancy"] <= 1

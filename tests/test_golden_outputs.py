"""Every table of every case is bit-for-bit what it was when ``data/golden/outputs.json`` was written.

The golden digests were taken before the renovation of issue 27 (one home per model block), which
was to change no number: per-path outputs, tranche tables, aggregates and bands on numpy, cpu (float64
and float32) and, for a few paths, the CUDA kernels on numba's simulator (in a fresh process, as the
simulator must be chosen before numba loads).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from golden import CASES, GOLDEN_FILE, digests

GOLDEN = json.loads(GOLDEN_FILE.read_text())


def assert_same_digests(found, expected, where):
    assert sorted(found) == sorted(expected), f"{where}: tables {sorted(found)} != {sorted(expected)}"
    changed = [
        f"{table}.{column}"
        for table in expected
        for column in sorted(set(expected[table]) | set(found[table]))
        if found[table].get(column) != expected[table].get(column)
    ]
    assert not changed, f"{where}: columns changed: {', '.join(changed)}"


@pytest.mark.parametrize("run", ["numpy", "cpu", "cpu_float32"])
@pytest.mark.parametrize("case", CASES)
def test_outputs_are_bit_for_bit_the_golden_ones(case, run):
    assert_same_digests(digests(case, run), GOLDEN[run][case], f"{case} on {run}")


# Obligors of zero intensity, correlated through the credit factor: their draws are drawn (their own streams)
# and their step runs every month, and no output moves.
ZERO_INTENSITY_OBLIGORS = {
    "obligors": [
        {"name": name, "annual_default_probability": 0.0, "factor_loading": 0.24} for name in ("Microsoft", "OpenAI")
    ]
}


@pytest.mark.parametrize("case", ["coreweave", "neoclouds", "full_model"])
def test_obligors_of_zero_intensity_leave_every_output_bit_for_bit_the_golden_one(case):
    found = digests(case, "cpu", added=ZERO_INTENSITY_OBLIGORS)
    assert_same_digests(found, GOLDEN["cpu"][case], f"{case} with obligors of zero intensity")


@pytest.mark.slow
def test_cuda_kernels_on_the_simulator_give_the_golden_outputs(tmp_path):
    target = tmp_path / "simulated.json"
    program = (
        "import json, sys; sys.path.insert(0, 'tests'); from golden import CASES, digests;"
        "json.dump({case: digests(case, 'cuda_simulator') for case in CASES}, open(sys.argv[1], 'w'))"
    )
    root = Path(__file__).parent.parent
    environment = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    result = subprocess.run(
        [sys.executable, "-c", program, str(target)], cwd=root, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(target.read_text())
    for case in CASES:
        assert_same_digests(found[case], GOLDEN["cuda_simulator"][case], f"{case} on the CUDA simulator")

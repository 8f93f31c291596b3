"""`backends.compile_notice`: whether a run's first chunk will compile its kernel (for the
"compiling kernels (first run only)" line), read from numba's dispatcher and on-disk cache."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gpu_stress.backends import compile_notice, get_backend
from gpu_stress.backends.base import kernel_ready
from gpu_stress.backends.launch import Launch
from gpu_stress.params import parameter_vector
from helpers import preset_config, with_fire_sales


def python(code, **environment):
    """Run ``code`` in a fresh interpreter with these environment variables; its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=dict(os.environ, **environment),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_an_empty_cache_means_every_kernel_compiles(tmp_path):
    answers = python(
        """
        from gpu_stress.backends import compile_notice
        for precision in ("float64", "float32"):
            for portfolio in (False, True):
                print(compile_notice("cpu", precision, portfolio))
        """,
        NUMBA_CACHE_DIR=str(tmp_path),
    )
    assert answers == ["True"] * 4


def test_after_a_run_the_kernel_is_ready_in_this_process_and_from_the_disk_cache():
    # The types it probes are those of a real chunk: once one ran, the answer is False.
    params = parameter_vector(preset_config("lambda"))
    get_backend("cpu").simulate(Launch(params, 3, 1, 0, 0, 8, 2, dtype=np.float64))
    assert compile_notice("cpu", np.float64) is False
    assert compile_notice("cpu", "float64") is False
    portfolio = np.stack([params, parameter_vector(preset_config("crusoe"))])
    get_backend("cpu").simulate_portfolio(
        Launch(with_fire_sales(portfolio, 1e-5, 0.9), 3, 1, 0, 0, 8, dtype=np.float64)
    )
    assert compile_notice("cpu", np.dtype("float64"), portfolio=True) is False
    # A new process finds both in numba's cache (the default one, beside kernels/), and compiles nothing.
    assert python(
        """
        from gpu_stress.backends import compile_notice
        print(compile_notice("cpu", "float64"), compile_notice("cpu", "float64", portfolio=True))
        """
    ) == ["False", "False"]


@pytest.mark.slow
def test_numpy_the_simulator_and_unknown_backends_never_compile():
    assert compile_notice("numpy", "float64") is False
    assert compile_notice("tpu", "float64") is False
    assert python(
        """
        from gpu_stress.backends import compile_notice
        print(compile_notice("cuda", "float64"), compile_notice("cuda", "float32", portfolio=True))
        """,
        NUMBA_ENABLE_CUDASIM="1",
    ) == ["False", "False"]


KERNEL = """
import numba

@numba.njit(cache=True)
def twice(values):
    return values * 2
"""

PROBE = """
import sys
import numpy as np
sys.path.insert(0, {folder!r})
from gpu_stress.backends.base import kernel_ready
from little import twice

types = [twice.typeof_pyval(np.ones(3))]
print(kernel_ready(twice, types))
twice(np.ones(3))
print(kernel_ready(twice, types))
"""


def test_kernel_ready_reads_the_cache_index_as_numba_does(tmp_path):
    folder, cache = tmp_path / "source", tmp_path / "cache"
    folder.mkdir()
    (folder / "little.py").write_text(KERNEL)
    probe = PROBE.format(folder=str(folder))
    assert python(probe, NUMBA_CACHE_DIR=str(cache)) == ["False", "True"]  # compiled on the call
    assert python(probe, NUMBA_CACHE_DIR=str(cache)) == ["True", "True"]  # from the disk cache
    (folder / "little.py").write_text(KERNEL + "\n# edited\n")  # a changed source: the cache is stale
    assert python(probe, NUMBA_CACHE_DIR=str(cache)) == ["False", "True"]
    assert python(probe, NUMBA_CACHE_DIR=str(tmp_path / "elsewhere")) == ["False", "True"]


def test_kernel_ready_without_a_disk_cache():
    import numba

    @numba.njit  # no cache=True: only what this process compiled counts
    def plus_one(value):
        return value + 1

    types = [numba.int64]
    assert kernel_ready(plus_one, types) is False
    plus_one(1)
    assert kernel_ready(plus_one, types) is True

"""The cpu launcher: ranges of paths on a pool of threads, whoever calls it and with how many threads."""

import threading

import numba
import numpy as np
import pytest

from gpu_stress.backends import get_backend
from gpu_stress.backends.launch import Launch
from gpu_stress.config import load_config
from gpu_stress.kernels import cpu
from gpu_stress.params import parameter_vector


@pytest.mark.parametrize("paths", [0, 1, 63, 64, 1000, 5 * cpu.PATHS_PER_TASK * 8 + 3])
def test_the_ranges_cover_every_path_once(paths):
    seen = np.zeros(paths, np.int64)
    lock = threading.Lock()

    def kernel(first, stop):
        with lock:
            seen[first:stop] += 1

    cpu.in_parallel(kernel, paths)
    assert (seen == 1).all()


def test_an_error_in_a_task_reaches_the_caller():
    def kernel(first, stop):
        if first > 0:
            raise ValueError(f"task {first}")

    with pytest.raises(ValueError, match="task"):
        cpu.in_parallel(kernel, 10_000)


def test_concurrent_calls_with_different_thread_counts_give_the_paths_of_one_call():
    params = parameter_vector(load_config(preset="lambda"))
    backend = get_backend("cpu")
    expected = backend.simulate(Launch(params, 24, 3, 0, 0, 3000, 0, dtype=np.float64))
    results = {}

    def run(threads):
        numba.set_num_threads(threads)  # per calling thread
        results[threads] = backend.simulate(Launch(params, 24, 3, 0, 0, 3000, 0, dtype=np.float64))

    counts = sorted({1, numba.config.NUMBA_NUM_THREADS})
    callers = [threading.Thread(target=run, args=(threads,)) for threads in counts]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert sorted(results) == counts
    for outputs in results.values():
        for got, want in zip(outputs, expected, strict=True):
            np.testing.assert_array_equal(got, want)

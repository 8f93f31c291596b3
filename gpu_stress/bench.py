"""``gpu-stress bench``: path-steps per second of every backend, measured in one process.

Three kernels per device, each timed after a warm-up as the median of repeats:

- ``model``: the path model on the reference preset (the product);
- ``draws_only``: the same random draws per path-step with no model, the
  roofline that says how close the model is to its random-number-bound limit;
- ``naive``: the model as array code a user would write, one month at a time
  over all paths, with the array library's own generator (NumPy on the CPU,
  CuPy on a GPU).

A path-step is one month of one path. ``path_steps_per_s`` counts the nominal
paths x horizon; ``simulated_months_per_s`` counts only the months paths
lived (a path stops at its default).

With ``portfolio=True`` it times the ``portfolio`` kernel instead: every firm
of the portfolio preset in one market, fire sales included, per backend.
``firm_path_steps_per_s`` counts paths x horizon x firms (each firm steps
each month of each path), ``simulated_months_per_s`` the firm-months lived.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np

from . import __version__
from .arrays import to_host
from .backends import cuda_status, get_backend
from .backends.launch import Launch
from .backends.oracle.draws import library_draws
from .backends.oracle.path import simulate_paths
from .config.load import load_config
from .info import cuda_details, package_versions
from .kernels import layout as L
from .machine import cpu_description, memory_gib
from .params import parameter_vector, portfolio_matrix

REFERENCE_PRESET = "coreweave"
PORTFOLIO_PRESET = "neoclouds"
DEFAULT_PATHS = {"numpy": 20_000, "cpu": 400_000, "cuda": 4_000_000}
DEFAULT_PORTFOLIO_PATHS = {"numpy": 4_000, "cpu": 80_000, "cuda": 1_000_000}
SEED = 12345


def machine():
    details = cuda_details()
    return {
        "cpu": cpu_description(),
        "memory_gib": round(memory_gib(), 1),
        "gpus": details["gpus"],
        "cuda_driver": details["driver"],
        "cuda_runtime": details["runtime"],
        "cuda_problem": details["problem"],
        "versions": package_versions(),
        "numba_threads": _numba_threads(),
    }


def _numba_threads():
    import numba

    return numba.get_num_threads()


def _host_peak_bytes(run):
    """Peak bytes numpy allocated during one more run (traced separately from the timing)."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class _Device:
    """What differs between measuring on the CPU and on the GPU."""

    def __init__(self, name):
        self.name = name
        if name == "cuda":
            import cupy

            self.xp = cupy
            self.pool = cupy.get_default_memory_pool()
        else:
            self.xp = np

    def synchronize(self):
        if self.name == "cuda":
            self.xp.cuda.Device().synchronize()

    def peak_bytes(self, run):
        if self.name != "cuda":
            return _host_peak_bytes(run)
        self.pool.free_all_blocks()
        run()
        self.synchronize()
        return int(self.pool.total_bytes())


def _months_simulated(outputs_int, horizon):
    """Months lived over all paths (and firms, for a portfolio's firm x output x path outputs)."""
    month = to_host(outputs_int[..., L.OUT_DEFAULT_MONTH, :])
    return int(np.where(month > 0, month, horizon).sum())


class Measurement:
    """One (kernel, backend) to time: its runner, device and the times taken so far."""

    def __init__(self, kernel, backend, params, paths, horizon, dtype):
        self.kernel, self.backend, self.paths, self.horizon, self.dtype = kernel, backend, paths, horizon, dtype
        self.device = _Device("cuda" if backend == "cuda" else "cpu")
        self.run = self._runner(params)
        self.times = []
        self.result = None

    def _runner(self, params):
        xp, paths, horizon, dtype = self.device.xp, self.paths, self.horizon, self.dtype
        launch = Launch(params, horizon, SEED, paths=paths, dtype=dtype)
        if self.kernel == "model":
            engine_backend = get_backend(self.backend)
            return lambda: engine_backend.simulate(launch)
        if self.kernel == "portfolio":
            engine_backend = get_backend(self.backend)
            return lambda: engine_backend.simulate_portfolio(launch)
        if self.kernel == "draws_only":
            checksums = xp.empty(paths, dtype)
            draw_paths = _draws_launcher(self.backend)
            device_params = launch.parameters_as(xp)
            return lambda: draw_paths(launch, device_params, checksums)
        generator = xp.random.default_rng(SEED)  # naive
        return lambda: simulate_paths(params, horizon, paths, 0, dtype, library_draws(generator, paths, dtype), xp)

    def time_once(self):
        started = time.perf_counter()
        result = self.run()
        self.device.synchronize()
        self.times.append(time.perf_counter() - started)
        self.result = result

    def row(self):
        seconds = statistics.median(self.times)
        row = {
            "kernel": self.kernel,
            "backend": self.backend,
            "precision": np.dtype(self.dtype).name,
            "paths": self.paths,
            "horizon_months": self.horizon,
            "repeats": len(self.times),
            "seconds": seconds,
            "seconds_all": self.times,
            "path_steps_per_s": self.paths * self.horizon / seconds,
            "peak_memory_bytes": self.device.peak_bytes(self.run),
            "peak_memory_kind": "device pool" if self.backend == "cuda" else "host (tracemalloc)",
        }
        if self.result is not None:
            row["simulated_months_per_s"] = _months_simulated(self.result[1], self.horizon) / seconds
        if self.kernel == "portfolio":
            row["firms"] = int(self.result[1].shape[0])
            row["firm_path_steps_per_s"] = row["path_steps_per_s"] * row["firms"]
        return row


def _draws_launcher(backend):
    if backend == "cuda":
        from .kernels import cuda

        device = cuda.cuda.get_current_device()
        blocks = device.MULTIPROCESSOR_COUNT * 32

        def draw_paths(launch, parameters, checksums):
            cuda.draw_paths(launch, parameters, checksums, blocks)

        return draw_paths
    from .kernels import cpu

    return cpu.draw_paths


def plan(backends):
    """(kernel, backend) pairs to measure for the requested backends."""
    pairs = []
    for backend in backends:
        pairs.append(("model", backend))
        if backend == "cpu":
            pairs += [("draws_only", "cpu")]
        if backend == "numpy":
            pairs += [("naive", "numpy")]
        if backend == "cuda":
            pairs += [("draws_only", "cuda"), ("naive", "cuda")]
    return pairs


def run_benchmark(backends, horizon=60, precision="float64", repeats=5, paths=None, preset=None, portfolio=False):
    """Measure every (kernel, backend) in this process; returns the JSON-ready record.

    After one warm-up each, the repeats go round-robin over all kernels, so
    that a noisy machine slows them alike and the ratios stay fair. With
    ``portfolio`` it measures the portfolio kernel of every backend instead.
    """
    dtype = np.dtype(precision).type
    if portfolio:
        preset = preset or PORTFOLIO_PRESET
        config = load_config(preset=preset)
        params = portfolio_matrix(config)
        pairs, default_paths = [("portfolio", backend) for backend in backends], DEFAULT_PORTFOLIO_PATHS
    else:
        preset = preset or REFERENCE_PRESET
        params, pairs, default_paths = parameter_vector(load_config(preset=preset)), plan(backends), DEFAULT_PATHS
    measurements = [
        Measurement(kernel, backend, params, paths or default_paths[backend], horizon, dtype)
        for kernel, backend in pairs
    ]
    for measurement in measurements:  # warm-up: compile, fill caches
        measurement.run()
        measurement.device.synchronize()
    for _ in range(repeats):
        for measurement in measurements:
            measurement.time_once()
    rows = [measurement.row() for measurement in measurements]
    numpy_rate = next(
        (
            row["path_steps_per_s"]
            for row in rows
            if row["kernel"] in ("model", "portfolio") and row["backend"] == "numpy"
        ),
        None,
    )
    for row in rows:
        row["ratio_to_numpy"] = row["path_steps_per_s"] / numpy_rate if numpy_rate else None
    return {
        "gpu_stress_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "preset": preset,
        "horizon_months": horizon,
        "precision": precision,
        "repeats": repeats,
        "method": "median of round-robin repeats after one warm-up each",
        "machine": machine(),
        "rows": rows,
        "checks": checks(rows),
    }


def checks(rows):
    """The targets of the benchmark issue, as measured (None where not measured)."""

    def rate(kernel, backend):
        return next(
            (row["path_steps_per_s"] for row in rows if (row["kernel"], row["backend"]) == (kernel, backend)), None
        )

    found = {}
    if rate("model", "cpu") and rate("model", "numpy"):
        found["cpu_over_numpy"] = rate("model", "cpu") / rate("model", "numpy")
    if rate("model", "cpu") and rate("naive", "numpy"):
        found["cpu_over_naive_numpy"] = rate("model", "cpu") / rate("naive", "numpy")  # target: >= 10
    if rate("model", "cpu") and rate("draws_only", "cpu"):  # target: <= 1.5
        found["cpu_draws_only_over_model"] = rate("draws_only", "cpu") / rate("model", "cpu")
    if rate("model", "cuda") and rate("draws_only", "cuda"):
        found["cuda_model_share_of_draws_only"] = rate("model", "cuda") / rate("draws_only", "cuda")
        found["cuda_g_path_steps_per_s"] = rate("model", "cuda") / 1e9
    return found


def scaling(path_counts, preset=REFERENCE_PRESET, backend="cpu"):
    """Wall time and peak RSS of whole engine runs (``--no-paths``) against the path count.

    Each size runs in a fresh process so that its peak RSS is its own.
    """
    results = []
    for paths in path_counts:
        with tempfile.TemporaryDirectory() as folder:
            command = [
                sys.executable,
                "-c",
                _SCALING_PROBE,
                preset,
                str(paths),
                backend,
                os.path.join(folder, "out"),
            ]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
        seconds, peak_kib = float(output[0]), int(output[1])
        results.append(
            {"paths": paths, "seconds": seconds, "peak_rss_mib": peak_kib / 1024, "paths_per_s": paths / seconds}
        )
    return results


_SCALING_PROBE = """
import resource, sys, time
from gpu_stress import engine
from gpu_stress.config.load import load_table
preset, paths, backend, output = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
warm_up = load_table(preset=preset, overrides=["simulation.paths=1000"])
engine.start(warm_up, output + "-warm-up", backend=backend, write_paths=False).execute()  # compile or load the cache
table = load_table(preset=preset, overrides=[f"simulation.paths={paths}"])
started = time.perf_counter()
job = engine.start(table, output, backend=backend, write_paths=False)
job.execute()
job.finish()
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def available_backends():
    usable, _ = cuda_status()
    return ["numpy", "cpu"] + (["cuda"] if usable else [])

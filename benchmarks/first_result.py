"""Time to first result: `gpu-stress run` from a cold numba cache, then warm.

    python benchmarks/first_result.py [--paths 100000] [-o benchmarks/results/first-result-MACHINE.json]

Cold deletes numba's cached machine code for gpu_stress.kernels first, so the run compiles
the cpu kernel; warm runs the same command again and loads it from the cache. Each is the wall
time of the whole command (Python start-up, imports, compile or cache load, simulation, writing).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gpu_stress.kernels
from gpu_stress.machine import cpu_description


def clear_numba_cache():
    removed = 0
    for cache_file in Path(gpu_stress.kernels.__file__).parent.rglob("*.nb[ic]"):
        cache_file.unlink()
        removed += 1
    return removed


def timed_run(paths, folder, name):
    command = [
        sys.executable,
        "-m",
        "gpu_stress",
        "run",
        "--preset",
        "coreweave",
        "--paths",
        str(paths),
        "--backend",
        "cpu",
        "-o",
        str(Path(folder) / name),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("-o", "--output", type=Path)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        removed = clear_numba_cache()
        cold = timed_run(arguments.paths, folder, "cold")
        warm = timed_run(arguments.paths, folder, "warm")
    record = {
        "what": "wall time of `gpu-stress run --preset coreweave --backend cpu` (per-path output on)",
        "paths": arguments.paths,
        "cold_seconds": round(cold, 2),
        "warm_seconds": round(warm, 2),
        "cache_files_removed": removed,
        "machine": cpu_description(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    print(json.dumps(record, indent=2))
    if arguments.output:
        arguments.output.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()

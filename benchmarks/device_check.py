"""The device check: everything worth knowing from a few minutes on one GPU, in one command.

    python benchmarks/device_check.py --out "$OUT"            # on the GPU machine (< 4 min on one H100)
    python benchmarks/device_check.py --out /tmp/dry --dry-run # here, on the CUDA simulator

Steps, each logged to OUT/device_check.log and summarized in OUT/device_check.json:

1. ``gpu-stress info``: versions, driver, runtime, GPU;
2. ``gpu-stress kernels`` for the GPU's own compute capability (registers, spills);
3. the GPU tests (every test marked ``gpu``): cuda against cpu path by path on
   GPU_STRESS_TEST_PATHS paths (1M by default) in float64, float32 against
   float64 statistics, device reductions against host reductions, and the
   textbook limits and debt schedules run on the cuda backend;
4. an end-to-end ``gpu-stress run --backend cuda`` of the coreweave preset;
5. ``gpu-stress bench`` (cpu and cuda, with the draws-only and naive baselines).

A failing step is recorded and the next one still runs. ``--dry-run`` swaps
the GPU for numba's CUDA simulator and shrinks every size, so the script is
known to work before it first meets a GPU.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--dry-run", action="store_true", help="CUDA simulator and tiny sizes (no GPU needed)")
    parser.add_argument("--paths", type=int, default=1_000_000, help="paths of the path-by-path GPU test")
    arguments = parser.parse_args()
    out = arguments.out
    out.mkdir(parents=True, exist_ok=True)

    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    gpu = [sys.executable, "-m", "gpu_stress"]
    if arguments.dry_run:
        simulated = dict(environment, NUMBA_ENABLE_CUDASIM="1")
        steps = [
            ("info", [*gpu, "info", "--json"], environment, "info.json"),
            ("kernels", [*gpu, "kernels", "--cc", "80,90", "--json"], environment, "kernels.json"),
            ("gpu_tests", _pytest(out, "tests/test_cuda.py", "-k", "simulated"), environment, None),
            ("run", gpu + _run_args(out, 64, "--set", "simulation.band_paths=16"), simulated, None),
            ("bench", [*gpu, *_bench_args(out, "cpu", "--paths", "2000", "--repeats", "1")], environment, None),
        ]
    else:
        gpu_environment = dict(environment, GPU_STRESS_TEST_PATHS=str(arguments.paths))
        steps = [
            ("info", [*gpu, "info", "--json"], environment, "info.json"),
            ("kernels", [*gpu, "kernels", "--cc", _device_cc(environment), "--json"], environment, "kernels.json"),
            ("gpu_tests", _pytest(out, "tests", "-m", "gpu"), gpu_environment, None),
            ("run", gpu + _run_args(out, 1_000_000), environment, None),
            ("bench", [*gpu, *_bench_args(out, "cpu,cuda", "--repeats", "5")], environment, None),
        ]

    log = open(out / "device_check.log", "w")
    summary = {"dry_run": arguments.dry_run, "steps": []}
    for name, command, step_environment, capture in steps:
        started = time.perf_counter()
        log.write(f"\n=== {name}: {' '.join(command)}\n")
        log.flush()
        result = subprocess.run(command, cwd=ROOT, env=step_environment, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        log.write(result.stdout + result.stderr)
        log.write(f"=== {name}: exit {result.returncode} after {seconds:.1f} s\n")
        log.flush()
        if capture and result.returncode in (0, 1):
            (out / capture).write_text(result.stdout)
        summary["steps"].append({"step": name, "exit_code": result.returncode, "seconds": round(seconds, 1)})
        print(f"{name:<10} exit {result.returncode}  {seconds:6.1f} s", flush=True)
    log.close()
    summary["ok"] = all(step["exit_code"] == 0 for step in summary["steps"])
    (out / "device_check.json").write_text(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


def _pytest(out, *selection):
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rs",
        *selection,
        f"--junitxml={out / 'gpu_tests.xml'}",
    ]


def _run_args(out, paths, *extra):
    return [
        "run",
        "--preset",
        "coreweave",
        "--backend",
        "cuda",
        "--paths",
        str(paths),
        "--json",
        "-o",
        str(out / "run"),
        "--overwrite",
        *extra,
    ]


def _bench_args(out, backends, *extra):
    return ["bench", "--backends", backends, *extra, "--json", "-o", str(out / "bench.json")]


def _device_cc(environment):
    probe = "from numba import cuda; print('%d%d' % cuda.get_current_device().compute_capability)"
    result = subprocess.run([sys.executable, "-c", probe], env=environment, capture_output=True, text=True)
    return result.stdout.strip() or "90"


if __name__ == "__main__":
    sys.exit(main())

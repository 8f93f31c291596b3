"""The device check: everything worth knowing from a few minutes on one GPU, in one command.

    python benchmarks/device_check.py --out "$OUT"            # on the GPU machine (< 4 min on one H100)
    python benchmarks/device_check.py --out /tmp/dry --dry-run # here, on the CUDA simulator

Steps, each logged to OUT/device_check.log:

1. ``info``: ``gpu-stress info``: versions, driver, runtime, GPU;
2. ``kernels``: ``gpu-stress kernels`` for the GPU's own compute capability (registers, spills);
3. ``gpu_tests``: the GPU tests (every test marked ``gpu``): cuda against cpu path by path on
   GPU_STRESS_TEST_PATHS paths (1M by default) in float64, float32 against
   float64 statistics, device reductions against host reductions, and the
   textbook limits and debt schedules run on the cuda backend;
4. ``run``: an end-to-end ``gpu-stress run --backend cuda --no-paths`` of the coreweave preset,
   into a temporary directory;
5. ``verify``: ``gpu-stress verify`` of that results directory, which is then packed into
   OUT/run.tar.gz;
6. ``bench``: ``gpu-stress bench`` (cpu and cuda, with the draws-only and naive baselines);
7. ``bench_portfolio``: ``gpu-stress bench --portfolio`` (the neoclouds portfolio, cpu and cuda).

The machine that runs this returns only plain files directly under OUT, at most 8 of them, so
everything lands there as one flat set of at most 8 files (``FILES``), and the script checks
that before it ends:

    device_check.json  the essential figures: each step's exit code and seconds, the GPU,
                       registers/spills per kernel, the GPU tests' counts, the run's PD and
                       expected loss, the bench rows and checks (null where a step failed)
    device_check.log   every step's command, stdout and stderr
    info.json          ``gpu-stress info --json``
    kernels.json       ``gpu-stress kernels --json``
    gpu_tests.xml      pytest's junit xml of the GPU tests
    run.tar.gz         the run's results directory (run/run.json, run/scenarios.arrow, ...)
    bench.json         ``gpu-stress bench --json``
    bench_portfolio.json  ``gpu-stress bench --portfolio --json``

device_check.json is rewritten after every step, so a check cut short still leaves its figures.
A failing step is recorded and the next one still runs. ``--dry-run`` swaps
the GPU for numba's CUDA simulator and shrinks every size, so the script is
known to work before it first meets a GPU.
"""

import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUMMARY = "device_check.json"
LOG = "device_check.log"
INFO = "info.json"
KERNELS = "kernels.json"
GPU_TESTS = "gpu_tests.xml"
ARCHIVE = "run.tar.gz"
BENCH = "bench.json"
BENCH_PORTFOLIO = "bench_portfolio.json"
FILES = (SUMMARY, LOG, INFO, KERNELS, GPU_TESTS, ARCHIVE, BENCH, BENCH_PORTFOLIO)

# What the device machine brings back from OUT: plain files directly under it, named so.
MAX_FILES = 8
MAX_FILE_BYTES = 16 * 2**20
MAX_TOTAL_BYTES = 64 * 2**20
NAME = re.compile(r"[A-Za-z0-9._-]+")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="folder for the (at most 8) files that come back")
    parser.add_argument("--dry-run", action="store_true", help="CUDA simulator and tiny sizes (no GPU needed)")
    parser.add_argument("--paths", type=int, default=1_000_000, help="paths of the path-by-path GPU test")
    parser.add_argument("--step-timeout", type=float, default=400, help="seconds after which a step is stopped")
    arguments = parser.parse_args()
    out = arguments.out
    refusal = _prepare(out)
    if refusal:
        print(f"device_check: {refusal}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="device_check-") as workspace:
        return _check(out, Path(workspace), arguments)


def _prepare(out):
    """Create OUT, clear this script's own files from an earlier check; refuse anything else there."""
    if out.exists() and not out.is_dir():
        return f"--out {out} is not a folder"
    out.mkdir(parents=True, exist_ok=True)
    strangers = sorted(entry.name for entry in out.iterdir() if entry.name not in FILES or not entry.is_file())
    if strangers:
        return f"--out {out} holds {', '.join(strangers)}: give an empty folder (only the files come back)"
    for name in FILES:
        (out / name).unlink(missing_ok=True)
    return None


def _check(out, workspace, arguments):
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    gpu = [sys.executable, "-m", "gpu_stress"]
    results = workspace / "run"
    if arguments.dry_run:
        simulated = dict(environment, NUMBA_ENABLE_CUDASIM="1")
        steps = [
            ("info", [*gpu, "info", "--json"], environment),
            ("kernels", [*gpu, "kernels", "--cc", "90", "--json"], environment),  # one target: the suite checks both
            ("gpu_tests", _pytest(out, "tests/test_cuda.py", "-k", "simulated"), environment),
            ("run", gpu + _run_args(results, 64, "--set", "simulation.band_paths=16"), simulated),
            ("verify", [*gpu, "verify", str(results)], environment),
            ("bench", [*gpu, *_bench_args(out, "cpu", "--paths", "2000", "--repeats", "1")], environment),
            (
                "bench_portfolio",
                [*gpu, *_bench_args(out, "cpu", "--portfolio", "--paths", "500", "--repeats", "1")],
                environment,
            ),
        ]
    else:
        gpu_environment = dict(environment, GPU_STRESS_TEST_PATHS=str(arguments.paths))
        steps = [
            ("info", [*gpu, "info", "--json"], environment),
            ("kernels", [*gpu, "kernels", "--cc", _device_cc(environment), "--json"], environment),
            ("gpu_tests", _pytest(out, "tests", "-m", "gpu"), gpu_environment),
            ("run", gpu + _run_args(results, 1_000_000), environment),
            ("verify", [*gpu, "verify", str(results)], environment),
            ("bench", [*gpu, *_bench_args(out, "cpu,cuda", "--repeats", "5")], environment),
            ("bench_portfolio", [*gpu, *_bench_args(out, "cpu,cuda", "--portfolio", "--repeats", "3")]),
        ]

    summary = {
        "dry_run": arguments.dry_run,
        "ok": False,
        "steps": [],
        "gpu": None,
        "kernels": None,
        "gpu_tests": None,
        "run": None,
        "archive": None,
        "bench": None,
        "bench_portfolio": None,
        "files": [],
        "file_problems": [],
    }
    with open(out / LOG, "w") as log:
        for name, command, *chosen in steps:
            step_environment = chosen[0] if chosen else environment
            result, seconds = _step(log, name, command, step_environment, arguments.step_timeout)
            summary["steps"].append({"step": name, "exit_code": result.returncode, "seconds": round(seconds, 1)})
            print(f"{name:<10} exit {result.returncode}  {seconds:6.1f} s", flush=True)
            if name == "info":
                _keep(out / INFO, result)
                summary["gpu"] = _figures(log, _gpu_figures, result)
            elif name == "kernels":
                _keep(out / KERNELS, result)
                summary["kernels"] = _figures(log, _kernel_figures, result)
            elif name == "gpu_tests":
                summary["gpu_tests"] = _figures(log, _test_figures, out / GPU_TESTS)
            elif name == "run":
                summary["run"] = _figures(log, _run_figures, result, seconds)
            elif name == "verify":
                summary["archive"] = _figures(log, _pack, workspace, out / ARCHIVE)
            elif name in ("bench", "bench_portfolio"):
                summary[name] = _figures(log, _bench_figures, out / _bench_file(name), result)
            _write_summary(out, summary)

    # The summary lists what comes back; write it once more so the list includes it.
    (out / SUMMARY).touch()
    summary["files"], summary["file_problems"] = _returnable(out)
    summary["ok"] = not summary["file_problems"] and all(step["exit_code"] == 0 for step in summary["steps"])
    _write_summary(out, summary)

    files, problems = _returnable(out)
    for name in files:
        print(f"  {name:<20} {(out / name).stat().st_size:>12,} bytes")
    for problem in problems:
        print(f"will not come back: {problem}", file=sys.stderr)
    return 0 if summary["ok"] and not problems else 1


def _step(log, name, command, environment, timeout):
    """Run one step, log its command and output; (CompletedProcess, seconds).

    A step past its time is stopped with every process it started (it runs in its own
    process group) and exits 124.
    """
    started = time.perf_counter()
    log.write(f"\n=== {name}: {' '.join(command)}\n")
    log.flush()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        _stop(process)
        stdout, stderr = _rest(process)
        code, stderr = 124, stderr + f"\nstopped after {timeout:.0f} s\n"
    except BaseException:
        _stop(process)
        raise
    seconds = time.perf_counter() - started
    log.write(stdout + stderr)
    log.write(f"=== {name}: exit {code} after {seconds:.1f} s\n")
    log.flush()
    return subprocess.CompletedProcess(command, code, stdout, stderr), seconds


def _stop(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _rest(process):
    """What a stopped step had printed."""
    try:
        return process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return "", ""


def _keep(path, result):
    """Keep a step's JSON stdout as a file (a kernel report with problems exits 1 and is still kept)."""
    if result.returncode in (0, 1) and result.stdout.strip():
        path.write_text(result.stdout)


def _figures(log, figures, *arguments):
    """figures(*arguments), or None (and the reason in the log) when the step left nothing to read."""
    try:
        return figures(*arguments)
    except Exception as error:
        log.write(f"=== device_check: no {figures.__name__.strip('_')}: {type(error).__name__}: {error}\n")
        log.flush()
        return None


def _document(result):
    """The JSON object a step printed on stdout (after any stray lines before it)."""
    text = result.stdout
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(text[text.index("{") :])


def _gpu_figures(result):
    found = _document(result)
    cuda = found["cuda"]
    gpus = cuda.get("gpus") or []
    return {
        "name": gpus[0]["name"] if gpus else None,
        "compute_capability": gpus[0].get("compute_capability") if gpus else None,
        "memory_gib": gpus[0].get("memory_gib") if gpus else None,
        "count": len(gpus),
        "driver": cuda.get("driver"),
        "runtime": cuda.get("runtime"),
        "problem": cuda.get("problem"),
        "auto_backend": found.get("auto_backend"),
        "versions": found.get("versions"),
    }


def _kernel_figures(result):
    return [
        {
            "kernel": item["kernel"],
            "precision": item["precision"],
            "target": item["target"],
            "registers": item["registers"],
            "spill_stores": item["spill_stores"],
            "spill_loads": item["spill_loads"],
            "stack_bytes": item.get("stack_bytes"),
            "float64_instructions": len(item.get("float64_instructions") or []),
            "problems": item.get("problems", []),
        }
        for item in json.loads(result.stdout)
    ]


def _test_figures(path):
    """passed/failed/errors/skipped from pytest's junit xml (one <testsuite>, or several under <testsuites>)."""
    root = ElementTree.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    keys = ("tests", "failures", "errors", "skipped")
    counts = {key: sum(int(suite.get(key, 0)) for suite in suites) for key in keys}
    failed = [
        f"{case.get('classname')}::{case.get('name')}"
        for suite in suites
        for case in suite.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    return {
        "tests": counts["tests"],
        "passed": counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"],
        "failed": counts["failures"],
        "errors": counts["errors"],
        "skipped": counts["skipped"],
        "failed_tests": failed[:20],
    }


def _run_figures(result, seconds):
    """The headline scenario of ``run --json``'s document; the wall time is the step's (start-up and JIT included)."""
    document = _document(result)
    headline = document["scenarios"][0]
    run = document.get("run") or {}
    simulation = run.get("simulation") or {}
    return {
        "backend": run.get("backend"),
        "device": run.get("device"),
        "paths": headline.get("paths", simulation.get("paths")),
        "horizon_months": simulation.get("horizon_months"),
        "precision": simulation.get("precision"),
        "pd": headline["pd"],
        "pd_ci": [headline.get("pd_ci_low"), headline.get("pd_ci_high")],
        "expected_loss": headline["expected_loss"],
        "wall_seconds": round(seconds, 1),
    }


def _pack(workspace, archive):
    """Pack the run's folder (and any staging folder a failed run left) into one archive."""
    entries = sorted(workspace.iterdir())
    if not entries:
        raise FileNotFoundError(f"the run left nothing in {workspace}")
    with tarfile.open(archive, "w:gz") as tar:
        for entry in entries:
            tar.add(entry, arcname=entry.name)
    with tarfile.open(archive) as tar:
        members = [member.name for member in tar.getmembers() if member.isfile()]
    return {"file": archive.name, "bytes": archive.stat().st_size, "members": members[:50]}


def _bench_figures(path, result):
    record = json.loads(path.read_text()) if path.is_file() else _document(result)
    return {
        "rows": [
            {
                "kernel": row["kernel"],
                "backend": row["backend"],
                "precision": row.get("precision"),
                "paths": row["paths"],
                "seconds": row.get("seconds"),
                "path_steps_per_s": row["path_steps_per_s"],
                "firm_path_steps_per_s": row.get("firm_path_steps_per_s"),
            }
            for row in record["rows"]
        ],
        "checks": record.get("checks"),
    }


def _returnable(out):
    """(names under OUT, problems): what would not come back from the device machine."""
    entries = sorted(out.iterdir())
    problems = []
    if len(entries) > MAX_FILES:
        problems.append(f"{len(entries)} entries under {out}, at most {MAX_FILES} come back")
    total = 0
    for entry in entries:
        if entry.is_symlink() or not entry.is_file():
            problems.append(f"{entry.name}: not a plain file")
            continue
        size = entry.stat().st_size
        total += size
        if size > MAX_FILE_BYTES:
            problems.append(f"{entry.name}: {size:,} bytes, at most {MAX_FILE_BYTES:,} come back")
        if not NAME.fullmatch(entry.name):
            problems.append(f"{entry.name}: only letters, digits, '.', '_' and '-' come back")
    if total > MAX_TOTAL_BYTES:
        problems.append(f"{total:,} bytes in all, at most {MAX_TOTAL_BYTES:,} come back")
    return [entry.name for entry in entries], problems


def _write_summary(out, summary):
    (out / SUMMARY).write_text(json.dumps(_finite(summary), indent=2, default=str) + "\n")


def _finite(value):
    """The value with NaN and infinities as null, so the file is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _pytest(out, *selection):
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rs",
        "-p",
        "no:cacheprovider",
        *selection,
        f"--junitxml={out / GPU_TESTS}",
    ]


def _run_args(results, paths, *extra):
    return [
        "run",
        "--preset",
        "coreweave",
        "--backend",
        "cuda",
        "--paths",
        str(paths),
        "--no-paths",
        "--json",
        "-o",
        str(results),
        "--overwrite",
        *extra,
    ]


def _bench_file(step):
    return BENCH_PORTFOLIO if step == "bench_portfolio" else BENCH


def _bench_args(out, backends, *extra):
    target = out / (BENCH_PORTFOLIO if "--portfolio" in extra else BENCH)
    return ["bench", "--backends", backends, *extra, "--json", "-o", str(target)]


def _device_cc(environment):
    probe = "from numba import cuda; print('%d%d' % cuda.get_current_device().compute_capability)"
    try:
        result = subprocess.run(
            [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired:
        return "90"
    return result.stdout.strip() or "90"


if __name__ == "__main__":
    sys.exit(main())

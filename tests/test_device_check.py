"""The device check leaves only what the device machine brings back: at most 8 plain files, no folders."""

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import kernel_toolchain_problem

pytestmark = pytest.mark.slow  # runs the device check end to end on the simulator

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "device_check.py"
STEPS = ["info", "kernels", "gpu_tests", "run", "verify", "bench", "bench_portfolio"]
KEYS = {"dry_run", "ok", "steps", "gpu", "kernels", "gpu_tests", "run", "archive", "bench", "bench_portfolio"}
KEYS |= {"files", "file_problems"}


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("device_check_out")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # 1 is a failed step (a kernel with problems, say), recorded and not fatal; 2 would be bad --out.
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return out, result


TOOLCHAIN_PROBLEM = kernel_toolchain_problem()


def test_only_plain_files_directly_under_out(dry_run):
    out, _ = dry_run
    entries = sorted(out.iterdir())
    assert 0 < len(entries) <= 8, [entry.name for entry in entries]
    assert [entry.name for entry in entries if entry.is_symlink() or not entry.is_file()] == []
    expected = {
        "device_check.json",
        "device_check.log",
        "info.json",
        "kernels.json",
        "gpu_tests.xml",
        "run.tar.gz",
        "bench.json",
        "bench_portfolio.json",
    }
    if TOOLCHAIN_PROBLEM is not None:  # no kernel report to keep: test_summary_has_the_kernel_figures skips
        expected.discard("kernels.json")
    assert {entry.name for entry in entries} == expected


def test_summary_has_the_essential_figures(dry_run):
    out, _ = dry_run
    summary = json.loads((out / "device_check.json").read_text())
    assert KEYS <= set(summary)
    assert summary["dry_run"] is True
    assert [step["step"] for step in summary["steps"]] == STEPS
    assert all(isinstance(step["exit_code"], int) and step["seconds"] >= 0 for step in summary["steps"])
    assert summary["files"] == sorted(entry.name for entry in out.iterdir())
    assert summary["file_problems"] == []
    codes = {step["step"]: step["exit_code"] for step in summary["steps"]}

    assert {"name", "driver", "runtime"} <= set(summary["gpu"])
    assert codes["gpu_tests"] == 0
    assert summary["gpu_tests"]["passed"] >= 1
    assert summary["gpu_tests"]["failed"] == summary["gpu_tests"]["errors"] == 0
    assert codes["run"] == 0
    run = summary["run"]
    assert run["backend"] == "cuda" and 0 <= run["pd"] <= 1 and run["expected_loss"] >= 0 and run["wall_seconds"] > 0
    assert codes["bench"] == 0
    assert summary["bench"]["rows"] and summary["bench"]["checks"] is not None
    for row in summary["bench"]["rows"]:
        assert {"kernel", "backend", "paths", "path_steps_per_s"} <= set(row)
    assert codes["bench_portfolio"] == 0
    (row,) = summary["bench_portfolio"]["rows"]
    assert row["kernel"] == "portfolio" and row["firm_path_steps_per_s"] == pytest.approx(5 * row["path_steps_per_s"])


@pytest.mark.skipif(TOOLCHAIN_PROBLEM is not None, reason=f"needs the CUDA compiler toolkit: {TOOLCHAIN_PROBLEM}")
def test_summary_has_the_kernel_figures(dry_run):
    out, _ = dry_run
    assert (out / "kernels.json").is_file()
    summary = json.loads((out / "device_check.json").read_text())
    codes = {step["step"]: step["exit_code"] for step in summary["steps"]}
    assert codes["kernels"] in (0, 1)
    assert summary["kernels"], "no kernel figures"
    for item in summary["kernels"]:
        assert {"kernel", "precision", "target", "registers", "spill_stores", "spill_loads"} <= set(item)
        assert {"float64_instructions", "problems"} <= set(item)


def test_archive_holds_the_results_directory(dry_run):
    out, _ = dry_run
    with tarfile.open(out / "run.tar.gz") as archive:
        members = [member.name for member in archive.getmembers() if member.isfile()]
        record = json.load(archive.extractfile("run/run.json"))
    assert {"run/run.json", "run/scenarios.arrow"} <= set(members)
    assert [name for name in members if "/paths/" in name] == []  # run with --no-paths
    assert record["status"] == "complete"


def test_stdout_lists_every_step_and_file(dry_run):
    out, result = dry_run
    for step in STEPS:
        assert step in result.stdout
    for entry in out.iterdir():
        assert entry.name in result.stdout


def test_refuses_an_out_folder_holding_other_things(tmp_path):
    (tmp_path / "run").mkdir()
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "run" in result.stderr
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["run"]

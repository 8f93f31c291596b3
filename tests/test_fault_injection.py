"""A run killed at any write boundary loses nothing: resume (or the next run) publishes results identical to an
uninterrupted run's, and no temporary survives.

Each case runs ``gpu-stress run`` in a subprocess that dies by ``os._exit`` (no cleanup, like SIGKILL)
just before or just after its k-th rename or directory removal in the results directory, for k = 1, 2, ...
until a run completes without reaching k. Every file a run writes is renamed into place, so these are
all of its write boundaries: each unit's per-path file, summary and record, the tables, run.json, the
removal of the unit summaries, and the renames that publish (and, with --overwrite, move the old
results aside and delete them).
"""

import json
import subprocess
import sys

import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from gpu_stress.cli import main
from gpu_stress.results import ownership
from gpu_stress.results.store import ResultsError
from gpu_stress.results.verify import verify

pytestmark = pytest.mark.slow  # kills runs at every write boundary

ARGS = [
    "--preset",
    "nebius",
    "--paths",
    "200",
    "--horizon",
    "24",
    "--backend",
    "numpy",
    "--set",
    "simulation.chunk_paths=100",
    "--set",
    "simulation.band_paths=50",
]
OLD_ARGS = ["--preset", "lambda", "--paths", "120", "--horizon", "12", "--backend", "numpy"]

KILLED = 137
SCRIPT = """
import os, sys
from gpu_stress.results import ownership
from gpu_stress.cli import main

kill_at, when = int(sys.argv[1]), sys.argv[2]
calls = 0

def at_boundary(operation):
    def operation_that_may_die(*args):
        global calls
        calls += 1
        if calls == kill_at and when == "before":
            os._exit(137)
        operation(*args)
        if calls == kill_at and when == "after":
            os._exit(137)
    return operation_that_may_die

ownership.rename = at_boundary(ownership.rename)
ownership.remove_tree = at_boundary(ownership.remove_tree)
ownership.remove_file = at_boundary(ownership.remove_file)
main(sys.argv[3:], prog_name="gpu-stress")
"""


def contents(directory):
    paths = ds.dataset(directory / "paths", format="ipc").to_table().sort_by("path_id")
    scenarios = ds.dataset(directory / "scenarios.arrow", format="ipc").to_table()
    bands = ds.dataset(directory / "bands.arrow", format="ipc").to_table()
    return paths, scenarios, bands


def run_id(directory):
    return json.loads((directory / "run.json").read_text())["run_id"]


def intact(directory):
    try:
        verify(directory)
    except ResultsError:
        return False
    return True


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    output = tmp_path_factory.mktemp("reference") / "out"
    assert CliRunner().invoke(main, ["run", *ARGS, "-o", str(output)]).exit_code == 0
    return contents(output)


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("overwrite", [False, True], ids=["new", "overwrite"])
def test_a_kill_at_every_write_boundary_then_resume_equals_an_uninterrupted_run(reference, tmp_path, when, overwrite):
    kill_at = 0
    while True:
        kill_at += 1
        folder = tmp_path / f"kill-{kill_at}"
        folder.mkdir()
        output = folder / "out"
        extra, old_run = [], None
        if overwrite:  # earlier results that must survive until the new ones are complete
            assert CliRunner().invoke(main, ["run", *OLD_ARGS, "-o", str(output)]).exit_code == 0
            extra, old_run = ["--overwrite"], run_id(output)
        command = [sys.executable, "-c", SCRIPT, str(kill_at), when, "run", *ARGS, *extra, "-o", str(output)]
        process = subprocess.run(command, capture_output=True, text=True)
        if process.returncode == 0:
            break  # no boundary left to kill at
        assert process.returncode == KILLED, process.stderr

        # Nothing is lost: the old or the new results are whole somewhere, whatever the moment of the kill.
        staging = output.with_name("out.partial")
        candidates = [output, staging, *ownership.previous_results(output)]
        assert overwrite is False or any(intact(candidate) for candidate in candidates if candidate.is_dir())
        if staging.exists():
            result = CliRunner().invoke(main, ["run", "--resume", str(output)])
            assert result.exit_code == 0, (kill_at, result.output)
        elif intact(output) and run_id(output) != old_run:  # killed after publishing: resume tidies up
            result = CliRunner().invoke(main, ["run", "--resume", str(output)])
            assert result.exit_code == 2 and "already complete" in result.stderr
        else:  # killed before the run existed: the user runs the command again
            result = CliRunner().invoke(main, ["run", *ARGS, *extra, "-o", str(output)])
            assert result.exit_code == 0, (kill_at, result.output)

        verify(output)
        assert sorted(path.name for path in folder.iterdir()) == ["out"], kill_at  # no staging, old copy, temp
        for recovered, uninterrupted in zip(contents(output), reference, strict=True):
            assert recovered.equals(uninterrupted), kill_at
    assert kill_at > 12  # every unit file, table, run.json and the publish were reached

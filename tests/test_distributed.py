"""Runs sharded over a local Dask cluster give exactly the single-process results."""

import os
import signal

import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from gpu_stress import engine
from gpu_stress.cli import main
from gpu_stress.config.load import load_table

pytest.importorskip("distributed")
from gpu_stress import distributed

pytestmark = pytest.mark.slow  # starts Dask clusters

OPTIONS = [
    "--preset",
    "crusoe",
    "--paths",
    "40000",
    "--backend",
    "numpy",
    "--sweep",
    "firm.cash=2e8,4e8",
    "--set",
    "simulation.chunk_paths=2000",
    "--set",
    "simulation.band_paths=500",
]


def table_of(directory, name):
    table = ds.dataset(directory / name, format="ipc").to_table()
    if name == "paths":
        return table.sort_by([("scenario_id", "ascending"), ("path_id", "ascending")])
    return table


def assert_identical(first, second):
    for name in ("paths", "scenarios.arrow", "bands.arrow"):
        assert table_of(first, name).equals(table_of(second, name)), name
    parts = sorted(path.name for path in (first / "paths").iterdir())
    assert parts == sorted(path.name for path in (second / "paths").iterdir())  # one file per unit, no leftovers


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    output = tmp_path_factory.mktemp("single") / "single"
    assert CliRunner().invoke(main, ["run", *OPTIONS, "-o", str(output)]).exit_code == 0
    return output


def test_local_cluster_of_two_processes_matches_a_single_process(reference, tmp_path):
    output = tmp_path / "cluster"
    result = CliRunner().invoke(main, ["run", *OPTIONS, "--cluster", "local:2", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "cluster: 2 workers" in result.stderr
    assert_identical(output, reference)


def test_a_worker_killed_midway_does_not_change_the_results(reference, tmp_path):
    arguments = dict(zip(OPTIONS[::2], OPTIONS[1::2], strict=True))
    table = load_table(
        preset="crusoe",
        overrides=["simulation.paths=40000", "simulation.chunk_paths=2000", "simulation.band_paths=500"],
    )
    job = engine.start(table, tmp_path / "killed", sweeps=[("firm.cash", [2e8, 4e8])], backend=arguments["--backend"])
    killed = []

    def kill_one_worker_after_five(unit):
        done = len(job.units) - len(job.pending())
        if done >= 5 and not killed:
            victim_address, victim_pid = sorted(client.run(os.getpid).items())[0]
            os.kill(victim_pid, signal.SIGKILL)
            killed.append(victim_address)

    with distributed.connect("local:2") as client:
        distributed.execute(job, client, on_unit_done=kill_one_worker_after_five)
    assert killed and job.pending() == []
    assert_identical(job.finish(), reference)


def test_resume_of_a_run_on_a_cluster(reference, tmp_path):
    table = load_table(
        preset="crusoe",
        overrides=["simulation.paths=40000", "simulation.chunk_paths=2000", "simulation.band_paths=500"],
    )
    job = engine.start(table, tmp_path / "resumed", sweeps=[("firm.cash", [2e8, 4e8])], backend="numpy")
    job.execute(job.units[:7])  # an earlier, interrupted run
    job.close()
    result = CliRunner().invoke(main, ["run", "--resume", str(tmp_path / "resumed"), "--cluster", "local:2"])
    assert result.exit_code == 0, result.output
    assert_identical(tmp_path / "resumed", reference)


def test_bad_cluster_option_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["run", "--paths", "100", "--cluster", "remote", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "cluster" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []

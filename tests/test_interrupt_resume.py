"""Interrupted runs never look complete, and --resume finishes them identically."""

import json

import pyarrow.dataset as ds
from click.testing import CliRunner

from gpu_stress import engine
from gpu_stress.cli import main
from helpers import interrupt_after

ARGS = [
    "--preset",
    "crusoe",
    "--paths",
    "6000",
    "--set",
    "simulation.chunk_paths=1000",
    "--set",
    "simulation.band_paths=500",
]


def read(directory):
    paths = ds.dataset(directory / "paths", format="ipc").to_table().sort_by("path_id")
    scenarios = ds.dataset(directory / "scenarios.arrow", format="ipc").to_table().drop_columns(["config"])
    bands = ds.dataset(directory / "bands.arrow", format="ipc").to_table()
    return paths, scenarios, bands


def test_ctrl_c_keeps_finished_chunks_and_resume_matches_an_uninterrupted_run(tmp_path, monkeypatch):
    reference = tmp_path / "reference"
    assert CliRunner().invoke(main, ["run", *ARGS, "-o", str(reference)]).exit_code == 0

    output = tmp_path / "out"
    real_run_unit = engine.run_unit
    calls = []

    def interrupted_after_three(spec, unit):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(unit)
        return real_run_unit(spec, unit)

    monkeypatch.setattr(engine, "run_unit", interrupted_after_three)
    result = CliRunner().invoke(main, ["run", *ARGS, "-o", str(output)])
    assert result.exit_code == 130
    assert "--resume" in result.stderr
    assert not output.exists()  # nothing that looks complete
    staging = tmp_path / "out.partial"
    assert len(list((staging / "units").glob("*.json"))) == 3
    assert not (staging / "scenarios.arrow").exists()

    monkeypatch.setattr(engine, "run_unit", real_run_unit)
    result = CliRunner().invoke(main, ["run", "--resume", str(output)])
    assert result.exit_code == 0, result.output
    assert not staging.exists()
    for resumed, uninterrupted in zip(read(output), read(reference), strict=True):
        assert resumed.equals(uninterrupted)


def test_resume_of_a_finished_run_says_so(tmp_path):
    output = tmp_path / "done"
    CliRunner().invoke(main, ["run", "--preset", "nebius", "--paths", "200", "-o", str(output)])
    result = CliRunner().invoke(main, ["run", "--resume", str(output)])
    assert result.exit_code == 2 and "already complete" in result.stderr


def test_an_overwriting_run_keeps_overwriting_when_resumed(tmp_path, monkeypatch):
    output = tmp_path / "out"
    assert CliRunner().invoke(main, ["run", "--preset", "nebius", "--paths", "200", "-o", str(output)]).exit_code == 0
    previous = (output / "run.json").read_text()
    real_run_unit = interrupt_after(2, monkeypatch)
    assert CliRunner().invoke(main, ["run", *ARGS, "--overwrite", "-o", str(output)]).exit_code == 130
    assert (output / "run.json").read_text() == previous  # the old results stay until the new ones are complete
    monkeypatch.setattr(engine, "run_unit", real_run_unit)
    result = CliRunner().invoke(main, ["run", "--resume", str(output)])
    assert result.exit_code == 0, result.output
    assert json.loads((output / "run.json").read_text())["simulation"]["paths"] == 6000
    assert not (output / "units").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]  # no staging, no old copy left


def test_leftover_temporary_files_are_not_published(tmp_path, monkeypatch):
    output = tmp_path / "out"
    real_run_unit = interrupt_after(2, monkeypatch)
    CliRunner().invoke(main, ["run", *ARGS, "-o", str(output)])
    (tmp_path / "out.partial" / "paths" / ".part-s000000-p000000009000.arrow.deadbeef.tmp").write_bytes(b"half")
    monkeypatch.setattr(engine, "run_unit", real_run_unit)
    assert CliRunner().invoke(main, ["run", "--resume", str(output)]).exit_code == 0
    assert [path.name for path in (output / "paths").iterdir() if path.name.startswith(".")] == []


def test_resume_on_another_backend_is_recorded(tmp_path, monkeypatch):
    output = tmp_path / "out"
    real_run_unit = interrupt_after(2, monkeypatch)
    CliRunner().invoke(main, ["run", *ARGS, "--backend", "numpy", "-o", str(output)])
    monkeypatch.setattr(engine, "run_unit", real_run_unit)
    assert CliRunner().invoke(main, ["run", "--resume", str(output), "--backend", "cpu"]).exit_code == 0
    record = json.loads((output / "run.json").read_text())
    assert record["backends_used"] == ["numpy", "cpu"] and record["backend"] == "cpu"


def test_resume_refuses_new_settings(tmp_path):
    result = CliRunner().invoke(main, ["run", "--resume", str(tmp_path / "x"), "--paths", "5"])
    assert result.exit_code == 2 and "--paths cannot be combined with --resume" in result.stderr

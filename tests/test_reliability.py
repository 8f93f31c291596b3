"""What gpu-stress promises about its results directory: nothing of the user's is deleted, damage is found,
every failure is one line, one writer at a time, no value is a null, no temporary is left or published."""

import json
import os
import shutil

import numpy as np
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

import gpu_stress
import gpu_stress.results.manifest
from gpu_stress import engine
from gpu_stress.cli import main
from gpu_stress.config.load import load_table
from gpu_stress.results import ownership, store
from gpu_stress.results.verify import verify
from helpers import error_lines, interrupt_after, reseal

SMALL = ["--preset", "nebius", "--paths", "300", "--horizon", "24", "--backend", "numpy"]
CHUNKED = [*SMALL, "--set", "simulation.chunk_paths=100", "--set", "simulation.band_paths=50"]


def invoke(*arguments):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def one_line_exit_2(result, *names):
    """Exit 2 and one line of error on stderr (after any status line, e.g. the backend's), naming ``names``."""
    lines = error_lines(result.stderr)
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, lines
    assert "Traceback" not in result.output
    for name in names:
        assert str(name) in lines[0], lines[0]
    return lines[0]


def contents(directory):
    paths = ds.dataset(directory / "paths", format="ipc").to_table().sort_by("path_id")
    return paths, ds.dataset(directory / "scenarios.arrow", format="ipc").to_table()


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    output = tmp_path_factory.mktemp("finished") / "out"
    assert invoke("run", *CHUNKED, "-o", output).exit_code == 0
    return output


@pytest.fixture
def results(finished, tmp_path):
    """A private copy of a finished results directory."""
    return shutil.copytree(finished, tmp_path / "results")


# --- data loss ----------------------------------------------------------------------------------


def test_overwrite_refuses_a_folder_that_is_not_results(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    one_line_exit_2(invoke("run", *SMALL, "-o", ".", "--overwrite"), "not a gpu-stress results directory")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data", "notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_overwrite_refuses_results_with_something_of_the_users_inside(results):
    (results / "my-analysis.parquet").write_bytes(b"precious")
    one_line_exit_2(invoke("run", *SMALL, "-o", results, "--overwrite"), "my-analysis.parquet")
    assert (results / "my-analysis.parquet").read_bytes() == b"precious"
    assert not results.with_name("results.partial").exists()


def test_overwrite_refuses_a_fake_run_json(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "run.json").write_text('{"status": "complete"}')
    one_line_exit_2(invoke("run", *SMALL, "-o", target, "--overwrite"), "not a gpu-stress results directory")
    assert (target / "run.json").exists()


def test_overwrite_replaces_our_own_results(results):
    before = json.loads((results / "run.json").read_text())["run_id"]
    assert invoke("run", *SMALL, "--seed", "9", "-o", results, "--overwrite").exit_code == 0
    assert json.loads((results / "run.json").read_text())["run_id"] != before
    assert sorted(path.name for path in results.parent.iterdir()) == ["results"]


# --- damage is detected ---------------------------------------------------------------------------


def interrupted(tmp_path, monkeypatch, after=2):
    """An interrupted CHUNKED run in tmp_path/out.partial with ``after`` of its 3 units done."""
    real_run_unit = interrupt_after(after, monkeypatch)
    assert invoke("run", *CHUNKED, "-o", tmp_path / "out").exit_code == 130
    monkeypatch.setattr(engine, "run_unit", real_run_unit)
    return tmp_path / "out.partial"


DAMAGE = {
    "truncated part": lambda staging: _truncate(next((staging / "paths").glob("part-*"))),
    "overwritten part": lambda staging: _flip_a_byte(next((staging / "paths").glob("part-*"))),
    "deleted part": lambda staging: next((staging / "paths").glob("part-*")).unlink(),
    "part of another unit": lambda staging: _swap_parts(staging),
    "truncated summary": lambda staging: _truncate(next((staging / "units").glob("*.npz"))),
    "deleted summary": lambda staging: next((staging / "units").glob("*.npz")).unlink(),
    "garbage record": lambda staging: next((staging / "units").glob("*.json")).write_text("{"),
}


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _swap_parts(staging):
    first, second = sorted((staging / "paths").glob("part-*"))[:2]
    shutil.copyfile(second, first)


@pytest.mark.parametrize("damage", DAMAGE)
def test_resume_recomputes_damaged_units_and_equals_an_uninterrupted_run(finished, tmp_path, monkeypatch, damage):
    staging = interrupted(tmp_path, monkeypatch)
    DAMAGE[damage](staging)
    (staging / "paths" / "part-planted.arrow").write_bytes(b"not results")  # never published either
    result = invoke("run", "--resume", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "recomputing chunk" in result.stderr
    verify(tmp_path / "out")  # the published directory verifies and equals the uninterrupted run
    for resumed, uninterrupted in zip(contents(tmp_path / "out"), contents(finished), strict=True):
        assert resumed.equals(uninterrupted)


def test_verify_accepts_intact_results(results):
    result = invoke("verify", results)
    assert result.exit_code == 0 and "ok" in result.output


VERIFY_DAMAGE = {
    "truncated scenarios": (lambda d: _truncate(d / "scenarios.arrow"), "scenarios.arrow"),
    "changed bands": (lambda d: _flip_a_byte(d / "bands.arrow"), "bands.arrow"),
    "deleted part": (lambda d: (d / "paths" / "part-s000000-p000000000100.arrow").unlink(), "p000000000100"),
    "extra part": (lambda d: shutil.copyfile(d / "scenarios.arrow", d / "paths" / "part-x.arrow"), "part-x.arrow"),
    "broken run.json": (lambda d: (d / "run.json").write_text("{"), "run.json"),
    "stray folder": (lambda d: (d / "units").mkdir(), "units"),
}


@pytest.mark.parametrize("damage", VERIFY_DAMAGE)
def test_verify_names_the_first_damaged_file(results, damage):
    change, name = VERIFY_DAMAGE[damage]
    change(results)
    result = invoke("verify", results)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], lines


def test_verify_of_no_results_directory_is_bad_input(tmp_path):
    one_line_exit_2(invoke("verify", tmp_path / "nothing"), "nothing")


# --- one line instead of a traceback ------------------------------------------------------------------

READERS = {
    "summarize": lambda directory: ["summarize", directory],
    "plot": lambda directory: ["plot", directory, "-o", directory.parent / "plot.png"],
    "summarize --json": lambda directory: ["summarize", "--json", directory],
}
BROKEN = {
    "missing scenarios": (lambda d: (d / "scenarios.arrow").unlink(), "scenarios.arrow"),
    "truncated scenarios": (lambda d: _truncate(d / "scenarios.arrow"), "scenarios.arrow"),
    "bad run.json": (lambda d: (d / "run.json").write_text("[1, 2"), "run.json"),
    "run.json of something else": (lambda d: (d / "run.json").write_text("[]"), "run.json"),
    "truncated bands": (lambda d: _truncate(d / "bands.arrow"), "bands.arrow"),
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("broken", BROKEN)
def test_damaged_results_are_one_line(results, reader, broken):
    change, name = BROKEN[broken]
    change(results)
    if reader.startswith("summarize") and name == "bands.arrow":
        return  # summarize does not read the bands
    one_line_exit_2(invoke(*READERS[reader](results)), name)


def test_summarize_of_an_unfinished_run_says_resume(tmp_path, monkeypatch):
    staging = interrupted(tmp_path, monkeypatch)
    one_line_exit_2(invoke("summarize", staging), "--resume")
    one_line_exit_2(invoke("summarize", tmp_path / "out"), "--resume")


def test_debug_shows_the_traceback(results):
    (results / "run.json").write_text("[1, 2")
    result = CliRunner().invoke(main, ["--debug", "summarize", str(results)])
    assert result.exit_code != 0 and result.exception is not None  # raised, for the traceback


def test_output_under_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    one_line_exit_2(invoke("run", *SMALL, "-o", blocker / "out"), "output")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]


def test_a_full_disk_is_one_line_and_the_run_stays_resumable(tmp_path, monkeypatch):
    real_write_table = store.write_table
    calls = []

    def full_after_two(path, table):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(path))
        return real_write_table(path, table)

    monkeypatch.setattr(store, "write_table", full_after_two)
    line = one_line_exit_2(invoke("run", *CHUNKED, "-o", tmp_path / "out"), "No space left on device", "--resume")
    assert "part-" in line
    monkeypatch.setattr(store, "write_table", real_write_table)
    assert invoke("run", "--resume", tmp_path / "out").exit_code == 0


def test_unreachable_scheduler_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from gpu_stress import distributed

    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", "2s")
    result = invoke("run", *SMALL, "--scheduler", "tcp://127.0.0.1:9", "-o", tmp_path / "out")
    one_line_exit_2(result, "scheduler", "127.0.0.1:9")
    assert list(tmp_path.iterdir()) == []


BAD_OPTIONS = {
    "plot to an unsupported type": (["plot", "{results}", "-o", "{tmp}/chart.jpg"], "chart.jpg"),
    "plot of a missing scenario": (["plot", "{results}", "-o", "{tmp}/chart.png", "--scenario", "7"], "scenario"),
    "bench record that is not JSON": (["bench", "-o", "{tmp}/bench.txt"], "bench.txt"),
    "bench scaling that is not a number": (["bench", "--scaling", "many"], "--scaling"),
    "bench of an unknown backend": (["bench", "--backends", "tpu"], "--backends"),
    "kernels for a bad target": (["kernels", "--cc", "ampere"], "--cc"),
    "summarize sorted by no column": (["summarize", "{results}", "--sort", "nope"], "sort"),
    "paths that are not a number": (["run", "--paths", "lots", "-o", "{tmp}/x"], "--paths"),
    "unknown command": (["runn"], "runn"),
}


@pytest.mark.parametrize("case", BAD_OPTIONS)
def test_bad_option_values_are_one_line(results, tmp_path, case):
    arguments, name = BAD_OPTIONS[case]
    arguments = [argument.format(results=results, tmp=tmp_path) for argument in arguments]
    one_line_exit_2(invoke(*arguments), name)
    assert not (tmp_path / "chart.png").exists() and not (tmp_path / "x").exists()


# --- one writer at a time --------------------------------------------------------------------------


def test_a_second_writer_gets_one_line_naming_the_running_process(tmp_path, monkeypatch):
    staging = interrupted(tmp_path, monkeypatch)
    running = ownership.Lock(staging).acquire()  # as a run still going would hold it
    try:
        line = one_line_exit_2(invoke("run", "--resume", tmp_path / "out"), "being written by process")
        assert str(os.getpid()) in line
        one_line_exit_2(invoke("run", *CHUNKED, "-o", tmp_path / "out", "--overwrite"), "being written by process")
        assert staging.exists()
    finally:
        running.release()
    assert invoke("run", "--resume", tmp_path / "out").exit_code == 0


def test_overwrite_discards_an_abandoned_unfinished_run(tmp_path, monkeypatch):
    interrupted(tmp_path, monkeypatch)
    one_line_exit_2(invoke("run", *CHUNKED, "-o", tmp_path / "out"), "--resume")
    assert invoke("run", *CHUNKED, "-o", tmp_path / "out", "--overwrite").exit_code == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]


# --- nulls, not sentinels -------------------------------------------------------------------------------


def test_no_value_is_null_in_every_table(tmp_path):
    # Scenario 1's firm defaults in its first month: from then on no tracked path is alive.
    output = tmp_path / "out"
    arguments = [
        "--preset",
        "nebius",
        "--paths",
        "400",
        "--backend",
        "numpy",
        "--sweep",
        "firm.fixed_opex_month=1e6,1e10",
    ]
    assert invoke("run", *arguments, "-o", output).exit_code == 0
    paths = ds.dataset(output / "paths", format="ipc").to_table()
    months = paths["default_month"].to_numpy(zero_copy_only=False)
    causes = paths["default_cause"]
    assert paths["default_month"].null_count > 0 and np.nanmin(months) >= 1  # never -1
    assert causes.null_count == paths["default_month"].null_count
    bands = ds.dataset(output / "bands.arrow", format="ipc").to_table()
    cash = bands.filter(ds.field("variable") == "cash")
    no_live_path = np.asarray(cash["paths"]) == 0
    assert no_live_path.any()
    assert np.asarray(cash["mean"].is_null())[no_live_path].all()
    assert not any(np.isnan(value) for value in bands["mean"].drop_null().to_pylist())
    duckdb = pytest.importorskip("duckdb")
    dataset = ds.dataset(output / "paths", format="ipc")  # noqa: F841 (read by DuckDB)
    average = duckdb.sql("select avg(default_month) from dataset").fetchall()[0][0]
    assert average == pytest.approx(np.nanmean(months))


def test_band_paths_zero_runs_to_completion(tmp_path):
    output = tmp_path / "out"
    assert invoke("run", *SMALL, "--set", "simulation.band_paths=0", "-o", output).exit_code == 0
    assert ds.dataset(output / "bands.arrow", format="ipc").to_table().num_rows == 0
    assert invoke("verify", output).exit_code == 0


def test_sweep_values_of_another_literal_type_are_stored_in_the_keys_type(tmp_path):
    output = tmp_path / "out"
    sweep = ["--sweep", "firm.cash=100000000,2.5e8", "--sweep", "firm.gpus=8000,9000"]
    assert invoke("run", *SMALL, *sweep, "-o", output).exit_code == 0
    scenarios = ds.dataset(output / "scenarios.arrow", format="ipc").to_table()
    assert str(scenarios.schema.field("firm_cash").type) == "double"
    assert str(scenarios.schema.field("firm_gpus").type) == "int64"


# --- leftovers --------------------------------------------------------------------------------------------


def test_leftovers_of_an_interrupted_publish_are_cleaned_and_never_results(results):
    holder = results.with_name(".results.0badc0de.old")  # the previous results, moved aside by --overwrite
    old_copy = shutil.copytree(results, holder / "results")
    (holder / "lock").write_text("gpu-stress run holder of the results replaced by --overwrite\n")
    (results / "lock").write_text("gpu-stress run 0badc0de: process 1 on host\n")  # killed before removing it
    result = invoke("run", "--resume", results)
    assert result.exit_code == 2 and "already complete" in result.stderr
    assert not old_copy.exists() and not holder.exists() and not (results / "lock").exists()
    assert invoke("verify", results).exit_code == 0


def test_a_stray_temporary_in_results_is_not_part_of_them(results):
    (results / "paths" / ".part-x.arrow.deadbeef.tmp").write_bytes(b"half")
    assert invoke("verify", results).exit_code == 1


def test_a_complete_staging_directory_is_published_by_resume(tmp_path):
    table = load_table(preset="nebius", overrides=["simulation.paths=200", "simulation.horizon_months=12"])
    job = engine.start(table, tmp_path / "out", backend="numpy")
    job.execute()
    job._write_tables()  # complete, then killed before the publish
    ownership.remove_tree(job.staging / store.UNITS_DIR)
    job.close()
    result = invoke("run", "--resume", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert invoke("verify", tmp_path / "out").exit_code == 0


# --- determinism ----------------------------------------------------------------------------------------


def test_thread_count_changes_no_bit_of_any_table(tmp_path):
    import numba

    threads = numba.get_num_threads()
    tables = []
    try:
        for count in (1, max(2, threads)):
            numba.set_num_threads(min(count, numba.config.NUMBA_NUM_THREADS))
            output = tmp_path / f"threads{count}"
            arguments = [argument if argument != "numpy" else "cpu" for argument in CHUNKED]
            assert invoke("run", *arguments, "-o", output).exit_code == 0
            bands = ds.dataset(output / "bands.arrow", format="ipc").to_table()
            tables.append((*contents(output), bands))
    finally:
        numba.set_num_threads(threads)
    for one_thread, more_threads in zip(*tables, strict=True):
        assert one_thread.equals(more_threads)


# --- the representable range -------------------------------------------------------------------------------

# A price that rises at the top drift for 100 years reaches e^100 $/GPU-hour: finite in float64, not in float32.
SOARING = ["--preset", "nebius", "--paths", "64", "--horizon", "1200", "--backend", "cpu"]
SOARING += ["--set", "market.regime.enabled=false", "--set", "market.price.drift=1.0"]
SOARING += ["--set", "market.price.volatility=0.0", "--set", "market.price.floor_multiple=0.0"]
SOARING += ["--set", "market.price.jump_intensity=0.0"]
SOARING += ["--set", "firm.gpu_age_months=0", "--set", "firm.useful_life_months=1200", "--set", "debt=[]"]
# The installed fleet alone.
SOARING += ["--set", "pools=[]", "--set", "cohorts=[]", "--set", "customers=[]", "--set", "obligations=[]"]


def test_an_output_beyond_float32_is_one_line_naming_it_and_leaves_nothing(tmp_path):
    line = one_line_exit_2(invoke("run", *SOARING, "--precision", "float32", "-o", tmp_path / "out"), "float32")
    assert "final_price" in line and "left the representable range" in line
    assert list(tmp_path.iterdir()) == []


def test_the_same_inputs_in_float64_finish_with_finite_outputs(tmp_path):
    assert invoke("run", *SOARING, "-o", tmp_path / "out").exit_code == 0
    price = ds.dataset(tmp_path / "out" / "paths", format="ipc").to_table()["final_price"].to_numpy()
    assert np.isfinite(price).all() and price.min() > np.finfo(np.float32).max


def test_a_run_is_never_resumed_across_random_number_layouts(tmp_path, monkeypatch):
    staging = interrupted(tmp_path, monkeypatch)
    record = json.loads((staging / "run.json").read_text())
    assert record["stream_layout"] == 2
    (staging / "run.json").write_text(json.dumps(record | {"stream_layout": 1}))
    one_line_exit_2(invoke("run", "--resume", tmp_path / "out"), "stream layout 1", "--overwrite")


def test_a_run_is_never_resumed_by_another_version_of_the_model(tmp_path, monkeypatch):
    staging = interrupted(tmp_path, monkeypatch)
    record = json.loads((staging / "run.json").read_text())
    (staging / "run.json").write_text(json.dumps(record | {"gpu_stress_version": "0.3.0"}))
    one_line_exit_2(invoke("run", "--resume", tmp_path / "out"), "gpu-stress 0.3.0", "--overwrite")
    assert staging.is_dir()  # nothing of the unfinished run is lost


# --- records and metadata that are not what readers rely on -------------------------------------------------


@pytest.mark.parametrize("key", ["simulation", "scenarios", "sweep_keys", "table", "run_id", "chunk_paths"])
def test_a_run_json_missing_a_key_is_one_line_naming_it(results, key):
    record = json.loads((results / "run.json").read_text())
    del record[key]
    (results / "run.json").write_text(json.dumps(record))
    reseal(results)  # as if written so: the checksums match, the record does not
    for reader in (
        ["summarize"],
        ["plot", "-o", results.parent / "x.png"],
        ["trace", "--path", 1],
        ["export", "-o", results.parent / "pq"],
    ):
        one_line_exit_2(invoke(reader[0], results, *reader[1:]), "run.json", key)
    with pytest.raises(store.ResultsError, match=key):
        gpu_stress.load(results)


def test_a_run_json_that_is_not_json_is_one_line_even_unchecked(results):
    (results / "run.json").write_text("{not json")
    one_line_exit_2(invoke("summarize", results, "--no-verify"), "run.json", "not readable JSON")
    one_line_exit_2(invoke("summarize", results), "run.json", "recorded")


def test_provenance_metadata_that_is_not_json_is_one_line(results):
    path = results / "scenarios.arrow"
    table = store.read_table(path)
    store.write_table(path, table.replace_schema_metadata({store.PROVENANCE_KEY: b"{not json"}))
    reseal(results)
    one_line_exit_2(invoke("export", results, "-o", results.parent / "pq"), "scenarios.arrow", "metadata")
    assert not (results.parent / "pq").exists()


def test_no_verify_reads_a_directory_whose_checksums_no_longer_match(results):
    manifest = json.loads((results / "manifest.json").read_text())
    manifest["files"]["bands.arrow"]["xxh3_128"] = "0" * 32  # the file is whole; its record is not
    resealed = gpu_stress.results.manifest.document(manifest["run_id"], manifest["files"])
    (results / "manifest.json").write_text(json.dumps(resealed))
    one_line_exit_2(invoke("plot", results, "-o", results.parent / "fan.png", "--kind", "fan"), "bands.arrow")
    assert invoke("plot", results, "-o", results.parent / "fan.png", "--kind", "fan", "--no-verify").exit_code == 0
    assert gpu_stress.load(results, verify=False).bands.num_rows > 0

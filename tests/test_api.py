"""The Python API (gpu_stress.run / load / Results), Parquet runs and export, read by DuckDB and polars."""

import json
import os
import tempfile

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import gpu_stress
from gpu_stress.cli import main
from gpu_stress.errors import UserError

# In the test extra; the device machine's image lacks them, and its GPU tests collect this file too.
duckdb = pytest.importorskip("duckdb")
polars = pytest.importorskip("polars")

SWEEP = {"market.regime.glut.drift": [-0.6, -0.2]}


def invoke(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)


def snapshot(folder):
    """Every path under ``folder`` with its size and modification time."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            try:
                status = os.lstat(path)
            except FileNotFoundError:
                continue  # another process's temporary
            found[path] = (status.st_size, status.st_mtime_ns)
    return found


def sorted_paths(table):
    return table.sort_by([("scenario_id", "ascending"), ("path_id", "ascending")])


@pytest.fixture(scope="module")
def nebius_cli(tmp_path_factory):
    """`gpu-stress run` of nebius, 1000 paths, seed 7, as Arrow and as Parquet, and its summarize --json."""
    folder = tmp_path_factory.mktemp("api")
    sweep = ",".join(str(value) for value in SWEEP["market.regime.glut.drift"])
    runs = {}
    for file_format in ("arrow", "parquet"):
        directory = folder / file_format
        result = invoke(
            "run", "--preset", "nebius", "--paths", 1000, "--seed", 7, "--sweep",
            f"market.regime.glut.drift={sweep}", "--format", file_format, "--backend", "cpu", "-o", directory,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        runs[file_format] = directory
    summary = invoke("summarize", runs["arrow"], "--json")
    assert summary.exit_code == 0, summary.output
    return runs, json.loads(summary.output)


def test_run_in_memory_equals_the_cli_and_writes_nothing(nebius_cli, tmp_path, monkeypatch):
    _, cli_summary = nebius_cli
    work, temporary = tmp_path / "work", tmp_path / "tmp"
    work.mkdir(), temporary.mkdir()
    monkeypatch.chdir(work)
    # The process's temp folder is one of its own, so that other processes' files cannot disturb the check.
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    gpu_stress.run(preset="nebius", paths=20, seed=7, backend="cpu")  # compiled before the snapshots
    before = snapshot(work), snapshot(tempfile.gettempdir())
    res = gpu_stress.run(preset="nebius", paths=1000, seed=7, sweep=SWEEP, backend="cpu")
    assert (snapshot(work), snapshot(tempfile.gettempdir())) == before
    assert res.directory is None
    assert res.summary()["scenarios"] == cli_summary["scenarios"]
    assert res.summary()["run"]["simulation"] == cli_summary["run"]["simulation"]
    assert res.scenarios.num_rows == 2 and res.paths.num_rows == 2000
    assert res.scenarios["market_regime_glut_drift"].to_pylist() == SWEEP["market.regime.glut.drift"]
    assert res.run["elapsed_s"] > 0 and res.run["paths_per_s"] > 0


def test_run_to_a_directory_and_load_give_the_same_tables(nebius_cli, tmp_path):
    runs, _ = nebius_cli
    written = gpu_stress.run(preset="nebius", paths=1000, seed=7, sweep=SWEEP, backend="cpu", output=tmp_path / "api")
    assert written.directory == (tmp_path / "api").resolve()
    loaded = gpu_stress.load(runs["arrow"])
    in_memory = gpu_stress.run(preset="nebius", paths=1000, seed=7, sweep=SWEEP, backend="cpu")
    for name in ("scenarios", "tranches", "bands"):
        drop = ["config"] if name == "scenarios" else []  # it records the command
        assert in_memory.__getattribute__(name).drop_columns(drop).equals(getattr(loaded, name).drop_columns(drop))
        assert getattr(written, name).equals(getattr(loaded, name))
    parquet = gpu_stress.load(runs["parquet"])
    for name in ("paths", "tranche_paths"):  # in plan order, whatever the format
        assert getattr(in_memory, name).equals(getattr(loaded, name))
        assert getattr(parquet, name).equals(getattr(loaded, name))
        fields_of = [getattr(run, name).schema.remove_metadata() for run in (parquet, loaded)]
        assert fields_of[0].equals(fields_of[1], check_metadata=True)  # units and descriptions too
    assert loaded.firms is None and loaded.portfolio_paths is None
    assert json.loads(json.dumps(loaded.summary())) == loaded.summary()


def test_overrides_sweeps_and_options(tmp_path):
    res = gpu_stress.run(
        preset="lambda", paths=300, horizon=12, seed=3, overrides={"firm.cash": 5e8}, keep_paths=False, backend="cpu"
    )
    assert res.paths is None and json.loads(res.scenarios["config"][0].as_py())["firm"]["cash"] == 5e8
    same = gpu_stress.run(preset="lambda", paths=300, horizon=12, seed=3, overrides=["firm.cash=5e8"], backend="cpu")
    assert same.scenarios.drop_columns(["config"]).equals(res.scenarios.drop_columns(["config"]))
    table = {"simulation": {"paths": 300, "horizon_months": 12, "seed": 3}, "firm": {"cash": 5e8}}
    from_dict = gpu_stress.run(table, preset="lambda", backend="cpu")
    assert from_dict.scenarios["pd"].equals(res.scenarios["pd"])
    assert table == {"simulation": {"paths": 300, "horizon_months": 12, "seed": 3}, "firm": {"cash": 5e8}}
    assert res.to_polars().height == 1
    assert res.to_polars("tranches").height == res.tranches.num_rows
    frame = same.to_pandas("paths")
    assert len(frame) == 300 and frame["loss"].sum() == pytest.approx(same.paths["loss"].to_numpy().sum(), rel=1e-12)
    assert same.to_pandas()["pd"].iloc[0] == same.scenarios["pd"][0].as_py()


def test_errors_are_the_cli_messages(tmp_path):
    with pytest.raises(UserError) as raised:
        gpu_stress.run(preset="nebius", overrides={"firm.cash": -1}, backend="cpu")
    result = invoke("run", "--preset", "nebius", "--set", "firm.cash=-1", "-o", tmp_path / "bad")
    assert result.exit_code == 2 and str(raised.value) in result.output
    assert not (tmp_path / "bad").exists()
    with pytest.raises(UserError, match="format: needs output=DIR"):
        gpu_stress.run(preset="nebius", paths=10, format="parquet")
    with pytest.raises(UserError, match="table: no table 'nope'"):
        gpu_stress.run(preset="nebius", paths=10, horizon=6, backend="cpu").to_polars("nope")
    with pytest.raises(UserError, match="not a results directory"):
        gpu_stress.load(tmp_path / "nowhere")


def duckdb_expected_loss(directory):
    """{scenario_id: avg(loss)} of a Parquet run's per-path dataset, by DuckDB with no extension."""
    glob = str(directory / "paths" / "**" / "*.parquet")
    query = f"select scenario_id, market_regime_glut_drift, avg(loss) from read_parquet('{glob}', hive_partitioning=true) group by all"  # noqa: E501
    return {int(scenario): (drift, mean) for scenario, drift, mean in duckdb.sql(query).fetchall()}


def test_parquet_run_read_by_duckdb_and_polars(nebius_cli):
    runs, _ = nebius_cli
    directory = runs["parquet"]
    assert invoke("verify", directory).exit_code == 0
    scenarios = gpu_stress.load(directory).scenarios.to_pylist()
    by_duckdb = duckdb_expected_loss(directory)
    frame = polars.scan_parquet(directory / "paths" / "**" / "*.parquet", hive_partitioning=True)
    by_polars = dict(frame.group_by("scenario_id").agg(polars.col("loss").mean()).collect().iter_rows())
    for row in scenarios:
        drift, mean = by_duckdb[row["scenario_id"]]
        assert drift == row["market_regime_glut_drift"]
        assert mean == pytest.approx(row["expected_loss"], rel=1e-12, abs=0)
        assert by_polars[row["scenario_id"]] == pytest.approx(row["expected_loss"], rel=1e-12, abs=0)
    assert any(row["expected_loss"] > 0 for row in scenarios)  # the comparison compares something
    # The small tables are Parquet too, and the summary reads them.
    assert (directory / "scenarios.parquet").exists() and (directory / "bands.parquet").exists()
    parquet, arrow = (json.loads(invoke("summarize", run, "--json").output) for run in (directory, runs["arrow"]))
    assert parquet["scenarios"] == arrow["scenarios"]


def test_export_of_an_arrow_run_is_the_parquet_run(nebius_cli, tmp_path):
    runs, _ = nebius_cli
    result = invoke("export", runs["arrow"], "--to", "parquet", "-o", tmp_path / "exported")
    assert result.exit_code == 0, result.output
    assert invoke("verify", tmp_path / "exported").exit_code == 0
    for folder in ("paths", "tranches"):
        tables = [
            sorted_paths(ds.dataset(root / folder, format="parquet", partitioning="hive").to_table())
            for root in (tmp_path / "exported", runs["parquet"])
        ]
        assert tables[0].equals(tables[1])
    assert duckdb_expected_loss(tmp_path / "exported") == duckdb_expected_loss(runs["parquet"])
    again = invoke("export", runs["arrow"], "-o", tmp_path / "exported")
    assert again.exit_code == 2 and "already exists" in again.output
    twice = invoke("export", runs["parquet"], "-o", tmp_path / "twice")
    assert twice.exit_code == 2 and "already in parquet" in twice.output and not (tmp_path / "twice").exists()


def test_swept_columns_need_no_quoting_and_keep_their_key(nebius_cli):
    runs, _ = nebius_cli
    scenarios = gpu_stress.load(runs["arrow"]).scenarios
    field = scenarios.schema.field("market_regime_glut_drift")
    assert field.metadata[b"config_key"] == b"market.regime.glut.drift"
    # The Parquet partitions carry the swept values (load() leaves them out, as an Arrow run has none).
    parts = ds.dataset(runs["parquet"] / "paths", format="parquet", partitioning="hive").to_table()
    drift = parts.schema.field("market_regime_glut_drift")
    assert drift.metadata[b"config_key"] == b"market.regime.glut.drift"
    first = parts.filter(pc.equal(parts["scenario_id"], 0))
    assert set(first["market_regime_glut_drift"].to_pylist()) == {-0.6}
    assert gpu_stress.load(runs["parquet"]).paths.schema.field("scenario_id").type == pa.int32()


def test_a_portfolio_in_memory(tmp_path):
    res = gpu_stress.run(preset="neoclouds", paths=200, horizon=12, seed=5, backend="cpu")
    written = gpu_stress.run(preset="neoclouds", paths=200, horizon=12, seed=5, backend="cpu", output=tmp_path / "p")
    assert res.summary()["portfolio"] == written.summary()["portfolio"]
    assert res.summary()["firms"] == written.summary()["firms"]
    assert res.portfolio_paths.num_rows == 200 and res.firms.num_rows == 5
    assert sorted_paths(res.portfolio_paths).equals(sorted_paths(written.portfolio_paths))


def described(schema):
    """The fields of ``schema`` without a unit or a description."""
    return [field.name for field in schema if not {b"unit", b"description"} <= set(field.metadata or {})]


def test_every_field_of_parquet_and_in_memory_tables_is_described(nebius_cli):
    runs, _ = nebius_cli
    for path in sorted(runs["parquet"].rglob("*.parquet")):
        assert described(pq.ParquetFile(path).schema_arrow) == [], path
    res = gpu_stress.run(preset="nebius", paths=50, horizon=6, sweep=SWEEP, backend="cpu")
    for name in ("scenarios", "bands", "tranches", "paths", "tranche_paths"):
        assert described(getattr(res, name).schema) == [], name
    assert res.scenarios.schema.field("base_case_default_cause").type == pa.dictionary(pa.int8(), pa.string())


def test_the_cli_takes_counts_in_e_notation_and_says_what_it_did(tmp_path, monkeypatch):
    import gpu_stress.backends

    monkeypatch.setattr(gpu_stress.backends, "compile_notice", lambda *args: True)
    result = invoke(
        "run", "--preset", "lambda", "--paths", "2.5e2", "--horizon", 6, "--backend", "cpu", "-o", tmp_path / "r"
    )
    assert result.exit_code == 0, result.output
    assert "compiling kernels (first run only)" in result.stderr
    assert "done: 250 paths simulated in" in result.stderr
    record = json.loads((tmp_path / "r" / "run.json").read_text())
    assert record["simulation"]["paths"] == 250 and record["paths_simulated"] == 250
    assert record["elapsed_s"] > 0 and record["paths_per_s"] > 0
    for count in ("2.5", "1e-3", "x"):
        bad = invoke("run", "--paths", count, "-o", tmp_path / "bad")
        assert bad.exit_code == 2 and "--paths" in bad.output and "whole number" in bad.output
    assert not (tmp_path / "bad").exists()
    help_text = invoke("run", "--help").output
    assert (
        "Examples:" in help_text and "[default: auto]" in help_text and "[default: the config's; 100000]" in help_text
    )


def test_overwrite_never_takes_files_of_another_format_or_name(nebius_cli, tmp_path):
    """A Parquet partition in an Arrow run, or a file that is not a part, is the user's: --overwrite refuses."""
    import shutil

    runs, _ = nebius_cli
    for folder, planted in (
        ("arrow", "paths/scenario_id=0/part-mine.parquet"),
        ("parquet", "paths/scenario_id=0/analysis.parquet"),
        ("parquet", "paths/scenario_id=0/nested/part-x.parquet"),
        ("parquet", "units/scenario_id=9/part-x.parquet"),
        ("arrow", "scenarios.parquet"),
    ):
        target = tmp_path / f"{folder}-{planted.replace('/', '-')}"
        shutil.copytree(runs[folder], target)
        (target / planted).parent.mkdir(parents=True, exist_ok=True)
        (target / planted).write_bytes(b"mine")
        result = invoke("run", "--preset", "nebius", "--paths", 10, "--horizon", 6, "-o", target, "--overwrite")
        assert result.exit_code == 2 and "does not write" in result.output, planted
        assert (target / planted).read_bytes() == b"mine"


def test_trace_reads_a_parquet_run(nebius_cli):
    runs, _ = nebius_cli
    for extra in ((), ("--base-case",)):
        result = invoke("trace", runs["parquet"], "--scenario", 1, "--path", 17, *extra)
        assert result.exit_code == 0, result.output
        assert "bit for bit" in result.output


def test_summary_names_the_months_defaults_cluster_in():
    """The summary document carries the notes ``summarize`` prints: coreweave's 2030 notes mature in month 60
    (its contract DDTLs signed and 60 months, as in 0.8)."""
    signed = ["debt.9.signed=true"]
    runs = gpu_stress.run(
        preset="coreweave", paths=5000, horizon=60, seed=1, backend="cpu", keep_paths=False, overrides=signed
    )
    document = runs.summary()
    (cluster, *_) = document["clusters"]
    assert cluster["month"] == 60 and cluster["cause"] == "refinancing"
    assert "'2030 senior notes' matures then" in cluster["note"]

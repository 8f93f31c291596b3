"""`gpu-stress run` / `summarize` / `presets` end to end, and the results contract."""

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from gpu_stress.cli import main
from gpu_stress.config.load import preset_names
from helpers import credit_defaults


def invoke(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)


def read_paths(directory):
    return (
        ds.dataset(directory / "paths", format="ipc")
        .to_table()
        .sort_by([("scenario_id", "ascending"), ("path_id", "ascending")])
    )


def read_ipc(path):
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


@pytest.fixture(scope="module")
def coreweave_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("runs") / "coreweave"
    result = invoke("run", "--preset", "coreweave", "--paths", 100_000, "-o", directory)
    assert result.exit_code == 0, result.output
    return directory, result


def test_run_prints_pd_and_expected_loss(coreweave_run):
    directory, result = coreweave_run
    row = read_ipc(directory / "scenarios.arrow").to_pylist()[0]
    assert "PD" in result.stdout and "EL" in result.stdout
    assert f"{100 * row['pd']:.2f}%" in result.stdout
    assert row["paths"] == 100_000
    # PD, interval and EL are consistent with the per-path table.
    paths = read_paths(directory)
    assert row["defaults"] == int(credit_defaults(paths).sum())
    ended = int(paths["default_month"].is_valid().to_numpy(zero_copy_only=False).sum())
    assert row["defaults"] + row["insolvent_no_debt"] == ended
    assert row["pd_ci_low"] < row["pd"] < row["pd_ci_high"]
    assert row["expected_loss"] == pytest.approx(paths["loss"].to_numpy().mean(), rel=1e-12)


def test_results_directory_layout_and_provenance(coreweave_run):
    directory, _ = coreweave_run
    assert not (directory.parent / "coreweave.partial").exists()
    record = json.loads((directory / "run.json").read_text())
    assert record["status"] == "complete"
    assert record["simulation"]["paths"] == 100_000
    assert record["backend"] == "cpu" and record["versions"]["numba"]
    schema = ds.dataset(directory / "paths", format="ipc").schema
    provenance = json.loads(schema.metadata[b"gpu_stress.provenance"])
    assert provenance["simulation"]["seed"] == record["simulation"]["seed"]
    assert provenance["table"]["firm"]["name"] == "CoreWeave"
    assert schema.names[:4] == ["scenario_id", "path_id", "default_month", "default_cause"]
    assert {
        "ead",
        "loss",
        "final_price",
        "final_cash",
        "min_cash",
        "max_ltv",
        "min_dscr",
        "mean_utilization",
        "equity_value",
    } <= set(schema.names)


def test_results_open_with_polars_and_duckdb(coreweave_run):
    directory, _ = coreweave_run
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    expected = read_paths(directory)
    frame = pl.scan_ipc(directory / "paths" / "*.arrow").select(pl.col("loss").sum(), pl.len()).collect()
    assert frame["len"][0] == 100_000
    assert frame["loss"][0] == pytest.approx(float(np.sum(expected["loss"].to_numpy())), rel=1e-12)
    scenarios = pl.read_ipc(directory / "scenarios.arrow")
    assert scenarios["pd"][0] == pytest.approx(float(credit_defaults(expected).mean()))
    dataset = ds.dataset(directory / "paths", format="ipc")  # noqa: F841 (DuckDB finds it by name)
    query = "select count(*), count(distinct default_cause) from dataset where default_cause != 'insolvent_no_debt'"
    count, causes = duckdb.sql(query).fetchall()[0]
    assert count == int(credit_defaults(expected).sum()) and causes >= 1


def test_summarize_json_matches_the_table(coreweave_run):
    directory, _ = coreweave_run
    result = invoke("summarize", directory, "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    row = read_ipc(directory / "scenarios.arrow").to_pylist()[0]
    scenario = document["scenarios"][0]
    for key in ("pd", "pd_ci_low", "pd_ci_high", "expected_loss", "mean_lgd", "loss_var_99", "loss_cvar_99"):
        assert scenario[key] == pytest.approx(row[key])
    assert set(scenario) >= {"defaults_liquidity", "defaults_ltv", "defaults_dscr", "defaults_refinancing"}


def test_presets_lists_every_preset_with_a_description():
    result = invoke("presets")
    lines = result.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == preset_names()
    assert all(len(line.split(maxsplit=1)[1]) > 20 for line in lines)


def test_same_seed_same_paths_whatever_the_chunk_size(tmp_path):
    tables = []
    for chunk in (1000, 2500, 7000):
        directory = tmp_path / f"chunk{chunk}"
        result = invoke(
            "run",
            "--preset",
            "lambda",
            "--paths",
            7000,
            "--set",
            f"simulation.chunk_paths={chunk}",
            "--set",
            "simulation.band_paths=1000",
            "-o",
            directory,
        )
        assert result.exit_code == 0, result.output
        tables.append((read_paths(directory), read_ipc(directory / "scenarios.arrow")))
    first_paths, first_scenarios = tables[0]
    assert len(list((tmp_path / "chunk1000" / "paths").iterdir())) == 7
    for paths, scenarios in tables[1:]:
        assert paths.equals(first_paths)
        for name in ("defaults", "pd", "defaults_liquidity", "loss_var_99", "equity_q50"):
            assert scenarios[name].to_pylist() == first_scenarios[name].to_pylist(), name
        for name in ("expected_loss", "mean_lgd", "loss_cvar_99", "equity_mean"):
            assert scenarios[name][0].as_py() == pytest.approx(first_scenarios[name][0].as_py(), rel=1e-12)


def test_a_different_seed_gives_different_results(tmp_path):
    runs = []
    for seed in (1, 2):
        invoke("run", "--preset", "lambda", "--paths", 2000, "--seed", seed, "-o", tmp_path / f"seed{seed}")
        runs.append(read_paths(tmp_path / f"seed{seed}"))
    assert not np.array_equal(runs[0]["final_price"].to_numpy(), runs[1]["final_price"].to_numpy())


def test_second_process_loads_the_compiled_kernel_from_cache(tmp_path):
    invoke("run", "--preset", "nebius", "--paths", 500, "-o", tmp_path / "warm")  # fills numba's cache
    probe = (
        "from gpu_stress.backends import get_backend\n"
        "from gpu_stress.backends.launch import Launch\n"
        "from gpu_stress.kernels import cpu\n"
        "from gpu_stress.config import load_config\n"
        "from gpu_stress.params import parameter_vector\n"
        "import numpy as np\n"
        "get_backend('cpu').simulate(Launch(parameter_vector(load_config(preset='nebius')), 60, 1, paths=100))\n"
        "stats = cpu.simulate_path_range.stats\n"
        "print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))\n"
    )
    hits, misses = map(
        int, subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    )
    assert (hits, misses) == (1, 0)

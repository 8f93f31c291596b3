"""Sweeps: grids of scenarios in one command, common random numbers, plots of the results."""

import os
import signal
import subprocess
import sys
import time

import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from gpu_stress.cli import main

DRIFTS = (0.05, -0.1, -0.25)
UTILIZATION_MEANS = (0.6, 0.7, 0.8, 0.9)


def read_ipc(path):
    return ds.dataset(path, format="ipc").to_table()


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    output = tmp_path_factory.mktemp("sweep") / "grid"
    drifts = ",".join(map(str, DRIFTS))
    means = ",".join(map(str, UTILIZATION_MEANS))
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--preset",
            "lambda",
            "--paths",
            "4000",
            "--set",
            "market.regime.enabled=false",
            "--sweep",
            f"market.price.drift={drifts}",
            "--sweep",
            f"market.utilization.mean={means}",
            "--set",
            "simulation.band_paths=1000",
            "-o",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    return output


def test_a_3_by_4_sweep_runs_in_one_command(sweep):
    scenarios = read_ipc(sweep / "scenarios.arrow").to_pydict()
    assert scenarios["scenario_id"] == list(range(12))
    # The last key varies fastest.
    assert scenarios["market_price_drift"] == [drift for drift in DRIFTS for _ in UTILIZATION_MEANS]
    assert scenarios["market_utilization_mean"] == list(UTILIZATION_MEANS) * len(DRIFTS)
    assert all(paths == 4000 for paths in scenarios["paths"])
    bands = read_ipc(sweep / "bands.arrow")
    assert sorted(set(bands["scenario_id"].to_pylist())) == list(range(12))


def test_pd_is_monotone_along_the_drift_axis_in_every_row(sweep):
    scenarios = read_ipc(sweep / "scenarios.arrow").to_pydict()
    pd = dict(
        zip(
            zip(scenarios["market_price_drift"], scenarios["market_utilization_mean"], strict=True),
            scenarios["pd"],
            strict=True,
        )
    )
    for mean in UTILIZATION_MEANS:
        row = [pd[(drift, mean)] for drift in DRIFTS]  # drift falling
        assert row == sorted(row) and row[-1] > row[0], (mean, row)


def test_scenarios_share_random_numbers_unless_independent(tmp_path):
    def final_prices(*options):
        output = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
        arguments = [
            "run",
            "--preset",
            "nebius",
            "--paths",
            "300",
            "--sweep",
            "collateral.fire_sale_haircut=0.4,0.5",
            *options,
        ]
        assert CliRunner().invoke(main, [*arguments, "-o", str(output)]).exit_code == 0
        table = read_ipc(output / "paths").sort_by([("scenario_id", "ascending"), ("path_id", "ascending")])
        prices = table["mean_utilization"].to_numpy()  # never floored, unlike the price
        return prices[:300], prices[300:]

    first, second = final_prices()
    assert (first == second).all()
    first, second = final_prices("--independent-scenarios")
    assert not (first == second).any()


@pytest.mark.parametrize("kind", ["fan", "loss", "heatmap", "all"])
def test_plots_are_written(sweep, tmp_path, kind):
    png = tmp_path / f"{kind}.png"
    result = CliRunner().invoke(main, ["plot", str(sweep), "-o", str(png), "--kind", kind, "--scenario", "5"])
    assert result.exit_code == 0, result.output
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_heatmap_needs_two_swept_keys(tmp_path):
    output = tmp_path / "single"
    CliRunner().invoke(main, ["run", "--preset", "nebius", "--paths", "200", "-o", str(output)])
    result = CliRunner().invoke(main, ["plot", str(output), "-o", str(tmp_path / "x.png"), "--kind", "heatmap"])
    assert result.exit_code == 2 and "two swept keys" in result.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.slow
def test_killed_run_resumes_to_identical_results(tmp_path):
    arguments = [
        "--preset",
        "crusoe",
        "--paths",
        "60000",
        "--backend",
        "numpy",
        "--set",
        "simulation.chunk_paths=2000",
        "--set",
        "simulation.band_paths=500",
    ]
    reference = tmp_path / "reference"
    assert CliRunner().invoke(main, ["run", *arguments, "-o", str(reference)]).exit_code == 0

    output = tmp_path / "killed"
    units = tmp_path / "killed.partial" / "units"
    process = subprocess.Popen(
        [sys.executable, "-m", "gpu_stress", "run", *arguments, "-o", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not units.exists() or len(list(units.glob("*.npz"))) < 5):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = len(list(units.glob("*.npz")))
    assert 5 <= done < 30, done  # killed midway
    assert not output.exists()

    result = CliRunner().invoke(main, ["run", "--resume", str(output)])
    assert result.exit_code == 0, result.output
    for name in ("paths", "scenarios.arrow", "bands.arrow"):
        resumed, uninterrupted = read_ipc(output / name), read_ipc(reference / name)
        if name == "paths":
            resumed, uninterrupted = resumed.sort_by("path_id"), uninterrupted.sort_by("path_id")
        assert resumed.drop_columns([c for c in ("config",) if c in resumed.column_names]).equals(
            uninterrupted.drop_columns([c for c in ("config",) if c in uninterrupted.column_names])
        ), name

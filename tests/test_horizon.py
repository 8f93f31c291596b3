"""The whole life of the debt: ``horizon_months = "to-last-maturity"`` and each tranche's PD, EL and LGD to its own
maturity."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import gpu_stress
from gpu_stress.blocks.run import MAX_HORIZON_TO_MATURITY, last_maturity
from gpu_stress.cli import main
from gpu_stress.config.load import ConfigError, firm_preset_names, load_config, validate
from helpers import MARKET_ONLY, table_with

LOANS = table_with(
    MARKET_ONLY,
    {
        "simulation": {"paths": 3000, "horizon_months": "to-last-maturity"},
        "firm": {"cash": 2e8},
        "debt": [
            {"name": "short", "principal": 4e8, "rate": 0.08, "maturity_month": 18},
            {"name": "long", "principal": 3e8, "rate": 0.08, "maturity_month": 44},
            {"name": "line", "commitment": 1e8, "revolving": True, "maturity_month": 20, "extensions": 2,
             "extension_months": 12, "draw_end_month": 20, "minimum_cash": 1e7, "target_cash": 5e7},
        ],
    },
)  # fmt: skip


def test_to_last_maturity_runs_to_the_last_scheduled_maturity_a_revolver_extended_too():
    config = validate(LOANS)
    assert last_maturity(config) == max(44, 20 + 2 * 12) == 44
    assert config.simulation.horizon_months == 44
    longer = table_with(LOANS)
    longer["debt"][2]["extensions"] = 3
    assert validate(longer).simulation.horizon_months == 56
    capped = table_with(LOANS)
    capped["debt"][1]["maturity_month"] = 1000
    assert validate(capped).simulation.horizon_months == MAX_HORIZON_TO_MATURITY
    no_debt = table_with(LOANS)
    no_debt["debt"] = []
    assert validate(no_debt).simulation.horizon_months == 60


@pytest.mark.parametrize("name", firm_preset_names())
def test_every_preset_runs_to_its_last_maturity_and_each_tranche_has_a_pd_to_its_maturity(name):
    config = load_config(preset=name)
    assert config.simulation.horizon_months == last_maturity(config)
    results = gpu_stress.run(preset=name, paths=500, seed=1, backend="cpu", warn=False)
    for row in results.tranches.to_pylist():
        assert row["maturity_month"] <= config.simulation.horizon_months
        assert row["pd_to_maturity"] is not None and row["pd_to_maturity"] <= row["pd"]


def test_pd_to_maturity_counts_each_tranches_defaults_by_its_own_maturity(tmp_path):
    results = gpu_stress.run(config=LOANS, seed=5, backend="cpu", output=tmp_path / "loans", warn=False)
    tranche_paths = results.tranche_paths.to_pydict()
    rows = results.tranches.to_pylist()
    assert [row["maturity_month"] for row in rows] == [18, 44, 44]  # the line with both its extensions
    for index, row in enumerate(rows):
        mine = np.array(tranche_paths["tranche"]) == index
        months = np.array([-1 if m is None else m for m in tranche_paths["default_month"]])[mine]
        loss = np.array(tranche_paths["loss"])[mine]
        ead = np.array(tranche_paths["ead"])[mine]
        by_maturity = (months > 0) & (months <= row["maturity_month"])
        assert row["pd_to_maturity"] == by_maturity.sum() / 3000
        assert row["expected_loss_to_maturity"] == pytest.approx(loss[by_maturity].sum() / 3000, rel=1e-12)
        if ead[by_maturity].sum() > 0:
            assert row["mean_lgd_to_maturity"] == pytest.approx(loss[by_maturity].sum() / ead[by_maturity].sum())
    assert any(0 < row["pd_to_maturity"] for row in rows)  # the counts are of defaults, not all zero
    short_horizon = gpu_stress.run(config=LOANS, horizon=30, paths=200, seed=5, backend="cpu", warn=False)
    long_row = short_horizon.tranches.to_pylist()[1]
    assert long_row["maturity_month"] == 44 and long_row["pd_to_maturity"] is None  # not observed by month 30


def test_the_cli_takes_to_last_maturity_and_refuses_other_words(tmp_path):
    runner = CliRunner()
    output = tmp_path / "run"
    result = runner.invoke(
        main, ["run", "--preset", "lambda", "--paths", "200", "--horizon", "to-last-maturity", "--json", "-o", output]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run"]["simulation"]["horizon_months"] == 48
    bad = runner.invoke(main, ["run", "--preset", "lambda", "--horizon", "forever", "-o", tmp_path / "x"])
    assert bad.exit_code == 2 and "--horizon" in bad.output and "to-last-maturity" in bad.output


def test_a_sweep_of_maturities_runs_every_scenario_to_the_base_last_maturity():
    results = gpu_stress.run(
        config=LOANS, paths=100, sweep={"debt.1.maturity_month": [30, 44]}, backend="cpu", warn=False
    )
    assert results.record.simulation["horizon_months"] == 44
    with pytest.raises(ConfigError, match="horizon_months"):
        validate(table_with(LOANS, {"simulation": {"horizon_months": "forever"}}))


def test_a_sensitivity_bumps_a_maturity_at_the_base_horizon():
    from gpu_stress.analysis.sensitivity import fixed_horizon

    assert fixed_horizon(LOANS, None) == 44 and fixed_horizon(LOANS, "to-last-maturity") == 44
    assert fixed_horizon(LOANS, 30) == 30
    bumped = table_with(LOANS)
    bumped["debt"][1]["maturity_month"] = 50  # what a bump of the last maturity would be run as
    assert validate(bumped).simulation.horizon_months == 50 != fixed_horizon(LOANS, None)

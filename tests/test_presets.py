"""The presets against the public figures they are calibrated to (docs/calibration.md), through
``gpu-stress trace --base-case``: the plan an analyst would check by hand."""

import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner

from gpu_stress.cli import main
from gpu_stress.config.load import firm_preset_names

# CoreWeave 10-Q for the quarter ended 30 June 2025, future principal payments ($ thousands).
MATURITIES_10Q = {
    "rest of 2025": (1, 6, 986_052),
    "2026": (7, 18, 4_218_457),
    "2027": (19, 30, 2_833_142),
    "2028": (31, 42, 1_010_054),
    "2029": (43, 54, 123_780),
    "thereafter": (55, 60, 2_000_000),
}
FACILITIES_AT_30_JUNE_2025 = 7  # the first seven tranches; the 2031 notes and the DDTLs came later
Q2_2025_REVENUE = 1_212_788e3  # $, CoreWeave Q2 2025 results release
# $, guided with the Q2 2025 results (docs/calibration.md, C17): Q3 2025, and Q4 through the full year's range
GUIDANCE = {"Q3 2025": (1.26e9, 1.30e9), "Q4 2025": (5.15e9 - 2_194_388e3 - 1.30e9, 5.35e9 - 2_194_388e3 - 1.26e9)}
CAPEX_GUIDANCE = (20e9, 23e9)  # $ a year, 2025 guidance given with Q1 and Q2 2025 results
NEBIUS_Q2_2025_REVENUE = 105.1e6  # $, Nebius Q2 2025 results release (7 Aug 2025)
NEBIUS_YEAR_END_ARR = (0.9e9, 1.1e9)  # $ a year: December 2025 revenue x 12, guided on 7 Aug 2025


def case_statement(tmp_path, preset, case, *settings):
    """``gpu-stress run CASE`` then ``gpu-stress trace CASE --json`` (CASE: --base-case or --central-case): the
    deterministic path, month by month."""
    runner = CliRunner()
    output = tmp_path / preset
    options = [part for setting in settings for part in ("--set", setting)]
    result = runner.invoke(main, ["run", "--preset", preset, case, *options, "-o", str(output)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["trace", str(output), case, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["statement"]


def base_case_statement(tmp_path, preset, *settings):
    """The plan (the no-shock case), month by month."""
    return case_statement(tmp_path, preset, "--base-case", *settings)


@pytest.fixture(scope="module")
def coreweave_contractual(tmp_path_factory):
    # Refinancing off: every balloon is paid when due, so principal is what the contracts schedule; the
    # revolver (tranche 4) is held drawn to its maturity, as the 10-Q's table schedules it, not repaid when flush.
    settings = ("refinancing.enabled=false", "debt.4.target_cash=1e13")
    return base_case_statement(tmp_path_factory.mktemp("plan"), "coreweave", *settings)


def test_coreweave_plan_repays_the_10q_maturity_table_by_year_within_1_percent(coreweave_contractual):
    months = {row["month"]: row for row in coreweave_contractual}
    assert len(months) == 68 and all(row["event"] is None for row in coreweave_contractual)  # to the 2031 notes
    for year, (first, last, expected) in MATURITIES_10Q.items():
        repaid = sum(
            months[month][f"principal_{tranche}"]
            for month in range(first, last + 1)
            for tranche in range(FACILITIES_AT_30_JUNE_2025)
        )
        assert repaid / 1e3 == pytest.approx(expected, rel=0.01), year


def test_coreweave_plan_first_quarter_revenue_and_first_year_capex_match_what_was_public(coreweave_contractual):
    rows = coreweave_contractual
    run_rate = sum(row["revenue_contracted"] + row["revenue_spot"] for row in rows[:2]) / 2  # before Blackwell
    assert run_rate == pytest.approx(Q2_2025_REVENUE / 3, rel=0.02)
    capex = sum(row["capex"] for row in rows[:12])
    assert CAPEX_GUIDANCE[0] <= capex <= CAPEX_GUIDANCE[1]


def central_case_revenue(tmp_path, preset):
    """The central case's revenue ($), month by month."""
    statement = case_statement(tmp_path, preset, "--central-case")
    return [row["revenue_contracted"] + row["revenue_spot"] for row in statement]


def test_coreweave_central_case_earns_its_guidance_in_its_first_two_quarters(tmp_path):
    revenue = central_case_revenue(tmp_path, "coreweave")
    for (quarter, (low, high)), months in zip(GUIDANCE.items(), (slice(0, 3), slice(3, 6)), strict=True):
        assert low <= sum(revenue[months]) <= high, (quarter, sum(revenue[months]))


def test_nebius_central_case_climbs_from_its_june_run_rate_to_its_year_end_guidance(tmp_path):
    revenue = central_case_revenue(tmp_path, "nebius")
    # The guidance (set before the Microsoft contract) is December's revenue x 12; the core cloud's
    # last delivery is in November and Vineland's first in December, so November x 12 is the core cloud's.
    low, high = NEBIUS_YEAR_END_ARR
    assert low <= 12 * revenue[4] <= high and revenue[5] > revenue[4]
    # No quarter was guided: Q3 lies between the geometric paths from June's run-rate to either end of the range.
    june = NEBIUS_Q2_2025_REVENUE / 3
    bounds = [june * sum((arr / 12 / june) ** (month / 6) for month in (1, 2, 3)) for arr in (low, high)]
    assert bounds[0] <= sum(revenue[0:3]) <= bounds[1], (sum(revenue[0:3]), bounds)
    assert all(later > earlier for earlier, later in itertools.pairwise(revenue[0:5]))


@pytest.mark.parametrize("preset", firm_preset_names())
def test_every_preset_plan_runs_its_horizon(preset, tmp_path):
    statement = base_case_statement(tmp_path, preset)
    assert statement and all(np.isfinite(row["cash"]) for row in statement)
    assert statement[-1]["event"] is None, (preset, statement[-1]["month"], statement[-1]["event"])

"""The PD term structure by year (``summarize --by-year``, the JSON): cumulative and marginal PD and the hazard of the
firm and of each tranche, checked against the per-path outputs they summarize."""

import csv
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner

import gpu_stress
from gpu_stress.cli import main
from gpu_stress.results.term_structure import term_structure

PATHS = 4000
HORIZON = 48


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    directory = tmp_path_factory.mktemp("term") / "coreweave"
    return gpu_stress.run(preset="coreweave", paths=PATHS, horizon=HORIZON, seed=3, output=directory, warn=False)


def summarize(results, *flags):
    result = CliRunner().invoke(main, ["summarize", str(results.directory), *flags])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_hazard_is_the_default_rate_of_the_firms_alive_at_the_start_of_each_year():
    structure = term_structure([0.1, 0.28, 0.28, 1.0])
    assert structure["marginal_pd"] == pytest.approx([0.1, 0.18, 0.0, 0.72])
    assert structure["hazard"] == pytest.approx([0.1, 0.2, 0.0, 1.0])
    assert term_structure([1.0, 1.0])["hazard"] == [1.0, None]  # nobody alive in year 2
    assert term_structure([]) == {"cumulative_pd": [], "marginal_pd": [], "hazard": []}


def test_the_json_term_structure_counts_the_paths_that_default_each_year(results):
    document = json.loads(summarize(results, "--json"))
    paths = results.paths.to_pydict()
    month = np.array([-1 if m is None else m for m in paths["default_month"]])
    credit = np.array([c not in (None, "insolvent_no_debt") for c in paths["default_cause"]])
    year = np.where(credit, (month - 1) // 12, 99)
    firm = next(entry for entry in document["term_structure"] if entry["of"] == "firm")
    alive = PATHS
    for y in range(HORIZON // 12):
        defaults = int((year == y).sum())
        assert firm["marginal_pd"][y] == pytest.approx(defaults / PATHS, abs=1e-12)
        assert firm["hazard"][y] == pytest.approx(defaults / alive, abs=1e-12)
        alive -= defaults
    assert firm["cumulative_pd"][-1] == pytest.approx(document["scenarios"][0]["pd"])
    assert firm["years"][0] == ["2025-07", "2026-06"] and firm["years"][-1] == ["2028-07", "2029-06"]


def test_each_tranche_has_its_own_term_structure(results):
    document = json.loads(summarize(results, "--json"))
    tranches = results.tranche_paths.to_pydict()
    names = [row["name"] for row in results.tranches.to_pylist()]
    entries = [entry for entry in document["term_structure"] if entry["of"] != "firm"]
    assert [entry["of"] for entry in entries] == names
    for entry in entries:
        months = np.array(
            [m for m, t in zip(tranches["default_month"], tranches["tranche"], strict=True) if t == entry["tranche"]],
            dtype=object,
        )
        defaulted = np.array([m is not None for m in months])
        by_year = [int(sum(1 for m in months[defaulted] if (m - 1) // 12 == y)) for y in range(HORIZON // 12)]
        assert entry["marginal_pd"] == pytest.approx([count / PATHS for count in by_year], abs=1e-12)


def test_summarize_by_year_shows_three_measures_for_the_firm_and_each_tranche(results):
    rows = list(csv.reader(io.StringIO(summarize(results, "--by-year", "--format", "csv"))))
    labels, cells = rows[0], rows[1:]
    assert labels[:3] == ["scenario", "of", "measure"]
    spans = ["2025-07 to 2026-06", "2026-07 to 2027-06", "2027-07 to 2028-06", "2028-07 to 2029-06"]  # July 2025 on
    assert labels[3:] == [f"year {y} ({span})" for y, span in enumerate(spans, start=1)]
    tranches = len(results.tranches)
    assert len(cells) == 3 * (1 + tranches)
    assert [line[2] for line in cells[:3]] == ["cumulative PD", "marginal PD", "hazard"]
    firm = json.loads(summarize(results, "--json"))["term_structure"][0]
    assert cells[0][3:] == [f"{100 * share:.2f}%" for share in firm["cumulative_pd"]]

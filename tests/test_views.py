"""The views the CLI shows are functions of the API that return data; the CLI only renders them."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

import gpu_stress
from gpu_stress.cli import main
from gpu_stress.views import ViewError


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    directory = tmp_path_factory.mktemp("views") / "run"
    return gpu_stress.run(
        preset="nebius", paths=400, seed=3, sweep={"firm.cash": [1e9, 3e9]}, output=directory, warn=False
    )


def cli(*arguments):
    result = CliRunner().invoke(main, [str(argument) for argument in arguments])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "options", [{}, {"by_year": True}, {"by_tranche": True}, {"sort_by": "pd", "descending": True}]
)
def test_the_view_is_what_summarize_prints(results, options):
    view = gpu_stress.summary_view(results.directory, **options)
    flags = ["--by-year"] * options.get("by_year", False) + ["--by-tranche"] * options.get("by_tranche", False)
    flags += ["--sort", options["sort_by"], "--descending"] if "sort_by" in options else []
    assert json.loads(cli("summarize", results.directory, "--json", *flags)) == json.loads(json.dumps(view.document))
    rows = list(csv.reader(io.StringIO(cli("summarize", results.directory, "--format", "csv", *flags))))
    (_, labels, cells), *_ = view.tables
    assert rows == [labels, *cells]


def test_the_default_view_is_the_results_summary(results):
    view = results.view()
    assert json.loads(json.dumps(view.document)) == results.summary()
    assert len(view.tables[0][2]) == 2  # one row per scenario


def test_a_view_a_portfolio_has_not_is_one_line(tmp_path):
    book = gpu_stress.run(preset="neoclouds", paths=64, output=tmp_path / "book", warn=False)
    with pytest.raises(ViewError, match=r"^--by-year: not for a portfolio's book"):
        gpu_stress.summary_view(book.directory, by_year=True)
    titles = [title.split(" (")[0] for title, _, _ in book.view(portfolio=True).tables]
    assert titles[:3] == ["the lender's book", "firms", "exposures: Euler contributions to CVaR"]


@pytest.fixture(scope="module")
def defaulting(tmp_path_factory):
    """Coreweave defaults by liquidity, at its 2030 notes' balloon (refinancing) and after its contract DDTLs fail
    to close (funding)."""
    directory = tmp_path_factory.mktemp("drivers") / "run"
    return gpu_stress.run(preset="coreweave", paths=2000, seed=5, output=directory, warn=False)


def test_the_drivers_of_pd_are_the_shares_of_defaults_by_the_step_that_failed(defaulting):
    view = gpu_stress.summary_view(defaulting.directory)
    (row,) = view.document["scenarios"]
    (driver,) = view.drivers
    assert view.document["drivers"] == view.drivers
    causes = {"refinancing": ["refinancing"], "liquidity": ["liquidity"], "covenant": ["ltv", "dscr"], "pool": ["pool"]}
    causes["lease"] = ["lease"]
    after_failure = row["funding_defaults"]  # a default in or after a failure to close is funding's
    expected = {
        step: sum(row[f"defaults_{cause}"] - after_failure[cause] for cause in names) / row["defaults"]
        for step, names in causes.items()
    }
    expected["funding"] = sum(after_failure.values()) / row["defaults"]
    assert driver["shares"] == pytest.approx({step: share for step, share in expected.items() if share})
    assert list(driver["shares"].values()) == sorted(driver["shares"].values(), reverse=True)
    assert sum(driver["shares"].values()) == pytest.approx(1.0) and {"liquidity", "refinancing", "funding"} <= set(
        driver["shares"]
    )
    assert f"drivers: {driver['note']}" in cli("summarize", defaulting.directory)


def test_a_scenario_without_defaults_has_no_driver(results):
    view = gpu_stress.summary_view(results.directory)
    assert all(driver["defaults"] > 0 for driver in view.drivers)
    assert {driver["scenario_id"] for driver in view.drivers} == {
        row["scenario_id"] for row in view.document["scenarios"] if row["defaults"]
    }

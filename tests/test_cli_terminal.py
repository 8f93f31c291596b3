"""`gpu-stress summarize` on an 80-column terminal (a real pty), --width, --format csv|json and --sort by label."""

import csv
import io
import json
import os
import re
import sys

import pyarrow as pa
import pytest
from click.testing import CliRunner

from gpu_stress.cli import main

pexpect = pytest.importorskip("pexpect")  # in the test extra; not on the device machine's image

SWEEP = ("firm.cash", ["3e+08", "1.2e+09", "2e+09"])  # three scenarios whose PDs and loss tails differ
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def invoke(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("terminal") / "coreweave"
    result = invoke(
        "run", "--preset", "coreweave", "--paths", 200, "--horizon", 12, "--backend", "numpy",
        "--sweep", "firm.cash=3e8,1.2e9,2e9", "-o", directory,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return directory


@pytest.fixture(scope="module")
def portfolio_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("terminal") / "neoclouds"
    result = invoke(
        "run", "--preset", "neoclouds", "--paths", 100, "--horizon", 12, "--backend", "numpy",
        "--sweep", "fire_sales.impact=0.2,0.4,0.8", "-o", directory,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return directory


def scenarios(directory):
    with pa.memory_map(str(directory / "scenarios.arrow")) as source:
        return pa.ipc.open_file(source).read_all().to_pylist()


def in_a_terminal(*args, rows=24, columns=80):
    """What `gpu-stress ARGS` shows in a terminal of rows x columns (a pty), colours stripped."""
    environment = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "gpu_stress", *map(str, args)],
        dimensions=(rows, columns),
        env=environment,
        encoding="utf-8",
        timeout=120,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return ANSI.sub("", child.before).replace("\r\n", "\n").rstrip("\n").split("\n")


def tables(lines):
    """[(labels, rows of cells)] of each table drawn in ``lines`` (rich's default box); a label
    wrapped over several header lines is joined back."""
    found = []
    for line in lines:
        if line.startswith("┏"):
            found.append(([], []))
        elif line.startswith("┃"):
            found[-1][0].append([cell.strip() for cell in line.strip("┃").split("┃")])
        elif line.startswith("│"):
            found[-1][1].append([cell.strip() for cell in line.strip("│").split("│")])
    return [([" ".join(filter(None, parts)) for parts in zip(*header, strict=True)], rows) for header, rows in found]


def test_summarize_fits_an_80_column_terminal_and_keeps_every_row_whole(sweep_run):
    lines = in_a_terminal("summarize", sweep_run)
    assert max(len(line) for line in lines) <= 80
    blocks = tables(lines)
    assert len(blocks) > 1  # the headline table is wider than 80 columns: split, not wrapped
    rows = scenarios(sweep_run)
    shown = set()
    for labels, cells in blocks:
        assert labels[:2] == ["scenario", "firm.cash"]  # repeated at the left of every table
        assert [line[:2] for line in cells] == [
            [str(row["scenario_id"]), value] for row, value in zip(rows, SWEEP[1], strict=True)
        ]
        shown |= set(labels)
        if "PD" in labels:  # its scenario number and its PD on one line
            column = labels.index("PD")
            assert [line[column] for line in cells] == [f"{100 * row['pd']:.2f}%" for row in rows]
    assert {"PD", "PD 95% CI", "EL", "LGD", "VaR 99%", "CVaR 99%", "no shock", "central case"} <= shown
    assert len({row["pd"] for row in rows}) == 3  # the check above tells the scenarios apart


def test_a_pipe_gets_one_whole_table(sweep_run):
    result = invoke("summarize", sweep_run)
    lines = result.stdout.splitlines()
    assert sum(line.startswith("┏") for line in lines) == 1
    assert max(len(line) for line in lines) > 80  # never squeezed
    ((labels, cells),) = tables(lines)
    assert "PD" in labels and "no shock" in labels and "central case" in labels and len(cells) == 3


def test_width_splits_a_table_for_any_output(sweep_run):
    result = invoke("summarize", sweep_run, "--width", 60)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 60
    blocks = tables(lines)
    assert len(blocks) > 2 and all(
        labels[:2] == ["scenario", "firm.cash"] and len(cells) == 3 for labels, cells in blocks
    )


@pytest.mark.parametrize("flags", [["--by-tranche"], ["--by-year"], ["--all-columns"]])
def test_the_other_tables_fit_the_terminal_too(sweep_run, flags):
    lines = in_a_terminal("summarize", sweep_run, *flags)
    assert max(len(line) for line in lines) <= 80
    blocks = tables(lines)
    whole = tables(invoke("summarize", sweep_run, *flags).stdout.splitlines())[0]
    for labels, cells in blocks:
        assert labels[: len(whole[0][:2])] == whole[0][:2]
        if flags == ["--by-tranche"]:  # each tranche's row says which tranche it is
            assert labels[2] == "tranche"
            assert [line[:3] for line in cells] == [line[:3] for line in whole[1]]
        assert len(cells) == len(whole[1])
    assert {label for labels, _ in blocks for label in labels} == set(whole[0])


def test_a_portfolio_fits_the_terminal_and_each_row_keeps_its_names(portfolio_run):
    lines = in_a_terminal("summarize", portfolio_run, "--portfolio")
    assert max(len(line) for line in lines) <= 80
    for labels, cells in tables(lines):
        assert labels[0] == "scenario"
        assert all(line[0].isdigit() for line in cells)
        if "firm" in labels:  # every firm name whole, never cut to fit
            firms = {line[labels.index("firm")] for line in cells}
            assert firms <= {"CoreWeave", "Nebius", "Nscale", "Lambda", "Crusoe"}, firms


def test_csv_is_the_rows_shown_with_the_labels_as_header(sweep_run):
    result = invoke("summarize", sweep_run, "--format", "csv")
    assert result.exit_code == 0, result.output
    header, *rows = list(csv.reader(io.StringIO(result.stdout)))
    ((labels, cells),) = tables(invoke("summarize", sweep_run).stdout.splitlines())
    assert header == labels and rows == cells
    tranches = list(csv.reader(io.StringIO(invoke("summarize", sweep_run, "--by-tranche", "--format", "CSV").stdout)))
    assert tranches[0][:3] == ["scenario", "firm.cash", "tranche"] and len(tranches) > 3


def test_a_portfolio_csv_has_each_table_after_a_blank_line(portfolio_run):
    text = invoke("summarize", portfolio_run, "--format", "csv").stdout
    book, firms = [list(csv.reader(io.StringIO(part))) for part in text.split("\n\n")]
    assert book[0][:3] == ["scenario", "fire_sales.impact", "exposure"] and len(book) == 4
    assert firms[0][:3] == ["scenario", "fire_sales.impact", "firm"] and len(firms) == 1 + 3 * 5


def test_format_json_is_the_json_document(sweep_run, portfolio_run):
    for directory in (sweep_run, portfolio_run):
        document = invoke("summarize", directory, "--json").stdout
        assert invoke("summarize", directory, "--format", "json").stdout == document
        json.loads(document)
    assert json.loads(invoke("summarize", sweep_run, "--by-tranche", "--format", "json").stdout)["tranches"]


def one_line_exit_2(result):
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    return line


def test_contradicting_options_are_one_line(sweep_run):
    assert "--json" in one_line_exit_2(invoke("summarize", sweep_run, "--json", "--format", "csv"))
    assert "--width" in one_line_exit_2(invoke("summarize", sweep_run, "--width", 80, "--format", "csv"))
    assert "--format" in one_line_exit_2(invoke("summarize", sweep_run, "--format", "xml"))


def scenario_order(result):
    assert result.exit_code == 0, result.output
    return [row["scenario_id"] for row in json.loads(result.stdout)["scenarios"]]


SORTS = {  # a name --sort takes -> the value of a row it sorts by
    "PD": lambda row: row["pd"],
    "pd": lambda row: row["pd"],
    "EL": lambda row: row["expected_loss"],
    "CVaR 99%": lambda row: row["loss_cvar_99"],
    "cvar 99%": lambda row: row["loss_cvar_99"],
    "Loss_CVaR_99": lambda row: row["loss_cvar_99"],
    "PD 95% CI": lambda row: row["pd_ci_low"],
    "year 1": lambda row: row["pd_by_year"][0],
}


@pytest.mark.parametrize("name", SORTS)
def test_sort_takes_the_labels_shown_and_the_column_names_in_any_case(sweep_run, name):
    rows = scenarios(sweep_run)
    ascending = [row["scenario_id"] for row in sorted(rows, key=SORTS[name])]
    assert len({SORTS[name](row) for row in rows}) == 3  # three different values: the order says something
    assert scenario_order(invoke("summarize", sweep_run, "--sort", name, "--json")) == ascending
    assert scenario_order(invoke("summarize", sweep_run, "--sort", name, "--descending", "--json")) == ascending[::-1]


@pytest.mark.parametrize("name", ["firm.cash", "FIRM.CASH", "firm_cash", "scenario"])
def test_sort_by_the_swept_value_or_the_scenario(sweep_run, name):
    assert scenario_order(invoke("summarize", sweep_run, "--sort", name, "--descending", "--json")) == [2, 1, 0]


def test_sort_tranches_by_their_own_columns(sweep_run):
    result = invoke("summarize", sweep_run, "--by-tranche", "--sort", "rank", "--descending", "--json")
    assert result.exit_code == 0, result.output
    ranks = [row["rank"] for row in json.loads(result.stdout)["tranches"]]
    assert ranks == sorted(ranks, reverse=True)


def test_an_unknown_sort_lists_the_valid_names(sweep_run):
    line = one_line_exit_2(invoke("summarize", sweep_run, "--sort", "cvar"))
    assert "no column 'cvar'" in line and "(did you mean 'CVaR 99%'?)" in line
    assert "PD, PD 95% CI, PD funded, EL" in line and "loss_cvar_99" in line  # the labels, then the column names
    line = one_line_exit_2(invoke("summarize", sweep_run, "--sort", "zzz"))
    assert "did you mean" not in line and "choose from" in line

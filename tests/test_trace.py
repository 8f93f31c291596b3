"""gpu-stress trace: a stored path re-simulated month by month ends on its stored row, bit for bit."""

import json

import numpy as np
import pyarrow.csv
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from conftest import HOST_BACKENDS
from gpu_stress.cli import main
from gpu_stress.kernels import layout as L
from gpu_stress.trace import trace_path

ARGS = ["--preset", "crusoe", "--paths", "3000", "--set", "simulation.chunk_paths=1000"]
ARGS += ["--set", "simulation.band_paths=100", "--sweep", "firm.cash=3e7,3e8"]


def invoke(*arguments):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


@pytest.fixture(scope="module", params=HOST_BACKENDS)
def run(request, tmp_path_factory):
    output = tmp_path_factory.mktemp(request.param) / "out"
    assert invoke("run", *ARGS, "--backend", request.param, "-o", output).exit_code == 0
    return output


def paths_to_trace(directory):
    """20 paths of both scenarios: the five worst of each, defaults and survivors, across chunks."""
    table = ds.dataset(directory / "paths", format="ipc").to_table()
    chosen = []
    for scenario in (0, 1):
        rows = table.filter(ds.field("scenario_id") == scenario).sort_by([("loss", "descending")])
        worst = rows.slice(0, 5)["path_id"].to_pylist()
        survivors = rows.filter(ds.field("default_month").is_null())["path_id"].to_pylist()[:3]
        others = [999, 1000, 2999][: 10 - len(worst) - len(survivors)] if survivors else [999, 1000, 2999, 5, 6]
        chosen += [(scenario, path) for path in worst + survivors + others]
    assert len(chosen) == 20
    return chosen


def test_twenty_traces_end_on_their_stored_rows_bit_for_bit(run):
    causes = set()
    for scenario, path in paths_to_trace(run):
        trace = trace_path(run, scenario, path)
        assert trace.matches_stored_row is True, (scenario, path)
        statement = trace.statement.to_pydict()
        outputs = trace.outputs
        months = statement["month"]
        assert months == list(range(1, len(months) + 1))
        assert statement["cash"][-1] == outputs["final_cash"]
        assert outputs["min_cash"] == min([3e7, 3e8][scenario], *statement["cash"])  # month 0 counts too
        if outputs["default_month"] is None:
            assert len(months) == 60 and set(statement["event"]) == {None}
        else:
            assert len(months) == outputs["default_month"]
            assert statement["event"][-1] == outputs["default_cause"] and set(statement["event"][:-1]) == {None}
            assert statement["debt"][-1] == outputs["ead"]
            causes.add(outputs["default_cause"])
        revenue = np.add(statement["revenue_contracted"], statement["revenue_spot"])
        costs = [statement[name] for name in ("power", "opex", "fixed_charges", "delay_penalties")]
        ebitda = revenue - np.sum(costs, axis=0)
        np.testing.assert_allclose(statement["ebitda"], ebitda, rtol=1e-9, atol=1e-3)
    assert causes, "some traced paths default"


def test_statement_is_a_monthly_cash_reconciliation(run):
    trace = trace_path(run, 1, 5)
    statement = trace.statement.to_pydict()
    tranches = len(trace.tranche_names)
    cash = 3e8  # scenario 1's initial cash
    for month in range(len(statement["month"])):
        due = sum(statement[f"interest_{j}"][month] + statement[f"principal_{j}"][month] for j in range(tranches))
        cash += statement["ebitda"][month] - statement["capex"][month] + statement["draws"][month]
        if statement["event"][month] in ("liquidity", "refinancing", "insolvent_no_debt", "lease"):
            break  # could not pay: cash stays before service
        cash -= due
        assert statement["cash"][month] == pytest.approx(cash, rel=1e-9, abs=1.0), month


def test_trace_command_table_csv_json_and_worst(run, tmp_path):
    result = invoke("trace", run, "--scenario", 0, "--path", 1)
    assert result.exit_code == 0, result.output
    assert "matches the stored row: yes, bit for bit" in result.output
    csv_file = tmp_path / "statement.csv"
    assert invoke("trace", run, "--path", 1, "--csv", csv_file).exit_code == 0
    statement = pyarrow.csv.read_csv(csv_file)
    assert statement.column_names[:4] == ["month", "date", "price", "planned_price"]
    assert statement["date"].to_pylist()[:2] == ["2025-07", "2025-08"]  # crusoe's month 1 is July 2025
    document = json.loads(invoke("trace", run, "--path", 1, "--json").output)
    assert document["matches_stored_row"] is True and len(document["statement"]) >= 1
    worst = json.loads(invoke("trace", run, "--worst", 4, "--json").output)
    losses = [row["loss"] for row in worst]
    assert losses == sorted(losses, reverse=True) and len(worst) == 4


@pytest.mark.parametrize(
    ("arguments", "name"),
    [(["--path", 3000], "--path"), (["--scenario", 2, "--path", 0], "--scenario"), ([], "--path")],
)
def test_bad_trace_requests_are_one_line(run, arguments, name):
    result = invoke("trace", run, *arguments)
    assert result.exit_code == 2 and name in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_statement_names_cover_every_slot():
    assert len(L.STATEMENT_NAMES) == L.STATEMENT_COUNT == len(set(L.STATEMENT_NAMES))

"""Defaults by month and cause (the defaults_by_month_cause aggregate), and `summarize` naming the months that hold
a large share of a scenario's defaults, with their cause and what the configuration has happen then."""

import csv
import io
import json
import re

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from gpu_stress import chunks, engine
from gpu_stress.cli import main
from gpu_stress.config.load import load_table
from gpu_stress.kernels import layout as L
from gpu_stress.results import aggregates, fields, store
from gpu_stress.results.verify import open_results
from gpu_stress.summary import cluster_note, default_clusters, month_events

PATHS = 3000
CREDIT = [L.CAUSE_NAMES[cause] for cause in L.CREDIT_CAUSES]


def invoke(*arguments):
    result = CliRunner().invoke(main, list(map(str, arguments)))
    assert result.exit_code == 0, result.output
    return result


SIGNED = ("--set", "debt.9.signed=true", "--horizon", "60")  # every facility signed, 60 months: as in 0.8


@pytest.fixture(scope="module")
def coreweave(tmp_path_factory):
    """The coreweave preset with its contract DDTLs signed (60 months): a third of its defaults come in month 60,
    when the 2030 senior notes' balloon falls due and the model cannot refinance it."""
    output = tmp_path_factory.mktemp("clusters") / "coreweave"
    invoke("run", "--preset", "coreweave", *SIGNED, "--paths", PATHS, "-o", output)
    return output


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    output = tmp_path_factory.mktemp("clusters") / "parquet"
    invoke("run", "--preset", "coreweave", *SIGNED, "--paths", PATHS, "--no-paths", "--format", "parquet", "-o", output)
    return output


def scenario_table(directory):
    return open_results(directory).table(store.SCENARIOS_FILE)


def test_defaults_by_month_and_cause_count_the_per_path_defaults(coreweave):
    table = scenario_table(coreweave)
    field = table.schema.field("defaults_by_month_cause")
    assert field.type == pa.struct([pa.field(cause, pa.list_(pa.int64())) for cause in CREDIT])
    assert fields.unit_of(field) == "count" and b"month 1" in field.metadata[fields.DESCRIPTION_KEY]
    row = table.to_pylist()[0]
    by_month = row["defaults_by_month_cause"]
    assert set(by_month) == set(CREDIT) and all(len(counts) == 60 for counts in by_month.values())
    for cause in CREDIT:
        assert sum(by_month[cause]) == row[f"defaults_{cause}"]
    paths = ds.dataset(coreweave / store.PATHS_DIR, format="ipc").to_table().to_pydict()
    expected = {cause: np.zeros(60, np.int64) for cause in CREDIT}
    for month, cause in zip(paths["default_month"], paths["default_cause"], strict=True):
        if cause in expected:
            expected[cause][month - 1] += 1
    assert {cause: list(counts) for cause, counts in expected.items()} == by_month
    # cumulative, they are PD by year
    total = np.sum([by_month[cause] for cause in CREDIT], axis=0)
    assert np.cumsum(total)[11::12] / PATHS == pytest.approx(row["pd_by_year"])


def test_the_column_is_the_same_in_parquet_and_sql_engines_read_it(coreweave, parquet):
    duckdb = pytest.importorskip("duckdb")
    polars = pytest.importorskip("polars")
    arrow = scenario_table(coreweave)["defaults_by_month_cause"].to_pylist()
    assert scenario_table(parquet)["defaults_by_month_cause"].to_pylist() == arrow
    month_60 = arrow[0]["refinancing"][59]
    assert month_60 > 0
    found = duckdb.sql(
        f"select defaults_by_month_cause.refinancing[60] as m60, list_sum(defaults_by_month_cause.liquidity) as n "
        f"from read_parquet('{parquet / 'scenarios.parquet'}')"
    ).fetchall()
    assert found == [(month_60, sum(arrow[0]["liquidity"]))]
    frame = polars.read_parquet(parquet / "scenarios.parquet")
    column = polars.col("defaults_by_month_cause").struct.field("refinancing").list.get(59)
    assert frame.select(column).item() == month_60


def test_summarize_names_the_month_its_cause_and_the_maturing_tranche(coreweave):
    output = invoke("summarize", coreweave).output
    notes = [line for line in output.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1, output
    note = notes[0]
    assert (
        re.match(r"note: scenario 0( \(baseline\))?: ", note)
        and "% of defaults in month 60 [2030-06] (refinancing" in note
    )
    assert "tranche '2030 senior notes' matures then (its balloon falls due)" in note
    assert note.endswith("the last month of the horizon")
    share = float(note.split(": ")[2].split(" %")[0])
    assert 25 <= share <= 60


def test_summarize_json_lists_the_clusters(coreweave):
    document = json.loads(invoke("summarize", coreweave, "--json").output)
    (cluster,) = document["clusters"]
    row = document["scenarios"][0]
    by_month = row["defaults_by_month_cause"]
    assert cluster["scenario_id"] == 0 and cluster["month"] == 60 and cluster["cause"] == "refinancing"
    in_month = sum(by_month[cause][59] for cause in CREDIT)
    assert cluster["defaults"] == in_month and cluster["share"] == pytest.approx(in_month / row["defaults"])
    assert cluster["cause_share"] == pytest.approx(by_month["refinancing"][59] / in_month)
    assert cluster["events"][0] == "tranche '2030 senior notes' matures then (its balloon falls due)"
    assert cluster["note"] == cluster_note(cluster)


def test_a_width_wraps_the_note_as_it_fits_the_tables(coreweave):
    whole = next(line for line in invoke("summarize", coreweave).output.splitlines() if line.startswith("note: "))
    lines = invoke("summarize", coreweave, "--width", 60).output.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("note: "))
    wrapped = lines[start:]
    assert len(wrapped) > 1 and max(len(line) for line in wrapped) <= 60
    assert all(line.startswith("  ") for line in wrapped[1:])
    assert " ".join(line.strip() for line in wrapped) == whole


def test_csv_and_the_tranche_table_carry_no_note(coreweave):
    assert "note:" not in invoke("summarize", coreweave, "--format", "csv").output
    assert "note:" not in invoke("summarize", coreweave, "--by-tranche").output
    assert "note: scenario 0" in invoke("summarize", coreweave, "--by-year").output


def test_all_columns_shows_the_busiest_month(coreweave):
    output = invoke("summarize", coreweave, "--all-columns", "--format", "csv").output
    header, row = list(csv.reader(io.StringIO(output)))[:2]
    cell = row[header.index("defaults_by_month_cause")]
    assert cell.startswith("most in month 60: ")


def rows_of(counts_by_month, paths=10_000, scenario_id=0):
    """A scenarios row whose defaults fall as {month: {cause: count}} says (horizon 24)."""
    by_month = {cause: [0] * 24 for cause in CREDIT}
    for month, counts in counts_by_month.items():
        for cause, count in counts.items():
            by_month[cause][month - 1] = count
    return {"scenario_id": scenario_id, "paths": paths, "defaults_by_month_cause": by_month}


def test_only_months_with_a_large_share_and_enough_defaults_are_named():
    spread = {month: {"liquidity": 10} for month in range(1, 25)}  # 240 defaults, none above 25 %
    assert default_clusters([rows_of(spread)]) == []
    few = {3: {"liquidity": 5}, 4: {"ltv": 3}}  # a large share, but 8 defaults in all
    assert default_clusters([rows_of(few)]) == []
    two = {6: {"liquidity": 25, "ltv": 10}, 12: {"dscr": 50}, 13: {"liquidity": 60}}  # 145 defaults: 24, 34, 41 %
    clusters = default_clusters([rows_of(two, scenario_id=4)], {4: {"covenants": {"test_every_months": 3}}})
    assert [(c["month"], c["cause"], c["defaults"]) for c in clusters] == [(13, "liquidity", 60), (12, "dscr", 50)]
    assert clusters[0]["share"] == pytest.approx(60 / 145) and clusters[0]["cause_share"] == 1.0
    assert clusters[1]["note"] == (
        "scenario 4: 34.5 % of defaults in month 12 (dscr): a covenant test month: covenants are tested every 3 months"
    )
    mixed = default_clusters([rows_of({6: {"liquidity": 30, "refinancing": 10}})])
    assert mixed[0]["note"] == "scenario 0: 100.0 % of defaults in month 6 (liquidity, 75 % of them)"
    old = {"scenario_id": 0, "paths": 10, "defaults_by_month_cause": None}  # results written before the column
    assert default_clusters([old]) == []


def test_what_the_configuration_has_happen_in_a_month():
    config = {
        "firm": {"gpu_age_months": 12, "useful_life_months": 48},
        "cohorts": [
            {"name": "b200", "delivery_month": 8, "delay_months": 2, "deposit": 1e8, "deposit_months_ahead": 6},
        ],
        "customers": [{"name": "anchor", "end_month": 18}],
        "debt": [
            {"name": "notes", "maturity_month": 36, "amortization": "bullet"},
            {"name": "ddtl", "maturity_month": 30, "amortization": "linear", "commitment": 5e8, "draw_end_month": 10},
        ],
        "backstop": {"cap": 1e8, "end_month": 23},
        "covenants": {"test_every_months": 3},
        "overlay": {"name": "glut", "launch": {"month": 5}, "regime": {"state": "glut", "start_month": 5}},
    }
    assert month_events(config, 36, "refinancing", 36) == [
        "tranche 'notes' matures then (its balloon falls due)",
        "the last month of the horizon",
    ]
    # Twelve months old with a 48-month life: in service through month 36, retired from month 37.
    assert month_events(config, 37) == ["the installed fleet retires then (its useful life ended in month 36)"]
    assert month_events(config, 30) == ["tranche 'ddtl' matures then"]
    assert month_events(config, 10) == [
        "tranche 'ddtl' stops drawing then",
        "cohort 'b200' is delivered then (2 months late)",
    ]
    assert month_events(config, 2) == ["the deposit for cohort 'b200' is due then"]
    assert month_events(config, 19) == ["contract 'anchor' ended in month 18"]
    assert month_events(config, 24, "liquidity") == ["the backstop ended in month 23"]
    assert month_events(config, 24, "ltv") == [
        "the backstop ended in month 23",
        "a covenant test month: covenants are tested every 3 months",
    ]
    assert month_events(config, 5) == [
        "stress 'glut' launches a GPU generation then",
        "stress 'glut' forces a glut from then",
    ]
    assert month_events(config, 1) == ["the first month"] and month_events(None, 7) == []


def test_chunks_of_an_older_version_combine_to_a_null_column():
    """A run resumed from chunk summaries without defaults_by_month_cause: the total has none, and the
    published value is null (not counts of only some chunks)."""
    new = {"paths": 2, "defaults_by_month_cause": np.ones((len(L.CAUSE_NAMES), 3), np.int64)}
    old = {"paths": 3}
    for parts in ([new, old], [old, new], [new, new, old], [old, old]):
        total = aggregates.combine(parts)
        assert "defaults_by_month_cause" not in total and total["paths"] == sum(part["paths"] for part in parts)
    both = aggregates.combine([new, new])["defaults_by_month_cause"]
    assert both.tolist() == (2 * np.ones((len(L.CAUSE_NAMES), 3))).tolist()
    assert aggregates.by_month_cause_row(None) is None
    assert aggregates.by_month_cause_row(both) == {cause: [2, 2, 2] for cause in CREDIT}
    portfolio = [{"firm0.defaults_by_month_cause": new["defaults_by_month_cause"]}, {}]
    assert aggregates.combine(portfolio) == {}


def test_a_run_resumed_from_older_chunks_finishes_with_a_null_column(tmp_path):
    output = tmp_path / "resumed"
    table = load_table(preset="lambda", overrides=["simulation.paths=400", "simulation.chunk_paths=200"])
    job = engine.start(table, output, backend="cpu", write_paths=False)
    first = job.units[0]
    job.execute(units=[first])
    job.close()
    staging = store.staging_dir(output)
    summary, bands = store.load_unit_summary(chunks.unit_summary_path(staging, first))
    del summary["defaults_by_month_cause"]  # as gpu-stress wrote it before it counted defaults by month
    store.save_unit_summary(chunks.unit_summary_path(staging, first), summary, bands)
    record_path = chunks.unit_record_path(staging, first)
    record = store.read_json(record_path)
    name = chunks.unit_summary_name(first)
    record["files"][name] = store.file_record(staging, name)
    store.write_json(record_path, record)
    invoke("run", "--resume", output)
    (row,) = scenario_table(output).to_pylist()
    assert row["defaults_by_month_cause"] is None and row["paths"] == 400
    assert "note:" not in invoke("summarize", output).output
    result = CliRunner().invoke(main, ["plot", str(output), "-o", str(tmp_path / "c.png"), "--kind", "causes"])
    assert result.exit_code == 2 and "no defaults_by_month_cause" in result.stderr

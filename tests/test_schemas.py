"""Self-describing schemas: every field of every table a run writes carries its unit and a description.

The catalogue is gpu_stress/results/fields.py; docs/model.md ("Units and descriptions") says how to read it.
"""

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from gpu_stress import engine
from gpu_stress.config.load import load_table
from gpu_stress.kernels import layout as L
from gpu_stress.results import fields, store

SHORT = ["simulation.paths=300", "simulation.horizon_months=24", "simulation.band_paths=50"]


def _run(folder, preset, sweeps=()):
    job = engine.start(load_table(preset=preset, overrides=SHORT), folder, sweeps=sweeps, backend="cpu")
    job.execute()
    return job.finish()


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """A firm with tranches and a 2 x 2 sweep (so scenarios.arrow has swept-value columns)."""
    sweeps = [("market.price.drift", [0.0, -0.2]), ("firm.cash", [1e8, 2e8])]
    return _run(tmp_path_factory.mktemp("schemas") / "single", "coreweave", sweeps)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("schemas") / "book", "neoclouds")


def tables_of(directory):
    """{relative path: schema} of every table of a results directory (top level and every part file)."""
    files = sorted(Path(directory).rglob("*.arrow")) + sorted(Path(directory).rglob("*.parquet"))
    return {path.relative_to(directory).as_posix(): store.read_table(path).schema for path in files}


def swept_columns(directory):
    """The columns of the swept values, whatever they are named: a sweep key, or it made SQL-safe."""
    keys = json.loads((Path(directory) / store.RUN_FILE).read_text())["sweep_keys"]
    return set(keys) | {re.sub(r"[^0-9A-Za-z]", "_", key) for key in keys}


def described(directory):
    """(table, field) of every field a run wrote, but the swept values of scenarios.arrow."""
    swept = swept_columns(directory)
    for name, schema in tables_of(directory).items():
        for field in schema:
            if not (name.startswith("scenarios.") and field.name in swept):
                yield name, field


@pytest.mark.parametrize("run", ["single", "book"])
def test_every_field_of_every_table_has_a_unit_and_a_description(run, request):
    directory = request.getfixturevalue(run)
    tables = tables_of(directory)
    expected = {"scenarios.arrow", "bands.arrow", "tranches.arrow"}
    expected |= {"firms.arrow", "exposures.arrow"} if run == "book" else set()
    assert expected <= set(tables)
    for folder in (store.PATHS_DIR, store.TRANCHES_DIR, *([store.PORTFOLIO_DIR] if run == "book" else [])):
        assert any(name.startswith(f"{folder}/") for name in tables), folder  # every kind of part file is checked
    undescribed = []
    for name, field in described(directory):
        metadata = field.metadata or {}
        if not metadata.get(fields.UNIT_KEY, b"").strip() or not metadata.get(fields.DESCRIPTION_KEY, b"").strip():
            undescribed.append(f"{name}: {field.name}")
        assert fields.unit_of(field) in fields.UNITS, (name, field.name, fields.unit_of(field))
    assert undescribed == []
    for schema in tables.values():  # the run's provenance is still there, beside the field metadata
        assert store.PROVENANCE_KEY in schema.metadata


def test_the_swept_columns_are_left_to_whoever_names_them(single):
    swept = swept_columns(single)
    scenarios = tables_of(single)["scenarios.arrow"]
    assert {name for name in scenarios.names if name in swept}  # the run has swept-value columns, skipped above


@pytest.mark.parametrize("run", ["single", "book"])
def test_categories_document_their_values(run, request):
    directory = request.getfixturevalue(run)
    categories = 0
    for name, field in described(directory):
        values = fields.values_of(field)
        if pa.types.is_dictionary(field.type):
            assert fields.unit_of(field) == "category" and values is not None, (name, field.name)
        if field.name in ("default_cause", "base_case_default_cause"):
            assert values == list(L.CAUSE_NAMES), (name, field.name)
            categories += 1
        if field.name == "regime":
            assert values == ["shortage", "glut"], (name, field.name)
        if field.name == "variable":
            assert values == list(L.TRACK_NAMES), name
            categories += 1
        if fields.unit_of(field) == "of variable":  # bands' statistics: in each variable's unit
            assert json.loads(field.metadata[b"unit_by_variable"]).keys() == set(L.TRACK_NAMES), field.name
    assert categories >= 2


def test_field_metadata_changes_no_type_and_no_value(single):
    """The described per-path table reads back as the same columns, through a dataset too."""
    path = sorted((single / store.PATHS_DIR).glob("*.arrow"))[0]
    table = store.read_table(path)
    bare = pa.schema([pa.field(f.name, f.type, f.nullable) for f in table.schema])
    assert table.schema.equals(bare) and table.schema.types == bare.types
    assert ds.dataset(path, format="ipc").schema.field("loss").metadata[b"unit"] == b"USD"
    assert table.schema.field("default_cause").type == pa.dictionary(pa.int8(), pa.string())
    assert table.schema.field("final_price").metadata[b"unit"] == b"USD/GPU-hour"
    tranches = store.read_table(sorted((single / store.TRANCHES_DIR).glob("*.arrow"))[0])
    assert b"tranche" in tranches.schema.field("loss").metadata[b"description"]  # the tranche's, not the path's


def test_describe_takes_the_callers_columns_and_leaves_unknown_ones_bare():
    schema = pa.schema(
        [
            pa.field("loss", pa.float32(), nullable=False),
            pa.field("firm_cash", pa.float64()),
            pa.field("odd", pa.int8()),
        ],
        metadata={b"kept": b"yes"},
    )
    described_schema = fields.describe(schema, {"firm_cash": ("USD", "the swept value of firm.cash")})
    assert described_schema.metadata == {b"kept": b"yes"}
    assert described_schema.types == schema.types and not described_schema.field("loss").nullable
    assert described_schema.field("firm_cash").metadata[b"unit"] == b"USD"
    assert described_schema.field("odd").metadata is None  # unknown: no metadata, no error
    with_provenance = store.with_provenance(schema, {"run": 1}, {"odd": ("count", "odd things")})
    assert json.loads(with_provenance.metadata[store.PROVENANCE_KEY]) == {"run": 1}
    assert with_provenance.field("odd").metadata[b"unit"] == b"count"
    # Tables built on the schema keep the field metadata, whatever replaces the schema's own.
    table = pa.Table.from_arrays(
        [pa.array([1.0], pa.float32()), pa.array([2.0]), pa.array([3], pa.int8())], schema=with_provenance
    )
    table = table.replace_schema_metadata({b"other": b"1"})
    assert table.schema.field("loss").metadata[b"unit"] == b"USD"


def test_families_of_names_are_matched_by_pattern():
    for name, unit in [
        ("loss_var_99", "USD"),
        ("loss_cvar_999", "USD"),
        ("loss_cvar_99_9", "USD"),
        ("loss_cvar_95_se", "USD"),
        ("cvar_contribution_99", "USD"),
        ("book_cvar_contribution_999", "USD"),
        ("equity_q05", "USD"),
        ("exposure_11_loss", "USD"),
        ("q75", "of variable"),
        ("base_case_default_month", "month"),
        *((f"defaults_{L.CAUSE_NAMES[cause]}", "count") for cause in L.CREDIT_CAUSES),
        *((name, fields.lookup(name)[0]) for name in L.PATH_FLOAT_OUTPUT_NAMES + L.MARKET_OUTPUT_NAMES),
    ]:
        found = fields.lookup(name)
        assert found is not None and found[0] == unit and found[1], name
    assert "99.9 %" in fields.lookup("loss_var_999")[1] and "0.1 %" in fields.lookup("loss_cvar_999")[1]
    assert fields.lookup("defaults_none") is None and fields.lookup("market.price.drift") is None

"""run.json is read and written through one versioned dataclass, RunRecord: what it keeps, what it refuses."""

import json

import pytest

import gpu_stress
from gpu_stress.results import store
from gpu_stress.results.ownership import ResultsError
from gpu_stress.results.record import RECORD_VERSION, AnalysisRecord, RunRecord
from gpu_stress.results.verify import open_results


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A finished run's directory and its run.json document."""
    directory = tmp_path_factory.mktemp("record") / "run"
    gpu_stress.run(preset="nebius", paths=200, horizon=12, seed=4, output=directory, backend="numpy")
    return directory, json.loads((directory / store.RUN_FILE).read_text())


def test_a_record_round_trips_through_its_json(written):
    _, document = written
    record = RunRecord.from_json(document)
    assert record.to_json() == document
    assert document["record_version"] == RECORD_VERSION
    assert (record.paths, record.seed, record.horizon_months) == (200, 4, 12)
    assert record.complete and not record.is_portfolio and record.format == "arrow"


def test_the_api_gives_the_record_typed_and_as_a_document(written):
    directory, document = written
    results = gpu_stress.load(directory)
    assert results.record == RunRecord.from_json(document)
    assert results.run == document


def test_a_record_before_versions_reads_with_the_keys_it_lacked_defaulted(written):
    _, document = written
    old = {key: value for key, value in document.items() if key not in {"record_version", "format", "stream_layout"}}
    record = RunRecord.from_json(old)
    assert (record.format, record.stream_layout, record.record_version) == ("arrow", 1, RECORD_VERSION)


def test_keys_this_version_does_not_know_are_kept(written):
    _, document = written
    record = RunRecord.from_json(document | {"written_by_a_tool": {"note": 1}})
    assert record.to_json()["written_by_a_tool"] == {"note": 1}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"record_version": RECORD_VERSION + 1}, "record_version"),
        ({"record_version": "1"}, "record_version"),
        ({"chunk_paths": "many"}, "'chunk_paths'"),
        ({"write_paths": 1}, "'write_paths'"),
        ({"paths_per_s": "fast"}, "'paths_per_s'"),
        ({"format": "csv"}, "format"),
        ({"gpu_stress_version": 9}, "not the record of a gpu-stress run"),
    ],
)
def test_a_bad_record_is_one_line_naming_its_key(written, change, named):
    _, document = written
    with pytest.raises(ResultsError, match=named) as error:
        RunRecord.from_json(document | change, "some/run.json")
    assert str(error.value).startswith("some/run.json: ") and "\n" not in str(error.value)


@pytest.mark.parametrize("key", ["run_id", "simulation", "scenarios", "backend", "chunk_paths"])
def test_a_record_missing_a_key_is_refused_by_name(written, key):
    _, document = written
    with pytest.raises(ResultsError, match=f"'{key}' is missing"):
        RunRecord.from_json({name: value for name, value in document.items() if name != key})


@pytest.mark.parametrize("key", ["paths", "seed", "horizon_months", "precision"])
def test_a_record_missing_a_simulation_setting_is_refused_by_name(written, key):
    _, document = written
    simulation = {name: value for name, value in document["simulation"].items() if name != key}
    with pytest.raises(ResultsError, match=f"simulation.{key}"):
        RunRecord.from_json(document | {"simulation": simulation})


def test_readers_refuse_a_newer_record(written, tmp_path):
    directory, document = written
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in directory.iterdir():
        if path.is_file():
            (copy / path.name).write_bytes(path.read_bytes())
    (copy / store.RUN_FILE).write_text(json.dumps(document | {"record_version": RECORD_VERSION + 1}))
    with pytest.raises(ResultsError, match="upgrade gpu-stress"):
        open_results(copy, check=False)


def analysis_record():
    return AnalysisRecord(
        kind="sensitivity",
        gpu_stress_version="0.9.0",
        created="2026-12-07T00:00:00+00:00",
        command="gpu-stress sensitivity",
        config=None,
        preset="nebius",
        overrides=[["firm.cash", 5e8]],
        simulation={"paths": 100, "horizon_months": 12, "seed": 1, "precision": "float64"},
        backend="cpu",
        device="cpu",
        versions={},
        elapsed_s=1.5,
    ).with_details(bump=0.1, metric="pd")


def test_an_analysis_record_is_flat_in_json_and_round_trips():
    record = analysis_record()
    document = record.to_json()
    assert document["bump"] == 0.1 and document["kind"] == "sensitivity" and "details" not in document
    assert AnalysisRecord.from_json(document) == record


def test_an_analysis_record_of_a_newer_version_or_without_a_field_is_refused():
    document = analysis_record().to_json()
    with pytest.raises(ResultsError, match="upgrade gpu-stress"):
        AnalysisRecord.from_json(document | {"record_version": RECORD_VERSION + 1})
    with pytest.raises(ResultsError, match="'backend' is missing"):
        AnalysisRecord.from_json({key: value for key, value in document.items() if key != "backend"})
    with pytest.raises(ResultsError, match="not the record of a gpu-stress analysis"):
        AnalysisRecord.from_json({"gpu_stress_version": "0.9.0"})

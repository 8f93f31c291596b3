"""Converting a finished results directory to Parquet (``gpu-stress export DIR --to parquet -o OUT``).

The copy is a results directory of its own, as ``gpu-stress run --format
parquet`` writes it: the same tables as .parquet files, and the per-path data
as hive-partitioned datasets (``paths/scenario_id=K/part-*.parquet``) with the
swept values as columns, so that DuckDB's ``read_parquet(..., hive_partitioning
= true)`` and Spark read it with no extension. It appears complete or not at all.
"""

import json
import uuid
from pathlib import Path

import pyarrow as pa

from . import fields, ownership, store
from .provenance import now, swept_columns
from .store import ResultsError
from .verify import open_results


def export(directory, output, to="parquet", overwrite=False, check=True):
    """Write the results in ``directory`` as a ``to``-format results directory ``output``; returns its path.

    A damaged run is not copied: every file is checked against the manifest as it is read (``check=False``:
    not).
    """
    from ..scenarios import expand_recorded

    if to != "parquet":
        raise ResultsError(f"to: {to!r} is not a format export writes (parquet)")
    results = open_results(directory, check)
    record = results.record
    if results.format == to:
        raise ResultsError(f"export: {directory} is already in {to}")
    final = ownership.results_path(output)
    source = results.path.resolve()
    if final.is_relative_to(source) or source.is_relative_to(final):
        raise ResultsError(f"output: {final} is inside {source} or holds it (export writes a directory of its own)")
    if ownership.exists(final):
        refusal = ownership.replace_refusal(final, overwrite)
        if refusal:
            raise ResultsError(refusal)
    _, scenarios = expand_recorded(record)
    columns = swept_columns(scenarios, record.sweep_keys)
    exported = {"from": str(source), "run_id": record.run_id, "created": now()}
    copy = record.but(format=to, run_id=uuid.uuid4().hex, exported=exported)
    provenance = json.dumps(json.loads(_provenance_text(results)) | {"format": to, "run_id": copy.run_id})
    building, lock = ownership.create_building(final, copy.run_id)  # a concurrent start leaves it alone
    try:
        files = {}
        names = [
            store.named(name, results.format) for name in store.TABLES if results.has(store.named(name, results.format))
        ]
        for folder in store.PART_DIRS:
            names += results.part_names(folder)
        for name in names:
            folder, _, file_name = name.partition("/")
            table = _described(store.read_table(results.file(name)), f"{folder}/" if file_name else name, columns)
            table = table.replace_schema_metadata({store.PROVENANCE_KEY: provenance})
            if file_name:  # a chunk's per-path file: part-<unit>.arrow
                scenario_id = table["scenario_id"][0].as_py() if table.num_rows else 0
                unit_name = Path(file_name).stem.removeprefix("part-")
                name = store.part_name(folder, unit_name, scenario_id, to)
                table = store.parquet_part(table, columns[scenario_id])
                (building / name).parent.mkdir(parents=True, exist_ok=True)
            else:
                name = store.named(name, to)
            store.write_table(building / name, table)
            files[name] = store.file_record(building, name, table.num_rows)
        copy.write(building / store.RUN_FILE)
        ownership.write_manifest(building, copy.run_id, files)
        ownership.publish(building, final, overwrite=overwrite)
    except BaseException:
        ownership.remove_tree(building)
        raise
    finally:
        lock.release()
    return final


def _described(table, name, columns):
    """``table`` with its fields' units and descriptions (results before 0.6 had none) and, in a scenarios
    table before 0.6, its dotted swept-value columns under their SQL-safe names."""
    if name == store.SCENARIOS_FILE:
        for field, _ in columns[0] if columns else ():
            dotted = field.metadata[b"config_key"].decode()
            if dotted in table.column_names:
                table = table.set_column(table.column_names.index(dotted), field, table[dotted])
    return pa.Table.from_arrays(table.columns, schema=fields.describe(table.schema, table=name))


def _provenance_text(results):
    """The provenance JSON the run's tables carry (checked: it must be a JSON object)."""
    path = results.file(store.named(store.SCENARIOS_FILE, results.format))
    metadata = store.read_table(path).schema.metadata
    text = (metadata or {}).get(store.PROVENANCE_KEY, b"{}").decode(errors="replace")
    try:
        if isinstance(json.loads(text), dict):
            return text
    except ValueError:
        pass
    raise ResultsError(f"{path}: its {store.PROVENANCE_KEY.decode()} metadata is not a JSON object")

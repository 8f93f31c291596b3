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

from . import fields, store
from .store import ResultsError
from .verify import verify


def export(directory, output, to="parquet", overwrite=False):
    """Write the results in ``directory`` as a ``to``-format results directory ``output``; returns its path."""
    from ..engine import _now, swept_columns
    from ..scenarios import expand_recorded

    if to != "parquet":
        raise ResultsError(f"to: {to!r} is not a format export writes (parquet)")
    directory = Path(directory)
    verify(directory)  # a damaged run is not copied
    record = store.read_json(directory / store.RUN_FILE)
    if store.run_format(record) == to:
        raise ResultsError(f"export: {directory} is already in {to}")
    final = Path(output).resolve()
    source = directory.resolve()
    if final.is_relative_to(source) or source.is_relative_to(final):
        raise ResultsError(f"output: {final} is inside {source} or holds it (export writes a directory of its own)")
    if final.exists():
        refusal = store.replace_refusal(final, overwrite)
        if refusal:
            raise ResultsError(refusal)
    _, scenarios = expand_recorded(record)
    columns = swept_columns(scenarios, record["sweep_keys"])
    copy = record | {"format": to, "run_id": uuid.uuid4().hex}
    copy["exported"] = {"from": str(source), "run_id": record["run_id"], "created": _now()}
    provenance = json.dumps(json.loads(_provenance_text(directory, record)) | {"format": to, "run_id": copy["run_id"]})
    building = store.building_dir(final, copy["run_id"])
    building.mkdir(parents=True)  # a fresh name: no other process's
    lock = store.Lock(building).acquire()  # a concurrent start over ``final`` leaves it alone
    try:
        files = {}
        for name in record["files"]:
            folder, _, file_name = name.partition("/")
            table = _described(store.read_table(directory / name), f"{folder}/" if file_name else name, columns)
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
        store.write_json(building / store.RUN_FILE, copy | {"files": files})
        store.publish(building, final, overwrite=overwrite)
    except BaseException:
        store.remove_tree(building)
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


def _provenance_text(directory, record):
    """The provenance JSON the run's tables carry."""
    metadata = store.read_table(directory / store.named(store.SCENARIOS_FILE, store.run_format(record))).schema.metadata
    return (metadata or {}).get(store.PROVENANCE_KEY, b"{}").decode()

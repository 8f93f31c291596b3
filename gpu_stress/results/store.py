"""The results directory, written atomically.

A run writes into ``DIR.partial/`` and renames it to ``DIR`` only when every
part is there, so a directory named ``DIR`` is always complete::

    DIR/
      run.json               provenance: config, scenarios, seed, versions, backend, device
      scenarios.arrow        one row per scenario: swept values + aggregates
      bands.arrow            fan-chart bands (scenario, variable, month)
      paths/part-*.arrow     per-path outputs, one file per chunk (unless --no-paths)

While running, ``DIR.partial/units/`` holds each finished chunk's summary;
a chunk counts as done once its summary exists (its paths file is written
first), which is what ``--resume`` relies on. Every file is written under a
temporary name and renamed into place.
"""

import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..kernels import layout as L

RUN_FILE = "run.json"
SCENARIOS_FILE = "scenarios.arrow"
BANDS_FILE = "bands.arrow"
PATHS_DIR = "paths"
UNITS_DIR = "units"
PROVENANCE_KEY = b"gpu_stress.provenance"
STAGING_SUFFIX = ".partial"
_COMPRESSION = "zstd"


def staging_dir(final):
    final = Path(final)
    return final.with_name(final.name + STAGING_SUFFIX)


def final_dir(path):
    """The results directory a staging or final path belongs to."""
    path = Path(path)
    if path.name.endswith(STAGING_SUFFIX):
        return path.with_name(path.name.removesuffix(STAGING_SUFFIX))
    return path


def _temporary(path):
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")


def write_atomic(path, write):
    """Call ``write(temporary_path)``, then rename the file to ``path``."""
    path = Path(path)
    temporary = _temporary(path)
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_json(path, document):
    write_atomic(path, lambda target: Path(target).write_text(json.dumps(document, indent=2, default=_json_default)))


def read_json(path):
    return json.loads(Path(path).read_text())


def write_table(path, table):
    options = pa.ipc.IpcWriteOptions(compression=_COMPRESSION)

    def write(target):
        with (
            pa.OSFile(str(target), "wb") as sink,
            pa.ipc.new_file(sink, table.schema, options=options) as writer,
        ):
            writer.write_table(table)

    write_atomic(path, write)


def read_table(path):
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def with_provenance(schema, provenance):
    return schema.with_metadata({PROVENANCE_KEY: json.dumps(provenance, default=_json_default)})


def paths_schema(float_type, provenance):
    causes = pa.dictionary(pa.int8(), pa.string())
    fields = [
        pa.field("scenario_id", pa.int32()),
        pa.field("path_id", pa.int64()),
        pa.field("default_month", pa.int32()),
        pa.field("default_cause", causes),
    ] + [pa.field(name, float_type) for name in L.FLOAT_OUTPUT_NAMES]
    return with_provenance(pa.schema(fields), provenance)


def paths_table(scenario_id, path_start, outputs_float, outputs_int, schema):
    """Arrow table of one chunk's per-path outputs (host arrays, columns zero-copy)."""
    paths = outputs_float.shape[1]
    cause_names = pa.array(L.CAUSE_NAMES, pa.string())
    columns = [
        pa.array(np.full(paths, scenario_id, np.int32)),
        pa.array(np.arange(path_start, path_start + paths, dtype=np.int64)),
        pa.array(outputs_int[L.OUT_DEFAULT_MONTH]),
        pa.DictionaryArray.from_arrays(pa.array(outputs_int[L.OUT_DEFAULT_CAUSE].astype(np.int8)), cause_names),
    ] + [pa.array(outputs_float[index]) for index in range(L.FLOAT_OUTPUT_COUNT)]
    return pa.Table.from_arrays(columns, schema=schema)


def save_unit_summary(path, summary, bands=None):
    """A chunk's summary (and its scenario's bands, for the first chunk) as .npz."""
    arrays = {key: np.asarray(value) for key, value in summary.items()}
    if bands is not None:
        arrays["bands"] = bands

    def write(target):
        with open(target, "wb") as handle:
            np.savez(handle, **arrays)

    write_atomic(path, write)


def load_unit_summary(path):
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    bands = arrays.pop("bands", None)
    summary = {key: value if value.ndim else value.item() for key, value in arrays.items()}
    return summary, bands


def publish(staging, final, overwrite=False):
    """Rename the finished staging directory to its final name, then tidy it.

    The unit summaries go only once the rename has happened, so a failed
    publish leaves a staging directory that can still be finished.
    """
    staging, final = Path(staging), Path(final)
    for leftover in staging.rglob(".*.tmp"):  # writes cut short by a killed process
        leftover.unlink(missing_ok=True)
    if final.exists():
        if not overwrite:
            raise FileExistsError(f"output: {final} already exists (use --overwrite to replace it)")
        trash = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.old")
        os.replace(final, trash)
        os.replace(staging, final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(staging, final)
    shutil.rmtree(final / UNITS_DIR, ignore_errors=True)


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialize {type(value).__name__}")

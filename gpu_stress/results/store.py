"""The results directory: written atomically, checksummed, locked, and never confused with anything else.

A run writes into ``DIR.partial/`` and renames it to ``DIR`` only when every
part is there and recorded, so a directory named ``DIR`` is always complete::

    DIR/
      run.json               provenance (config, scenarios, seed, versions, backend, device)
                             and the sha256, size and rows of every other file
      scenarios.arrow        one row per scenario: swept values + aggregates
      bands.arrow            fan-chart bands (scenario, variable, month)
      tranches.arrow         one row per scenario and tranche: PD, EL, LGD, loss tails by tranche
      paths/part-*.arrow     per-path outputs, one file per chunk (unless --no-paths)
      tranches/part-*.arrow  per path and tranche: default month, EAD, recovery, loss (unless --no-paths)

A portfolio run (several firms, a lender's book) adds a ``firm`` column to the
per-path and tranche tables (one row per firm and path), its scenarios table
holds the book's aggregates, and it also writes::

      firms.arrow            one row per scenario and firm: PD, EL, tails, default correlations, book share
      exposures.arrow        one row per scenario and exposure: EL, Euler contributions to CVaR
      portfolio/part-*.arrow per path: the book's loss, defaults, each exposure's loss, resale index

While running, ``DIR.partial/`` also holds ``lock`` (the writer's pid, held
with ``flock``) and ``units/``: each finished chunk's summary (``.npz``) and
its record (``.json``: sha256, size and rows of the chunk's files), written
last. A chunk counts as done only if its record exists and every file it
names still matches; ``--resume`` recomputes any other. Every file is written
under a temporary name and renamed into place.

A Parquet run (``--format parquet``, run.json ``"format": "parquet"``) names
its tables ``scenarios.parquet`` and so on, and keeps each per-path folder as
a hive-partitioned dataset, ``paths/scenario_id=K/part-*.parquet``, whose
files hold the scenario's swept values as columns instead of ``scenario_id``.
"""

import io
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ..kernels import layout as L
from . import manifest
from .aggregates import recovery_sources
from .fields import describe
from .histogram import Histogram
from .names import (
    BANDS_FILE,
    EXPOSURES_FILE,
    FIRMS_FILE,
    FORMATS,
    LOCK_FILE,
    PART_DIRS,
    PATHS_DIR,
    PORTFOLIO_DIR,
    RECOVERY_SOURCES,
    RUN_FILE,
    SCENARIOS_FILE,
    SENSITIVITY_FILE,
    STAGING_SUFFIX,
    TABLES,
    TRANCHES_DIR,
    TRANCHES_FILE,
    UNITS_DIR,
    named,
)
from .ownership import (
    LockedError,
    ResultsError,
    final_dir,
    is_temporary,
    remove_temporaries,
    staging_dir,
    write_atomic,
)

__all__ = [  # the names other modules read from here
    "BANDS_FILE",
    "EXPOSURES_FILE",
    "FIRMS_FILE",
    "FORMATS",
    "LOCK_FILE",
    "PART_DIRS",
    "PATHS_DIR",
    "PORTFOLIO_DIR",
    "RUN_FILE",
    "SCENARIOS_FILE",
    "SENSITIVITY_FILE",
    "STAGING_SUFFIX",
    "TRANCHES_DIR",
    "TRANCHES_FILE",
    "UNITS_DIR",
    "LockedError",
    "ResultsError",
    "final_dir",
    "remove_temporaries",
    "staging_dir",
    "write_atomic",
]

PROVENANCE_KEY = b"gpu_stress.provenance"
_COMPRESSION = "zstd"


def write_json(path, document):
    text = json.dumps(without_nan(document), indent=2, default=_json_default, allow_nan=False)
    write_atomic(path, lambda target: Path(target).write_text(text))


def read_json(path):
    """A JSON document; a missing, unreadable or invalid file is a :class:`ResultsError` naming it."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ResultsError(f"{path}: not readable JSON ({_reason(error)})") from None


def part_name(folder, unit_name, scenario_id, format):
    """A chunk's per-path file: ``paths/part-U.arrow``, or ``paths/scenario_id=K/part-U.parquet`` (hive)."""
    if format == "parquet":
        return f"{folder}/scenario_id={scenario_id}/part-{unit_name}.parquet"
    return f"{folder}/part-{unit_name}.arrow"


def parquet_part(table, swept_columns):
    """A per-path table as its hive partition holds it: no scenario_id (the folder names it), the swept values as
    columns (``swept_columns``: [(field, value)], so that SQL engines can group by them)."""
    table = table.drop_columns(["scenario_id"])
    for field, value in swept_columns:
        table = table.append_column(field, pa.array(np.full(table.num_rows, value), field.type))
    return table


def sweep_column(key):
    """The column of swept config key ``key`` (``market.regime.glut.drift`` -> ``market_regime_glut_drift``): a
    name SQL engines take unquoted; the field's metadata keeps the dotted key."""
    name = re.sub(r"\W", "_", key)
    return f"_{name}" if name[:1].isdigit() else name


def write_table(path, table):
    """Write ``table`` atomically as Arrow IPC (zstd), or as Parquet if ``path`` ends in .parquet."""
    options = pa.ipc.IpcWriteOptions(compression=_COMPRESSION)

    def write(target):
        if Path(path).suffix == ".parquet":
            pq.write_table(table, str(target), compression=_COMPRESSION)
            return
        with (
            pa.OSFile(str(target), "wb") as sink,
            pa.ipc.new_file(sink, table.schema, options=options) as writer,
        ):
            writer.write_table(table)

    write_atomic(path, write)


def read_table(path):
    """An Arrow IPC (or .parquet) file; a missing or damaged file is a :class:`ResultsError` naming it."""
    try:
        if Path(path).suffix == ".parquet":
            return pq.ParquetFile(str(path)).read()
        with pa.memory_map(str(path)) as source:
            return pa.ipc.open_file(source).read_all()
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing") from None
    except (OSError, pa.ArrowException) as error:
        raise ResultsError(f"{path}: not a readable Arrow file ({_reason(error)})") from None


def table_rows(path):
    """The number of rows of a table file (a Parquet file's from its footer)."""
    if Path(path).suffix == ".parquet":
        return pq.ParquetFile(str(path)).metadata.num_rows
    return read_table(path).num_rows


def read_parts(directory, folder, format, sweep_keys, names):
    """Every per-path row of a run's files ``names`` (relative, in plan order) of ``folder`` as one table, laid out
    as an Arrow run's parts are (a Parquet part's scenario_id back in front, its swept-value columns left out)."""
    from . import fields

    directory = Path(directory)
    if format != "parquet":
        if not names:
            return pa.schema([]).empty_table()
        return ds.dataset([str(directory / name) for name in names], format="ipc").to_table()
    swept = {sweep_column(key) for key in sweep_keys}
    scenario_field = fields.describe(pa.schema([pa.field("scenario_id", pa.int32(), nullable=False)])).field(0)
    pieces = []
    for name in names:
        partition = Path(name).parent.name
        if not (partition.startswith("scenario_id=") and partition.partition("=")[2].isdigit()):
            raise ResultsError(f"{directory / name}: not in a scenario's partition (scenario_id=K)")
        scenario_id = int(partition.partition("=")[2])
        table = read_table(directory / name)
        table = table.drop_columns([column for column in table.column_names if column in swept])
        ids = pa.array(np.full(table.num_rows, scenario_id, np.int32))
        pieces.append(table.add_column(0, scenario_field, ids))
    return pa.concat_tables(pieces)


def parts_dataset(directory, folder, format, names):
    """A pyarrow dataset of a run's per-path files ``names`` of ``folder`` (Parquet partitions give back
    scenario_id)."""
    files = [str(Path(directory) / name) for name in names]
    if format == "parquet":
        partitioning = ds.partitioning(pa.schema([pa.field("scenario_id", pa.int32())]), flavor="hive")
        return ds.dataset(
            files, format="parquet", partitioning=partitioning, partition_base_dir=str(Path(directory) / folder)
        )
    return ds.dataset(files, format="ipc")


def _reason(error):
    return str(error).splitlines()[0] if str(error) else type(error).__name__


# --- checksums ----------------------------------------------------------------------------------


def file_record(directory, relative, rows=None):
    """{bytes, xxh3_128[, rows]} of ``directory/relative`` (see :mod:`.manifest`)."""
    return manifest.entry(directory, relative, rows)


def check_files(directory, files):
    """The first file of ``files`` ({relative path: record}) that is missing or changed, with why; else None."""
    for relative, expected in files.items():
        problem = manifest.mismatch(directory, relative, expected)
        if problem:
            return problem
    return None


# --- per-path tables ------------------------------------------------------------------------------


def with_provenance(schema, provenance, fields=None, table=None):
    """``schema`` with the run's provenance and every field's unit and description (``fields.describe``).

    ``fields``: {column: (unit, description)} of columns only the caller knows; ``table``: the file
    (``TRANCHES_FILE``) or per-path folder with a slash (``"tranches/"``), where a name means something else.
    """
    schema = describe(schema, fields, table)
    return schema.with_metadata({PROVENANCE_KEY: json.dumps(provenance, default=_json_default)})


def table_with_provenance(table, provenance, fields=None, name=None):
    """``table`` (same columns and values) with the schema of :func:`with_provenance`; ``name``: its file."""
    return pa.Table.from_arrays(table.columns, schema=with_provenance(table.schema, provenance, fields, name))


FIRM_FIELD = pa.field("firm", pa.int8(), nullable=False)  # a portfolio's: the firm's index in [[firms]]


def paths_schema(float_type, provenance, portfolio=False, obligors=0):
    """The per-path table's schema; ``obligors``: the run's named obligors, an obligor_default_month_K column each."""
    causes = pa.dictionary(pa.int8(), pa.string())
    fields = [
        pa.field("scenario_id", pa.int32(), nullable=False),
        pa.field("path_id", pa.int64(), nullable=False),
        *([FIRM_FIELD] if portfolio else []),
        pa.field("default_month", pa.int32()),  # null: no default within the horizon
        pa.field("default_cause", causes),  # null: no default
        pa.field("funding_failed_month", pa.int32()),  # null: no facility failed to close
    ] + [pa.field(name, float_type, nullable=False) for name in L.PATH_FLOAT_OUTPUT_NAMES]
    fields += [pa.field(f"obligor_default_month_{k}", pa.int32()) for k in range(obligors)]  # null: none in the run
    return with_provenance(pa.schema(fields), provenance, table=f"{PATHS_DIR}/")


def portfolio_paths_schema(float_type, exposures, provenance):
    fields = [
        pa.field("scenario_id", pa.int32(), nullable=False),
        pa.field("path_id", pa.int64(), nullable=False),
        pa.field("loss", pa.float64(), nullable=False),  # the book's, $
        pa.field("defaults", pa.int8(), nullable=False),  # firms in credit default within the horizon
        *(pa.field(name, float_type, nullable=False) for name in L.MARKET_OUTPUT_NAMES),
        *(pa.field(f"exposure_{index}_loss", pa.float64(), nullable=False) for index in range(exposures)),
    ]
    return with_provenance(pa.schema(fields), provenance, table=f"{PORTFOLIO_DIR}/")


def portfolio_paths_table(scenario_id, path_start, loss, defaults, market_outputs, exposure_losses, schema):
    """Arrow table of one chunk of a portfolio's per-path book outcomes (host arrays)."""
    paths = loss.shape[0]
    columns = [
        pa.array(np.full(paths, scenario_id, np.int32)),
        pa.array(np.arange(path_start, path_start + paths, dtype=np.int64)),
        pa.array(loss),
        pa.array(defaults.astype(np.int8)),
        *(pa.array(market_outputs[index]) for index in range(len(L.MARKET_OUTPUT_NAMES))),
        *(pa.array(row) for row in exposure_losses),
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _firm_column(firm, rows):
    """The ``firm`` column of a portfolio's tables (none for a firm alone: ``firm`` None)."""
    return [] if firm is None else [pa.array(np.full(rows, firm, np.int8))]


def paths_table(scenario_id, path_start, outputs_float, outputs_int, schema, firm=None):
    """Arrow table of one chunk's per-path outputs (host arrays; float columns zero-copy).

    ``firm``: a portfolio firm's index, for the ``firm`` column of ``paths_schema(..., portfolio=True)``.
    """
    paths = outputs_float.shape[1]
    survived = outputs_int[L.OUT_DEFAULT_MONTH] < 0
    cause_names = pa.array(L.CAUSE_NAMES, pa.string())
    causes = pa.array(outputs_int[L.OUT_DEFAULT_CAUSE].astype(np.int8), mask=survived)
    columns = [
        pa.array(np.full(paths, scenario_id, np.int32)),
        pa.array(np.arange(path_start, path_start + paths, dtype=np.int64)),
        *_firm_column(firm, paths),
        pa.array(outputs_int[L.OUT_DEFAULT_MONTH], mask=survived),
        pa.DictionaryArray.from_arrays(causes, cause_names),
        pa.array(outputs_int[L.OUT_FUNDING_FAILED_MONTH], mask=outputs_int[L.OUT_FUNDING_FAILED_MONTH] < 0),
    ] + [pa.array(outputs_float[index]) for index in range(len(L.PATH_FLOAT_OUTPUT_NAMES))]
    obligors = sum(name.startswith("obligor_default_month_") for name in schema.names)
    for k in range(obligors):
        months = outputs_int[L.OUT_OBLIGOR_DEFAULT_MONTH + k]
        columns.append(pa.array(months, mask=months < 0))
    return pa.Table.from_arrays(columns, schema=schema)


def tranche_paths_schema(float_type, provenance, portfolio=False):
    fields = [
        pa.field("scenario_id", pa.int32(), nullable=False),
        pa.field("path_id", pa.int64(), nullable=False),
        *([FIRM_FIELD] if portfolio else []),
        pa.field("tranche", pa.int8(), nullable=False),  # its index in [[debt]]
        pa.field("default_month", pa.int32()),  # null: not in default within the horizon
        pa.field("closing_month", pa.int32()),  # 0: signed at the cut-off; null: never closed
        pa.field("closing_failed_month", pa.int32()),  # null: it did not fail to close
        pa.field("ead", float_type, nullable=False),
        pa.field("recovery", float_type, nullable=False),
        *(pa.field(f"recovery_{source}", float_type, nullable=False) for source in RECOVERY_SOURCES),
        pa.field("loss", float_type, nullable=False),
    ]
    return with_provenance(pa.schema(fields), provenance, table=f"{TRANCHES_DIR}/")


def tranche_paths_table(scenario_id, path_start, outputs_float, outputs_int, tranches, schema, firm=None):
    """Arrow table of one chunk's outputs by tranche: one row per path and tranche, path by path (``firm``: as
    for ``paths_table``)."""
    paths = outputs_float.shape[1]
    rows = slice(0, tranches)
    # (tranche, path) blocks of the kernels' outputs, flattened path-major.
    month = outputs_int[L.OUT_TRANCHE_DEFAULT_MONTH :][rows].T.ravel()
    closing = outputs_int[L.OUT_TRANCHE_CLOSING_MONTH :][rows].T.ravel()
    failed = outputs_int[L.OUT_TRANCHE_CLOSING_FAILED :][rows].T.ravel()
    ead = outputs_float[L.OUT_TRANCHE_EAD :][rows].T.ravel()
    recovery = outputs_float[L.OUT_TRANCHE_RECOVERY :][rows].T.ravel()
    sources = [part.T.ravel().astype(recovery.dtype) for part in recovery_sources(outputs_float, rows)]
    columns = [
        pa.array(np.full(paths * tranches, scenario_id, np.int32)),
        pa.array(np.repeat(np.arange(path_start, path_start + paths, dtype=np.int64), tranches)),
        *_firm_column(firm, paths * tranches),
        pa.array(np.tile(np.arange(tranches, dtype=np.int8), paths)),
        pa.array(month, mask=month < 0),
        pa.array(closing, mask=closing < 0),
        pa.array(failed, mask=failed < 0),
        pa.array(ead),
        pa.array(recovery),
        *(pa.array(source) for source in sources),
        pa.array(ead - recovery),
    ]
    return pa.Table.from_arrays(columns, schema=schema)


# --- unit summaries -------------------------------------------------------------------------------


def save_unit_summary(path, summary, bands=None):
    """A chunk's summary (and its scenario's bands, for the first chunk) as .npz."""
    data = unit_summary_bytes(summary, bands)
    write_atomic(path, lambda target: Path(target).write_bytes(data))


def unit_summary_bytes(summary, bands=None):
    """The .npz bytes of a chunk's summary; runs kept in memory go through them too, so that their aggregates
    are those of a run on disk, bit for bit."""
    arrays = {}
    for key, value in summary.items():
        if isinstance(value, Histogram):
            arrays |= {f"{key}.keys": value.keys, f"{key}.counts": value.counts, f"{key}.sums": value.sums}
            if value.parts is not None:
                arrays[f"{key}.parts"] = value.parts
        else:
            arrays[key] = np.asarray(value)
    if bands is not None:
        arrays["bands"] = bands
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


_HISTOGRAM_FIELDS = (".keys", ".counts", ".sums", ".parts")


def load_unit_summary(path, expected_hash=None):
    """(summary, bands or None) of a chunk; with ``expected_hash`` (its xxh3-128) the bytes are checked first."""
    data = Path(path).read_bytes()
    if expected_hash is not None and manifest.bytes_hash(data) != expected_hash:
        raise ResultsError(f"{path}: checksum differs from the one recorded (damaged or overwritten)")
    return unit_summary_from_bytes(data)


def unit_summary_from_bytes(data):
    """(summary, bands or None) of :func:`unit_summary_bytes`."""
    with np.load(io.BytesIO(data)) as archive:
        arrays = {key: archive[key] for key in archive.files}
    bands = arrays.pop("bands", None)
    summary = {}
    for key, value in arrays.items():
        name, _, part = key.rpartition(".") if key.endswith(_HISTOGRAM_FIELDS) else (key, "", "")
        if part:
            summary.setdefault(name, {})[part] = value
        else:
            summary[key] = value if value.ndim else value.item()
    for name, parts in list(summary.items()):
        if isinstance(parts, dict):
            summary[name] = Histogram(parts["keys"], parts["counts"], parts["sums"], parts.get("parts"))
    return summary, bands


# --- what this tool writes -------------------------------------------------------------------------

_PARTITION = re.compile(r"scenario_id=\d+")


def _layout(format):
    """The names a staging directory of ``format`` holds at its top."""
    return {
        RUN_FILE,
        LOCK_FILE,
        manifest.MANIFEST_FILE,
        *(named(table, format) for table in TABLES),
        *PART_DIRS,
        UNITS_DIR,
    }


def _is_part(entry, format):
    """A chunk's per-path file (or its scenario's hive partition, in a Parquet run) or a temporary."""
    if is_temporary(entry):
        return entry.is_file()
    if format == "parquet" and entry.is_dir() and _PARTITION.fullmatch(entry.name):
        return all(_is_part(inner, "parquet-part") for inner in entry.iterdir())
    return _is_part_file(entry, ".parquet" if format == "parquet-part" else ".arrow")


def _is_part_file(entry, suffix):
    return entry.is_file() and entry.name.startswith("part-") and entry.suffix == suffix


def foreign_entry(directory):
    """The first entry of a staging (or building) directory that gpu-stress does not write there, or a
    symbolic link anywhere in it, as a phrase; None if it holds nothing but its layout (and temporaries)."""
    directory = Path(directory)
    try:
        record = json.loads((directory / RUN_FILE).read_text())
        format = record.get("format", "arrow") if isinstance(record, dict) else "arrow"  # (read leniently)
    except (OSError, UnicodeDecodeError, ValueError):
        format = "arrow"
    for entry in sorted(directory.rglob("*")):
        if entry.is_symlink():
            return f"it holds {entry.relative_to(directory).as_posix()}, a symbolic link"
    for entry in directory.iterdir():
        if entry.name not in _layout(format) and not (is_temporary(entry) and entry.is_file()):
            return f"it holds {entry.name}, which gpu-stress does not write"
        if entry.name in {*PART_DIRS, UNITS_DIR} and not entry.is_dir():
            return f"it holds {entry.name}, which gpu-stress writes as a folder"
    for folder in PART_DIRS:
        for entry in (directory / folder).iterdir() if (directory / folder).is_dir() else ():
            if not _is_part(entry, format):
                return f"it holds {folder}/{entry.name}, which gpu-stress does not write"
    for entry in (directory / UNITS_DIR).iterdir() if (directory / UNITS_DIR).is_dir() else ():
        if not (entry.is_file() and (entry.suffix in (".npz", ".json") or is_temporary(entry))):
            return f"it holds {UNITS_DIR}/{entry.name}, which gpu-stress does not write"
    return None


# --- JSON ---------------------------------------------------------------------------------------------


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def without_nan(value):
    """JSON has no NaN or infinity: write null instead."""
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nan(item) for item in value]
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    return value

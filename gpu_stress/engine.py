"""The engine: plan chunks of paths, run them on a backend, write the results directory.

A run is a list of *units*: a chunk of consecutive paths of one scenario. A
unit's outputs depend only on (config, seed, scenario, path range), never on
which process or device runs it, so units can run in any order, be resumed
after an interruption, or be spread over workers (``gpu_stress.distributed``).
Each unit writes its own per-path file and summary; :func:`finish` combines
the summaries in plan order, so aggregates do not depend on timing either.
"""

import datetime
import json
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import __version__
from .arrays import to_host
from .backends import choose_backend, get_backend
from .config.load import ConfigError
from .results import aggregates, bands, store
from .scenarios import expand, parameter_matrix


class RunError(RuntimeError):
    """A run that cannot start or resume; ``str()`` is one line."""


@dataclass(frozen=True)
class Unit:
    """Paths [path_start, path_start + paths) of one scenario."""

    scenario_id: int
    path_start: int
    paths: int

    @property
    def name(self):
        return f"s{self.scenario_id:06d}-p{self.path_start:012d}"


def plan_units(scenario_count, paths, chunk_paths):
    return [
        Unit(scenario_id, start, min(chunk_paths, paths - start))
        for scenario_id in range(scenario_count)
        for start in range(0, paths, chunk_paths)
    ]


@dataclass(frozen=True)
class RunSpec:
    """Everything needed to run any unit of a run (picklable, for workers)."""

    directory: str  # the staging directory
    params: np.ndarray  # (scenario, parameter), float64
    initial_debts: tuple
    horizon: int
    seed: int
    precision: str
    independent_scenarios: bool
    band_paths: int
    write_paths: bool
    backend: str
    provenance: dict

    @property
    def dtype(self):
        return np.dtype(self.precision).type

    def stream(self, scenario_id):
        """Random-number stream: shared by all scenarios unless they are independent."""
        return scenario_id + 1 if self.independent_scenarios else 0


def unit_summary_path(directory, unit):
    return Path(directory) / store.UNITS_DIR / f"{unit.name}.npz"


def unit_paths_path(directory, unit):
    return Path(directory) / store.PATHS_DIR / f"part-{unit.name}.arrow"


def run_unit(spec, unit):
    """Simulate one unit and write its files; returns the seconds it took."""
    started = time.perf_counter()
    backend = get_backend(spec.backend)
    tracked = max(0, min(spec.band_paths - unit.path_start, unit.paths))
    outputs_float, outputs_int, tracks = backend.simulate(
        spec.params[unit.scenario_id],
        spec.horizon,
        spec.seed,
        spec.stream(unit.scenario_id),
        unit.path_start,
        unit.paths,
        tracked,
        spec.dtype,
    )
    debt = spec.initial_debts[unit.scenario_id]
    summary = aggregates.summarize_chunk(outputs_float, outputs_int, spec.horizon, debt, backend.xp)
    band_stats = bands.band_statistics(to_host(tracks)) if tracked else None
    if spec.write_paths:
        float_type = pa.from_numpy_dtype(np.dtype(spec.dtype))
        table = store.paths_table(
            unit.scenario_id,
            unit.path_start,
            to_host(outputs_float),
            to_host(outputs_int),
            store.paths_schema(float_type, spec.provenance),
        )
        store.write_table(unit_paths_path(spec.directory, unit), table)
    store.save_unit_summary(unit_summary_path(spec.directory, unit), summary, band_stats)
    return time.perf_counter() - started


class Run:
    """A run in its staging directory: its spec, its units, and which are done."""

    def __init__(self, record, staging):
        self.record = record
        self.staging = Path(staging)
        self.final = store.final_dir(self.staging)
        _, self.scenarios = expand(record["table"], record["sweeps"])
        simulation = record["simulation"]
        self.units = plan_units(len(self.scenarios), simulation["paths"], record["chunk_paths"])
        self.spec = RunSpec(
            directory=str(self.staging),
            params=parameter_matrix(self.scenarios),
            initial_debts=tuple(scenario.initial_debt for scenario in self.scenarios),
            horizon=simulation["horizon_months"],
            seed=simulation["seed"],
            precision=simulation["precision"],
            independent_scenarios=simulation["independent_scenarios"],
            band_paths=simulation["band_paths"],
            write_paths=record["write_paths"],
            backend=record["backend"],
            provenance=provenance_of(record),
        )

    def pending(self):
        return [unit for unit in self.units if not unit_summary_path(self.staging, unit).exists()]

    def execute(self, units=None, on_unit_done=None):
        """Run ``units`` (default: all pending) in this process, in plan order."""
        for unit in self.pending() if units is None else units:
            run_unit(self.spec, unit)
            if on_unit_done is not None:
                on_unit_done(unit)

    def finish(self, overwrite=None):
        """Combine the unit summaries, write the tables, publish the directory.

        ``overwrite`` defaults to what the run was started with.
        """
        missing = self.pending()
        if missing:
            raise RunError(f"{len(missing)} chunks are not done yet")
        totals, band_stats = {}, {}
        for unit in self.units:  # plan order, one summary in memory at a time
            summary, unit_bands = store.load_unit_summary(unit_summary_path(self.staging, unit))
            previous = totals.get(unit.scenario_id)
            totals[unit.scenario_id] = summary if previous is None else aggregates.combine([previous, summary])
            if unit_bands is not None:
                band_stats[unit.scenario_id] = unit_bands
        rows = [aggregates.finalize(totals[scenario.scenario_id], scenario.initial_debt) for scenario in self.scenarios]
        provenance = self.spec.provenance
        store.write_table(self.staging / store.SCENARIOS_FILE, self._scenarios_table(rows, provenance))
        bands_table = bands.bands_table(band_stats)
        bands_table = bands_table.replace_schema_metadata(
            store.with_provenance(bands_table.schema, provenance).metadata
        )
        store.write_table(self.staging / store.BANDS_FILE, bands_table)
        record = dict(self.record, status="complete", finished=_now())
        store.write_json(self.staging / store.RUN_FILE, record)
        overwrite = self.record.get("overwrite", False) if overwrite is None else overwrite
        try:
            store.publish(self.staging, self.final, overwrite=overwrite)
        except FileExistsError as error:
            raise RunError(str(error)) from None
        return self.final

    def _scenarios_table(self, rows, provenance):
        columns = {"scenario_id": pa.array([s.scenario_id for s in self.scenarios], pa.int32())}
        for key in self.record["sweep_keys"]:
            columns[key] = pa.array([s.values[key] for s in self.scenarios])
        columns["config"] = pa.array(
            [json.dumps(s.config.model_dump(exclude={"sweep", "about"})) for s in self.scenarios]
        )
        for name in rows[0]:
            values = [row[name] for row in rows]
            columns[name] = pa.array(values, LIST_COLUMNS.get(name))
        table = pa.table(columns)
        return table.replace_schema_metadata(store.with_provenance(table.schema, provenance).metadata)


LIST_COLUMNS = {"pd_by_year": pa.list_(pa.float64()), "loss_histogram": pa.list_(pa.int64())}


def provenance_of(record):
    keys = ("gpu_stress_version", "created", "command", "simulation", "backend", "backend_reason", "device")
    keys += ("chunk_paths", "write_paths", "table", "sweeps", "versions", "run_id")
    return {key: record[key] for key in keys}


def versions():
    import numba

    found = {"python": sys.version.split()[0], "numpy": np.__version__, "numba": numba.__version__}
    found["pyarrow"] = pa.__version__
    for module in ("numba_cuda", "cupy"):
        try:
            found[module] = __import__(module).__version__
        except Exception:  # absent or unusable: not part of this run
            pass
    return found


def _now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def start(table, output, sweeps=(), backend="auto", write_paths=True, overwrite=False, command=""):
    """Validate everything, then create ``output``'s staging directory; returns a :class:`Run`.

    Nothing is written before the configuration, sweep and backend are known
    to be good, so bad input leaves no directory behind.
    """
    base, scenarios = expand(table, sweeps)
    backend_name, reason = choose_backend(backend)
    engine_backend = get_backend(backend_name)
    simulation = base.simulation
    dtype = np.dtype(simulation.precision).type
    chunk_paths = simulation.chunk_paths or engine_backend.default_chunk_paths(simulation.horizon_months, dtype)
    chunk_paths = max(chunk_paths, min(simulation.band_paths, simulation.paths))

    final = Path(output).resolve()  # workers elsewhere must find the same directory
    staging = store.staging_dir(final)
    if final.exists() and not overwrite:
        raise RunError(f"output: {final} already exists (use --overwrite to replace it)")
    if staging.exists():
        raise RunError(f"output: an unfinished run is in {staging} (finish it with --resume {final}, or delete it)")
    record = {
        "status": "running",
        "gpu_stress_version": __version__,
        "created": _now(),
        "command": command,
        "simulation": simulation.model_dump(),
        "scenarios": [{"scenario_id": s.scenario_id, **s.values} for s in scenarios],
        "sweep_keys": list(dict(base.sweep) | dict(sweeps)),
        "backend": backend_name,
        "backend_reason": reason,
        "device": engine_backend.device(),
        "chunk_paths": chunk_paths,
        "write_paths": write_paths,
        "overwrite": overwrite,
        "run_id": uuid.uuid4().hex,
        "table": table,
        "sweeps": [[key, values] for key, values in sweeps],
        "versions": versions(),
    }
    run = Run(record, staging)
    for folder in (staging / store.PATHS_DIR, staging / store.UNITS_DIR):
        folder.mkdir(parents=True)
    store.write_json(staging / store.RUN_FILE, record)
    return run


def resume(directory, backend=None):
    """The unfinished run of ``directory`` (its final or .partial name).

    A different ``backend`` finishes the run on it; run.json then lists both.
    """
    staging = store.staging_dir(store.final_dir(Path(directory).resolve()))
    run_file = staging / store.RUN_FILE
    if not run_file.exists():
        if store.final_dir(directory).exists():
            raise RunError(f"resume: {store.final_dir(directory)} is already complete")
        raise RunError(f"resume: no unfinished run at {staging}")
    record = store.read_json(run_file)
    if backend and backend != record["backend"]:
        resumed_on = get_backend(backend)
        record["backends_used"] = [*record.get("backends_used", [record["backend"]]), backend]
        record["backend"], record["device"] = backend, resumed_on.device()
        record["backend_reason"] = "requested on resume"
        store.write_json(run_file, record)
    try:
        return Run(record, staging)
    except ConfigError as error:
        raise RunError(f"resume: the recorded configuration is no longer valid: {error}") from None

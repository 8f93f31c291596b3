"""The engine: plan chunks of paths, run them on a backend, write the results directory.

A run is a list of *units*: a chunk of consecutive paths of one scenario. A
unit's outputs depend only on (config, seed, scenario, path range), never on
which process or device runs it, so units can run in any order, be resumed
after an interruption, or be spread over workers (``gpu_stress.distributed``).
Each unit writes its own per-path file and summary; :func:`finish` combines
the summaries in plan order, so aggregates do not depend on timing either.
"""

import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import __version__
from .backends import choose_backend, get_backend
from .chunks import (
    RangeError,
    RunError,
    make_spec,
    plan_units,
    run_unit,
    simulate_unit,
    unit_record_path,
    unit_summary_name,
    unit_summary_path,
)
from .config.load import ConfigError
from .kernels import layout as L
from .results import manifest, ownership, store
from .results.provenance import now, versions
from .results.record import RunRecord
from .scenarios import MAX_SCENARIOS, expand, expand_recorded, scenario_keys
from .tables import Totals, result_tables


class Run:
    """A run in its staging directory, which it holds locked: its spec, its units, and which are done."""

    def __init__(self, record, staging, lock):
        self.record = record
        self.staging = Path(staging)
        self.final = ownership.final_dir(self.staging)
        self.lock = lock
        self.resumed = False
        self.damaged = []  # (unit, why) of the finished units that resume found damaged and recomputes
        # A kill while publishing leaves a complete staging directory: it needs no unit again.
        self.complete = record.complete and _manifest_matches(staging)
        _, self.scenarios = expand_recorded(record)
        self.units = plan_units(len(self.scenarios), record.paths, record.chunk_paths)
        self.spec = make_spec(record, self.scenarios, str(self.staging))
        self.started = time.perf_counter()
        self.simulated_paths = 0  # in this session (a resumed run's earlier ones are not timed here)

    def pending(self):
        if self.complete:
            return []
        return [unit for unit in self.units if not unit_record_path(self.staging, unit).exists()]

    def discard_damaged_units(self):
        """Forget every finished unit whose files no longer match its record; returns (unit, why) pairs."""
        damaged = []
        for unit in self.units:
            record_path = unit_record_path(self.staging, unit)
            if not record_path.exists():
                continue
            try:
                why = store.check_files(self.staging, store.read_json(record_path)["files"])
            except (store.ResultsError, KeyError, TypeError, AttributeError) as error:
                why = f"its record is damaged ({error})"
            if why:
                record_path.unlink()
                damaged.append((unit, why))
        return damaged

    def execute(self, units=None, on_unit_done=None):
        """Run ``units`` (default: all pending) in this process, in plan order."""
        try:
            for unit in self.pending() if units is None else units:
                run_unit(self.spec, unit)
                self.simulated_paths += unit.paths
                if on_unit_done is not None:
                    on_unit_done(unit)
        except RangeError:
            self.abandon()
            raise

    def close(self):
        """Release the lock: another process may resume the run from here on."""
        self.lock.release()

    def abandon(self):
        """Delete the staging directory: a run whose outputs leave the float range would fail again."""
        self.close()
        ownership.remove_tree(self.staging)

    def finish(self, overwrite=None):
        """Combine the unit summaries, write the tables and the checksums, publish the directory.

        A staging directory that is already complete (a kill during publishing)
        is published as it is, once its files match run.json. ``overwrite``
        defaults to what the run was started with.
        """
        if not self.complete:
            self._write_tables()
        overwrite = self.record.overwrite if overwrite is None else overwrite
        if ownership.exists(self.final):  # refused before the unit summaries go: the run stays resumable
            refusal = ownership.replace_refusal(self.final, overwrite)
            if refusal:
                raise store.ResultsError(refusal)
        ownership.remove_temporaries(self.staging)
        if (self.staging / store.UNITS_DIR).exists():  # the manifest records everything else
            ownership.remove_tree(self.staging / store.UNITS_DIR)
        for folder in store.PART_DIRS:  # a --no-paths run's (or one without tranches): a folder of no file
            if (self.staging / folder).is_dir() and not any((self.staging / folder).iterdir()):
                (self.staging / folder).rmdir()
        ownership.publish(self.staging, self.final, overwrite=overwrite)
        self.close()
        return self.final

    def _write_tables(self):
        missing = self.pending()
        if missing:
            raise RunError(f"{len(missing)} chunks are not done yet")
        unit_files = {}
        accumulator = Totals()
        for unit in self.units:  # plan order, one summary in memory at a time
            files = store.read_json(unit_record_path(self.staging, unit))["files"]
            unit_files |= files
            summary_file = files[unit_summary_name(unit)]
            summary, unit_bands = store.load_unit_summary(
                unit_summary_path(self.staging, unit), summary_file[manifest.HASH]
            )
            accumulator.add(unit, summary, unit_bands)
        self._remove_strays(unit_files)
        files = {}
        tables = result_tables(self.spec, self.scenarios, self.record.sweep_keys, accumulator)
        for name, table in tables.items():
            name = store.named(name, self.spec.format)
            store.write_table(self.staging / name, table)
            files[name] = store.file_record(self.staging, name, table.num_rows)
        parts = tuple(f"{folder}/" for folder in store.PART_DIRS)
        files |= {name: record for name, record in unit_files.items() if name.startswith(parts)}
        # Timed over this session: from start (or resume) to now, and the paths it simulated.
        self.record = self.record.but(status="complete", finished=now(), **timing(self.started, self.simulated_paths))
        self.record.write(self.staging / store.RUN_FILE)
        ownership.write_manifest(self.staging, self.record.run_id, files)

    def _remove_strays(self, unit_files):
        """Per-path files that no unit recorded (never results of this run) must not be published."""
        for folder in store.PART_DIRS:
            for path in (self.staging / folder).rglob("*") if (self.staging / folder).is_dir() else ():
                if path.is_file() and path.relative_to(self.staging).as_posix() not in unit_files:
                    path.unlink()
            for partition in (self.staging / folder).glob("scenario_id=*"):  # a Parquet run's, left empty
                if partition.is_dir() and not any(partition.iterdir()):
                    partition.rmdir()


def plan(
    table, sweeps=(), backend="auto", write_paths=True, format="arrow", command="", check=None, max_scenarios=None
):
    """Validate a run's configuration, sweeps and backend; returns (run record, scenarios). Writes nothing.

    ``check(scenarios)``, if given, sees the scenarios before anything else happens (and may raise).
    """
    if format not in store.FORMATS:
        raise RunError(f"format: {format!r} is not one of {', '.join(store.FORMATS)}")
    base, scenarios = expand(table, sweeps, max_scenarios=max_scenarios or MAX_SCENARIOS)
    if check is not None:
        check(scenarios)
    backend_name, reason = choose_backend(backend)
    engine_backend = get_backend(backend_name)
    simulation = base.simulation
    dtype = np.dtype(simulation.precision).type
    chunk_paths = simulation.chunk_paths or engine_backend.default_chunk_paths(simulation.horizon_months, dtype)
    if scenarios[0].portfolio and not simulation.chunk_paths:  # every firm's outputs are live together
        chunk_paths = max(1, chunk_paths // len(scenarios[0].firm_configs))
    chunk_paths = max(chunk_paths, min(simulation.band_paths, simulation.paths))
    sweep_keys = scenario_keys(base, sweeps)
    columns = [store.sweep_column(key) for key in sweep_keys]
    for key, column in zip(sweep_keys, columns, strict=True):
        if columns.count(column) > 1:
            raise RunError(f"sweep.{key}: its column name {column} is another swept key's too")
    record = RunRecord(
        run_id=uuid.uuid4().hex,
        status="running",
        gpu_stress_version=__version__,
        created=now(),
        command=command,
        simulation=simulation.model_dump(),
        scenarios=[{"scenario_id": s.scenario_id, **s.values} for s in scenarios],
        sweep_keys=sweep_keys,
        sweeps=[[key, values] for key, values in sweeps],
        table=table,
        backend=backend_name,
        backend_reason=reason,
        device=engine_backend.device(),
        chunk_paths=chunk_paths,
        write_paths=write_paths,
        format=format,
        stream_layout=L.STREAM_LAYOUT_VERSION,
        versions=versions(),
    )
    return record, scenarios


def start(
    table,
    output,
    sweeps=(),
    backend="auto",
    write_paths=True,
    overwrite=False,
    command="",
    format="arrow",
    check=None,
    max_scenarios=None,
):
    """Validate everything, then create ``output``'s staging directory, locked; returns a :class:`Run`.

    Nothing is written before the configuration, sweep, backend and output are
    known to be good, so bad input leaves no directory behind. ``overwrite``
    replaces only a directory that gpu-stress wrote (and an unfinished run of
    it that no process is writing). ``format``: "arrow" (IPC files) or "parquet".
    """
    record, scenarios = plan(table, sweeps, backend, write_paths, format, command, check, max_scenarios)
    record = record.but(overwrite=overwrite)
    final = ownership.results_path(output)  # absolute: workers elsewhere must find the same directory
    staging = ownership.staging_dir(final)
    if ownership.exists(final):
        refusal = ownership.replace_refusal(final, overwrite)
        if refusal:
            raise RunError(refusal)
    _clear_unfinished(staging, overwrite)
    if ownership.exists(final):
        ownership.tidy(final)
    # The staging directory appears whole, with its run.json and its lock, or not at all.
    try:
        building, lock = ownership.create_building(final, record.run_id)
    except OSError as error:
        raise RunError(f"output: cannot create {staging}: {error.strerror or error}") from None
    try:
        parts = [name for name in store.PART_DIRS if name != store.PORTFOLIO_DIR or scenarios[0].portfolio]
        for folder in (*(building / name for name in parts), building / store.UNITS_DIR):
            folder.mkdir()
        record.write(building / store.RUN_FILE)
        if ownership.exists(staging):  # made by someone else since the check above: theirs
            raise RunError(f"output: {staging} appeared while this run started; it is left as it is")
        ownership.rename(building, staging)
    except BaseException as error:
        lock.release()
        ownership.remove_tree(building)
        if isinstance(error, OSError):
            raise RunError(f"output: cannot create {staging}: {error.strerror or error}") from None
        raise
    return Run(record, staging, lock)


def run_in_memory(
    table,
    sweeps=(),
    backend="auto",
    write_paths=True,
    command="",
    progress=None,
    on_start=None,
    check=None,
    max_scenarios=None,
):
    """Run in this process and keep everything in memory: returns (run record, {file name: table}).

    The tables are those a results directory holds (``SCENARIOS_FILE``, ...;
    with ``write_paths`` also ``PATHS_DIR``, ``TRANCHES_DIR`` and a portfolio's
    ``PORTFOLIO_DIR``, each one table of every chunk's rows in plan order),
    computed as a run on disk computes them, so they equal its files' tables.
    Nothing is written anywhere. ``on_start(record)`` is called once the run is planned, and
    ``progress(paths_done, paths_total)`` after each chunk; ``check``: as for :func:`plan`.
    """
    record, scenarios = plan(
        table, sweeps, backend, write_paths, command=command, check=check, max_scenarios=max_scenarios
    )
    if on_start is not None:
        on_start(record)
    spec = make_spec(record, scenarios, directory=None)
    started = time.perf_counter()
    totals, parts = Totals(), {}
    units = plan_units(len(scenarios), record.paths, record.chunk_paths)
    done, total = 0, sum(unit.paths for unit in units)
    for unit in units:
        result = simulate_unit(spec, unit)
        summary, band_stats = store.unit_summary_from_bytes(store.unit_summary_bytes(result.summary, result.band_stats))
        totals.add(unit, summary, band_stats)
        for folder, part in result.tables.items():
            parts.setdefault(folder, []).append(part)
        done += unit.paths
        if progress is not None:
            progress(done, total)
    tables = result_tables(spec, scenarios, record.sweep_keys, totals)
    tables |= {folder: pa.concat_tables(pieces) for folder, pieces in parts.items()}
    record = record.but(status="complete", finished=now(), **timing(started, total))
    return record, tables


def timing(started, paths):
    """{elapsed_s, paths_simulated, paths_per_s} of ``paths`` simulated since ``started`` (``time.perf_counter()``)."""
    elapsed = time.perf_counter() - started
    return {
        "elapsed_s": round(elapsed, 3),
        "paths_simulated": paths,
        "paths_per_s": round(paths / max(elapsed, 1e-9), 1),
    }


def _clear_unfinished(staging, overwrite):
    """Refuse to start over an unfinished run, unless ``overwrite`` and no process is writing it; refuse, and
    leave as it is, anything at the staging name that is not a gpu-stress run."""
    final = ownership.final_dir(staging)
    ownership.remove_abandoned_starts(final, store.foreign_entry)
    if not ownership.exists(staging):
        return
    why = ownership.staging_refusal(staging, store.foreign_entry)
    if why:
        raise RunError(f"output: {staging} exists and is not a gpu-stress run ({why}); it is left as it is")
    if not overwrite:
        raise RunError(f"output: an unfinished run is in {staging} (finish it with --resume {final}, or --overwrite)")
    lock = ownership.Lock(staging).acquire()  # a process still writing it: LockedError names it
    ownership.remove_tree(staging)
    lock.release()


def _manifest_matches(directory):
    """True if ``directory`` holds a manifest and every file it lists as it records it."""
    try:
        files = manifest.read(directory)["files"]
    except manifest.ManifestError:
        return False
    return store.check_files(directory, files) is None


def resume(directory, backend=None):
    """The unfinished run of ``directory`` (its final or .partial name), locked, damaged units discarded.

    A different ``backend`` finishes the run on it; run.json then lists both.
    """
    final = ownership.final_dir(ownership.output_path(directory))
    staging = ownership.staging_dir(final)
    if not ownership.exists(staging):
        if ownership.results_refusal(final) is None:
            ownership.tidy(final)
            raise RunError(f"resume: {final} is already complete")
        raise RunError(f"resume: no unfinished run at {staging}")
    why = ownership.staging_refusal(staging, store.foreign_entry)
    if why:
        raise RunError(f"resume: {staging} is not a gpu-stress staging directory ({why}); nothing was written")
    record = RunRecord.read(staging / store.RUN_FILE)
    lock = ownership.Lock(staging).acquire(record.run_id)
    try:
        record = RunRecord.read(staging / store.RUN_FILE)  # as it is now that it is ours
        layout = record.stream_layout
        if layout != L.STREAM_LAYOUT_VERSION:  # its finished chunks drew other random numbers
            raise RunError(
                f"resume: this run draws random-number stream layout {layout}, this gpu-stress layout "
                f"{L.STREAM_LAYOUT_VERSION}: start it again with --overwrite"
            )
        written_by = record.gpu_stress_version
        if written_by != __version__:  # its finished chunks were simulated by another model
            raise RunError(
                f"resume: this run was started by gpu-stress {written_by}, this is {__version__} (the model may "
                "differ): start it again with --overwrite"
            )
        ownership.remove_temporaries(staging)
        if backend and backend != record.backend:
            record = record.but(
                backends_used=[*(record.backends_used or [record.backend]), backend],
                backend=backend,
                device=get_backend(backend).device(),
                backend_reason="requested on resume",
            )
            record.write(staging / store.RUN_FILE)
        try:
            run = Run(record, staging, lock)
        except ConfigError as error:
            raise RunError(f"resume: the recorded configuration is no longer valid: {error}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise RunError(f"resume: {staging / store.RUN_FILE} is not a complete run record ({error!r:.60})") from None
        run.resumed = True
        run.damaged = run.discard_damaged_units()
        return run
    except BaseException:
        lock.release()
        raise

"""The engine: plan chunks of paths, run them on a backend, write the results directory.

A run is a list of *units*: a chunk of consecutive paths of one scenario. A
unit's outputs depend only on (config, seed, scenario, path range), never on
which process or device runs it, so units can run in any order, be resumed
after an interruption, or be spread over workers (``gpu_stress.distributed``).
Each unit writes its own per-path file and summary; :func:`finish` combines
the summaries in plan order, so aggregates do not depend on timing either.
"""

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import __version__
from .arrays import to_host
from .backends import choose_backend, get_backend
from .backends.launch import Launch
from .blocks.facilities import initial_debt
from .config.load import ConfigError
from .errors import UserError
from .kernels import layout as L
from .results import aggregates, bands, book, manifest, ownership, store
from .results.provenance import now, provenance_of, swept_columns, versions
from .scenarios import MAX_SCENARIOS, expand, expand_recorded, parameter_matrix, scenario_keys


class RunError(UserError, RuntimeError):
    """A run that cannot start or resume; ``str()`` is one line."""


class RangeError(RunError):
    """A per-path output left the representable range of the run's precision; ``str()`` names it."""


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


def unit_holding(scenario_id, path_id, paths, chunk_paths):
    """The unit of :func:`plan_units` that simulates path ``path_id`` of scenario ``scenario_id``."""
    start = path_id // chunk_paths * chunk_paths
    return Unit(scenario_id, start, min(chunk_paths, paths - start))


def stream_of(scenario_id, independent_scenarios):
    """Random-number stream: shared by all scenarios unless they are independent."""
    return scenario_id + 1 if independent_scenarios else 0


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
    # Portfolio runs, per scenario: the book's exposures as (firm, tranche or -1, share). Empty for single firms.
    exposures: tuple = ()
    format: str = "arrow"  # of the per-path files: "arrow" or "parquet"
    swept_columns: tuple = ()  # per scenario, [(Arrow field, value)] of its swept values (Parquet parts carry them)

    @property
    def dtype(self):
        return np.dtype(self.precision).type

    @property
    def portfolio(self):
        return self.params.ndim == 3

    def stream(self, scenario_id):
        return stream_of(scenario_id, self.independent_scenarios)

    def launch(self, scenario_id, path_start, paths, tracked=0, params=None):
        """The :class:`Launch` of paths ``path_start`` .. ``+ paths - 1`` of a scenario (or of other ``params``)."""
        params = self.params[scenario_id] if params is None else params
        stream = self.stream(scenario_id)
        return Launch(params, self.horizon, self.seed, stream, path_start, paths, tracked, dtype=self.dtype)


def unit_summary_path(directory, unit):
    return Path(directory) / unit_summary_name(unit)


def unit_summary_name(unit):
    return f"{store.UNITS_DIR}/{unit.name}.npz"


def unit_part_name(spec, folder, unit):
    """The relative name of ``unit``'s per-path file in ``folder`` (PATHS_DIR, TRANCHES_DIR, PORTFOLIO_DIR)."""
    return store.part_name(folder, unit.name, unit.scenario_id, spec.format)


def unit_record_path(directory, unit):
    """The unit's record, written last: a unit is done when this exists and its files match it."""
    return Path(directory) / store.UNITS_DIR / f"{unit.name}.json"


def check_finite(outputs_float, precision, unit, xp=np):
    """Raise :class:`RangeError` naming the first per-path output that is not a finite number."""
    finite = xp.isfinite(outputs_float).all(axis=1)
    if bool(finite.all()):
        return
    column = L.FLOAT_OUTPUT_NAMES[int(xp.argmin(finite))]
    last = unit.path_start + unit.paths - 1
    raise RangeError(
        f"{column}: left the representable range of {precision} in scenario {unit.scenario_id} "
        f"(paths {unit.path_start}-{last}); use float64 or less extreme parameters"
    )


@dataclass
class UnitResult:
    """What one unit computed: its summary (for the aggregates), its fan-chart statistics (or None), and its
    per-path tables by folder (PATHS_DIR, ...; none without per-path outputs)."""

    summary: dict
    band_stats: object
    tables: dict


def simulate_unit(spec, unit):
    """Simulate one unit; returns its :class:`UnitResult` (nothing is written)."""
    backend = get_backend(spec.backend)
    if spec.portfolio:
        return _simulate_portfolio_unit(spec, unit, backend)
    tracked = max(0, min(spec.band_paths - unit.path_start, unit.paths))
    outputs_float, outputs_int, tracks = backend.simulate(
        spec.launch(unit.scenario_id, unit.path_start, unit.paths, tracked)
    )
    check_finite(outputs_float, spec.precision, unit, backend.xp)
    tranches = int(spec.params[unit.scenario_id][L.TRANCHE_COUNT])
    summary = aggregates.summarize_chunk(outputs_float, outputs_int, spec.horizon, backend.xp, tranches)
    band_stats = bands.band_statistics(to_host(tracks)) if tracked else None
    tables = {}
    if spec.write_paths:
        float_type = pa.from_numpy_dtype(np.dtype(spec.dtype))
        host_float, host_int = to_host(outputs_float), to_host(outputs_int)
        schema = store.paths_schema(float_type, spec.provenance)
        tables[store.PATHS_DIR] = store.paths_table(unit.scenario_id, unit.path_start, host_float, host_int, schema)
        if tranches:
            schema = store.tranche_paths_schema(float_type, spec.provenance)
            tables[store.TRANCHES_DIR] = store.tranche_paths_table(
                unit.scenario_id, unit.path_start, host_float, host_int, tranches, schema
            )
    return UnitResult(summary, band_stats, tables)


def run_unit(spec, unit):
    """Simulate one unit and write its files, its record last; returns the seconds it took."""
    started = time.perf_counter()
    result = simulate_unit(spec, unit)
    files = {}
    for folder, table in result.tables.items():
        if spec.format == "parquet":
            table = store.parquet_part(table, spec.swept_columns[unit.scenario_id])
        files |= _write_part(spec.directory, unit_part_name(spec, folder, unit), table)
    return _record_unit(spec, unit, files, result.summary, result.band_stats, started)


def _record_unit(spec, unit, files, summary, band_stats, started):
    """Write the unit's summary, then its record (last); returns the seconds since ``started``."""
    store.save_unit_summary(unit_summary_path(spec.directory, unit), summary, band_stats)
    files[unit_summary_name(unit)] = store.file_record(spec.directory, unit_summary_name(unit))
    store.write_json(unit_record_path(spec.directory, unit), {"unit": unit.name, "files": files})
    return time.perf_counter() - started


def firm_key(firm, key):
    """The key of firm ``firm``'s entry ``key`` in a portfolio's chunk summary."""
    return f"firm{firm}.{key}"


def firm_summary(summary, firm):
    """Firm ``firm``'s own summary (as a single-firm run's) out of a portfolio's."""
    prefix = firm_key(firm, "")
    return {key.removeprefix(prefix): value for key, value in summary.items() if key.startswith(prefix)}


def _simulate_portfolio_unit(spec, unit, backend):
    """A portfolio chunk: every firm's outputs and the book's, as a :class:`UnitResult`."""
    params = spec.params[unit.scenario_id]
    exposures = spec.exposures[unit.scenario_id]
    launch = spec.launch(unit.scenario_id, unit.path_start, unit.paths)
    outputs_float, outputs_int, market_outputs = backend.simulate_portfolio(launch)
    xp = backend.xp
    summary = {}
    for firm in range(params.shape[0]):
        check_finite(outputs_float[firm], spec.precision, unit, xp)
        tranches = int(params[firm][L.TRANCHE_COUNT])
        chunk = aggregates.summarize_chunk(outputs_float[firm], outputs_int[firm], spec.horizon, xp, tranches)
        summary |= {firm_key(firm, key): value for key, value in chunk.items()}
    by_exposure = book.exposure_losses(outputs_float, exposures, xp)
    summary |= book.summarize_book(by_exposure, outputs_int, market_outputs, xp)
    tables = {}
    if spec.write_paths:
        tables = _portfolio_parts(spec, unit, params, outputs_float, outputs_int, market_outputs, by_exposure, xp)
    return UnitResult(summary, None, tables)


def _portfolio_parts(spec, unit, params, outputs_float, outputs_int, market_outputs, by_exposure, xp):
    """The chunk's per-path tables: by firm and path, by firm, path and tranche, and the book's by path."""
    float_type = pa.from_numpy_dtype(np.dtype(spec.dtype))
    loss = to_host(by_exposure.sum(axis=0))
    defaults = to_host(book.defaults_by_firm(outputs_int, xp).sum(axis=0))
    host_float, host_int = to_host(outputs_float), to_host(outputs_int)
    paths_schema = store.paths_schema(float_type, spec.provenance, portfolio=True)
    tranche_schema = store.tranche_paths_schema(float_type, spec.provenance, portfolio=True)
    path_tables, tranche_tables = [], []
    for firm in range(params.shape[0]):
        start = (unit.scenario_id, unit.path_start, host_float[firm], host_int[firm])
        path_tables.append(store.paths_table(*start, paths_schema, firm=firm))
        tranches = int(params[firm][L.TRANCHE_COUNT])
        if tranches:
            tranche_tables.append(store.tranche_paths_table(*start, tranches, tranche_schema, firm=firm))
    tables = {store.PATHS_DIR: pa.concat_tables(path_tables)}
    if tranche_tables:
        tables[store.TRANCHES_DIR] = pa.concat_tables(tranche_tables)
    schema = store.portfolio_paths_schema(float_type, by_exposure.shape[0], spec.provenance)
    tables[store.PORTFOLIO_DIR] = store.portfolio_paths_table(
        unit.scenario_id, unit.path_start, loss, defaults, to_host(market_outputs), to_host(by_exposure), schema
    )
    return tables


def _write_part(directory, name, table):
    """Write one of a unit's per-path tables; returns its file record."""
    (Path(directory) / name).parent.mkdir(parents=True, exist_ok=True)  # a Parquet run's scenario partition
    store.write_table(Path(directory) / name, table)
    return {name: store.file_record(directory, name, table.num_rows)}


def _exposures(scenario):
    return tuple(scenario.config.exposure_shares()) if scenario.portfolio else ()


def make_spec(record, scenarios, directory):
    """The :class:`RunSpec` of a run's record (its settings) and scenarios; ``directory``: where units write."""
    simulation = record["simulation"]
    return RunSpec(
        directory=directory,
        params=parameter_matrix(scenarios),
        initial_debts=tuple(scenario.initial_debt for scenario in scenarios),
        horizon=simulation["horizon_months"],
        seed=simulation["seed"],
        precision=simulation["precision"],
        independent_scenarios=simulation["independent_scenarios"],
        band_paths=simulation["band_paths"],
        write_paths=record["write_paths"],
        backend=record["backend"],
        provenance=provenance_of(record),
        exposures=tuple(_exposures(scenario) for scenario in scenarios),
        format=store.run_format(record),
        swept_columns=swept_columns(scenarios, record["sweep_keys"]),
    )


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
        self.complete = record.get("status") == "complete" and _manifest_matches(staging)
        _, self.scenarios = expand_recorded(record)
        simulation = record["simulation"]
        self.units = plan_units(len(self.scenarios), simulation["paths"], record["chunk_paths"])
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
        overwrite = self.record.get("overwrite", False) if overwrite is None else overwrite
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
        tables = result_tables(self.spec, self.scenarios, self.record["sweep_keys"], accumulator)
        for name, table in tables.items():
            name = store.named(name, self.spec.format)
            store.write_table(self.staging / name, table)
            files[name] = store.file_record(self.staging, name, table.num_rows)
        parts = tuple(f"{folder}/" for folder in store.PART_DIRS)
        files |= {name: record for name, record in unit_files.items() if name.startswith(parts)}
        # Timed over this session: from start (or resume) to now, and the paths it simulated.
        self.record = dict(self.record, status="complete", finished=now())
        self.record |= timing(self.started, self.simulated_paths)
        store.write_json(self.staging / store.RUN_FILE, self.record)
        ownership.write_manifest(self.staging, self.record["run_id"], files)

    def _remove_strays(self, unit_files):
        """Per-path files that no unit recorded (never results of this run) must not be published."""
        for folder in store.PART_DIRS:
            for path in (self.staging / folder).rglob("*") if (self.staging / folder).is_dir() else ():
                if path.is_file() and path.relative_to(self.staging).as_posix() not in unit_files:
                    path.unlink()
            for partition in (self.staging / folder).glob("scenario_id=*"):  # a Parquet run's, left empty
                if partition.is_dir() and not any(partition.iterdir()):
                    partition.rmdir()


class Totals:
    """The unit summaries of a run combined per scenario, in plan order, and each scenario's band statistics."""

    def __init__(self):
        self.summaries, self.band_stats = {}, {}

    def add(self, unit, summary, band_stats):
        previous = self.summaries.get(unit.scenario_id)
        self.summaries[unit.scenario_id] = summary if previous is None else aggregates.combine([previous, summary])
        if band_stats is not None:
            self.band_stats[unit.scenario_id] = band_stats


def result_tables(spec, scenarios, sweep_keys, totals):
    """The run's tables from its :class:`Totals`: {file name: table}, named as Arrow files (SCENARIOS_FILE,
    BANDS_FILE, TRANCHES_FILE, and a portfolio's FIRMS_FILE and EXPOSURES_FILE)."""
    provenance = spec.provenance
    tables = {}
    if spec.portfolio:
        rows, firm_rows, exposure_rows = _portfolio_rows(scenarios, totals.summaries)
        tables[store.FIRMS_FILE] = rows_table(firm_rows, provenance, store.FIRMS_FILE)
        tables[store.EXPOSURES_FILE] = rows_table(exposure_rows, provenance, store.EXPOSURES_FILE)
    else:
        rows = [
            aggregates.finalize(totals.summaries[scenario.scenario_id], scenario.initial_debt)
            | _base_case(spec, scenario)
            for scenario in scenarios
        ]
    tables[store.SCENARIOS_FILE] = _scenarios_table(spec, scenarios, sweep_keys, rows)
    bands_table = bands.bands_table(totals.band_stats)
    tables[store.BANDS_FILE] = store.table_with_provenance(bands_table, provenance, name=store.BANDS_FILE)
    tables[store.TRANCHES_FILE] = _tranches_table(scenarios, totals.summaries, provenance)
    return tables


def _base_case(spec, scenario):  # single-firm runs only
    """The scenario's deterministic plan (one path, every shock zero, no random event), as base_case_* columns."""
    params = spec.params[scenario.scenario_id].copy()
    params[L.BASE_CASE] = 1.0
    outputs_float, outputs_int, _ = get_backend(spec.backend).simulate(
        spec.launch(scenario.scenario_id, 0, 1, params=params)
    )
    outputs_float, outputs_int = to_host(outputs_float)[:, 0], to_host(outputs_int)[:, 0]
    month, cause = int(outputs_int[L.OUT_DEFAULT_MONTH]), int(outputs_int[L.OUT_DEFAULT_CAUSE])
    columns = {
        "base_case_default_month": month if month > 0 else None,
        "base_case_default_cause": L.CAUSE_NAMES[cause] if month > 0 else None,
    }
    for name in ("loss", "final_cash", "min_cash", "equity_value"):
        columns[f"base_case_{name}"] = float(outputs_float[L.FLOAT_OUTPUT_NAMES.index(name)])
    return columns


def _portfolio_rows(scenarios, totals):
    """(scenario rows, firm rows, exposure rows) of a portfolio run: the book, each firm, each exposure."""
    rows, firm_rows, exposure_rows = [], [], []
    for scenario in scenarios:
        total = totals[scenario.scenario_id]
        portfolio = scenario.config
        amounts = [exposure.amount for exposure in portfolio.book]
        row, by_exposure = book.finalize_book(total, amounts)
        rows.append(row)
        shares = portfolio.exposure_shares()
        correlations = book.default_correlations(total["book_joint_defaults"], int(total["book_paths"]))
        for index, (exposure, line) in enumerate(zip(portfolio.book, by_exposure, strict=True)):
            firm, tranche, share = shares[index]
            about = {"scenario_id": scenario.scenario_id, "exposure_id": index, "firm": firm}
            about |= {"firm_name": exposure.firm, "tranche": tranche if tranche >= 0 else None}
            exposure_rows.append(about | {"tranche_name": exposure.tranche, "share": share} | line)
        for firm, config in enumerate(portfolio.firm_configs):
            held = [line for line, (owner, _, _) in zip(by_exposure, shares, strict=True) if owner == firm]
            firm_row = {"scenario_id": scenario.scenario_id, "firm": firm, "name": config.firm.name}
            firm_row["config"] = json.dumps(config.model_dump(exclude={"sweep", "about", "simulation"}))
            firm_row |= aggregates.finalize(firm_summary(total, firm), initial_debt(config))
            firm_row["default_correlation"] = [None if np.isnan(c) else float(c) for c in correlations[firm]]
            firm_row["book_amount"] = float(sum(line["amount"] for line in held))
            firm_row["book_expected_loss"] = float(sum(line["expected_loss"] for line in held))
            for name in aggregates.TAIL_LEVELS:
                parts = [line[f"cvar_contribution_{name}"] for line in held]
                firm_row[f"book_cvar_contribution_{name}"] = None if None in parts else float(sum(parts))
            firm_rows.append(firm_row)
    return rows, firm_rows, exposure_rows


def _tranches_table(scenarios, totals, provenance):
    """One row per scenario, firm and tranche: its name, pool, rank and aggregates."""
    rows = []
    for scenario in scenarios:
        for firm, config in enumerate(scenario.firm_configs):
            summary = totals[scenario.scenario_id]
            if scenario.portfolio:
                summary = firm_summary(summary, firm)
            debt = config.debt
            commitments = [tranche.principal + tranche.commitment for tranche in debt]
            for index, row in enumerate(aggregates.finalize_tranches(summary, commitments)):
                tranche = debt[index]
                about = {"scenario_id": scenario.scenario_id, "firm": firm, "firm_name": config.firm.name}
                about["tranche"] = index
                rows.append(about | {"name": tranche.name, "pool": tranche.pool, "rank": tranche.rank} | row)
    schema = tranches_schema()
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    return store.table_with_provenance(table, provenance, name=store.TRANCHES_FILE)


def _scenarios_table(spec, scenarios, sweep_keys, rows):
    """One row per scenario: its id, swept values (SQL-safe column names), config (JSON) and aggregates."""
    arrays = [pa.array([s.scenario_id for s in scenarios], pa.int32())]
    fields = [pa.field("scenario_id", pa.int32())]
    for index, (field, _) in enumerate(spec.swept_columns[0] if spec.swept_columns else ()):
        fields.append(field)
        arrays.append(pa.array([columns[index][1] for columns in spec.swept_columns], field.type))
    fields.append(pa.field("config", pa.string()))
    arrays.append(pa.array([json.dumps(s.config.model_dump(exclude={"sweep", "about"})) for s in scenarios]))
    for name in rows[0]:
        values = [row[name] for row in rows]
        # No value (None or NaN) is an Arrow null; a column of nothing but nulls is still float64.
        column_type = COLUMN_TYPES.get(name) or (pa.float64() if all(v is None for v in values) else None)
        array = pa.array(values, column_type, from_pandas=True)
        if name == "base_case_default_cause":  # a category, coded as the per-path default_cause is
            codes = pa.array([None if v is None else L.CAUSE_NAMES.index(v) for v in values], pa.int8())
            array = pa.DictionaryArray.from_arrays(codes, pa.array(L.CAUSE_NAMES, pa.string()))
        fields.append(pa.field(name, array.type))
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=store.with_provenance(pa.schema(fields), spec.provenance))


COLUMN_TYPES = {
    "base_case_default_month": pa.int32(),
    "base_case_default_cause": pa.string(),
    "pd_by_year": pa.list_(pa.float64()),
    # {cause: [credit defaults in month 1, 2, ... the horizon]}, one field per credit cause (null: not recorded)
    "defaults_by_month_cause": pa.struct(
        [pa.field(L.CAUSE_NAMES[cause], pa.list_(pa.int64())) for cause in L.CREDIT_CAUSES]
    ),
    "loss_histogram_lower": pa.list_(pa.float64()),
    "loss_histogram_upper": pa.list_(pa.float64()),
    "loss_histogram_counts": pa.list_(pa.int64()),
    "scenario_id": pa.int32(),
    "firm": pa.int8(),  # a firm's index in [[firms]] (firm_name: its name)
    "exposure_id": pa.int16(),
    "tranche": pa.int8(),  # a tranche's index in its firm's [[debt]]; null: all its debt
    "firm_name": pa.string(),
    "tranche_name": pa.string(),
    "name": pa.string(),
    "config": pa.string(),
    "default_correlation": pa.list_(pa.float64()),
    "default_count_distribution": pa.list_(pa.float64()),
}


def tranches_schema():
    """The schema of tranches.arrow (one row per scenario and tranche)."""
    money = ["expected_loss", "expected_loss_se", "commitment"]
    money += [f"loss_{kind}_{name}" for name in aggregates.TAIL_LEVELS for kind in ("var", "cvar")]
    fields = [
        pa.field("scenario_id", pa.int32(), nullable=False),
        pa.field("firm", pa.int8(), nullable=False),  # its index in a portfolio's [[firms]]; 0 alone
        pa.field("firm_name", pa.string()),
        pa.field("tranche", pa.int8(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("pool", pa.string()),  # null: unsecured at the parent
        pa.field("rank", pa.int8()),
        pa.field("paths", pa.int64()),
        pa.field("defaults", pa.int64()),
        *(pa.field(name, pa.float64()) for name in ("pd", "pd_ci_low", "pd_ci_high")),
        pa.field("pd_by_year", pa.list_(pa.float64())),
        *(pa.field(name, pa.float64()) for name in money[:3]),
        *(pa.field(name, pa.float64()) for name in ("expected_loss_rate", "mean_ead", "mean_lgd")),
        *(pa.field(name, pa.float64()) for name in money[3:]),
    ]
    return pa.schema(fields)


def rows_table(rows, provenance, file_name=None):
    """An Arrow table of ``rows`` (dicts) with the run's provenance (and its fields' units: ``file_name``, its file); a
    column of nothing but nulls is float64."""
    names = list(rows[0]) if rows else []
    columns = {}
    for name in names:
        values = [row[name] for row in rows]
        column_type = COLUMN_TYPES.get(name) or (pa.float64() if all(v is None for v in values) else None)
        columns[name] = pa.array(values, column_type, from_pandas=True)
    table = pa.table(columns) if columns else pa.table({"scenario_id": pa.array([], pa.int32())})
    return store.table_with_provenance(table, provenance, name=file_name)


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
    record = {
        "status": "running",
        "gpu_stress_version": __version__,
        "created": now(),
        "command": command,
        "simulation": simulation.model_dump(),
        "scenarios": [{"scenario_id": s.scenario_id, **s.values} for s in scenarios],
        "sweep_keys": sweep_keys,
        "backend": backend_name,
        "backend_reason": reason,
        "device": engine_backend.device(),
        "chunk_paths": chunk_paths,
        "write_paths": write_paths,
        "format": format,
        "run_id": uuid.uuid4().hex,
        "stream_layout": L.STREAM_LAYOUT_VERSION,
        "table": table,
        "sweeps": [[key, values] for key, values in sweeps],
        "versions": versions(),
    }
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
    record["overwrite"] = overwrite
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
        building, lock = ownership.create_building(final, record["run_id"])
    except OSError as error:
        raise RunError(f"output: cannot create {staging}: {error.strerror or error}") from None
    try:
        parts = [name for name in store.PART_DIRS if name != store.PORTFOLIO_DIR or scenarios[0].portfolio]
        for folder in (*(building / name for name in parts), building / store.UNITS_DIR):
            folder.mkdir()
        store.write_json(building / store.RUN_FILE, record)
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
    units = plan_units(len(scenarios), record["simulation"]["paths"], record["chunk_paths"])
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
    tables = result_tables(spec, scenarios, record["sweep_keys"], totals)
    tables |= {folder: pa.concat_tables(pieces) for folder, pieces in parts.items()}
    record |= {"status": "complete", "finished": now()} | timing(started, total)
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
    lock = ownership.Lock(staging).acquire(store.read_json(staging / store.RUN_FILE)["run_id"])
    try:
        record = store.read_json(staging / store.RUN_FILE)
        layout = record.get("stream_layout", 1)
        if layout != L.STREAM_LAYOUT_VERSION:  # its finished chunks drew other random numbers
            raise RunError(
                f"resume: this run draws random-number stream layout {layout}, this gpu-stress layout "
                f"{L.STREAM_LAYOUT_VERSION}: start it again with --overwrite"
            )
        written_by = record.get("gpu_stress_version")
        if written_by != __version__:  # its finished chunks were simulated by another model
            raise RunError(
                f"resume: this run was started by gpu-stress {written_by}, this is {__version__} (the model may "
                "differ): start it again with --overwrite"
            )
        ownership.remove_temporaries(staging)
        if backend and backend != record["backend"]:
            resumed_on = get_backend(backend)
            record["backends_used"] = [*record.get("backends_used", [record["backend"]]), backend]
            record["backend"], record["device"] = backend, resumed_on.device()
            record["backend_reason"] = "requested on resume"
            store.write_json(staging / store.RUN_FILE, record)
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

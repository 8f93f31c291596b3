"""Chunks of a run (units): what one chunk of paths of one scenario is, how it runs on a backend and what it writes.

A unit is the run's piece of work, the same on this process and on a Dask worker: ``RunSpec`` holds what any
unit needs (picklable), ``run_unit`` simulates one and writes its per-path parts, its summary and, last, its record.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from .arrays import to_host
from .backends import get_backend
from .backends.launch import Launch
from .errors import UserError
from .kernels import layout as L
from .results import aggregates, bands, book, store
from .results.provenance import provenance_of, swept_columns
from .scenarios import parameter_matrix


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
        schema = store.paths_schema(float_type, spec.provenance, obligors=run_obligors(spec))
        tables[store.PATHS_DIR] = store.paths_table(unit.scenario_id, unit.path_start, host_float, host_int, schema)
        if tranches:
            schema = store.tranche_paths_schema(float_type, spec.provenance)
            tables[store.TRANCHES_DIR] = store.tranche_paths_table(
                unit.scenario_id, unit.path_start, host_float, host_int, tranches, schema
            )
    return UnitResult(summary, band_stats, tables)


def run_obligors(spec):
    """The named obligors of the run (the most of any scenario's): its per-path tables' obligor columns."""
    return int(np.max(np.asarray(spec.params)[..., L.OBLIGOR_COUNT])) if len(spec.params) else 0


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
    paths_schema = store.paths_schema(float_type, spec.provenance, portfolio=True, obligors=run_obligors(spec))
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
    simulation = record.simulation
    return RunSpec(
        directory=directory,
        params=parameter_matrix(scenarios),
        initial_debts=tuple(scenario.initial_debt for scenario in scenarios),
        horizon=simulation["horizon_months"],
        seed=simulation["seed"],
        precision=simulation["precision"],
        independent_scenarios=simulation["independent_scenarios"],
        band_paths=simulation["band_paths"],
        write_paths=record.write_paths,
        backend=record.backend,
        provenance=provenance_of(record),
        exposures=tuple(_exposures(scenario) for scenario in scenarios),
        format=record.format,
        swept_columns=swept_columns(scenarios, record.sweep_keys),
    )

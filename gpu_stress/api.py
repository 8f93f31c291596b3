"""The Python API: run a stress test in-process, or load a results directory, as Arrow tables.

The command line is a thin layer over these functions, and their errors are
the exceptions (subclasses of :class:`gpu_stress.errors.UserError`) whose
one-line messages the CLI prints.

Example::

    import gpu_stress

    res = gpu_stress.run(preset="nebius", paths=10_000, seed=1, overrides={"firm.cash": 5e8},
                         sweep={"market.regime.glut.drift": [-0.4, -0.2]})
    res.scenarios.select(["scenario_id", "market_regime_glut_drift", "pd", "expected_loss"])
    res.paths.num_rows              # 20,000: one row per scenario and path
    same = gpu_stress.load("results/nebius")   # a results directory, as the same object
"""

import copy
import json
import warnings
from functools import cached_property
from pathlib import Path

from . import arguments
from .config.load import ConfigError, apply_layer, load_table, merge_layer, read_toml, table_leaf_keys, whole_count
from .config.stresses import with_stresses
from .errors import UserError, one_line
from .results import store
from .results.verify import ResultsDirectory, open_results
from .views import summary_view

# (attribute, table file or per-path folder) of a Results object.
_TABLES = (
    ("scenarios", store.SCENARIOS_FILE),
    ("bands", store.BANDS_FILE),
    ("tranches", store.TRANCHES_FILE),
    ("firms", store.FIRMS_FILE),
    ("exposures", store.EXPOSURES_FILE),
    ("paths", store.PATHS_DIR),
    ("tranche_paths", store.TRANCHES_DIR),
    ("portfolio_paths", store.PORTFOLIO_DIR),
)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run to a directory: what is done is kept; ``str()`` says how to finish it."""


class Results:
    """The results of a run, in memory or in a results directory; each table is read when first used.

    Attributes (``pyarrow.Table``, or None where a run has none):

    - ``scenarios``: one row per scenario: swept values, aggregates (PD, EL, VaR, CVaR, ...), the no-shock and
      central cases.
    - ``bands``: fan-chart bands (scenario, variable, month).
    - ``tranches``: one row per scenario and debt tranche.
    - ``paths``: per-path outputs (None for a run with ``keep_paths=False``).
    - ``tranche_paths``: per path and tranche: default month, EAD, recovery, loss.
    - ``firms``, ``exposures``, ``portfolio_paths``: a portfolio run's firms, book exposures, book per path.
    - ``run``: the provenance (settings, seed, versions, backend, device, timing) as a dict: run.json's document.
    - ``record``: the same as a :class:`~gpu_stress.results.record.RunRecord` (typed fields).
    - ``directory``: the results directory, or None for a run kept in memory.
    """

    def __init__(self, record, tables=None, directory=None):
        self.record = record
        self.run = record.to_json()
        self._results = directory if isinstance(directory, ResultsDirectory) else None
        self.directory = None if directory is None else Path(directory)
        self._tables = dict(tables or {})

    def _table(self, name):
        if self.directory is None:
            return self._tables.get(name)
        results = self._results or open_results(self.directory)
        if name in store.PART_DIRS:
            if not self.record.write_paths or not (results.part_names(name) or (self.directory / name).is_dir()):
                return None
            return results.parts(name)
        return results.table(name)

    def __repr__(self):
        record, where = self.record, self.directory or "memory"
        return f"<Results: {len(record.scenarios)} scenarios x {record.paths:,} paths, seed {record.seed}, {where}>"

    def summary(self):
        """The document ``gpu-stress summarize --json`` prints (a dict; no value is None)."""
        from .results.dates import first_month_of
        from .summary import default_clusters, firm_configs, scenario_configs, scenario_rows
        from .views import portfolio_document, scenarios_document

        if self.record.is_portfolio:
            firms, exposures = self.firms.to_pylist(), self.exposures.to_pylist()
            clusters = default_clusters(firms, firm_configs(firms), first_month=first_month_of(self.record.table))
            book = scenario_rows(self.record, self.scenarios)
            document = portfolio_document(self.record, book, firms, exposures, clusters)
        else:
            rows = scenario_rows(self.record, self.scenarios)
            tranches = scenario_rows(self.record, self.tranches) if self.tranches is not None else ()
            clusters = default_clusters(
                rows, scenario_configs(self.scenarios), first_month=first_month_of(self.record.table)
            )
            document = scenarios_document(self.record, rows, clusters, tranches)
        return json.loads(json.dumps(document))

    def view(self, **options):
        """This directory's summary as a :class:`gpu_stress.views.View` (options as :func:`summary_view`)."""
        if self.directory is None:
            raise UserError("view: needs results in a directory (output=DIR, or gpu_stress.load)")
        return summary_view(self._results or self.directory, **options)

    def to_pandas(self, table="scenarios"):
        """Table ``table`` (an attribute name) as a pandas DataFrame (needs pandas)."""
        return self._get(table).to_pandas()

    def to_polars(self, table="scenarios"):
        """Table ``table`` (an attribute name) as a polars DataFrame (needs polars)."""
        import polars

        return polars.from_arrow(self._get(table))

    def _get(self, table):
        names = [name for name, _ in _TABLES]
        if table not in names:
            raise UserError(f"table: no table {table!r} (tables: {', '.join(names)})")
        found = getattr(self, table)
        if found is None:
            raise UserError(f"table: this run has no {table} table")
        return found


for _attribute, _name in _TABLES:
    _property = cached_property(lambda self, name=_name: self._table(name))
    _property.__set_name__(Results, _attribute)
    setattr(Results, _attribute, _property)


def run(
    config=None,
    *,
    preset=None,
    paths=None,
    horizon=None,
    seed=None,
    precision=None,
    overrides=None,
    sweep=None,
    stress=None,
    backend="auto",
    output=None,
    overwrite=False,
    keep_paths=True,
    independent_scenarios=False,
    base_case=False,
    central_case=False,
    format="arrow",
    cluster=None,
    scheduler=None,
    progress=None,
    log=None,
    warn=None,
    strict=False,
    command=None,
    max_scenarios=None,
):
    """Run a stress test; returns its :class:`Results`.

    Args:
      config: a TOML file, or a config as a dict (the TOML's tables); with neither, ``preset`` alone.
      preset: a built-in preset (``gpu-stress presets``); default ``coreweave`` when ``config`` is None.
      paths, horizon, seed, precision: ``simulation.paths``, ``.horizon_months`` (months), ``.seed``,
        ``.precision`` ("float64" or "float32").
      overrides: {dotted key: value} (``{"firm.cash": 5e8, "debt.0.principal": 5e9}``), or "KEY=VALUE" strings
        as ``--set`` takes them.
      sweep: {dotted key: [values]}: a grid of scenarios (the last key varies fastest).
      stress: names of built-in stress scenarios (``gpu-stress stresses``), each run beside the baseline
        with the same random numbers, like the config's ``[[stress]]``; the ``stress`` column tells them apart.
      backend: "auto", "cpu", "cuda" or "numpy".
      output: None keeps the results in memory and writes no file anywhere; a directory writes the usual
        results directory there (atomically: it appears complete or not at all).
      overwrite: replace an existing results directory ``output`` (only one gpu-stress wrote).
      keep_paths: False keeps aggregates only (``paths`` is then None; the CLI's ``--no-paths``).
      independent_scenarios: fresh random numbers per scenario (default: common random numbers).
      base_case, central_case: run only the no-shock case (one path, no shock, no random event) or the central
        case (the same, the market on its planned path).
      format: "arrow" (IPC files) or "parquet" (a hive-partitioned dataset); ``output`` runs only.
      cluster, scheduler: a local Dask cluster (``"local:4"``) or an existing one for the chunks (``output`` runs).
      progress: called as ``progress(paths_done, paths_total)`` after each chunk.
      log: called with each status line (backend chosen, chunks recomputed, cluster size).
      warn: called with each warning line (an override, swept key or key of ``config`` that changes
        nothing, scenarios with identical parameters); default: ``warnings.warn`` (a :class:`NoEffectWarning`);
        False: no such checks (a program that builds its own overrides, as the analyses do).
      strict: such a warning is an error instead (a :class:`gpu_stress.config.load.ConfigError`).
      command: the command line recorded in the provenance.
      max_scenarios: refuse a grid of more scenarios than this (default 10,000) before any work.

    Raises:
      gpu_stress.errors.UserError: bad input (its message names the field), or an output that cannot be written.

    Example::

      res = gpu_stress.run(preset="lambda", paths=20_000, seed=3)
      res.scenarios["pd"][0].as_py()
    """
    from . import engine

    _check_arguments(locals())
    user_overrides = list(_override_settings(overrides))
    run_settings = _run_settings(paths, horizon, seed, precision, independent_scenarios, (base_case, central_case))
    # The run's settings and stresses, then the user's overrides as one layer over the config.
    stresses = [stress] if isinstance(stress, str) else list(stress or ())
    judged = with_stresses(apply_layer(_table_of(config, preset), run_settings), stresses)
    table = apply_layer(copy.deepcopy(judged), user_overrides)
    sweeps = _sweep_pairs(sweep)
    check = None
    if warn is not False:
        check = _effects_check(judged, user_overrides, sweeps, _config_keys(config), warn, strict)
    if command is None:
        command = "gpu_stress.run()"
    if output is None:
        for name, value in (("format", format != "arrow"), ("cluster", cluster), ("scheduler", scheduler)):
            if value:
                raise UserError(f"{name}: needs output=DIR (a run kept in memory writes no files)")

        def started(record):
            if log is not None:
                log(f"backend: {record.backend} on {record.device} ({record.backend_reason})")
            _compile_notice(record, log)
            if progress is not None:
                progress(0, record.paths * len(record.scenarios))

        record, tables = engine.run_in_memory(
            table, sweeps, backend, keep_paths, command, progress, started, check, max_scenarios
        )
        return Results(record, tables)
    job = engine.start(table, output, sweeps, backend, keep_paths, overwrite, command, format, check, max_scenarios)
    return _finish(job, cluster, scheduler, progress, log, overwrite)


def resume(directory, backend=None, cluster=None, scheduler=None, progress=None, log=None):
    """Finish an interrupted run in ``directory`` with its recorded settings; returns its :class:`Results`."""
    from . import engine

    arguments.expect_path("directory", directory, "a path (str or pathlib.Path)", none=False)
    arguments.expect("backend", backend, arguments.TEXT, '"cpu", "cuda" or "numpy"')
    for name, value in (("cluster", cluster), ("scheduler", scheduler)):
        arguments.expect(name, value, arguments.TEXT, "an address (a str)")
    for name, value in (("progress", progress), ("log", log)):
        arguments.expect_callable(name, value)

    job = engine.resume(directory, backend=backend)
    return _finish(job, cluster, scheduler, progress, log, None)


def load(directory, verify=True):
    """The :class:`Results` of a finished results directory (tables are read when first used).

    Each file is checked against the directory's manifest (size and checksum) before it is read: a damaged,
    missing, swapped or truncated file raises :class:`gpu_stress.results.store.ResultsError` naming it.
    ``verify=False`` skips those checks (for those who know the directory is whole).
    """
    arguments.expect_path("directory", directory, "a path (str or pathlib.Path)", none=False)
    arguments.expect("verify", verify, arguments.FLAG, "True or False", none=False)
    results = open_results(directory, check=verify)
    return Results(results.record, directory=results)


def _finish(job, cluster, scheduler, progress, log, overwrite):
    """Run a started (or resumed) job's pending units, publish its directory; returns its Results."""
    from .chunks import RangeError

    log = log or (lambda line: None)
    record = job.record
    log(f"backend: {record.backend} on {record.device} ({record.backend_reason})")
    for unit, why in job.damaged:
        log(f"recomputing chunk {unit.name}: {why}")
    if not (cluster or scheduler):  # workers compile where they run
        _compile_notice(record, log)
    try:
        _execute(job, cluster, scheduler, progress, log)
        final = job.finish(overwrite=True if overwrite else None)
    except KeyboardInterrupt:
        done = len(job.units) - len(job.pending())
        raise RunInterrupted(
            f"interrupted: {done} of {len(job.units)} chunks are kept in {job.staging}; "
            f"finish with: gpu-stress run --resume {job.final}"
        ) from None
    except RangeError:
        job.abandon()  # it would fail the same way again: nothing is kept
        raise
    except OSError as error:  # a full disk, a vanished directory: what is done stays resumable
        raise store.ResultsError(
            f"{one_line(error)}; finished chunks are kept in {job.staging}: --resume {job.final}"
        ) from None
    finally:
        job.close()
    return load(final)


def _run_settings(paths, horizon, seed, precision, independent_scenarios, cases):
    """[(simulation key, value)] of ``run``'s own arguments, in the order they are applied (``cases``: its
    base_case and central_case)."""
    if all(cases):
        raise arguments.ArgumentError("central_case: the central case and the no-shock case (base_case) are two runs")
    case = "base_case" if cases[0] else "central_case" if cases[1] else None
    settings = []
    if paths is not None:
        try:
            paths = whole_count(paths)  # 1e6 and 2.5e4 as well
        except (TypeError, ValueError):
            raise ConfigError(f"paths: {paths!r} is not a whole number") from None
    for key, value in (("paths", paths), ("horizon_months", horizon), ("seed", seed), ("precision", precision)):
        if value is not None:
            settings.append((f"simulation.{key}", value))
    if independent_scenarios:
        settings.append(("simulation.independent_scenarios", True))
    if case is not None:  # a deterministic case (simulation.base_case or central_case): every path the same one
        settings += [(f"simulation.{case}", True), ("simulation.paths", paths or 1), ("simulation.band_paths", 1)]
    return settings


def _check_arguments(given):
    """The argument types of :func:`run` (``given``: its locals), each a one-line :class:`ArgumentError`."""
    names = ("config", "preset", "overrides", "paths", "horizon", "seed", "backend", "log", "command")
    arguments.expect_run_settings(*(given[name] for name in names))
    arguments.expect("precision", given["precision"], arguments.TEXT, '"float64" or "float32"')
    arguments.expect_sweep("sweep", given["sweep"])
    arguments.expect_names("stress", given["stress"], "a stress name or a list of them (gpu-stress stresses)")
    arguments.expect_path("output", given["output"], "a directory (str or pathlib.Path)")
    for name in ("overwrite", "keep_paths", "independent_scenarios", "base_case", "central_case", "strict"):
        arguments.expect(name, given[name], arguments.FLAG, "True or False", none=False)
    arguments.expect("format", given["format"], arguments.TEXT, '"arrow" or "parquet"', none=False)
    for name in ("cluster", "scheduler"):
        arguments.expect(name, given[name], arguments.TEXT, "an address (a str)")
    arguments.expect_callable("progress", given["progress"])
    if given["warn"] is not False:
        arguments.expect_callable("warn", given["warn"])
    arguments.expect_count("max_scenarios", given["max_scenarios"])


def _compile_notice(record, log):
    """Say so when the run's first chunk will compile its kernel (numba caches it on disk for later runs)."""
    from .backends import compile_notice

    if log is not None and compile_notice(record.backend, record.precision, record.is_portfolio):
        log("compiling kernels (first run only)")


def _execute(job, cluster, scheduler, progress, log):
    total = sum(unit.paths for unit in job.units)
    done = [total - sum(unit.paths for unit in job.pending())]

    def advance(unit):
        done[0] += unit.paths
        if progress is not None:
            progress(done[0], total)

    if progress is not None:
        progress(done[0], total)
    if not (cluster or scheduler):
        job.execute(job.pending(), on_unit_done=advance)
        return
    from . import distributed

    distributed.check_options(cluster, scheduler)
    try:
        with distributed.connect(cluster, scheduler, job.spec.backend) as client:
            log(f"cluster: {len(client.scheduler_info()['workers'])} workers")
            distributed.execute(job, client, job.pending(), on_unit_done=advance)
    except distributed.DistributedError:
        if not job.resumed and len(job.pending()) == len(job.units):
            job.abandon()  # no cluster, nothing computed: leave nothing behind
        raise


def _table_of(config, preset):
    """The raw table of ``config`` (a TOML file or a dict) over ``preset``."""
    if config is None or isinstance(config, str | Path):
        return load_table(None if config is None else str(config), preset)
    if not isinstance(config, dict):
        raise ConfigError(f"config: a TOML file or a dict, not {type(config).__name__}")
    base = load_table(None, preset) if preset else {}
    return merge_layer(base, copy.deepcopy(config))  # a layer over the preset; the caller's dict is left as it was


class NoEffectWarning(UserWarning):
    """An override, swept key or config key that changes nothing the model reads."""


def _config_keys(config):
    """The dotted keys the user's own config sets (a preset's own keys are not warned about)."""
    if config is None:
        return []
    table = config if isinstance(config, dict) else read_toml(str(config))
    return list(table_leaf_keys(table))


def _effects_check(base_table, overrides, sweeps, config_keys, warn, strict):
    """The engine's ``check(scenarios)``: warn (or with ``strict`` fail) for what changes nothing.

    ``base_table``: the config with the run's settings and stresses, ``overrides`` the user's
    ``--set`` layer over it (see ``config.effects``).
    """
    from .config.run_warnings import identical_scenarios, override_warnings

    def check(scenarios):
        messages = override_warnings(base_table, overrides, sweeps, config_keys) + identical_scenarios(scenarios)
        if messages and strict:
            raise ConfigError(f"--strict: {messages[0].removeprefix('warning: ')}")
        for message in messages:
            if warn is None:
                warnings.warn(message, NoEffectWarning, stacklevel=5)
            else:
                warn(message)

    return check


def _override_settings(overrides):
    """(dotted key, value) pairs of ``overrides``: a dict, or "KEY=VALUE" strings (values parsed as --set does)."""
    from .config.load import parse_value, split_assignment

    if overrides is None:
        return []
    if isinstance(overrides, dict):
        return list(overrides.items())
    if isinstance(overrides, str):
        overrides = [overrides]
    pairs = []
    for assignment in overrides:
        if isinstance(assignment, str):
            key, text = split_assignment(assignment)
            pairs.append((key, parse_value(text)))
        else:
            key, value = assignment  # a (dotted key, value) pair
            pairs.append((key, value))
    return pairs


def _sweep_pairs(sweep):
    """[(dotted key, [values])] of ``sweep`` ({key: values}, pairs, or "KEY=V1,V2" strings)."""
    from .scenarios import parse_sweep_option

    if sweep is None:
        return []
    if isinstance(sweep, dict):
        sweep = list(sweep.items())
    pairs = []
    for item in [sweep] if isinstance(sweep, str) else sweep:
        if isinstance(item, str):
            pairs.append(parse_sweep_option(item))
            continue
        key, values = item
        # Any collection of values (a list, a range, a numpy array), as Python values; a lone value is one.
        values = [values] if isinstance(values, str | bytes | dict) or not hasattr(values, "__iter__") else values
        values = [value.item() if hasattr(value, "item") else value for value in values]
        if not values:
            raise ConfigError(f"sweep.{key}: no values given")
        pairs.append((key, values))
    keys = [key for key, _ in pairs]
    for index, key in enumerate(keys):
        if key in keys[:index]:
            raise ConfigError(f"sweep.{key}: swept twice (give all its values in one --sweep)")
    return pairs

"""Sensitivities: how PD, EL and CVaR 99 % move when one setting is bumped down and up.

For each chosen numeric setting x (default: every one of the model, see
:mod:`.parameters`) with base value x0, the bumps are

    x_low = x0 - b |x0|,   x_high = x0 + b |x0|            (b = ``bump``, default 0.10)
    x_low = x0 - b (hi - lo), x_high = x0 + b (hi - lo)     for x0 = 0, [lo, hi] its allowed range

clipped to [lo, hi] (an int key moves by at least 1). A direction that clipping leaves
at x0, or whose configuration fails validation (shares above 1, a correlation matrix
that is no longer positive semi-definite, ...), is skipped and the reason recorded.

Common random numbers. Every draw is a pure function of (seed, path, month) on stream
0 (``docs/model.md``, "Random numbers"), so the base run and every bumped run simulate
the same paths: path i of the bump differs from path i of the base only through x.
Each metric m is estimated with its per-path linearization z (:mod:`.metrics`), and
the change m_high - m_base with the standard error of the paired difference,

    SE(m_high - m_base) = sd(z_high,i - z_base,i) / sqrt(n),

likewise for m_low; the central slope (m_high - m_low) / (x_high - x_low) has SE
sd(z_high - z_low) / sqrt(n) / (x_high - x_low) (one-sided where a direction is skipped).
Its bias is that of a central difference, f''' (x_high - x_low)^2 / 24.

Runs. Each bumped value is one in-memory run of the table with that value set in the
table's own layer (not a sweep: a swept base key such as market.price.drift would replace
the regimes' own values), and one base run serves them all (same seed: the same paths).
Kernels compile once per process. A bump that leaves what the kernels read unchanged
(``config.effects.resolve``: a regime override while regimes are off, market.price.drift
while each regime sets its own, a covenant's cure count with no covenant) cannot change any
path: it is reported as having no effect without a run. A bump whose run fails (an output
leaving its range) is skipped in that direction, saying why.
``simulation.independent_scenarios`` is turned off (it would give each scenario its own
paths), fan-chart bands are not computed, and a config's ``[sweep]`` and ``[[stress]]``
are left out (the analysis is of one configuration; an ``[overlay]`` stays, and its
settings can be bumped with ``include_overlays``).
"""

import copy
import math
import time
import uuid
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .. import __version__, arguments
from ..config.effects import resolve
from ..config.load import ConfigError, with_value
from ..errors import UserError
from ..results import ownership, store
from ..results.record import AnalysisRecord
from . import metrics as M
from .parameters import bump_values, choose_groups, find_setting, numeric_settings, validated

SENSITIVITY_FILE = store.SENSITIVITY_FILE
RUN_FILE = "run.json"
KIND = "sensitivity"


class AnalysisError(UserError, ValueError):
    """Bad input to an analysis, or an output it cannot write; ``str()`` is one line naming the option."""


@dataclass
class Change:
    """One metric of one bumped setting: its values and the SEs of the paired changes (None: direction skipped)."""

    base: float
    low: float | None
    high: float | None
    low_se: float | None
    high_se: float | None
    slope: float | None  # d metric / d setting: central, or one-sided with one direction
    slope_se: float | None

    def effect(self):
        """The larger |change| of the two directions (0 if neither moved it)."""
        return max((abs(value - self.base) for value in (self.low, self.high) if value is not None), default=0.0)


@dataclass
class Row:
    parameter: str
    group: str
    base_value: float
    low_value: float | None
    high_value: float | None
    changes: dict  # metric -> Change
    note: str = ""  # "no effect", a skipped direction and why


@dataclass
class SensitivityResult:
    """The bumped settings (``rows``), what was skipped and why, the base metrics and the provenance."""

    rows: list
    skipped: list  # {"parameter", "direction", "reason"}
    base: dict  # metric -> (value, SE)
    record: AnalysisRecord  # provenance: command, config, preset, paths, seed, bump, versions, ...
    metric: str = "pd"
    elapsed_s: float = 0.0
    runs: int = 0
    notes: list = field(default_factory=list)

    def sorted_rows(self, metric=None):
        """Rows by the larger |change| of ``metric`` (default: the chosen one), largest first."""
        metric = metric or self.metric
        return sorted(self.rows, key=lambda row: -row.changes[metric].effect())

    def table(self):
        """``sensitivity.arrow``: one row per bumped setting (schema :func:`sensitivity_schema`), sorted."""
        columns = {name: [] for name in sensitivity_schema().names}
        for row in self.sorted_rows():
            columns["parameter"].append(row.parameter)
            columns["group"].append(row.group)
            for name in ("base_value", "low_value", "high_value"):
                columns[name].append(_float(getattr(row, name)))
            for metric in M.METRICS:
                change = row.changes[metric]
                for part in ("base", "low", "high", "low_se", "high_se"):
                    columns[f"{metric}_{part}"].append(_float(getattr(change, part)))
        schema = sensitivity_schema()
        table = pa.Table.from_pydict(columns, schema=schema)
        return store.table_with_provenance(table, self.record.to_json(), fields=sensitivity_fields())

    def document(self):
        """The JSON document of ``--format json``: settings, base metrics, rows (sorted), skipped."""
        rows = []
        for row in self.sorted_rows():
            entry = {key: getattr(row, key) for key in ("parameter", "group", "base_value", "low_value", "high_value")}
            for metric in M.METRICS:
                change = row.changes[metric]
                entry[metric] = {part: getattr(change, part) for part in change.__dataclass_fields__}
            entry["note"] = row.note
            rows.append(entry)
        base = {metric: {"value": value, "se": se} for metric, (value, se) in self.base.items()}
        return store.without_nan(
            {
                "record": self.record.to_json(),
                "metric": self.metric,
                "base": base,
                "parameters": rows,
                "skipped": self.skipped,
            }
        )

    def write(self, directory, overwrite=False):
        """Write ``directory`` (``sensitivity.arrow``, ``run.json`` and their manifest) atomically; returns its
        path. It replaces an existing directory only as ``--overwrite`` replaces a run's (its manifest's files)."""
        final = check_output(directory, overwrite)
        run_id = uuid.uuid4().hex
        try:
            building, lock = ownership.create_building(final, run_id)
        except store.ResultsError as error:
            raise AnalysisError(str(error)) from None
        try:
            table = self.table()
            store.write_table(building / SENSITIVITY_FILE, table)
            self.record.with_details(skipped=self.skipped, notes=self.notes).write(building / RUN_FILE)
            files = {SENSITIVITY_FILE: store.file_record(building, SENSITIVITY_FILE, table.num_rows)}
            ownership.write_manifest(building, run_id, files)
            ownership.publish(building, final, overwrite=overwrite)
        except OSError as error:
            raise AnalysisError(f"output: cannot write {final}: {error.strerror or error}") from None
        finally:
            lock.release()
            ownership.remove_tree(building)
        return final


def _float(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def sensitivity_schema():
    """parameter, group, base/low/high value, then per metric m: m_base, m_low, m_high, m_low_se, m_high_se."""
    names = ["base_value", "low_value", "high_value"]
    for metric in M.METRICS:
        names += [f"{metric}_{part}" for part in ("base", "low", "high", "low_se", "high_se")]
    fields = [pa.field("parameter", pa.string()), pa.field("group", pa.string())]
    return pa.schema(fields + [pa.field(name, pa.float64()) for name in names])


def sensitivity_fields():
    """{column: (unit, description)} of sensitivity.arrow (Arrow field metadata, as results tables carry)."""
    found = {
        "parameter": ("text", "the bumped setting, a dotted config key (list entries by index: debt.0.principal)"),
        "group": ("text", "the setting's section: market.price, market.regime, firm, debt, customers, ..."),
        "base_value": ("config", "the setting's value in the base configuration (in the unit of its config key)"),
        "low_value": ("config", "the value bumped down; null: that direction was skipped (run.json says why)"),
        "high_value": ("config", "the value bumped up; null: that direction was skipped (run.json says why)"),
    }
    for metric in M.METRICS:
        unit, what = M.UNITS[metric], M.DESCRIPTIONS[metric]
        found[f"{metric}_base"] = (unit, f"{what}, base configuration")
        found[f"{metric}_low"] = (unit, f"{what}, setting bumped down (same paths as the base)")
        found[f"{metric}_high"] = (unit, f"{what}, setting bumped up (same paths as the base)")
        for side in ("low", "high"):
            text = f"standard error of the paired difference {metric}_{side} - {metric}_base (common random numbers)"
            found[f"{metric}_{side}_se"] = (unit, text)
    return found


def check_output(directory, overwrite):
    """The absolute output directory, if it may be written; else an AnalysisError naming -o."""
    try:
        final = ownership.results_path(directory)
    except store.ResultsError as error:
        raise AnalysisError(str(error)) from None
    if ownership.exists(final):
        refusal = ownership.replace_refusal(final, overwrite)
        if refusal:
            raise AnalysisError(refusal)
    return final


SCENARIO_TABLES = ("sweep", "stress")  # tables that make a run of several scenarios


def resolve_table(config=None, preset=None, overrides=None, log=None):
    """The raw table of ``config`` (a TOML file or a dict) over ``preset``, ``overrides`` set, as api.run builds
    it, less its ``[sweep]`` and ``[[stress]]`` (each analysis run is of one configuration; ``log`` says so)."""
    from ..api import _override_settings, _table_of
    from ..config.load import apply_layer

    table = apply_layer(_table_of(config, preset), _override_settings(overrides))  # one layer, as for run
    dropped = [name for name in SCENARIO_TABLES if table.pop(name, None)]
    if dropped and log is not None:
        log(f"left out: the config's {' and '.join(dropped)} (the analysis bumps one configuration)")
    return table


def fixed_horizon(table, horizon):
    """The months a bumped run of ``table`` runs: ``horizon`` (default the table's; "to-last-maturity" resolved on
    the base configuration), so that a bumped maturity does not move the horizon with it."""
    from ..config.load import apply_layer, pin_horizon

    if horizon is not None:
        table = apply_layer(copy.deepcopy(table), [("simulation.horizon_months", horizon)])
    return pin_horizon(table).get("simulation", {}).get("horizon_months")


def run_outcomes(table, sweep, paths, horizon, seed, backend, log=None):
    """[:class:`metrics.Outcomes` per scenario] of an in-memory run of ``table`` with ``sweep`` ({key: values}), and
    its record. Bands are off, and scenarios share their paths (common random numbers)."""
    from .. import api

    settings = {"simulation.band_paths": 0, "simulation.independent_scenarios": False, "simulation.base_case": False}
    results = api.run(
        config=table,
        paths=paths,
        horizon=horizon,
        seed=seed,
        overrides=settings,
        sweep=sweep,
        backend=backend,
        keep_paths=True,
        log=log,
        warn=False,  # the analysis reports settings with no effect itself
        command="gpu_stress.analysis",
    )
    count = len(results.record.scenarios)
    return [M.outcomes(results.paths, scenario) for scenario in range(count)], results.record


def _same_kernels(base_vector, table, key, value):
    """Whether ``key`` = ``value`` leaves what the kernels read of ``table`` as it was (so no path moves)."""
    return resolve(validated(with_value(table, key, value))).same_as(base_vector)


def sensitivity(
    config=None,
    *,
    preset=None,
    overrides=None,
    parameters=None,
    groups=None,
    bump=0.10,
    metric="pd",
    paths=None,
    horizon=None,
    seed=None,
    backend="auto",
    include_overlays=False,
    output=None,
    overwrite=False,
    progress=None,
    log=None,
    command=None,
):
    """Bump each chosen setting down and up on common random numbers; returns a :class:`SensitivityResult`.

    Args:
      config, preset, overrides: the base configuration, as :func:`gpu_stress.api.run` takes them.
      parameters: dotted keys to bump (``--param``); groups: sections to bump (``--group``: ``market.price``,
        ``firm``, ``debt``, or any dotted prefix). Neither: every numeric setting but stress overlays
        (``include_overlays`` adds them).
      bump: the relative bump (0.10: +-10 % of the value). A setting at 0 is left out unless named in
        ``parameters``; then the step is ``bump`` x the width of its allowed range.
      metric: the metric rows are sorted by ("pd", "expected_loss", "cvar_99").
      paths, horizon, seed, backend: as for :func:`gpu_stress.api.run`.
      output: also write the results directory there (``sensitivity.arrow``, ``run.json``), atomically.
      progress: called as ``progress(done, total, key)`` after each run; log: status lines.

    Raises:
      gpu_stress.errors.UserError: bad input (one line naming the option), before anything runs.
    """
    started = time.perf_counter()
    arguments.expect_run_settings(config, preset, overrides, paths, horizon, seed, backend, log, command)
    _expect_arguments(parameters, groups, bump, metric)
    for name, flag in (("include_overlays", include_overlays), ("overwrite", overwrite)):
        arguments.expect(name, flag, arguments.FLAG, "True or False", none=False)
    arguments.expect_path("output", output, "a directory (str or pathlib.Path)")
    arguments.expect_callable("progress", progress)
    try:
        metric = M.metric_name(metric, "--metric")
    except ValueError as error:
        raise AnalysisError(str(error)) from None
    if not 0 < bump <= 1:
        raise AnalysisError(f"--bump: {bump!r} is not a share in (0, 1] (0.1 bumps by 10 %)")
    if output is not None:
        check_output(output, overwrite)
    table = resolve_table(config, preset, overrides, log)
    horizon = fixed_horizon(table, horizon)
    parameters = [parameters] if isinstance(parameters, str) else list(parameters or ())
    groups = [groups] if isinstance(groups, str) else list(groups or ())
    chosen = _chosen_settings(validated(table), parameters, groups, include_overlays)
    skipped = []
    plans = _bump_plans(table, chosen, {setting.key for setting in chosen[: len(parameters)]}, bump, skipped)

    run_settings = (paths, horizon, seed, backend)
    (base_outcome,), record = run_outcomes(table, None, *run_settings, log)
    base = M.measure(base_outcome)
    rows, runs = _bumped_rows(table, plans, base, run_settings, skipped, progress)
    notes = [f"{entry['parameter']} ({entry['direction']}): skipped, {entry['reason']}" for entry in skipped]
    for row in rows:
        extra = [f"{e['direction']} skipped" for e in skipped if e["parameter"] == row.parameter]
        row.note = "; ".join(filter(None, [row.note, *extra]))
    provenance = analysis_provenance(KIND, record, command, config, preset, overrides, started).with_details(
        bump=bump,
        metric=metric,
        parameters=[row.parameter for row in rows],
        common_random_numbers="every run: the same seed, stream 0 (scenarios share their paths)",
        stream_layout=record.stream_layout,
        runs=1 + runs,
        table=table,
    )
    base_values = {m: (value, se) for m, (value, se, _) in base.items()}
    result = SensitivityResult(rows, skipped, base_values, provenance, metric, provenance.elapsed_s, 1 + runs, notes)
    if output is not None:
        result.write(output, overwrite)
    return result


def _expect_arguments(parameters, groups, bump, metric):
    """The API's type checks of sensitivity's own arguments (a one-line ArgumentError naming the first)."""
    arguments.expect_names("parameters", parameters, "a dotted key or a list of them")
    arguments.expect_names("groups", groups, "a section name or a list of them")
    arguments.expect("bump", bump, arguments.NUMBER, "a share in (0, 1]", none=False)
    arguments.expect("metric", metric, arguments.TEXT, "pd, expected_loss or cvar_99", none=False)


def _chosen_settings(base_config, parameters, groups, include_overlays):
    """The settings to bump: those named, then those of the groups; neither: every numeric setting (stress
    overlays only with ``include_overlays``)."""
    settings = numeric_settings(base_config)
    chosen = [find_setting(settings, key, "--param", base_config) for key in parameters]
    if groups:
        chosen += [setting for setting in choose_groups(settings, groups) if setting not in chosen]
    if not parameters and not groups:
        chosen = [setting for setting in settings if include_overlays or not setting.overlay]
    return chosen


def _bump_plans(table, chosen, named, bump, skipped):
    """[(setting, {"low": value, "high": value})] of the chosen settings' bumped values that validate; a
    direction that cannot be bumped is None there and added to ``skipped`` with its reason."""
    plans = []
    for setting in chosen:
        if setting.value is None:
            skipped.append({"parameter": setting.key, "direction": "both", "reason": "unset, with no value to bump"})
            continue
        if setting.value == 0 and setting.key not in named:
            # 0 is often "off" (a covenant, a sweep, a hazard): a relative bump does not move it, and a
            # share of its whole range would be a change of kind, not a sensitivity.
            reason = "at 0, which a relative bump does not move (name it with --param to bump by a share of its range)"
            skipped.append({"parameter": setting.key, "direction": "both", "reason": reason})
            continue
        values = dict(zip(("low", "high"), bump_values(setting, bump), strict=True))
        for direction, value in list(values.items()):
            if value is None:
                end = "lower" if direction == "low" else "upper"
                reason = f"at the {end} end of its range [{setting.low:g}, {setting.high:g}]"
                skipped.append({"parameter": setting.key, "direction": direction, "reason": reason})
                continue
            try:
                validated(with_value(table, setting.key, value))
            except ConfigError as error:
                values[direction] = None
                skipped.append({"parameter": setting.key, "direction": direction, "reason": f"{value!r}: {error}"})
        if any(value is not None for value in values.values()):
            plans.append((setting, values))
    return plans


def _bumped_rows(table, plans, base, run_settings, skipped, progress):
    """([:class:`Row`] of the plans' settings, runs): each bumped value run on the base's paths; a value the
    kernels would read as the base's is not run (its paths are the base's)."""
    base_vector = resolve(validated(table))
    rows, runs = [], 0
    for done, (setting, values) in enumerate(plans, start=1):
        moving = {
            d: v for d, v in values.items() if v is not None and not _same_kernels(base_vector, table, setting.key, v)
        }
        measured, ran = _measure_bumps(table, setting.key, moving, run_settings, skipped)
        runs += ran
        for direction in moving.keys() - measured.keys():
            values[direction] = None  # its run failed (skipped says why)
        for direction, value in values.items():
            if value is not None and direction not in measured:
                measured[direction] = base  # the kernels read nothing new: every path is the base's
        if measured:
            rows.append(_row(setting, values, base, measured))
        if progress is not None:
            progress(done, len(plans), setting.key)
    return rows, runs


def _measure_bumps(table, key, moving, run_settings, skipped):
    """({direction: {metric: (value, SE, z)}}, runs) of the bumped values ``moving`` ({direction: value}): one run
    of both; if it fails (an output leaving its range, say), one run of each, and a direction that fails
    alone is added to ``skipped`` with its reason."""
    if not moving:
        return {}, 0
    measured = {}
    for direction, value in moving.items():
        # One run per value, of the table with the value set in its own layer: a sweep would be a later
        # layer, in which a base key (market.price.drift) replaces the regimes' own values.
        try:
            (outcome,), _ = run_outcomes(with_value(table, key, value), None, *run_settings)
        except UserError as error:
            skipped.append({"parameter": key, "direction": direction, "reason": f"{value!r}: {error}"})
            continue
        measured[direction] = M.measure(outcome)
    return measured, len(moving)


def analysis_provenance(kind, record, command, config, preset, overrides, started):
    """What an analysis records of itself: its inputs, the last run's simulation settings, backend and versions."""
    simulation = record.simulation
    return AnalysisRecord(
        kind=kind,
        gpu_stress_version=__version__,
        created=record.created,
        command=command or f"gpu_stress.analysis.{kind}()",
        config=None if config is None or isinstance(config, dict) else str(config),
        preset=preset,
        overrides=[list(pair) for pair in _override_settings(overrides)],
        simulation={key: simulation[key] for key in ("paths", "horizon_months", "seed", "precision")},
        backend=record.backend,
        device=record.device,
        versions=record.versions,
        elapsed_s=round(time.perf_counter() - started, 3),
    )


def _override_settings(overrides):
    """(key, value) pairs of ``overrides`` as api.run reads them (for the provenance)."""
    from ..api import _override_settings as pairs

    return pairs(overrides)


def _row(setting, values, base, measured):
    """The :class:`Row` of one setting from the base's and each direction's {metric: (value, SE, z)}."""
    changes, identical = {}, True
    for metric in M.METRICS:
        value0, _, z0 = base[metric]
        found = {}
        for direction in ("low", "high"):
            if direction in measured:
                value, _, z = measured[direction][metric]
                found[direction] = (value, M.standard_error(z - z0), z)
                identical &= bool(np.array_equal(z, z0))
        slope = slope_se = None
        if len(found) == 2:
            width = values["high"] - values["low"]
            slope = (found["high"][0] - found["low"][0]) / width
            slope_se = M.standard_error(found["high"][2] - found["low"][2]) / width
        else:
            ((direction, (value, se, _)),) = found.items()
            width = values[direction] - setting.value
            slope, slope_se = (value - value0) / width, se / abs(width)
        changes[metric] = Change(
            value0,
            found.get("low", (None,))[0],
            found.get("high", (None,))[0],
            found.get("low", (None, None))[1],
            found.get("high", (None, None))[1],
            slope,
            slope_se,
        )
    note = "no effect (every path as the base's)" if identical else ""
    return Row(setting.key, setting.group, float(setting.value), values["low"], values["high"], changes, note)


def display(result, metric=None):
    """(title, column labels, rows of strings) of the terminal table, sorted by ``metric``'s larger |change|."""
    metric = metric or result.metric
    labels = ["parameter", "base", "low", "high"]
    for name in M.METRICS:
        labels += [f"{M.LABELS[name]} low", f"{M.LABELS[name]} high"]
    labels.append("note")
    cells = []
    for row in result.sorted_rows(metric):
        line = [row.parameter, _number(row.base_value), _number(row.low_value), _number(row.high_value)]
        for name in M.METRICS:
            change = row.changes[name]
            for value, se in ((change.low, change.low_se), (change.high, change.high_se)):
                line.append("-" if value is None else _change(name, value - change.base, se))
        line.append(row.note)
        cells.append(line)
    record = result.record
    simulation = record.simulation
    base = ", ".join(f"{M.LABELS[m]} {_level(m, value)} ± {_level(m, se)}" for m, (value, se) in result.base.items())
    title = (
        f"sensitivities, bump {100 * record.details['bump']:g} % ({simulation['paths']:,} paths x "
        f"{simulation['horizon_months']} months, seed {simulation['seed']}; base {base}); "
        f"changes ± SE of the paired difference, by |{M.LABELS[metric]}|"
    )
    return title, labels, cells


def _number(value):
    return "-" if value is None else f"{value:.6g}"


def _level(metric, value):
    from ..summary import format_money

    return f"{100 * value:.2f}%" if metric == "pd" else format_money(value)


def _change(metric, delta, se):
    if metric == "pd":
        return f"{100 * delta:+.2f} ± {100 * se:.2f} pp"
    from ..summary import format_money

    sign = "+" if delta >= 0 else "-"
    return f"{sign}{format_money(abs(delta))} ± {format_money(se)}"


def csv_rows(result):
    """(header, rows) of ``--format csv``: the columns of sensitivity.arrow, sorted, plus the note."""
    table = result.table()
    header = [*table.column_names, "note"]
    notes = {row.parameter: row.note for row in result.rows}
    rows = [[*(_csv(value) for value in line.values()), notes[line["parameter"]]] for line in table.to_pylist()]
    return header, rows


def _csv(value):
    return "" if value is None else (repr(value) if isinstance(value, float) else value)

"""Reverse stress tests: the value of one setting at which a metric reaches a target.

Given a metric m (PD, EL or CVaR 99 %), a target m*, a setting x and a range [lo, hi],
find x* with m(x*) = m*.

Root search on common random numbers. Every evaluation simulates the same n paths
(same seed, stream 0), so x -> m_n(x) is one fixed function of x, not a noisy one:
for PD a step function (each path's default switches at its own x), for EL and CVaR
piecewise smooth. A root search on it is deterministic and converges; on independent
paths it would chase noise. The search is

1. a grid of ``grid`` points from lo to hi, in one run (one sweep, shared paths): it
   brackets the first crossing of m* (a target no grid interval brackets is an
   error naming m at both ends) and gives the slope over the bracket;
2. Illinois (regula falsi whose retained end's value is halved when it is kept twice
   in a row) inside the bracket, one run per evaluation, until the bracket is
   narrower than the tolerance: by default a twentieth of the interval's estimated
   half-width (below), since a finer root of m_n is no closer to the true one. On a
   step function the bracket closes on the jump where m_n crosses m*; the answer x*
   interpolates linearly between the bracket's ends.

Confidence interval (delta method). With m the true metric and m_n its estimate on
the n paths, m_n(x*) = m* while m(x*) - m* = -(m_n - m)(x*) ~ N(0, SE_m^2), so

    x_true - x* ~ (m_n - m)(x*) / m'(x*),   SE(x*) = SE_m(x*) / |m'(x*)|,

and the 95 % interval is x* +- 1.96 SE(x*). SE_m(x*) is the metric's own standard error
at x* (:mod:`.metrics`); the slope m'(x*) is the secant of m_n over x* +- h, h the
estimated half-width (one run of three points, clipped to the range), on the same paths,
with the paired standard error of that secant. The slope's own error is second order
and left out; a slope within two of its standard errors of 0 is flagged.

Re-measurement. m is measured again at x* on independent paths: seed + 1 (mod 2^64;
Philox keyed by another seed draws independent numbers), the same number of paths,
with its own 95 % interval m_check +- 1.96 SE. Since x* itself carries an error of
SE_m / |m'|, m_check - m* has about twice the variance of m_check alone: the target
lies inside m_check's own interval about 83 % of the time, inside
m_check +- 1.96 sqrt(2) SE 95 % of the time (``consistent``).
"""

import builtins
import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .. import arguments
from ..errors import ArgumentError, excerpt
from ..results import store
from ..results.record import AnalysisRecord
from . import metrics as M
from .parameters import check_value, find_setting, numeric_settings, validated
from .sensitivity import AnalysisError, analysis_provenance, resolve_table, run_outcomes


def parse_target(text):
    """``"pd=0.20"`` -> ("pd", 0.2); an AnalysisError naming --target otherwise."""
    name, separator, value = str(text).partition("=")
    usage = f"expected METRIC=VALUE with METRIC one of {', '.join(M.METRICS)} (e.g. pd=0.20), got {text!r}"
    if not separator:
        raise AnalysisError(f"--target: {usage}")
    try:
        metric = M.metric_name(name, "--target")
        number = float(value)
    except ValueError:
        raise AnalysisError(f"--target: {usage}") from None
    if not math.isfinite(number):
        raise AnalysisError(f"--target: {usage}")
    if metric == "pd" and not 0 < number < 1:
        raise AnalysisError(f"--target: a PD strictly between 0 and 1, got {value.strip()}")
    if metric != "pd" and number < 0:
        raise AnalysisError(f"--target: a loss is not negative, got {value.strip()}")
    return metric, number


def parse_range(text):
    """``"-0.8,0"`` -> (-0.8, 0.0); an AnalysisError naming --range otherwise."""
    parts = [part.strip() for part in str(text).split(",")]
    try:
        low, high = (float(part) for part in parts)
    except ValueError:
        raise AnalysisError(f"--range: expected LO,HI (two numbers, e.g. -0.8,0), got {text!r}") from None
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise AnalysisError(f"--range: expected LO,HI with LO < HI, got {text!r}")
    return low, high


@dataclass
class Check:
    """The metric re-measured at the answer on independent paths (another seed)."""

    seed: int
    paths: int
    value: float
    se: float
    ci_low: float
    ci_high: float
    target_inside: bool  # the target lies in [ci_low, ci_high]
    consistent: bool  # |value - target| <= 1.96 sqrt(se^2 + se_at_answer^2): the answer's own error included


@dataclass
class ReverseResult:
    metric: str
    target: float
    parameter: str
    range: tuple
    value: float  # x*
    ci_low: float | None  # None: unbounded (a flat metric)
    ci_high: float | None
    value_se: float | None
    metric_at_value: float  # m_n(x*) on the search's paths
    metric_se: float  # SE_m(x*)
    slope: float
    slope_se: float
    bracket: tuple  # the final bracket of the search
    tolerance: float
    evaluations: list  # [(x, m_n(x))] in the order evaluated
    runs: int
    check: Check
    record: AnalysisRecord
    notes: list = field(default_factory=list)

    def document(self):
        """The JSON document of ``--format json``."""
        found = asdict(self) | {"record": self.record.to_json()}
        found["evaluations"] = [{"value": x, self.metric: m} for x, m in self.evaluations]
        return store.without_nan(found)


def reverse(
    config=None,
    *,
    target,
    parameter,
    range,
    preset=None,
    overrides=None,
    paths=None,
    horizon=None,
    seed=None,
    backend="auto",
    tolerance=None,
    grid=5,
    max_evaluations=40,
    log=None,
    command=None,
):
    """The value of ``parameter`` in ``range`` at which ``target`` (("pd", 0.2) or "pd=0.2") is reached.

    Args:
      config, preset, overrides, paths, horizon, seed, backend: as for :func:`gpu_stress.api.run`.
      target: (metric, value) or ``"METRIC=VALUE"``; parameter: a dotted numeric config key; range: (lo, hi)
        or ``"LO,HI"``.
      tolerance: stop when the bracket is this narrow (in the setting's unit); default: a twentieth of the
        estimated half-width of the interval.
      grid: points of the first, bracketing run; max_evaluations: of the refinement.

    Returns a :class:`ReverseResult`; raises a one-line UserError on bad input or an unreachable target.
    """
    arguments.expect_run_settings(config, preset, overrides, paths, horizon, seed, backend, log, command)
    _expect_search_arguments(target, parameter, range, tolerance, grid, max_evaluations)
    started = time.perf_counter()
    metric, goal = (
        parse_target(target) if isinstance(target, str) else (M.metric_name(target[0], "--target"), target[1])
    )
    low, high = parse_range(range) if isinstance(range, str) else (float(range[0]), float(range[1]))
    if not low < high:
        raise AnalysisError(f"--range: expected LO < HI, got {low:g},{high:g}")
    if tolerance is not None and not tolerance > 0:
        raise AnalysisError(f"--tolerance: a positive width in the setting's unit, got {tolerance!r}")
    table = resolve_table(config, preset, overrides, log)
    _check_searchable(table, parameter, low, high)
    measure = _Measure(table, parameter, metric, (paths, horizon, seed, backend), log)
    search = _search(measure, goal, low, high, grid, tolerance, max_evaluations)
    at_answer = _at_answer(measure, search, low, high)
    check = _check(measure, search.answer, goal, at_answer.se)
    provenance = analysis_provenance("reverse", measure.record, command, config, preset, overrides, started)
    return ReverseResult(
        metric,
        goal,
        parameter,
        (low, high),
        search.answer,
        at_answer.ci_low,
        at_answer.ci_high,
        at_answer.value_se,
        at_answer.value,
        at_answer.se,
        at_answer.slope,
        at_answer.slope_se,
        search.bracket,
        search.tolerance,
        measure.evaluations,
        measure.runs,
        check,
        provenance.with_details(check="re-measured on seed + 1 (independent paths), the same number of paths"),
        search.notes + at_answer.notes,
    )


def _expect_search_arguments(target, parameter, range, tolerance, grid, max_evaluations):
    """The API's type checks of reverse's own arguments (a one-line :class:`ArgumentError` naming the first)."""
    arguments.expect("target", target, (str, list, tuple), '"METRIC=VALUE" or a (metric, value) pair', none=False)
    arguments.expect("parameter", parameter, arguments.TEXT, "a dotted numeric key", none=False)
    arguments.expect("range", range, (str, list, tuple), '"LO,HI" or a (lo, hi) pair', none=False)
    pairs = (
        ("target", target, (str, builtins.float | builtins.int)),
        ("range", range, (builtins.float | builtins.int,) * 2),
    )
    for name, value, kinds in pairs:
        if isinstance(value, str):
            continue
        if len(value) != 2 or any(
            isinstance(item, bool) or not isinstance(item, kind) for item, kind in zip(value, kinds, strict=True)
        ):
            raise ArgumentError(
                f"{name}: a pair {'(metric, value)' if name == 'target' else '(lo, hi)'}, not {excerpt(value)}"
            )
    arguments.expect("tolerance", tolerance, arguments.NUMBER, "a positive width")
    arguments.expect_count("grid", grid, none=False)
    arguments.expect_count("max_evaluations", max_evaluations, none=False)


def _check_searchable(table, parameter, low, high):
    """An :class:`AnalysisError` unless ``parameter`` is a continuous setting of ``table`` valid at both ends."""
    base_config = validated(table)
    setting = find_setting(numeric_settings(base_config), parameter, "--param", base_config)
    if setting.kind is int:
        raise AnalysisError(
            f"--param: {parameter} is a whole number; reverse searches a setting that varies continuously"
        )
    for end in (low, high):
        if not setting.low <= end <= setting.high:
            raise AnalysisError(f"--range: {end:g} is outside {parameter}'s range [{setting.low:g}, {setting.high:g}]")
        check_value(table, parameter, end, "--range")


class _Measure:
    """The metric at values of the parameter, one run per call (the values as a sweep on common random numbers);
    it keeps the search's evaluations, the number of runs and the first run's record."""

    def __init__(self, table, parameter, metric, run_settings, log):
        self.table, self.parameter, self.metric, self.log = table, parameter, metric, log
        self.paths, self.horizon, self.seed, self.backend = run_settings
        self.evaluations, self.runs, self.record = [], 0, None

    def __call__(self, values, check_seed=None):
        """[(m, SE, z)] at each of ``values``: on the search's paths, or on ``check_seed``'s (not recorded);
        and the run's record."""
        status = self.log if not self.runs else None  # the backend line and a first compile's notice, once
        run_seed = self.seed if check_seed is None else check_seed
        sweep = {self.parameter: list(values)}
        found, record = run_outcomes(self.table, sweep, self.paths, self.horizon, run_seed, self.backend, status)
        self.runs += 1
        self.record = self.record or record
        measured = [M.measure(outcome)[self.metric] for outcome in found]
        if check_seed is None:
            self.evaluations.extend((x, value) for x, (value, _, _) in zip(values, measured, strict=True))
        return measured, record


@dataclass
class _Search:
    answer: float
    bracket: tuple  # the final bracket
    tolerance: float
    width: float  # the first estimate of the interval's half-width, 1.96 SE / |slope|
    notes: list


def _search(measure, goal, low, high, grid, tolerance, max_evaluations):
    """Bracket the target on a grid of ``grid`` values, then close in by Illinois regula falsi."""
    xs = [float(x) for x in np.linspace(low, high, max(grid, 2))]
    on_grid, _ = measure(xs)
    gaps = [value - goal for value, _, _ in on_grid]
    bracket = next((i for i in builtins.range(len(xs) - 1) if gaps[i] == 0 or gaps[i] * gaps[i + 1] <= 0), None)
    if bracket is None:
        metric = measure.metric
        raise AnalysisError(
            f"--target: {metric}={goal:g} is not reached on --range {low:g},{high:g}: {M.LABELS[metric]} is "
            f"{_show(metric, on_grid[0][0])} at {low:g} and {_show(metric, on_grid[-1][0])} at {high:g}"
        )
    a, b = xs[bracket], xs[bracket + 1]
    fa, fb = gaps[bracket], gaps[bracket + 1]
    slope0 = (fb - fa) / (b - a)
    se0 = max(on_grid[bracket][1], on_grid[bracket + 1][1])
    width0 = M.Z95 * se0 / abs(slope0) if slope0 else (b - a)
    tol = tolerance if tolerance is not None else max(width0 / 20, 1e-12 * (high - low))

    exact = a if fa == 0 else (b if fb == 0 else None)
    ga, gb, kept = fa, fb, None  # the Illinois values (halved), beside the true fa, fb
    count = 0
    while exact is None and b - a > tol and count < max_evaluations:
        c = b - gb * (b - a) / (gb - ga)
        if not a < c < b:
            c = 0.5 * (a + b)
        ((fc, _, _),), _ = measure([c])
        fc -= goal
        count += 1
        if fc == 0:
            exact = c
        elif (fc < 0) == (fa < 0):
            a, fa, ga = c, fc, fc
            if kept == "a":
                gb /= 2
            kept = "a"
        else:
            b, fb, gb = c, fc, fc
            if kept == "b":
                ga /= 2
            kept = "b"
    notes = []
    if exact is None and b - a > tol:
        notes.append(
            f"stopped after {max_evaluations} evaluations with the bracket {b - a:.3g} wide (tolerance {tol:.3g})"
        )
    if exact is not None:  # m_n is exactly the target here (a flat step of PD at k / n = target)
        return _Search(exact, (exact, exact), tol, width0, notes)
    return _Search(a - fa * (b - a) / (fb - fa), (a, b), tol, width0, notes)


@dataclass
class _AtAnswer:
    value: float  # m_n(x*)
    se: float
    slope: float
    slope_se: float
    value_se: float | None
    ci_low: float | None
    ci_high: float | None
    notes: list


def _at_answer(measure, search, low, high):
    """The metric at the answer and its slope over the interval's estimated half-width, in one run; the
    answer's 95 % interval, SE_m / |slope| either side."""
    answer = search.answer
    # At least a billionth of the interval: a tolerance below the answer's rounding would leave no step to measure.
    h = min(max(search.width, 2 * search.tolerance, 1e-9 * (high - low)), (high - low) / 4)
    points = sorted({max(answer - h, low), answer, min(answer + h, high)})
    measured, _ = measure(points)
    value, se, _ = measured[points.index(answer)]
    slope = (measured[-1][0] - measured[0][0]) / (points[-1] - points[0])
    slope_se = M.standard_error(measured[-1][2] - measured[0][2]) / (points[-1] - points[0])
    if slope == 0:
        name = M.LABELS[measure.metric]
        note = f"{name} does not move with {measure.parameter} near the answer: the interval is unbounded"
        return _AtAnswer(value, se, slope, slope_se, None, None, None, [note])
    value_se = se / abs(slope)
    notes = []
    if abs(slope) < 2 * slope_se:
        notes.append(f"the slope is within 2 SE of 0 ({slope:.3g} ± {slope_se:.3g}): the interval is unreliable")
    return _AtAnswer(value, se, slope, slope_se, value_se, answer - M.Z95 * value_se, answer + M.Z95 * value_se, notes)


def _check(measure, answer, goal, se):
    """The metric re-measured at ``answer`` on independent paths (seed + 1); ``se``: its SE on the search's."""
    check_seed = (measure.record.seed + 1) % 2**64
    ((check_value_, check_se, _),), check_record = measure([answer], check_seed)
    return Check(
        check_seed,
        check_record.paths,
        check_value_,
        check_se,
        check_value_ - M.Z95 * check_se,
        check_value_ + M.Z95 * check_se,
        bool(abs(check_value_ - goal) <= M.Z95 * check_se),
        bool(abs(check_value_ - goal) <= M.Z95 * math.hypot(check_se, se)),
    )


def _show(metric, value):
    from ..summary import format_money

    return f"{100 * value:.2f}%" if metric == "pd" else format_money(value)


def display(result):
    """(title, rows of (label, value)) of the terminal table."""
    name = M.LABELS[result.metric]
    show = lambda value: _show(result.metric, value)  # noqa: E731
    interval = "unbounded" if result.ci_low is None else f"{result.ci_low:.6g} to {result.ci_high:.6g}"
    check = result.check
    rows = [
        ("target", f"{name} = {show(result.target)}"),
        (result.parameter, f"{result.value:.6g}"),
        ("95 % interval", interval),
        ("standard error", "-" if result.value_se is None else f"{result.value_se:.3g}"),
        (f"{name} at it (search paths)", f"{show(result.metric_at_value)} ± {show(result.metric_se)}"),
        (f"slope ({name} per unit)", f"{result.slope:.4g} ± {result.slope_se:.2g}"),
        (
            "evaluations",
            f"{len(result.evaluations)} in {result.runs - 1} runs on the same paths, bracket "
            f"{result.bracket[0]:.6g} to {result.bracket[1]:.6g}",
        ),
        (
            f"{name} re-measured (seed {check.seed})",
            f"{show(check.value)}, 95 % {show(check.ci_low)} to {show(check.ci_high)}",
        ),
        ("target in that interval", "yes" if check.target_inside else "no"),
    ]
    simulation = result.record.simulation
    title = (
        f"reverse stress test: {result.parameter} in [{result.range[0]:g}, {result.range[1]:g}] "
        f"({simulation['paths']:,} paths x {simulation['horizon_months']} months, seed {simulation['seed']})"
    )
    return title, rows

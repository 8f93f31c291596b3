"""``gpu-stress plot``: the overview and the chart of each kind, written atomically."""

from pathlib import Path

import numpy as np

from ..results import store
from ..results.aggregates import HEADLINE_METRICS as METRICS
from ..summary import config_cell
from .common import FORMATS, KINDS, PlotError, Run, bands_columns, load_pyplot
from .paths import causes_figure, fan_chart, loss_distribution, ltv_lines, pd_heatmap, term_structure_figure
from .scenarios import swept_figure, tornado_figure, waterfall_figure


def _overview_figure(plt, run, scenario_id, x_key=None, y_key=None, kind="all"):
    """all, fan, loss and heatmap: the fan chart (with the LTV limits), the loss distribution, the PD heatmap."""
    sweep_keys = run.sweep_keys
    scenario_id = 0 if scenario_id is None else scenario_id
    row = run.row(scenario_id)
    if kind == "heatmap" or (kind == "all" and len(sweep_keys) >= 2):
        x_key = x_key or (sweep_keys[0] if sweep_keys else None)
        y_key = y_key or (sweep_keys[1] if len(sweep_keys) > 1 else None)
        if x_key not in sweep_keys or y_key not in sweep_keys or x_key == y_key:
            raise PlotError(f"heatmap: needs two swept keys (this run swept: {', '.join(sweep_keys) or 'none'})")
    bands = bands_columns(run.results) if kind in ("fan", "all") else None
    has_bands = bands is not None and bool(np.any(bands["scenario_id"] == scenario_id))
    if kind == "fan" and not has_bands:
        raise PlotError(
            "fan: this run tracked no paths for fan charts (simulation.band_paths = 0; a portfolio has none)"
        )
    panels = {
        "fan": kind in ("fan", "all") and has_bands,
        "loss": kind in ("loss", "all"),
        "heatmap": kind == "heatmap" or (kind == "all" and len(sweep_keys) >= 2),
    }
    rows = int(panels["fan"]) + int(panels["loss"] or panels["heatmap"])
    figure = plt.figure(figsize=(16, 4.2 * rows), constrained_layout=True)
    grid = figure.add_gridspec(rows, 4)
    current = 0
    if panels["fan"]:
        limits = ltv_lines(config_cell(row["config"])) if row.get("config") and not run.portfolio else None
        fan_chart([figure.add_subplot(grid[current, column]) for column in range(4)], bands, scenario_id, limits)
        current += 1
    if panels["loss"] or panels["heatmap"]:
        if panels["loss"] and panels["heatmap"]:
            loss_distribution(figure.add_subplot(grid[current, :2]), row, run.pd_label)
            pd_heatmap(figure.add_subplot(grid[current, 2:]), figure, run.columns, x_key, y_key)
        elif panels["loss"]:
            loss_distribution(figure.add_subplot(grid[current, :]), row, run.pd_label)
        else:
            pd_heatmap(figure.add_subplot(grid[current, :]), figure, run.columns, x_key, y_key)
    swept = ", ".join(f"{key}={row[key]}" for key in sweep_keys)
    subject = f"scenario {scenario_id}{': ' + swept if swept else ''}" if kind != "heatmap" else "sweep"
    figure.suptitle(run.title(subject), fontsize=12)
    return figure


FIGURES = {
    "term-structure": term_structure_figure,
    "swept": swept_figure,
    "causes": causes_figure,
    "waterfall": waterfall_figure,
}


USES_X = ("all", "heatmap", "swept")


USES_Y = ("all", "heatmap")


USES_METRIC = ("tornado", "swept")


def plot(directory, output, kind="all", scenario_id=None, x_key=None, y_key=None, metric=None, dpi=110, check=True):
    """Draw chart ``kind`` (one of KINDS) from results ``directory`` into ``output`` (.png, .svg or .pdf).

    ``scenario_id``: the scenario of fan, loss, causes (default 0), of term-structure and waterfall (default:
    every scenario) and, for a portfolio, whose firms are drawn; ``x_key``, ``y_key``: swept keys of the
    heatmap (and ``x_key`` of swept); ``metric``: of tornado (default pd) and swept (default: PD, EL, CVaR 99).
    Anything that cannot be drawn is a one-line :class:`PlotError`; nothing is written then. Each file read is
    checked against the directory's manifest first (``check=False``: not).
    """
    from ..results.verify import open_results

    output = Path(output)
    if output.suffix.lower() not in FORMATS:
        raise PlotError(f"output: {output}: unsupported file type (use {', '.join(FORMATS)})")
    if kind not in KINDS:
        raise PlotError(f"kind: {kind!r} is not a chart (choose from {', '.join(KINDS)})")
    for name, given, kinds in (("metric", metric, USES_METRIC), ("x", x_key, USES_X), ("y", y_key, USES_Y)):
        if given is not None and kind not in kinds:
            raise PlotError(f"{name}: only for --kind {' or '.join(kinds)}, not {kind}")
    if metric is not None and metric not in METRICS:
        raise PlotError(f"metric: {metric!r} is not a metric (choose from {', '.join(METRICS)})")
    if kind == "tornado" and scenario_id is not None:
        raise PlotError("scenario: --kind tornado draws sensitivity.arrow, which has no scenarios")
    run = None if kind == "tornado" else Run(open_results(directory, check))
    if run is not None and scenario_id is not None:
        run.row(scenario_id)
    plt = load_pyplot()
    with plt.rc_context({"text.parse_math": False}):  # the $ of money amounts is text, not mathtext
        if kind == "tornado":
            figure = tornado_figure(plt, directory, metric or "pd", check)
        elif kind in FIGURES:
            figure = FIGURES[kind](plt, run, scenario_id, x_key=x_key, metric=metric)
        else:
            figure = _overview_figure(plt, run, scenario_id, x_key, y_key, kind)
        try:
            fmt = output.suffix[1:].lower()
            store.write_atomic(output, lambda target: figure.savefig(target, dpi=dpi, format=fmt))
        finally:
            plt.close(figure)
    return output

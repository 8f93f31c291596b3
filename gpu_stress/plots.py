"""``gpu-stress plot``: the charts of a results directory.

Needs matplotlib (``pip install 'gpu-stress[plot]'``). Everything is drawn from
the results directory alone, from its aggregate tables (so a ``--no-paths``
run draws every chart): bands.arrow for fan charts, scenarios.arrow (firms.arrow
for a portfolio's firms) for the loss distribution, PD heatmaps, the cumulative
PD term structure, PD / EL / CVaR against a swept value, defaults by cause and
month, and the loss waterfall, and sensitivity.arrow (``gpu-stress
sensitivity``) for the tornado.
"""

import json
import math
from pathlib import Path

import numpy as np

from .errors import UserError
from .kernels.layout import CAUSE_NAMES, CREDIT_CAUSES
from .results import store
from .results.aggregates import HEADLINE_METRICS as METRICS  # --metric: of the tornado and the swept chart
from .results.aggregates import WILSON_Z, wilson_interval
from .summary import config_cell, format_money, format_share, sweep_label

FAN_VARIABLES = (
    ("price", "GPU rental price ($/GPU-hour)"),
    ("utilization", "utilization"),
    ("cash", "cash ($)"),
    ("ltv", "loan-to-value"),
)
# all: the fan chart, the loss distribution and (a sweep of two keys or more) the PD heatmap, in one figure.
KINDS = ("all", "fan", "loss", "heatmap", "term-structure", "swept", "causes", "tornado", "waterfall")
METRIC_LABELS = {"pd": "PD", "expected_loss": "expected loss", "cvar_99": "CVaR 99 %"}
FORMATS = (".png", ".svg", ".pdf")
CAUSE_COLORS = {
    "liquidity": "tab:blue",
    "ltv": "tab:purple",
    "dscr": "tab:green",
    "refinancing": "tab:red",
    "pool": "tab:brown",
}
CREDIT_CAUSE_NAMES = tuple(CAUSE_NAMES[cause] for cause in CREDIT_CAUSES)
STRESS = "stress"  # the scenarios column (and swept key) naming a scenario's stress, in runs with [[stress]]


class PlotError(UserError, ValueError):
    """A plot that cannot be drawn from these results; ``str()`` is one line."""


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise PlotError("plot: matplotlib is not installed (pip install 'gpu-stress[plot]')") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# --- the fan chart, the loss distribution, the PD heatmap ------------------------------------------


def ltv_lines(config):
    """[(value, label, line style)] of the LTV limits in a scenario's ``config`` (a dict): the covenant's cap
    (``covenants.ltv_max``, 0: none) and, with refinancing on, the LTV up to which balloons are refinanced."""
    lines = []
    cap = float((config.get("covenants") or {}).get("ltv_max") or 0.0)
    if cap > 0:
        lines.append((cap, f"LTV covenant cap {cap:g}", "-"))
    refinancing = config.get("refinancing") or {}
    limit = float(refinancing.get("max_ltv") or 0.0)
    if refinancing.get("enabled") and limit > 0:
        lines.append((limit, f"refinancing max LTV {limit:g}", ":"))
    return lines


def fan_chart(axes, bands, scenario_id, limits=None):
    """One panel per variable: median, 25-75 % and 5-95 % bands by month; ``limits``: the LTV panel's
    :func:`ltv_lines` (None: not known, nothing said)."""
    for ax, (variable, label) in zip(axes, FAN_VARIABLES, strict=True):
        mask = (bands["scenario_id"] == scenario_id) & (bands["variable"] == variable)
        rows = {name: column[mask] for name, column in bands.items()}
        month = rows["month"]
        ax.fill_between(month, rows["q05"], rows["q95"], alpha=0.25, color="tab:blue", lw=0, label="5-95 %")
        ax.fill_between(month, rows["q25"], rows["q75"], alpha=0.45, color="tab:blue", lw=0, label="25-75 %")
        ax.plot(month, rows["q50"], color="tab:blue", lw=1.6, label="median")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("month")
        ax.grid(alpha=0.3)
        if variable in ("cash", "ltv"):
            tracked = bands["paths"][(bands["scenario_id"] == scenario_id) & (bands["variable"] == "price")].max()
            alive = rows["paths"] / max(tracked, 1)
            twin = ax.twinx()
            twin.plot(month, alive, color="tab:red", lw=1, ls="--")
            twin.set_ylim(0, 1.05)
            twin.set_ylabel("share of firms alive", color="tab:red", fontsize=8)
        if variable == "cash":
            ax.yaxis.set_major_formatter(lambda value, _: format_money(value))
        if variable == "ltv":  # a retired or worthless fleet sits at the 1000 cap: keep the scale readable
            top = np.nanmax(rows["q95"]) if np.isfinite(rows["q95"]).any() else 1.0
            highest = max([value for value, _, _ in limits or ()] or [0.0])
            ax.set_ylim(0, max(min(max(top * 1.1, 1.0), 3.0), highest * 1.15))
            for value, text, style in limits or ():
                ax.axhline(value, color="tab:red", ls=style, lw=1.3, label=text)
            if limits is not None and not any(style == "-" for _, _, style in limits):
                ax.set_title(f"{label} (no LTV covenant)", fontsize=10)
            if limits:
                ax.legend(fontsize=7, loc="upper left")
    axes[0].legend(fontsize=8, loc="upper right")


TAIL_STYLES = (("95", "95 %", "tab:green"), ("99", "99 %", "black"), ("999", "99.9 %", "tab:purple"))


def loss_distribution(ax, row, pd_label="PD"):
    """Histogram of non-zero losses on a log axis (64 bars), with VaR and CVaR at 95, 99 and 99.9 %, their
    values in the legend (a CVaR's 95 % interval too where the table has its standard error)."""
    lower = np.asarray(row["loss_histogram_lower"], dtype=float)
    upper = np.asarray(row["loss_histogram_upper"], dtype=float)
    counts = np.asarray(row["loss_histogram_counts"], dtype=float)
    paths = row["paths"]
    positive = lower > 0
    zero_share = 1.0 - counts[positive].sum() / paths
    if positive.any():
        edges = np.geomspace(lower[positive].min(), upper[positive].max(), 65)
        bar = np.clip(np.searchsorted(edges, lower[positive], side="right") - 1, 0, 63)
        merged = np.bincount(bar, weights=counts[positive], minlength=64)
        ax.bar(edges[:-1], merged / paths, width=np.diff(edges), align="edge", color="tab:orange", edgecolor="none")
        ax.set_xlim(edges[0] / 2, edges[-1] * 2)
    ax.set_xscale("log")
    for name, level, color in TAIL_STYLES:
        for measure, style in (("var", "-"), ("cvar", "--")):
            value = row.get(f"loss_{measure}_{name}")
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            label = f"{'VaR' if measure == 'var' else 'CVaR'} {level}: {format_money(value)}"
            se = row.get(f"loss_cvar_{name}_se") if measure == "cvar" else None
            if se is not None and not math.isnan(se):
                label += f" ± {format_money(WILSON_Z * se)}"
            if value > 0:
                ax.axvline(value, color=color, ls=style, lw=1, label=label)
            else:  # nothing to draw on a log axis; the legend still gives it
                ax.plot([], [], color=color, ls=style, lw=1, label=label)
    ax.set_xlabel("loss ($)")
    ax.set_ylabel("share of paths")
    ax.set_title(
        f"loss distribution: {pd_label} {100 * row['pd']:.1f}%, EL {format_money(row['expected_loss'])}, "
        f"{100 * zero_share:.1f}% of paths lose nothing",
        fontsize=10,
    )
    ax.xaxis.set_major_formatter(lambda value, _: format_money(value))
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)


def pd_heatmap(ax, figure, scenarios, x_key, y_key):
    """PD over a grid of two swept keys (other swept keys: the first value)."""
    x_values = sorted(set(scenarios[x_key]))
    y_values = sorted(set(scenarios[y_key]))
    grid = np.full((len(y_values), len(x_values)), np.nan)
    for x, y, pd in zip(scenarios[x_key], scenarios[y_key], scenarios["pd"], strict=True):
        cell = (y_values.index(y), x_values.index(x))
        if np.isnan(grid[cell]):
            grid[cell] = pd
    image = ax.imshow(grid * 100, origin="lower", cmap="Reds", aspect="auto", vmin=0)
    ax.set_xticks(range(len(x_values)), [_label(value) for value in x_values])
    ax.set_yticks(range(len(y_values)), [_label(value) for value in y_values])
    ax.set_xlabel(x_key)
    ax.set_ylabel(y_key)
    for (row, column), value in np.ndenumerate(grid):
        ax.text(
            column,
            row,
            f"{100 * value:.1f}%",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if value > np.nanmax(grid) * 0.6 else "black",
        )
    ax.set_title("probability of default", fontsize=10)
    figure.colorbar(image, ax=ax, label="PD (%)")


def _label(value):
    return f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


# --- a results directory, as the charts read it ------------------------------------------------------


class Run:
    """A finished results directory: its record, its scenarios as rows (swept values also under their dotted
    keys; a portfolio's ``pd`` is its book's P(any default)) and, for a portfolio, its firms' rows."""

    def __init__(self, directory):
        from .results.verify import open_results
        from .summary import load_scenarios

        self.results = open_results(directory)
        self.directory = self.results.path
        self.record, table = load_scenarios(self.results)
        self.sweep_keys = list(self.record.get("sweep_keys", []))
        self.portfolio = "firms" in self.record.get("table", {})
        columns = table.to_pydict()
        for key in self.sweep_keys:  # by their dotted keys, as the user names them (columns: SQL-safe names)
            columns.setdefault(key, columns.get(store.sweep_column(key)))
        if self.portfolio:  # the book's loss; its "PD" is that of at least one default
            columns["pd"] = columns["pd_any_default"]
        self.columns = columns
        self.rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
        self.ids = [row["scenario_id"] for row in self.rows]
        simulation = self.record["simulation"]
        self.horizon = int(simulation["horizon_months"])
        self.pd_label = "P(any default)" if self.portfolio else "PD"
        self._firms = None

    def row(self, scenario_id):
        if scenario_id not in self.ids:
            raise PlotError(f"scenario: no scenario {scenario_id} (there are {len(self.ids)})")
        return self.rows[self.ids.index(scenario_id)]

    def label(self, row):
        """A scenario's name in a legend: its stress (a ``stress`` column) and swept values, else its number."""
        parts = [str(row["stress"])] if row.get("stress") else []
        parts += [f"{sweep_label(key)}={_label(row[key])}" for key in self.sweep_keys if key != STRESS]
        return ", ".join(parts) or f"scenario {row['scenario_id']}"

    def firms(self, scenario_id):
        """A portfolio's firm rows of one scenario (firms.arrow)."""
        if self._firms is None:
            self._firms = _required_table(self.results, store.FIRMS_FILE).to_pylist()
        return [row for row in self._firms if row["scenario_id"] == scenario_id]

    def credit_rows(self, scenario_id, every=True):
        """[(label, row)] of firm-level aggregates to draw: the scenario ``scenario_id`` (None: every scenario if
        ``every``, else scenario 0), or for a portfolio the firms of that scenario (None: 0), labelled."""
        if self.portfolio:
            scenario_id = 0 if scenario_id is None else scenario_id
            self.row(scenario_id)
            return [(row["name"], row) for row in self.firms(scenario_id)]
        if scenario_id is None and every:
            return [(self.label(row), row) for row in self.rows]
        row = self.row(0 if scenario_id is None else scenario_id)
        return [(self.label(row), row)]

    def title(self, subject):
        simulation = self.record["simulation"]
        firm = "portfolio" if self.portfolio else self.record["table"].get("firm", {}).get("name", "")
        return f"{firm} - {subject} ({simulation['paths']:,} paths, {simulation['horizon_months']} months)"

    def subject(self, scenario_id):
        """The title's words for one scenario: its number and label."""
        label = self.label(self.row(scenario_id))
        return f"scenario {scenario_id}" + ("" if label == f"scenario {scenario_id}" else f": {label}")


def monthly_defaults(row):
    """{credit cause: credit defaults by month, month 1 first (numpy)} of an aggregates row; None in results
    without ``defaults_by_month_cause``."""
    by_month = row.get("defaults_by_month_cause")
    if not by_month:
        return None
    return {cause: np.asarray(counts, dtype=float) for cause, counts in by_month.items() if counts is not None}


def _colors(plt, count):
    if count <= 10:
        return [f"C{index}" for index in range(count)]
    colormap = plt.get_cmap("viridis")
    return [colormap(index / max(count - 1, 1)) for index in range(count)]


def _month_ticks(ax, horizon):
    step = 12 if horizon <= 120 else 24
    ax.set_xticks(range(0, horizon + 1, step))
    ax.set_xlim(0, horizon)


def _percent_axis(ax, axis="y"):
    formatter = lambda value, _: f"{value:g}%"  # noqa: E731
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


# --- the cumulative PD term structure -------------------------------------------------------------


def term_structure(ax, plt, entries, horizon, pd_label="PD"):
    """Cumulative PD by month, one line per (label, row) of ``entries``; results without monthly counts: by year."""
    for (label, row), color in zip(entries, _colors(plt, len(entries)), strict=True):
        by_month = monthly_defaults(row)
        if by_month is not None:
            total = np.sum(list(by_month.values()), axis=0)
            cumulative = np.concatenate([[0.0], np.cumsum(total)]) / row["paths"]
            ax.plot(
                np.arange(len(cumulative)),
                100 * cumulative,
                color=color,
                lw=1.6,
                label=f"{label}: {format_share(cumulative[-1])}",
            )
        else:
            by_year = row.get("pd_by_year") or []
            months = [0] + [min(12 * (year + 1), horizon) for year in range(len(by_year))]
            shares = [0.0, *by_year]
            ax.plot(
                months,
                [100 * share for share in shares],
                color=color,
                marker="o",
                lw=1.6,
                label=f"{label}: {format_share(shares[-1])} (by year)",
            )
    _month_ticks(ax, horizon)
    _percent_axis(ax)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("month")
    ax.set_ylabel(f"cumulative {pd_label} (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=1 if len(entries) <= 12 else 2, title=f"{pd_label} by the horizon", title_fontsize=7)


def _term_structure_figure(plt, run, scenario_id, **_):
    entries = run.credit_rows(scenario_id)
    figure, ax = plt.subplots(figsize=(10, 5.5), constrained_layout=True)
    term_structure(ax, plt, entries, run.horizon, "PD")
    about = (
        run.subject(0 if scenario_id is None else scenario_id) + ", by firm"
        if run.portfolio
        else ("by scenario" if scenario_id is None else run.subject(scenario_id))
    )
    ax.set_title("cumulative probability of default by month", fontsize=10)
    figure.suptitle(run.title(about), fontsize=11)
    return figure


# --- PD, EL and CVaR against a swept value ----------------------------------------------------------


def metric_interval(row, metric, portfolio=False):
    """(value, low, high, what the interval is) of ``metric`` in a scenarios row; low and high None without one."""
    if metric == "pd":
        value = row["pd"]
        low, high = row.get("pd_ci_low"), row.get("pd_ci_high")
        if low is None or high is None or portfolio:
            low, high = wilson_interval(round(value * row["paths"]), row["paths"])
        return value, low, high, "95 % Wilson interval"
    name, se_name = {
        "expected_loss": ("expected_loss", "expected_loss_se"),
        "cvar_99": ("loss_cvar_99", "loss_cvar_99_se"),
    }[metric]
    value, se = row.get(name), row.get(se_name)
    if value is None:
        return None, None, None, ""
    if se is None or math.isnan(se):
        bound = row.get("loss_cvar_rel_error")
        about = f"; histogram error < {100 * bound:.2g} %" if bound else ""
        return value, None, None, f"no confidence interval in these results{about}"
    return value, value - WILSON_Z * se, value + WILSON_Z * se, "95 % interval (±1.96 SE)"


def swept_chart(axes, plt, run, x_key, metrics):
    """``metrics`` against the value of swept key ``x_key``, one line per combination of the other swept
    values (and stresses), with 95 % confidence bars."""
    others = [key for key in run.sweep_keys if key not in (x_key, STRESS)]
    if x_key != STRESS and len({row.get(STRESS) for row in run.rows}) > 1:
        others = [STRESS, *others]
    groups = {}
    for row in run.rows:
        groups.setdefault(tuple(row.get(key) for key in others), []).append(row)
    values = list(dict.fromkeys(row[x_key] for row in run.rows))
    numeric = all(isinstance(value, int | float) and not isinstance(value, bool) for value in values)
    if numeric:
        values.sort()
    position = {value: (value if numeric else index) for index, value in enumerate(values)}
    colors = _colors(plt, len(groups))
    style = {"marker": "o", "ms": 4, "lw": 1.4} | ({} if numeric else {"ls": "none", "ms": 6})  # no line: categories
    for ax, metric in zip(axes, metrics, strict=True):
        about = ""
        for (group, members), color in zip(groups.items(), colors, strict=True):
            members = sorted(members, key=lambda row: values.index(row[x_key]))
            points = [metric_interval(row, metric, run.portfolio) for row in members]
            x = [position[row[x_key]] for row in members]
            y = np.array([np.nan if value is None else value for value, _, _, _ in points], dtype=float)
            low = np.array([np.nan if p[1] is None else p[1] for p in points], dtype=float)
            high = np.array([np.nan if p[2] is None else p[2] for p in points], dtype=float)
            about = next((p[3] for p in points if p[3]), about)
            scale = 100.0 if metric == "pd" else 1.0
            label = ", ".join(
                _label(value) if key == STRESS else f"{sweep_label(key)}={_label(value)}"
                for key, value in zip(others, group, strict=True)
            )
            label = label or None  # one line: no legend entry
            if np.isfinite(low).any():
                errors = np.clip(np.nan_to_num(np.vstack([y - low, high - y]) * scale, nan=0.0), 0.0, None)
                ax.errorbar(x, y * scale, yerr=errors, color=color, capsize=3, label=label, **style)
            else:
                ax.plot(x, y * scale, color=color, label=label, **style)
        if metric == "pd":
            _percent_axis(ax)
        else:
            ax.yaxis.set_major_formatter(lambda value, _: format_money(value))
        ax.set_ylim(0, ax.get_ylim()[1] * 1.06)  # room above the highest bar
        if not numeric:
            ax.set_xticks(range(len(values)), [_label(value) for value in values], rotation=25, ha="right")
        elif len(values) <= 12:
            ax.set_xticks(values, [_label(value) for value in values])
        ax.set_xlabel(x_key)
        ax.set_title(METRIC_LABELS[metric] if metric != "pd" else run.pd_label, fontsize=10)
        ax.grid(alpha=0.3)
        title = about if about.startswith("no ") else f"bars: {about}"
        handles, labels = ax.get_legend_handles_labels()  # none for one line: the legend is its title
        ax.legend(handles, labels, fontsize=7, title=title, title_fontsize=7)


def _swept_figure(plt, run, scenario_id, x_key=None, metric=None, **_):
    if not run.sweep_keys:
        raise PlotError("swept: needs a swept key (this run swept none: run with --sweep KEY=V1,V2,...)")
    x_key = x_key or run.sweep_keys[0]
    if x_key not in run.sweep_keys:
        raise PlotError(f"x: {x_key!r} is not a swept key (this run swept: {', '.join(run.sweep_keys)})")
    if scenario_id is not None:
        raise PlotError("scenario: --kind swept draws every scenario (leave out --scenario)")
    metrics = [metric] if metric else list(METRICS)
    figure, axes = plt.subplots(
        1, len(metrics), figsize=(5.2 * len(metrics), 4.6), constrained_layout=True, squeeze=False
    )
    swept_chart(list(axes[0]), plt, run, x_key, metrics)
    figure.suptitle(run.title(f"against {x_key}"), fontsize=11)
    return figure


# --- defaults by cause and month ----------------------------------------------------------------------


NO_MONTHLY_DEFAULTS = (
    "causes: these results have no defaults_by_month_cause (written by an older gpu-stress: run again)"
)


def causes_chart(ax, row, horizon):
    """The paths defaulting each month (each year beyond 10 years), stacked by credit cause, as shares of paths."""
    by_month = monthly_defaults(row)
    if by_month is None:
        raise PlotError(NO_MONTHLY_DEFAULTS)
    paths = row["paths"]
    months = len(next(iter(by_month.values()))) if by_month else horizon
    yearly = months > 120
    width = 12 if yearly else 1
    edges = np.arange(0, months, width)
    bottom = np.zeros(len(edges))
    drawn = False
    for cause in CREDIT_CAUSE_NAMES:
        counts = by_month.get(cause)
        if counts is None or not counts.any():
            continue
        binned = np.add.reduceat(counts, edges) if yearly else counts
        share = 100 * binned / paths
        label = f"{cause}: {int(counts.sum()):,} ({format_share(counts.sum() / paths)} of paths)"
        ax.bar(edges + width / 2, share, width=0.85 * width, bottom=bottom, color=CAUSE_COLORS.get(cause), label=label)
        bottom += share
        drawn = True
    if drawn:
        ax.legend(fontsize=7, loc="upper left", title="credit defaults by cause", title_fontsize=7)
    else:
        ax.text(0.5, 0.5, "no credit default within the horizon", transform=ax.transAxes, ha="center", va="center")
    _month_ticks(ax, months)
    _percent_axis(ax)
    ax.set_xlabel("month")
    ax.set_ylabel(f"paths defaulting that {'year' if yearly else 'month'} (% of paths)")
    ax.grid(alpha=0.3, axis="y")


def _causes_figure(plt, run, scenario_id, **_):
    entries = run.credit_rows(scenario_id, every=False)
    if any(monthly_defaults(row) is None for _, row in entries):
        raise PlotError(NO_MONTHLY_DEFAULTS)
    count = len(entries)
    columns = 1 if count == 1 else 2
    lines = -(-count // columns)
    figure, axes = plt.subplots(
        lines,
        columns,
        figsize=(10 if columns == 1 else 14, 5 if lines == 1 else 3.6 * lines),
        constrained_layout=True,
        squeeze=False,
    )
    for ax, (label, row) in zip(axes.flat, entries, strict=False):
        causes_chart(ax, row, run.horizon)
        ax.set_title(
            f"{label}: {format_share(row['pd'])} PD" if run.portfolio else "credit defaults by month and cause",
            fontsize=10,
        )
    for ax in list(axes.flat)[count:]:
        ax.set_visible(False)
    about = run.subject(0 if scenario_id is None else scenario_id)
    figure.suptitle(run.title(about + (", by firm" if run.portfolio else "")), fontsize=11)
    return figure


# --- the loss waterfall ---------------------------------------------------------------------------


def waterfall_values(row):
    """(EAD at default, recovery, loss), expected per path ($): EAD = PD x mean EAD, loss = EL, recovery the rest."""
    ead = row["pd"] * row["mean_ead"] if row.get("mean_ead") is not None else 0.0
    loss = row["expected_loss"] or 0.0
    return ead, ead - loss, loss


def waterfall(ax, entries):
    """EAD at default -> recovery -> loss, expected per path, for each (label, row) of ``entries`` side by side."""
    names = ("EAD at default", "recovery", "loss")
    colors = ("tab:gray", "tab:green", "tab:red")
    several = len(entries) > 1
    for group, (_, row) in enumerate(entries):
        ead, recovery, loss = waterfall_values(row)
        left = 4 * group
        parts = ((0.0, ead), (loss, recovery), (0.0, loss))  # (bottom, height)
        for step, ((bottom, height), name, color) in enumerate(zip(parts, names, colors, strict=True)):
            ax.bar(left + step, height, bottom=bottom, color=color, width=0.8, label=name if group == 0 else None)
            if step != 1:
                ax.text(
                    left + step, height, format_money(height), ha="center", va="bottom", fontsize=7 if several else 9
                )
        ax.plot([left + 0.4, left + 1.4], [ead, ead], color="black", lw=0.7, ls=":")
        ax.plot([left + 1.4, left + 1.6], [loss, loss], color="black", lw=0.7, ls=":")
        if several:  # the recovery above its bar; loss / EAD under the group's name
            ax.text(left + 1, ead, f"-{format_money(recovery)}", ha="center", va="bottom", fontsize=7)
        else:
            share = f"\nloss / EAD\n{100 * loss / ead:.1f}%" if ead > 0 else ""
            middle = (ead + loss) / 2 if recovery > 0.2 * ead else ead
            text = f"-{format_money(recovery)}{share}"
            ax.text(left + 1, middle, text, ha="center", va="center" if middle < ead else "bottom", fontsize=9)
    if several:
        labels = []
        for label, row in entries:
            ead, _, loss = waterfall_values(row)
            labels.append(label + (f"\nloss / EAD {100 * loss / ead:.1f}%" if ead > 0 else ""))
        crowded = len(entries) > 4
        ax.set_xticks(
            [4 * group + 1 for group in range(len(entries))],
            labels,
            rotation=20 if crowded else 0,
            ha="right" if crowded else "center",
            fontsize=8,
        )
        ax.legend(fontsize=8)
    else:
        ax.set_xticks(range(3), names)
    ax.yaxis.set_major_formatter(lambda value, _: format_money(value))
    ax.set_ylabel("expected per path ($)")
    ax.set_ylim(bottom=0)
    ax.margins(y=0.12)
    ax.grid(alpha=0.3, axis="y")


def _waterfall_figure(plt, run, scenario_id, **_):
    entries = run.credit_rows(scenario_id)
    figure, ax = plt.subplots(figsize=(max(7.0, 1.6 * len(entries) + 3), 5), constrained_layout=True)
    waterfall(ax, entries)
    ax.set_title(
        "loss waterfall: EAD at default, recovery, loss (expected per path: PD x mean EAD, EAD - EL, EL)", fontsize=9
    )
    if run.portfolio:
        about = run.subject(0 if scenario_id is None else scenario_id) + ", each firm's whole debt"
    else:
        about = (
            "by scenario"
            if scenario_id is None and len(entries) > 1
            else run.subject(0 if scenario_id is None else scenario_id)
        )
    figure.suptitle(run.title(about), fontsize=11)
    return figure


# --- the tornado of a sensitivity analysis ------------------------------------------------------------


def load_sensitivity(directory, metric, check=True):
    """sensitivity.arrow of ``directory`` as rows (checked against its manifest), checked for ``metric``'s
    columns."""
    from .results.verify import checked_file

    directory = Path(directory)
    if not (directory / store.SENSITIVITY_FILE).exists() and not (directory / store.SENSITIVITY_FILE).is_symlink():
        raise PlotError(f"tornado: {directory / store.SENSITIVITY_FILE}: missing (gpu-stress sensitivity writes it)")
    path = checked_file(directory, store.SENSITIVITY_FILE, check)
    table = store.read_table(path)
    needed = ["parameter", "low_value", "high_value", *(f"{metric}_{end}" for end in ("base", "low", "high"))]
    missing = [name for name in needed if name not in table.column_names]
    if missing:
        raise PlotError(f"tornado: {path}: no column {missing[0]} (not a gpu-stress sensitivity table)")
    if table.num_rows == 0:
        raise PlotError(f"tornado: {path}: no parameter was bumped")
    return table.to_pylist()


def _number(value):
    return np.nan if value is None else float(value)


def _metric_text(metric, value, signed=False):
    if metric == "pd":
        return f"{100 * value:+.2f} pp" if signed else f"{100 * value:.2f}%"
    text = format_money(abs(value))
    return (("+" if value >= 0 else "-") + text) if signed else format_money(value)


def tornado(ax, rows, metric):
    """Each bumped parameter's effect on ``metric``: bars from the base to the metric at the low and the high
    value, the largest effect on top, error bars of 2 SE (of the paired differences), values labelled."""
    effects = []
    for row in rows:
        base = _number(row[f"{metric}_base"])
        low, high = _number(row[f"{metric}_low"]) - base, _number(row[f"{metric}_high"]) - base
        size = np.nanmax([abs(low), abs(high), 0.0])
        effects.append((size, row, low, high))
    effects.sort(key=lambda effect: -effect[0])
    bases = [_number(row[f"{metric}_base"]) for row in rows]
    base = float(np.nanmedian(bases))
    count = len(effects)
    explained = set()  # legend entries given
    for rank, (_, row, low, high) in enumerate(effects):
        y = count - 1 - rank
        same_side = low * high > 0  # both bumps move it the same way: half-height bars, low above
        for end, delta, color, name in (
            ("low", low, "tab:blue", "parameter at its low value"),
            ("high", high, "tab:orange", "parameter at its high value"),
        ):
            if np.isnan(delta) or (end == "high" and delta == 0 and low == 0):
                continue  # no effect either way: one label says so
            row_y = y + (0.16 if end == "low" else -0.16) * same_side
            label = None if name in explained else name
            explained.add(name)
            ax.barh(row_y, delta, left=base, height=0.32 if same_side else 0.6, color=color, alpha=0.85, label=label)
            se = _number(row.get(f"{metric}_{end}_se"))
            if np.isfinite(se) and se > 0:
                label = None if "se" in explained else "±2 SE"
                explained.add("se")
                ax.errorbar(
                    base + delta, row_y, xerr=2 * se, fmt="none", ecolor="black", elinewidth=0.9, capsize=3, label=label
                )
            value = _number(row[f"{metric}_{end}"])
            text = f"{_metric_text(metric, value)} ({_metric_text(metric, delta, signed=True)})"
            reach = abs(delta) + (2 * se if np.isfinite(se) else 0.0)
            ax.text(
                base + np.sign(delta or 1.0) * reach,
                row_y,
                f" {text} ",
                ha="left" if delta >= 0 else "right",
                va="center",
                fontsize=7,
            )
    labels = []
    for _, row, _, _ in effects:
        group = f" [{row['group']}]" if row.get("group") else ""
        low, high = (("-" if value is None else _label(value)) for value in (row["low_value"], row["high_value"]))
        labels.append(f"{row['parameter']}{group}\n{low} / {high}")
    ax.set_yticks(range(count), labels[::-1], fontsize=7)  # the largest effect (labels[0]) on top
    ax.axvline(base, color="black", lw=1, label=f"base: {_metric_text(metric, base)}")
    if metric == "pd":
        ax.xaxis.set_major_formatter(lambda value, _: f"{100 * value:.1f}%")
    else:
        ax.xaxis.set_major_formatter(lambda value, _: format_money(value))
    ax.margins(x=0.3)
    ax.set_xlabel(METRIC_LABELS[metric])
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=7, loc="lower right")


def _sensitivity_title(directory, subject, check=True):
    """The tornado's title: the firm (or preset), paths and horizon of the sensitivity's run.json, where it has one."""
    from .results.verify import checked_file

    path = checked_file(directory, store.RUN_FILE, check)  # a damaged record is an error, not a plainer title
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        record = None
    if not isinstance(record, dict):
        return subject
    table = record.get("table") if isinstance(record.get("table"), dict) else {}
    firm = (table.get("firm") or {}).get("name") or record.get("preset") or ""
    simulation = record.get("simulation") or {}
    about = []
    if isinstance(simulation.get("paths"), int):
        about.append(f"{simulation['paths']:,} paths")
    if isinstance(simulation.get("horizon_months"), int):
        about.append(f"{simulation['horizon_months']} months")
    if isinstance(record.get("bump"), int | float):
        about.append(f"bump {100 * record['bump']:g} %")
    return (f"{firm} - " if firm else "") + subject + (f" ({', '.join(about)})" if about else "")


def _tornado_figure(plt, directory, metric, check=True):
    rows = load_sensitivity(directory, metric, check)
    figure, ax = plt.subplots(figsize=(10, 1.6 + 0.55 * len(rows)), constrained_layout=True)
    tornado(ax, rows, metric)
    ax.set_title(
        f"sensitivity of {METRIC_LABELS[metric]}: each parameter at its low and high value (low / high)", fontsize=10
    )
    figure.suptitle(_sensitivity_title(directory, f"{len(rows)} parameters bumped", check), fontsize=11)
    return figure


# --- gpu-stress plot ----------------------------------------------------------------------------------


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
    bands = _bands_columns(run.results) if kind in ("fan", "all") else None
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
    "term-structure": _term_structure_figure,
    "swept": _swept_figure,
    "causes": _causes_figure,
    "waterfall": _waterfall_figure,
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
    from .results.verify import open_results

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
    plt = _pyplot()
    with plt.rc_context({"text.parse_math": False}):  # the $ of money amounts is text, not mathtext
        if kind == "tornado":
            figure = _tornado_figure(plt, directory, metric or "pd", check)
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


def _required_table(results, name):
    table = results.table(name)
    if table is None:
        raise PlotError(f"{results / store.named(name, results.format)}: missing")
    return table


def _bands_columns(results):
    """bands.arrow as a dict of numpy columns."""
    table = _required_table(results, store.BANDS_FILE)
    return {name: np.asarray(table[name].to_numpy(zero_copy_only=False)) for name in table.column_names}

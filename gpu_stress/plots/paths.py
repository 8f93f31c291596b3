"""Charts of how the paths go.

Fan charts, the loss distribution, PD heatmaps, the PD term structure, defaults by cause and month.
"""

import math

import numpy as np

from ..results.aggregates import WILSON_Z
from ..summary import format_money, format_share
from .common import (
    CAUSE_COLORS,
    CREDIT_CAUSE_NAMES,
    FAN_VARIABLES,
    PlotError,
    axis_label,
    month_ticks,
    percent_axis,
    series_colors,
)


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
    ax.set_xticks(range(len(x_values)), [axis_label(value) for value in x_values])
    ax.set_yticks(range(len(y_values)), [axis_label(value) for value in y_values])
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


def monthly_defaults(row):
    """{credit cause: credit defaults by month, month 1 first (numpy)} of an aggregates row; None in results
    without ``defaults_by_month_cause``."""
    by_month = row.get("defaults_by_month_cause")
    if not by_month:
        return None
    return {cause: np.asarray(counts, dtype=float) for cause, counts in by_month.items() if counts is not None}


def term_structure(ax, plt, entries, horizon, pd_label="PD", first_month=None):
    """Cumulative PD by month, one line per (label, row) of ``entries``; results without monthly counts: by year."""
    for (label, row), color in zip(entries, series_colors(plt, len(entries)), strict=True):
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
    month_ticks(ax, horizon, first_month)
    percent_axis(ax)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("month")
    ax.set_ylabel(f"cumulative {pd_label} (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=1 if len(entries) <= 12 else 2, title=f"{pd_label} by the horizon", title_fontsize=7)


def hazard_by_year(ax, plt, entries):
    """The annual hazard (``results.term_structure``: the PD of a firm alive at the start of each year), grouped
    bars by year, one colour per (label, row) of ``entries``."""
    from ..results.term_structure import term_structure as by_year

    width = 0.8 / max(len(entries), 1)
    for index, ((label, row), color) in enumerate(zip(entries, series_colors(plt, len(entries)), strict=True)):
        hazard = by_year(row.get("pd_by_year"))["hazard"]
        years = np.arange(1, len(hazard) + 1) - 0.4 + (index + 0.5) * width
        ax.bar(years, [100 * (h or 0.0) for h in hazard], width=width, color=color, label=label)
    ax.set_xticks(range(1, len(entries[0][1].get("pd_by_year") or []) + 1) if entries else [])
    percent_axis(ax)
    ax.set_xlabel("year")
    ax.set_ylabel("hazard: PD within the year of a firm alive at its start (%)")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7)


def term_structure_figure(plt, run, scenario_id, **_):
    entries = run.credit_rows(scenario_id)
    if len(entries) == 1 and not run.portfolio:  # one firm's scenario: its tranches beside it
        entries = entries + run.tranche_rows(entries[0][1]["scenario_id"])
    figure, (cumulative, hazard) = plt.subplots(1, 2, figsize=(14, 5.5), constrained_layout=True)
    term_structure(cumulative, plt, entries, run.horizon, "PD", run.first_month)
    hazard_by_year(hazard, plt, entries)
    about = (
        run.subject(0 if scenario_id is None else scenario_id) + ", by firm"
        if run.portfolio
        else ("by scenario" if scenario_id is None else run.subject(scenario_id))
    )
    cumulative.set_title("cumulative probability of default by month", fontsize=10)
    hazard.set_title("marginal default probability by year (hazard)", fontsize=10)
    figure.suptitle(run.title(about), fontsize=11)
    return figure


NO_MONTHLY_DEFAULTS = (
    "causes: these results have no defaults_by_month_cause (written by an older gpu-stress: run again)"
)


def causes_chart(ax, row, horizon, first_month=None):
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
    month_ticks(ax, months, first_month)
    percent_axis(ax)
    ax.set_xlabel("month")
    ax.set_ylabel(f"paths defaulting that {'year' if yearly else 'month'} (% of paths)")
    ax.grid(alpha=0.3, axis="y")


def causes_figure(plt, run, scenario_id, **_):
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
        causes_chart(ax, row, run.horizon, run.first_month)
        ax.set_title(
            f"{label}: {format_share(row['pd'])} PD" if run.portfolio else "credit defaults by month and cause",
            fontsize=10,
        )
    for ax in list(axes.flat)[count:]:
        ax.set_visible(False)
    about = run.subject(0 if scenario_id is None else scenario_id)
    figure.suptitle(run.title(about + (", by firm" if run.portfolio else "")), fontsize=11)
    return figure

"""Charts across scenarios: a metric against a swept value, the loss waterfall, the sensitivity tornado."""

import math
from pathlib import Path

import numpy as np

from ..results import store
from ..results.aggregates import HEADLINE_METRICS as METRICS
from ..results.aggregates import WILSON_Z, wilson_interval
from ..results.ownership import ResultsError
from ..results.record import AnalysisRecord
from ..summary import format_money, sweep_label
from .common import METRIC_LABELS, STRESS, PlotError, axis_label, metric_text, number_text, percent_axis, series_colors


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
    colors = series_colors(plt, len(groups))
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
                axis_label(value) if key == STRESS else f"{sweep_label(key)}={axis_label(value)}"
                for key, value in zip(others, group, strict=True)
            )
            label = label or None  # one line: no legend entry
            if np.isfinite(low).any():
                errors = np.clip(np.nan_to_num(np.vstack([y - low, high - y]) * scale, nan=0.0), 0.0, None)
                ax.errorbar(x, y * scale, yerr=errors, color=color, capsize=3, label=label, **style)
            else:
                ax.plot(x, y * scale, color=color, label=label, **style)
        if metric == "pd":
            percent_axis(ax)
        else:
            ax.yaxis.set_major_formatter(lambda value, _: format_money(value))
        ax.set_ylim(0, ax.get_ylim()[1] * 1.06)  # room above the highest bar
        if not numeric:
            ax.set_xticks(range(len(values)), [axis_label(value) for value in values], rotation=25, ha="right")
        elif len(values) <= 12:
            ax.set_xticks(values, [axis_label(value) for value in values])
        ax.set_xlabel(x_key)
        ax.set_title(METRIC_LABELS[metric] if metric != "pd" else run.pd_label, fontsize=10)
        ax.grid(alpha=0.3)
        title = about if about.startswith("no ") else f"bars: {about}"
        handles, labels = ax.get_legend_handles_labels()  # none for one line: the legend is its title
        ax.legend(handles, labels, fontsize=7, title=title, title_fontsize=7)


def swept_figure(plt, run, scenario_id, x_key=None, metric=None, **_):
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


def waterfall_figure(plt, run, scenario_id, **_):
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


def load_sensitivity(directory, metric, check=True):
    """sensitivity.arrow of ``directory`` as rows (checked against its manifest), checked for ``metric``'s
    columns."""
    from ..results.verify import checked_file

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


def tornado(ax, rows, metric):
    """Each bumped parameter's effect on ``metric``: bars from the base to the metric at the low and the high
    value, the largest effect on top, error bars of 2 SE (of the paired differences), values labelled."""
    effects = []
    for row in rows:
        base = number_text(row[f"{metric}_base"])
        low, high = number_text(row[f"{metric}_low"]) - base, number_text(row[f"{metric}_high"]) - base
        size = np.nanmax([abs(low), abs(high), 0.0])
        effects.append((size, row, low, high))
    effects.sort(key=lambda effect: -effect[0])
    bases = [number_text(row[f"{metric}_base"]) for row in rows]
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
            se = number_text(row.get(f"{metric}_{end}_se"))
            if np.isfinite(se) and se > 0:
                label = None if "se" in explained else "±2 SE"
                explained.add("se")
                ax.errorbar(
                    base + delta, row_y, xerr=2 * se, fmt="none", ecolor="black", elinewidth=0.9, capsize=3, label=label
                )
            value = number_text(row[f"{metric}_{end}"])
            text = f"{metric_text(metric, value)} ({metric_text(metric, delta, signed=True)})"
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
        low, high = (("-" if value is None else axis_label(value)) for value in (row["low_value"], row["high_value"]))
        labels.append(f"{row['parameter']}{group}\n{low} / {high}")
    ax.set_yticks(range(count), labels[::-1], fontsize=7)  # the largest effect (labels[0]) on top
    ax.axvline(base, color="black", lw=1, label=f"base: {metric_text(metric, base)}")
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
    from ..results.verify import checked_file

    path = checked_file(directory, store.RUN_FILE, check)  # a damaged record is an error, not a plainer title
    try:
        record = AnalysisRecord.read(path)
    except ResultsError:  # read unchecked (--no-verify) and not an analysis's: the plainer title
        return subject
    details, simulation = record.details, record.simulation
    table = details.get("table") if isinstance(details.get("table"), dict) else {}
    firm = (table.get("firm") or {}).get("name") or record.preset or ""
    about = []
    if isinstance(simulation.get("paths"), int):
        about.append(f"{simulation['paths']:,} paths")
    if isinstance(simulation.get("horizon_months"), int):
        about.append(f"{simulation['horizon_months']} months")
    if isinstance(details.get("bump"), int | float):
        about.append(f"bump {100 * details['bump']:g} %")
    return (f"{firm} - " if firm else "") + subject + (f" ({', '.join(about)})" if about else "")


def tornado_figure(plt, directory, metric, check=True):
    rows = load_sensitivity(directory, metric, check)
    figure, ax = plt.subplots(figsize=(10, 1.6 + 0.55 * len(rows)), constrained_layout=True)
    tornado(ax, rows, metric)
    ax.set_title(
        f"sensitivity of {METRIC_LABELS[metric]}: each parameter at its low and high value (low / high)", fontsize=10
    )
    figure.suptitle(_sensitivity_title(directory, f"{len(rows)} parameters bumped", check), fontsize=11)
    return figure

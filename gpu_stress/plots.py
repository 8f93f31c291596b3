"""``gpu-stress plot``: fan charts, the loss distribution, and PD heatmaps of sweeps.

Needs matplotlib (``pip install 'gpu-stress[plot]'``). Everything is drawn from
the results directory alone: bands.arrow for fan charts, the loss histogram
and PD columns of scenarios.arrow for the rest.
"""

from pathlib import Path

import numpy as np

from .errors import UserError
from .results import store
from .summary import format_money

FAN_VARIABLES = (
    ("price", "GPU rental price ($/GPU-hour)"),
    ("utilization", "utilization"),
    ("cash", "cash ($)"),
    ("ltv", "loan-to-value"),
)
KINDS = ("all", "fan", "loss", "heatmap")
FORMATS = (".png", ".svg", ".pdf")


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


def fan_chart(axes, bands, scenario_id):
    """One panel per variable: median, 25-75 % and 5-95 % bands by month."""
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
            ax.set_ylim(0, min(max(top * 1.1, 1.0), 3.0))
    axes[0].legend(fontsize=8, loc="upper right")


def loss_distribution(ax, row, pd_label="PD"):
    """Histogram of non-zero losses on a log axis (64 bars), with VaR and CVaR 99 %."""
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
    for name, style in (("loss_var_99", "-"), ("loss_cvar_99", "--")):
        if row[name] is not None and row[name] > 0:
            ax.axvline(row[name], color="black", ls=style, lw=1, label=f"{name[5:].replace('_', ' ').upper()} %")
    ax.set_xlabel("loss ($)")
    ax.set_ylabel("share of paths")
    ax.set_title(
        f"loss distribution: {pd_label} {100 * row['pd']:.1f}%, EL {format_money(row['expected_loss'])}, "
        f"{100 * zero_share:.1f}% of paths lose nothing",
        fontsize=10,
    )
    ax.xaxis.set_major_formatter(lambda value, _: format_money(value))
    ax.legend(fontsize=8)
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


def plot(directory, output, kind="all", scenario_id=0, x_key=None, y_key=None):
    """Draw ``kind`` (fan, loss, heatmap or all) from results ``directory`` into ``output`` (PNG)."""
    from .summary import load_scenarios

    output = Path(output)
    if output.suffix.lower() not in FORMATS:
        raise PlotError(f"output: {output}: unsupported file type (use {', '.join(FORMATS)})")
    record, table = load_scenarios(directory)
    scenarios = table.to_pydict()
    sweep_keys = record.get("sweep_keys", [])
    for key in sweep_keys:  # by their dotted keys, as the user names them (columns: SQL-safe names)
        scenarios.setdefault(key, scenarios.get(store.sweep_column(key)))
    portfolio = "firms" in record.get("table", {})
    if portfolio:  # the book's loss; its "PD" is that of at least one default
        scenarios["pd"] = scenarios["pd_any_default"]
    pd_label = "P(any default)" if portfolio else "PD"
    if scenario_id not in scenarios["scenario_id"]:
        raise PlotError(f"scenario: no scenario {scenario_id} (there are {len(scenarios['scenario_id'])})")
    row = {name: values[scenarios["scenario_id"].index(scenario_id)] for name, values in scenarios.items()}
    if kind == "heatmap" or (kind == "all" and len(sweep_keys) >= 2):
        x_key = x_key or (sweep_keys[0] if sweep_keys else None)
        y_key = y_key or (sweep_keys[1] if len(sweep_keys) > 1 else None)
        if x_key not in sweep_keys or y_key not in sweep_keys or x_key == y_key:
            raise PlotError(f"heatmap: needs two swept keys (this run swept: {', '.join(sweep_keys) or 'none'})")
    bands = _bands_columns(directory, record) if kind in ("fan", "all") else None
    has_bands = bands is not None and bool(np.any(bands["scenario_id"] == scenario_id))
    if kind == "fan" and not has_bands:
        raise PlotError("fan: this run tracked no paths for fan charts (simulation.band_paths = 0)")
    plt = _pyplot()
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
        fan_chart([figure.add_subplot(grid[current, column]) for column in range(4)], bands, scenario_id)
        current += 1
    if panels["loss"] or panels["heatmap"]:
        if panels["loss"] and panels["heatmap"]:
            loss_distribution(figure.add_subplot(grid[current, :2]), row, pd_label)
            pd_heatmap(figure.add_subplot(grid[current, 2:]), figure, scenarios, x_key, y_key)
        elif panels["loss"]:
            loss_distribution(figure.add_subplot(grid[current, :]), row, pd_label)
        else:
            pd_heatmap(figure.add_subplot(grid[current, :]), figure, scenarios, x_key, y_key)
    simulation = record["simulation"]
    swept = ", ".join(f"{key}={row[key]}" for key in sweep_keys)
    subject = f"scenario {scenario_id}{': ' + swept if swept else ''}" if kind != "heatmap" else "sweep"
    firm = "portfolio" if portfolio else record["table"].get("firm", {}).get("name", "")
    figure.suptitle(
        f"{firm} - {subject} ({simulation['paths']:,} paths, {simulation['horizon_months']} months)", fontsize=12
    )
    store.write_atomic(output, lambda target: figure.savefig(target, dpi=110, format=output.suffix[1:].lower()))
    plt.close(figure)
    return output


def _bands_columns(directory, record):
    """bands.arrow as a dict of numpy columns."""
    table = store.read_result(directory, store.BANDS_FILE, record)
    return {name: np.asarray(table[name].to_numpy(zero_copy_only=False)) for name in table.column_names}

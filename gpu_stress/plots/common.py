"""What every chart shares: the kinds, colours, labels and axes, and the results they are drawn from."""

import numpy as np

from ..errors import UserError
from ..kernels.layout import CAUSE_NAMES, CREDIT_CAUSES
from ..results import store
from ..results.dates import calendar_month, first_month_of
from ..summary import format_money, sweep_label

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
    "lease": "tab:olive",
}


CREDIT_CAUSE_NAMES = tuple(CAUSE_NAMES[cause] for cause in CREDIT_CAUSES)


STRESS = "stress"  # the scenarios column (and swept key) naming a scenario's stress, in runs with [[stress]]


class PlotError(UserError, ValueError):
    """A plot that cannot be drawn from these results; ``str()`` is one line."""


def load_pyplot():
    try:
        import matplotlib
    except ImportError:
        raise PlotError("plot: matplotlib is not installed (pip install 'gpu-stress[plot]')") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def axis_label(value):
    return f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


class Run:
    """A finished results directory: its record, its scenarios as rows (swept values also under their dotted
    keys; a portfolio's ``pd`` is its book's P(any default)) and, for a portfolio, its firms' rows."""

    def __init__(self, directory):
        from ..results.verify import open_results
        from ..summary import load_scenarios

        self.results = open_results(directory)
        self.directory = self.results.path
        self.record, table = load_scenarios(self.results)
        self.sweep_keys = list(self.record.sweep_keys)
        self.portfolio = self.record.is_portfolio
        columns = table.to_pydict()
        for key in self.sweep_keys:  # by their dotted keys, as the user names them (columns: SQL-safe names)
            columns.setdefault(key, columns.get(store.sweep_column(key)))
        if self.portfolio:  # the book's loss; its "PD" is that of at least one default
            columns["pd"] = columns["pd_any_default"]
        self.columns = columns
        self.rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
        self.ids = [row["scenario_id"] for row in self.rows]
        simulation = self.record.simulation
        self.horizon = int(simulation["horizon_months"])
        self.pd_label = "P(any default)" if self.portfolio else "PD"
        self.first_month = first_month_of(self.record.table)  # month 1's calendar month, for the axes
        self._firms = None

    def row(self, scenario_id):
        if scenario_id not in self.ids:
            raise PlotError(f"scenario: no scenario {scenario_id} (there are {len(self.ids)})")
        return self.rows[self.ids.index(scenario_id)]

    def label(self, row):
        """A scenario's name in a legend: its stress (a ``stress`` column) and swept values, else its number."""
        parts = [str(row["stress"])] if row.get("stress") else []
        parts += [f"{sweep_label(key)}={axis_label(row[key])}" for key in self.sweep_keys if key != STRESS]
        return ", ".join(parts) or f"scenario {row['scenario_id']}"

    def firms(self, scenario_id):
        """A portfolio's firm rows of one scenario (firms.arrow)."""
        if self._firms is None:
            self._firms = required_table(self.results, store.FIRMS_FILE).to_pylist()
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

    def tranche_rows(self, scenario_id):
        """[(label, row)] of one scenario's tranches (tranches.arrow; none for a portfolio or a firm without debt)."""
        table = None if self.portfolio else self.results.table(store.TRANCHES_FILE)
        rows = [] if table is None else table.to_pylist()
        return [(f"tranche {row['name']}", row) for row in rows if row["scenario_id"] == scenario_id]

    def title(self, subject):
        simulation = self.record.simulation
        firm = "portfolio" if self.portfolio else self.record.table.get("firm", {}).get("name", "")
        return f"{firm} - {subject} ({simulation['paths']:,} paths, {simulation['horizon_months']} months)"

    def subject(self, scenario_id):
        """The title's words for one scenario: its number and label."""
        label = self.label(self.row(scenario_id))
        return f"scenario {scenario_id}" + ("" if label == f"scenario {scenario_id}" else f": {label}")


def series_colors(plt, count):
    if count <= 10:
        return [f"C{index}" for index in range(count)]
    colormap = plt.get_cmap("viridis")
    return [colormap(index / max(count - 1, 1)) for index in range(count)]


def month_ticks(ax, horizon, first_month=None):
    """Ticks every year (every two beyond ten years); with ``first_month`` (month 1's "YYYY-MM") each shows its
    calendar month under the month."""
    step = 12 if horizon <= 120 else 24
    ticks = list(range(0, horizon + 1, step))
    ax.set_xticks(ticks)
    if first_month:
        ax.set_xticklabels([f"{month}\n{calendar_month(first_month, month)}" for month in ticks], fontsize=8)
    ax.set_xlim(0, horizon)


def percent_axis(ax, axis="y"):
    formatter = lambda value, _: f"{value:g}%"  # noqa: E731
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def number_text(value):
    return np.nan if value is None else float(value)


def metric_text(metric, value, signed=False):
    if metric == "pd":
        return f"{100 * value:+.2f} pp" if signed else f"{100 * value:.2f}%"
    text = format_money(abs(value))
    return (("+" if value >= 0 else "-") + text) if signed else format_money(value)


def required_table(results, name):
    table = results.table(name)
    if table is None:
        raise PlotError(f"{results / store.named(name, results.format)}: missing")
    return table


def bands_columns(results):
    """bands.arrow as a dict of numpy columns."""
    table = required_table(results, store.BANDS_FILE)
    return {name: np.asarray(table[name].to_numpy(zero_copy_only=False)) for name in table.column_names}

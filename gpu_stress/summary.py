"""Reading a results directory back and presenting its scenarios."""

import json
import math
from pathlib import Path

from rich.cells import cell_len

from .blocks import all_events
from .config.load import did_you_mean
from .kernels.layout import CAUSE_NAMES, CREDIT_CAUSES
from .results import fields, store
from .results.dates import calendar_month, year_span
from .results.store import ResultsError, sweep_column
from .results.term_structure import term_structures
from .results.verify import open_results

CAUSE_COLUMNS = tuple(f"defaults_{CAUSE_NAMES[cause]}" for cause in CREDIT_CAUSES)


def load_scenarios(directory):
    """(run record, scenarios table) of a finished results directory (a path, or an opened
    :class:`ResultsDirectory`: each file is checked against the manifest as it is read)."""
    results = open_results(directory)
    record, table = results.record, results.table(store.SCENARIOS_FILE)
    if table is None or "scenario_id" not in table.column_names or table.num_rows == 0:
        raise ResultsError(f"{Path(directory) / store.SCENARIOS_FILE}: not a gpu-stress scenarios table")
    return record, table


def load_tranches(directory):
    """The tranches table of a finished results directory (one row per scenario and tranche)."""
    results = open_results(directory)
    table = results.table(store.TRANCHES_FILE)
    if table is None:
        raise ResultsError(f"{results / store.named(store.TRANCHES_FILE, results.format)}: missing")
    return table


# (label, column) of the tranche table.
TRANCHE_DISPLAY = (
    ("tranche", "name"),
    ("pool", "pool"),
    ("rank", "rank"),
    ("PD", "pd"),
    ("PD 95% CI", "pd_ci"),
    ("maturity", "maturity_month"),
    ("PD to maturity", "pd_to_maturity"),
    ("EL", "expected_loss"),
    ("EL / commitment", "expected_loss_rate"),
    ("LGD", "mean_lgd"),
    ("VaR 99%", "loss_var_99"),
    ("CVaR 99%", "loss_cvar_99"),
)


def tranche_display_rows(rows, sweep_keys, scenarios):
    """(labels, rows of strings) of the per-tranche table; ``scenarios``: rows of the scenarios table."""
    swept = {row["scenario_id"]: row for row in scenarios}
    several_firms = any(row.get("firm") for row in rows)  # a portfolio's tranches: say whose
    display = ((("firm", "firm_name"),) if several_firms else ()) + TRANCHE_DISPLAY
    labels = ["scenario", *(sweep_label(key) for key in sweep_keys)]
    labels += [label for label, _ in display]
    cells = []
    for row in rows:
        line = [
            str(row["scenario_id"]),
            *(format_cell(key, swept_value(swept[row["scenario_id"]], key)) for key in sweep_keys),
        ]
        for _, column in display:
            if column == "pd_ci":
                line.append(format_pd_interval(row))
            elif column == "pool":
                line.append(row["pool"] or "unsecured")
            else:
                line.append(format_cell(column, row[column]))
        cells.append(line)
    return labels, cells


def scenario_rows(record, table, sort=None, descending=False, display=None):
    """Rows as dicts (without the per-scenario config), optionally sorted by a column.

    ``sort`` is a column name or a label the table shows (``PD``, ``CVaR 99%``, a swept key's,
    ``year 3``), in any case; ``display``: the (label, column) pairs of the table shown
    (default: the scenarios table's).
    """
    hidden = [name for name in table.column_names if name == "config" or name.startswith("loss_histogram")]
    rows = table.drop_columns(hidden).to_pylist()
    if sort is not None:
        shown = DISPLAY if display is None else display
        column, index = sort_column(sort, rows[0], record.sweep_keys, shown)

        def value(row):
            return row[column] if index is None else row[column][index]

        def missing(item):
            return item is None or (isinstance(item, float) and math.isnan(item))

        present = [row for row in rows if not missing(value(row))]
        present.sort(key=value, reverse=descending)
        rows = present + [row for row in rows if missing(value(row))]  # missing values last either way
    return rows


# The column that a cell showing several sorts by.
SORTED_BY = {"pd_ci": "pd_ci_low", "base_case": "base_case_default_month", "central_case": "central_case_default_month"}


def sort_column(name, row, sweep_keys, display):
    """(column, index into its list or None) that ``summarize --sort NAME`` sorts by.

    NAME is a label the table shows or a column name, in any case; anything else is a
    one-line :class:`ResultsError` listing the valid names.
    """
    labels = {"scenario": "scenario_id"}
    swept = {key: next((column for column in (sweep_column(key), key) if column in row), key) for key in sweep_keys}
    labels |= {sweep_label(key): column for key, column in swept.items()}
    labels |= {label: SORTED_BY.get(column, column) for label, column in display}
    labels = {label: column for label, column in labels.items() if column in row}
    years = len(row["pd_by_year"]) if isinstance(row.get("pd_by_year"), list) else 0
    year_labels = {f"year {year}": ("pd_by_year", year - 1) for year in range(1, years + 1)}
    choices = {label.lower(): (column, None) for label, column in labels.items()} | year_labels
    choices |= {column.lower(): (column, None) for column in row}
    choices |= {key.lower(): (column, None) for key, column in swept.items() if column in row}  # the dotted key
    wanted = name.strip().lower()
    if wanted in choices:
        return choices[wanted]
    shown = [*labels, *year_labels]
    hint = did_you_mean(name, [*shown, *row])
    raise ResultsError(
        f"sort: no column {name!r}{hint} (choose from the labels {', '.join(shown)}; or the columns {', '.join(row)})"
    )


def sweep_label(key):
    """The label of a swept key's column: its last two parts (``price.drift``)."""
    return ".".join(key.split(".")[-2:])


def table_layout(labels, cells, sweep_keys, width=None):
    """(the width of each column, the columns of each table): how a table is printed in ``width``
    characters (None: whole, however wide), no row ever wrapped.

    A table too wide is split into several, each repeating at its left the columns that name a
    row (the scenario, the swept values, and the firm and tranche where it has them). Where these
    leave no room even then, long labels wrap onto more lines, and then the swept values are
    shown once, in the first table (the scenario number names them in the others), and last a
    column too wide for the room beside them is narrowed to it, its label folded and its cells,
    if they are wider still, cut short with an ellipsis.
    """
    natural = column_widths(labels, cells)
    everything = [list(range(len(labels)))]
    if width is None or table_width(natural) <= width:
        return natural, everything
    swept = {sweep_label(key) for key in sweep_keys}
    keys = [0] if labels[0] == "scenario" else []
    while keys and len(keys) < len(labels) and labels[len(keys)] in swept | {"firm", "tranche"}:
        keys.append(len(keys))
    named = [index for index in keys if labels[index] not in swept]  # the scenario, firm and tranche
    widest = [max([1, *(cell_len(line[index]) for line in cells)]) for index in range(len(labels))]
    compact = [max(widest[index], *(cell_len(word) for word in label.split())) for index, label in enumerate(labels)]
    room = width - table_width([natural[index] for index in named]) - 3  # for one more column
    squeezed = [natural[i] if i in named else max(1, min(compact[i], room)) for i in range(len(labels))]
    tries = [(natural, keys), (compact, keys), (natural, named), (compact, named), (squeezed, named)]
    for widths, repeated in tries:
        blocks = _column_blocks(widths, repeated, width)
        if all(table_width([widths[index] for index in block]) <= width for block in blocks):
            break
    return widths, blocks  # the last try, if none fits: rich squeezes what is still too wide


def _column_blocks(widths, repeated, width):
    """Columns of each table: ``repeated`` at the left of each, then as many of the others, in order, as fit."""
    blocks, current = [], list(repeated)
    for index in range(len(widths)):
        if index in repeated:
            continue
        if len(current) > len(repeated) and table_width([widths[i] for i in [*current, index]]) > width:
            blocks.append(current)
            current = list(repeated)
        current.append(index)
    blocks.append(current)
    return blocks


def table_width(widths):
    """Characters a rich Table of columns of these widths takes: one space of padding on either
    side of each cell, one border between the columns and one at either edge (the default box)."""
    return sum(widths) + 3 * len(widths) + 1


def column_widths(labels, cells):
    """The width of each column: its widest cell or its label (no cell is wrapped)."""
    return [max([cell_len(label), *(cell_len(line[index]) for line in cells)]) for index, label in enumerate(labels)]


def swept_value(row, key):
    """The value of swept key ``key`` in a scenarios row (its column is ``sweep_column(key)``; the dotted key in
    results before 0.6)."""
    column = sweep_column(key)
    return row[column] if column in row else row[key]


def run_document(record):
    """The ``run`` part of the summary's JSON document: version, time, backend, device, simulation."""
    keys = ("gpu_stress_version", "created", "backend", "device", "simulation")
    return {"run": {name: getattr(record, name) for name in keys}}


def format_money(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"${value / size:,.2f}{unit}"
    return f"${value:,.0f}"


def format_pd_interval(row):
    """The 95 % interval of PD as one cell, e.g. 30.55-31.12%."""
    return f"{100 * row['pd_ci_low']:.2f}-{format_share(row['pd_ci_high'])}"


def format_share(value):
    return "-" if value is None else f"{100 * value:.2f}%"


# (label, column) of the default table; the PD interval is shown as one cell.
DISPLAY = (
    ("paths", "paths"),
    ("PD", "pd"),
    ("PD 95% CI", "pd_ci"),
    ("PD funded", "pd_funded"),
    ("EL", "expected_loss"),
    ("LGD", "mean_lgd"),
    ("VaR 99%", "loss_var_99"),
    ("CVaR 99%", "loss_cvar_99"),
    *((column.removeprefix("defaults_"), column) for column in CAUSE_COLUMNS),
    ("insolvent, no debt", "insolvent_no_debt"),
    ("terminal", "terminal_failures"),
    ("no shock", "base_case"),
    ("central case", "central_case"),
)


def display_rows(rows, sweep_keys, all_columns=False):
    """(labels, rows of strings) for the terminal table."""
    if all_columns:
        swept = {sweep_column(key) for key in sweep_keys} | set(sweep_keys)
        shown = [(name, name) for name in rows[0] if name != "scenario_id" and name not in swept]
    else:
        shown = list(DISPLAY)
    labels = ["scenario", *(sweep_label(key) for key in sweep_keys), *(label for label, _ in shown)]
    cells = []
    for row in rows:
        line = [str(row["scenario_id"]), *(format_cell(key, swept_value(row, key)) for key in sweep_keys)]
        for _, column in shown:
            if column == "pd_ci":
                line.append(format_pd_interval(row))
            elif column in ("base_case", "central_case"):
                line.append(format_case(row, column))
            else:
                line.append(format_cell(column, row.get(column)))  # results of older versions lack some
        cells.append(line)
    return labels, cells


def format_peak_month(by_month):
    """A defaults_by_month_cause cell: the month with most credit defaults and how many ("-": none)."""
    lists = [counts for counts in by_month.values() if counts]
    totals = [sum(month) for month in zip(*lists, strict=True)] if lists else []
    if not totals or max(totals) == 0:
        return "-"
    peak = max(range(len(totals)), key=totals.__getitem__)
    return f"most in month {peak + 1}: {totals[peak]:,}"


def format_case(row, case="base_case"):
    """A deterministic path's outcome (``case``: base_case, the no-shock case, or central_case): "survives" or
    "month 27: liquidity" ("-" in results without it)."""
    if f"{case}_final_cash" not in row:
        return "-"
    if row[f"{case}_default_month"] is None:
        return "survives"
    return f"month {row[f'{case}_default_month']}: {row[f'{case}_default_cause']}"


TERM_MEASURES = (("cumulative PD", "cumulative_pd"), ("marginal PD", "marginal_pd"), ("hazard", "hazard"))


def pd_by_year_rows(rows, sweep_keys, all_columns=False, tranche_rows=(), first_month=None, horizon=None):
    """(labels, rows of strings): the term structure by year (cumulative and marginal PD, the hazard) of each
    scenario's firm and tranches, three rows each; with ``first_month`` each year's label has its months."""
    years = len(rows[0]["pd_by_year"])
    labels = ["scenario", *(sweep_label(key) for key in sweep_keys), "of", "measure"]
    for year in range(1, years + 1):
        span = year_span(first_month, year, horizon) if horizon else None
        labels.append(f"year {year}" + (f" ({span[0]} to {span[1]})" if span else ""))
    swept = {row["scenario_id"]: row for row in rows}
    cells = []
    for entry in term_structures(rows, tranche_rows):
        row = swept[entry["scenario_id"]]
        named = [str(row["scenario_id"]), *(format_cell(key, swept_value(row, key)) for key in sweep_keys)]
        for label, measure in TERM_MEASURES:
            cells.append([*named, entry["of"], label, *(format_share(value) for value in entry[measure])])
    return labels, cells


def format_cell(column, value):
    """A value for the terminal, formatted by its column's unit (the ``unit`` in its field metadata)."""
    found = fields.lookup(column)
    unit = found[0] if found else None
    if isinstance(value, list):
        return " ".join(format_cell(column, item) for item in value)
    if isinstance(value, dict) and all(isinstance(item, list) for item in value.values()):
        return format_peak_month(value)  # defaults_by_month_cause: its busiest month
    if isinstance(value, dict):  # funding_defaults: the causes that have some
        return ", ".join(f"{name} {format_cell(column, item)}" for name, item in value.items() if item) or "-"
    if unit == "share":
        return format_share(value)
    if unit == "USD":
        return format_money(value)
    if isinstance(value, int) and not isinstance(value, bool) and unit in ("count", "GPU"):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# --- portfolio runs ---------------------------------------------------------------------------------


def load_portfolio(directory):
    """(record, book rows, firm rows, exposure rows) of a finished portfolio run."""
    record, table = load_scenarios(directory)
    if not record.is_portfolio:
        raise ResultsError(f"{directory}: not a portfolio run (its configuration lists no [[firms]])")
    results = open_results(directory)
    firms, exposures = (_required(results, name).to_pylist() for name in (store.FIRMS_FILE, store.EXPOSURES_FILE))
    return record, scenario_rows(record, table), firms, exposures


def _required(results, name):
    table = results.table(name)
    if table is None:
        raise ResultsError(f"{results / store.named(name, results.format)}: missing")
    return table


# (label, column) of the tables of a portfolio run.
FIRM_DISPLAY = (
    ("firm", "name"),
    ("PD", "pd"),
    ("PD 95% CI", "pd_ci"),
    ("EL", "expected_loss"),
    ("CVaR 99%", "loss_cvar_99"),
    ("held", "book_amount"),
    ("book EL", "book_expected_loss"),
    ("CVaR 99% contribution", "book_cvar_contribution_99"),
)
BOOK_DISPLAY = (
    ("exposure", "exposure"),
    ("EL", "expected_loss"),
    ("EL SE", "expected_loss_se"),
    ("EL / exposure", "expected_loss_rate"),
    ("VaR 95%", "loss_var_95"),
    ("VaR 99%", "loss_var_99"),
    ("VaR 99.9%", "loss_var_999"),
    ("CVaR 99%", "loss_cvar_99"),
    ("CVaR 99% SE", "loss_cvar_99_se"),
    ("CVaR 99.9%", "loss_cvar_999"),
    ("expected defaults", "expected_defaults"),
    ("P(any default)", "pd_any_default"),
    ("lowest resale index (mean)", "mean_min_resale_index"),
)
EXPOSURE_DISPLAY = (
    ("firm", "firm_name"),
    ("tranche", "tranche_name"),
    ("amount", "amount"),
    ("EL", "expected_loss"),
    ("CVaR 95% contribution", "cvar_contribution_95"),
    ("CVaR 99% contribution", "cvar_contribution_99"),
    ("CVaR 99.9% contribution", "cvar_contribution_999"),
)


def _portfolio_cell(column, row):
    if column == "pd_ci":
        return format_pd_interval(row)
    value = row[column]
    if column == "tranche_name":
        return value or "all debt"
    if column in ("exposure", "amount", "book_amount") or "contribution" in column or column.startswith("book_"):
        return format_money(value)
    if column in ("pd_any_default",):
        return format_share(value)
    if column in ("expected_defaults", "mean_min_resale_index"):
        return "-" if value is None else f"{value:.3f}"
    return format_cell(column, value)


def portfolio_tables(book_rows, firm_rows, exposure_rows, sweep_keys, detail=False):
    """[(title, labels, rows of strings)] of a portfolio run: the book, its firms, and with ``detail``
    its exposures (Euler contributions), the distribution of the number of defaults and default correlations."""
    swept = {row["scenario_id"]: row for row in book_rows}

    def table(title, display, rows):
        labels = ["scenario", *(sweep_label(key) for key in sweep_keys), *(label for label, _ in display)]
        cells = [
            [
                str(row["scenario_id"]),
                *(format_cell(key, swept_value(swept[row["scenario_id"]], key)) for key in sweep_keys),
            ]
            + [_portfolio_cell(column, row) for _, column in display]
            for row in rows
        ]
        return title, labels, cells

    tables = [table("the lender's book", BOOK_DISPLAY, book_rows), table("firms", FIRM_DISPLAY, firm_rows)]
    if not detail:
        return tables
    tables.append(table("exposures: Euler contributions to CVaR", EXPOSURE_DISPLAY, exposure_rows))
    firms = max(len(row["default_count_distribution"]) for row in book_rows) - 1
    labels = ["scenario", *(f"{k} default{'s' if k != 1 else ''}" for k in range(firms + 1))]
    cells = [
        [str(row["scenario_id"]), *(format_share(share) for share in row["default_count_distribution"])]
        for row in book_rows
    ]
    tables.append(("number of firms in default", labels, cells))
    names = [row["name"] for row in firm_rows if row["scenario_id"] == firm_rows[0]["scenario_id"]]
    labels = ["scenario", "firm", *names]
    cells = [
        [str(row["scenario_id"]), row["name"], *("-" if c is None else f"{c:.3f}" for c in row["default_correlation"])]
        for row in firm_rows
    ]
    tables.append(("default correlations", labels, cells))
    return tables


# --- what drives PD: the step of the month that failed ---------------------------------------------------

# Each credit cause by the step of the firm's month that failed: a balloon lenders would not roll
# (refinancing), cash short of the service due (liquidity), a covenant test (an LTV or DSCR breach), a
# ring-fenced pool that could not serve its own debt (pool), cash short of the rent (lease). A default in or
# after the month a facility failed to close is funding's, whatever its cause (``funding_defaults``).
DRIVER_STEPS = {
    "refinancing": ("refinancing",),
    "liquidity": ("liquidity",),
    "covenant": ("ltv", "dscr"),
    "pool": ("pool",),
    "lease": ("lease",),
}


def default_drivers(rows):
    """Per row (a scenario, or a portfolio's firm) with credit defaults: their shares by the step that failed
    (``DRIVER_STEPS``), largest first, and a one-line note. Each is a dict: scenario_id (stress, firm,
    firm_name where the row has them), defaults, pd, shares ({step: share of the row's credit defaults}), note.
    """
    drivers = []
    for row in rows:
        defaults = row.get("defaults") or 0
        if not defaults:
            continue
        after_funding = row.get("funding_defaults") or {}
        counts = {
            step: sum((row.get(f"defaults_{cause}") or 0) - after_funding.get(cause, 0) for cause in causes)
            for step, causes in DRIVER_STEPS.items()
        }
        counts["funding"] = sum(after_funding.values())
        shares = {step: count / defaults for step, count in sorted(counts.items(), key=lambda item: -item[1]) if count}
        driver = {"scenario_id": row["scenario_id"]}
        if row.get("stress"):
            driver["stress"] = row["stress"]
        if "firm" in row:
            driver |= {"firm": row["firm"], "firm_name": row.get("name")}
        driver |= {"defaults": defaults, "pd": row.get("pd"), "shares": shares}
        driver["note"] = driver_note(driver)
        drivers.append(driver)
    return drivers


def driver_note(driver):
    """One line: 'scenario 0: PD 30.94 %, defaults by the step that failed: liquidity 66 %, refinancing 34 %'."""
    who = f"scenario {driver['scenario_id']}" + (f" ({driver['stress']})" if driver.get("stress") else "")
    if driver.get("firm_name"):
        who += f", {driver['firm_name']}"
    pd = f"PD {100 * driver['pd']:.2f} %, " if driver.get("pd") is not None else ""
    steps = ", ".join(f"{step} {100 * share:.0f} %" for step, share in driver["shares"].items())
    return f"{who}: {pd}defaults by the step that failed: {steps}"


# --- clusters of defaults in one month ------------------------------------------------------------------

CLUSTER_SHARE = 0.25  # a month with at least this share of a scenario's credit defaults is named ...
CLUSTER_MIN_DEFAULTS = 20  # ... if it holds at least this many of them


def default_clusters(rows, configs=None, share=CLUSTER_SHARE, minimum=CLUSTER_MIN_DEFAULTS, first_month=None):
    """The months holding at least ``share`` of a row's credit defaults (and ``minimum`` of them), largest first.

    ``rows``: scenario (or a portfolio's firm) rows with ``defaults_by_month_cause``; ``configs``:
    {scenario_id or (scenario_id, firm): its config (dict)}, to say what the month is in it. Each cluster is
    a dict: scenario_id (stress, firm, firm_name where the row has them), month, date (its calendar month with
    ``first_month``, the calendar month of month 1; else None), defaults (that month), share (of the row's
    credit defaults), cause (that month's most frequent) and cause_share, events (what the config has happen
    then) and note (one line).
    """
    configs = configs or {}
    clusters = []
    for row in rows:
        by_month = row.get("defaults_by_month_cause")
        if not by_month:
            continue  # results written before gpu-stress recorded defaults by month
        causes = [cause for cause, counts in by_month.items() if counts is not None]
        defaults = sum(sum(by_month[cause]) for cause in causes)
        if defaults < minimum or not causes:
            continue
        horizon = len(by_month[causes[0]])
        key = (row["scenario_id"], row["firm"]) if "firm" in row else row["scenario_id"]
        found = []
        for month in range(1, horizon + 1):
            counts = {cause: by_month[cause][month - 1] for cause in causes}
            total = sum(counts.values())
            if total < minimum or total < share * defaults:
                continue
            cause = max(counts, key=counts.get)
            cluster = {"scenario_id": row["scenario_id"]}
            if row.get("stress"):
                cluster["stress"] = row["stress"]
            if "firm" in row:
                cluster |= {"firm": row["firm"], "firm_name": row.get("name")}
            cluster |= {"month": month, "date": calendar_month(first_month, month)}
            cluster |= {"defaults": total, "share": total / defaults, "cause": cause}
            cluster["cause_share"] = counts[cause] / total
            cluster["events"] = month_events(configs.get(key), month, cause, horizon)
            cluster["note"] = cluster_note(cluster)
            found.append(cluster)
        clusters += sorted(found, key=lambda cluster: -cluster["share"])
    return clusters


def cluster_note(cluster):
    """One line: 'scenario 0: 39.7 % of defaults in month 60 (refinancing, 82 % of them): tranche ... matures then'."""
    who = f"scenario {cluster['scenario_id']}" + (f" ({cluster['stress']})" if cluster.get("stress") else "")
    if cluster.get("firm_name"):
        who += f", {cluster['firm_name']}"
    share = cluster["cause_share"]
    cause = cluster["cause"] if share > 0.999 else f"{cluster['cause']}, {100 * share:.0f} % of them"
    when = f"month {cluster['month']}" + (f" [{cluster['date']}]" if cluster.get("date") else "")
    text = f"{who}: {100 * cluster['share']:.1f} % of defaults in {when} ({cause})"
    return text + (": " + "; ".join(cluster["events"]) if cluster["events"] else "")


def month_events(config, month, cause=None, horizon=None):
    """What ``config`` (a scenario's or firm's validated config, as a dict) has happen in ``month``, as phrases:
    every block's dated events (``blocks.all_events``: tranche maturities first, what a refinancing or
    liquidity default at a balloon points at), then the first and last month."""
    config = config or {}
    events = [phrase for _, phrases in all_events() for phrase in phrases(config, month, cause)]
    if month == 1:
        events.append("the first month")
    if horizon is not None and month == horizon:
        events.append("the last month of the horizon")
    return events


def scenario_configs(table):
    """{scenario_id: its config (dict)} of a scenarios table (none without a config column)."""
    if "config" not in table.column_names:
        return {}
    ids, configs = table["scenario_id"].to_pylist(), table["config"].to_pylist()
    return {scenario: config_cell(config) for scenario, config in zip(ids, configs, strict=True) if config}


def firm_configs(firm_rows):
    """{(scenario_id, firm): its config (dict)} of a portfolio's firm rows."""
    return {(row["scenario_id"], row["firm"]): config_cell(row["config"]) for row in firm_rows if row.get("config")}


def config_cell(text):
    """A scenario's (or firm's) ``config`` column as a dict; text that is not a JSON object is one line."""
    try:
        config = json.loads(text)
    except ValueError:
        config = None
    if not isinstance(config, dict):
        raise ResultsError(f"config column: {str(text)[:40]!r} is not a scenario's configuration (JSON)")
    return config

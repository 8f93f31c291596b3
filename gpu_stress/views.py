"""The views ``gpu-stress summarize`` shows, as data: the CLI renders them, the API returns them.

A :class:`View` holds the tables (title, column labels, rows of display cells), the notes on
months that hold many of a scenario's defaults, and the JSON document ``--json`` prints. One
function builds each form of the summary: scenarios (the default), PD by year, tranches, and a
portfolio's book.

Example::

    view = gpu_stress.summary_view("results/coreweave", by_tranche=True)
    title, labels, rows = view.tables[0]
"""

from dataclasses import dataclass, field

from .errors import UserError
from .results.dates import first_month_of
from .results.store import without_nan
from .results.term_structure import term_structures
from .results.verify import open_results
from .summary import (
    TRANCHE_DISPLAY,
    default_clusters,
    default_drivers,
    display_rows,
    firm_configs,
    load_portfolio,
    load_scenarios,
    load_tranches,
    pd_by_year_rows,
    portfolio_tables,
    run_document,
    scenario_configs,
    scenario_rows,
    tranche_display_rows,
)


class ViewError(UserError, ValueError):
    """A view that does not exist for these results (``--by-tranche`` of a portfolio's book, say)."""


@dataclass(frozen=True)
class View:
    """A summary as data.

    Attributes:
      tables: [(title, column labels, rows of display strings)], in the order shown.
      sweep_keys: the run's swept keys (the columns that name a row, with the scenario's).
      clusters: [{"note": one line, ...}]: months holding a large share of a scenario's (or firm's) defaults.
      document: what ``--json`` prints (a dict; no NaN: null instead).
      drivers: [{"note": one line, "shares": {step: share}, ...}]: each scenario's (or firm's) defaults by the
        step of the month that failed (refinancing, liquidity, covenant, pool).
    """

    tables: list
    sweep_keys: list
    clusters: list = field(default_factory=list)
    document: dict = field(default_factory=dict)
    drivers: list = field(default_factory=list)


def summary_view(
    directory,
    *,
    by_year=False,
    by_tranche=False,
    portfolio=False,
    sort_by=None,
    descending=False,
    all_columns=False,
    verify=True,
):
    """The summary of a results directory (a path, or an opened ``ResultsDirectory``) as a :class:`View`.

    ``by_year``: the term structure by year (cumulative and marginal PD, hazard) of the firm and each tranche;
    ``by_tranche``: each debt tranche's PD, EL, LGD and tails;
    ``portfolio``: a portfolio run's book in full (the default view of a portfolio run);
    ``sort_by``/``descending``: the rows' order; ``all_columns``: every column, not the headline ones.
    """
    directory = open_results(directory, check=verify)
    record, table = load_scenarios(directory)
    if portfolio or (record.is_portfolio and not by_tranche):
        unsupported = [name for name, given in (("--by-tranche", by_tranche), ("--by-year", by_year)) if given]
        unsupported += [name for name, given in (("--all-columns", all_columns), ("--sort", sort_by)) if given]
        if unsupported and record.is_portfolio:
            raise ViewError(f"{unsupported[0]}: not for a portfolio's book (firms.arrow has every firm's columns)")
        return portfolio_view(directory, detail=portfolio)
    sweep_keys = record.sweep_keys
    title = _title(record)
    if by_tranche:
        rows = scenario_rows(record, table)  # each tranche's swept values
        shown = (("firm", "firm_name"), *TRANCHE_DISPLAY)
        tranches = scenario_rows(record, load_tranches(directory), sort_by, descending, shown)
        labels, cells = tranche_display_rows(tranches, sweep_keys, rows)
        document = run_document(record) | {"tranches": tranches}
        return View([(title, labels, cells)], sweep_keys, [], without_nan(document))
    rows = scenario_rows(record, table, sort_by, descending)
    first_month = first_month_of(record.table)
    clusters = default_clusters(rows, scenario_configs(table), first_month=first_month)
    tranches = scenario_rows(record, load_tranches(directory))
    horizon = record.simulation["horizon_months"]
    if by_year:
        labels, cells = pd_by_year_rows(rows, sweep_keys, all_columns, tranches, first_month, horizon)
    else:
        labels, cells = display_rows(rows, sweep_keys, all_columns)
    document = scenarios_document(record, rows, clusters, tranches)
    return View([(title, labels, cells)], sweep_keys, clusters, document, document["drivers"])


def portfolio_view(directory, detail=False):
    """A portfolio run's book, its firms and (``detail``) its exposures, as a :class:`View`."""
    record, book_rows, firm_rows, exposure_rows = load_portfolio(directory)
    clusters = default_clusters(firm_rows, firm_configs(firm_rows), first_month=first_month_of(record.table))
    simulation = record.simulation
    about = f"{simulation['paths']:,} paths x {simulation['horizon_months']} months, seed {simulation['seed']}"
    sweep_keys = record.sweep_keys
    tables = [
        (f"{title} ({about}, {record.backend} {simulation['precision']})", labels, cells)
        for title, labels, cells in portfolio_tables(book_rows, firm_rows, exposure_rows, sweep_keys, detail)
    ]
    document = portfolio_document(record, book_rows, firm_rows, exposure_rows, clusters)
    return View(tables, sweep_keys, clusters, document, document["drivers"])


def scenarios_document(record, rows, clusters, tranches=()):
    """The JSON document of a single-firm run's summary: the run, its scenario rows, its default clusters, and the
    term structure by year of each scenario's firm and tranches (``results.term_structure``)."""
    document = {"scenarios": rows, "drivers": default_drivers(rows), "clusters": clusters}
    first_month, horizon = first_month_of(record.table), record.simulation["horizon_months"]
    structure = term_structures(rows, tranches, first_month, horizon)
    return without_nan(run_document(record) | document | {"term_structure": structure})


def portfolio_document(record, book_rows, firm_rows, exposure_rows, clusters):
    """The JSON document of a portfolio run's summary: the run, its book, firms, exposures and clusters."""
    document = run_document(record) | {"portfolio": book_rows, "firms": firm_rows, "exposures": exposure_rows}
    return without_nan(document | {"drivers": default_drivers(firm_rows), "clusters": clusters})


def _title(record):
    simulation = record.simulation
    return (
        f"{simulation['paths']:,} paths x {simulation['horizon_months']} months, seed {simulation['seed']}, "
        f"{record.backend} {simulation['precision']}"
    )

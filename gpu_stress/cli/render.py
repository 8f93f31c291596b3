"""Rendering: tables (rich, or CSV), notes, statements and progress.

No arithmetic on results here: the views (``gpu_stress.views``, ``trace``) compute, this draws.
"""

import csv
import io
import json

import click
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ..blocks.run import CASES
from ..summary import (
    table_layout,
    table_width,
)
from .main import BadInput


class run_progress:
    """A progress bar on stderr when it is a terminal, as a ``progress(done, total)`` callback."""

    def __init__(self, console):
        self.bar = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self.task = None

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def __call__(self, done, total):
        if self.task is None:
            self.task = self.bar.add_task("paths", total=total)
        self.bar.update(self.task, completed=done)


def print_summary(
    directory,
    as_json,
    sort_by=None,
    descending=False,
    all_columns=False,
    by_year=False,
    by_tranche=False,
    portfolio=False,
    *,
    output_format=None,
    width=None,
):
    """Print a results directory's summary (``views.summary_view``) as tables, CSV or JSON.

    ``output_format``: "table", "csv" or "json" (default: "json" if ``as_json``, else "table").
    """
    from ..views import ViewError, summary_view

    output_format = output_format or ("json" if as_json else "table")
    options = {"by_year": by_year, "by_tranche": by_tranche, "portfolio": portfolio}
    options |= {"sort_by": sort_by, "descending": descending, "all_columns": all_columns}
    try:
        view = summary_view(directory, **options)  # opened by the caller (checked unless --no-verify), or a path
    except ViewError as error:
        raise BadInput(str(error)) from None
    if output_format == "json":
        click.echo(json.dumps(view.document, indent=2))
        return
    print_tables(view.tables, view.sweep_keys, output_format, width)
    if output_format == "table":
        print_clusters(view.drivers, width, "drivers")
        print_clusters(view.clusters, width)


def print_clusters(clusters, width=None, label="note"):
    """After a table: a ``label`` line per item (a month holding a large share of a scenario's or firm's credit
    defaults, or a scenario's drivers), wrapped (as the tables fit) on a terminal or to ``width``."""
    import textwrap

    terminal = Console()
    if width is None and terminal.is_terminal:
        width = terminal.width
    for cluster in clusters:
        note = f"{label}: {cluster['note']}"
        click.echo(textwrap.fill(note, width, subsequent_indent="  ", break_on_hyphens=False) if width else note)


def print_tables(tables, sweep_keys, output_format="table", width=None):
    """Print [(title, labels, rows of strings)] as tables (rich) or CSV.

    No row is ever wrapped. On a terminal, or with ``width``, a table wider than the terminal
    (or ``width``) is split into several that fit, each repeating the columns that name a row
    (scenario, swept values, firm, tranche) at its left (``summary.table_layout``); a pipe gets
    each table whole, however wide.
    """
    if output_format == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        for number, (_, labels, cells) in enumerate(tables):
            if number:
                text.write("\n")
            writer.writerow(labels)
            writer.writerows(cells)
        click.echo(text.getvalue(), nl=False)
        return
    terminal = Console()
    if width is None and terminal.is_terminal:
        width = terminal.width
    for title, labels, cells in tables:
        widths, blocks = table_layout(labels, cells, sweep_keys, width)
        console = Console(width=width or max(terminal.width, table_width(widths)))
        for number, columns in enumerate(blocks):
            part = f" ({number + 1}/{len(blocks)})" if len(blocks) > 1 else ""
            output = Table(title=title + part)
            for index in columns:
                label = labels[index]
                header = label if cell_len(label) <= widths[index] else Text(label, overflow="fold")  # it wraps
                output.add_column(header, justify="right", width=widths[index], no_wrap=True)  # a cell never does
            for line in cells:
                output.add_row(*(line[index] for index in columns))
            console.print(output)


def print_statement(result):
    from ..summary import format_money

    table = Table(title=f"scenario {result.scenario_id}, path {result.path_id} ({result.backend}); $ per month")
    statement = result.statement.to_pydict()
    labels = ["month", "price", "util", "rate", "regime", "GPUs", "contracted", "spot", "power", "opex", "EBITDA"]
    labels += ["interest", "principal", "cash", "debt", "fleet value", "LTV", "DSCR", "breaches", "event"]
    for label in labels:
        table.add_column(label, justify="right", no_wrap=True)
    for row, (interest, principal) in enumerate(result.debt_service()):
        table.add_row(
            str(statement["month"][row]),
            f"{statement['price'][row]:.3f}",
            f"{statement['utilization'][row]:.3f}",
            f"{statement['rate'][row]:.4f}",
            "glut" if statement["regime"][row] else "shortage",
            f"{statement['gpus'][row]:,.0f}",
            *(format_money(statement[name][row]) for name in ("revenue_contracted", "revenue_spot", "power", "opex")),
            format_money(statement["ebitda"][row]),
            format_money(interest),
            format_money(principal),
            format_money(statement["cash"][row]),
            format_money(statement["debt"][row]),
            format_money(statement["fleet_value"][row]),
            f"{statement['ltv'][row]:.3f}",
            f"{statement['dscr'][row]:.3f}",
            str(statement["breaches"][row]),
            statement["event"][row] or "",
        )
    Console(width=max(Console().width, 250)).print(table)
    outputs = result.outputs
    if outputs["default_month"] is None:
        click.echo(f"ran to the horizon: equity value {format_money(outputs['equity_value'])}")
    else:
        click.echo(
            f"ended in month {outputs['default_month']}: {outputs['default_cause']}, "
            f"EAD {format_money(outputs['ead'])}, loss {format_money(outputs['loss'])}"
        )
    for outcome in result.tranche_outcomes:
        if outcome["default_month"] is not None:
            click.echo(
                f"  {outcome['name']}: in default from month {outcome['default_month']}, EAD "
                f"{format_money(outcome['ead'])}, recovered {format_money(outcome['recovery'])}, "
                f"loss {format_money(outcome['loss'])}"
            )
    if result.matches_stored_row is not None:
        verdict = "yes, bit for bit" if result.matches_stored_row else "NO"
        stored = "row" if result.case is None else CASES[result.case]
        click.echo(f"matches the stored {stored}: {verdict}")


def print_worst(table, as_json):
    from ..summary import format_money

    if as_json:
        import json

        click.echo(json.dumps(table.to_pylist(), indent=2))
        return
    output = Table(title="largest losses")
    for label in ("scenario", "path", "loss", "EAD", "month", "cause"):
        output.add_column(label, justify="right", no_wrap=True)
    for row in table.to_pylist():
        output.add_row(
            str(row["scenario_id"]),
            str(row["path_id"]),
            format_money(row["loss"]),
            format_money(row["ead"]),
            str(row["default_month"] or "-"),
            row["default_cause"] or "-",
        )
    Console(width=max(Console().width, 120)).print(output)


def print_plain_table(title, labels, cells):
    """One rich table, never wrapped: as wide as it needs (or the terminal, if wider)."""
    from ..summary import column_widths, table_width

    output = Table(title=title)
    for label in labels:
        output.add_column(label, justify="right", no_wrap=True)
    for line in cells:
        output.add_row(*line)
    Console(width=max(Console().width, table_width(column_widths(labels, cells)))).print(output)

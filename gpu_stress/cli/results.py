"""Commands that read a results directory: summarize, plot, trace, verify, export."""

import json
import sys
from pathlib import Path

import click

from ..backends import BACKENDS
from ..plots import KINDS
from ..results.aggregates import HEADLINE_METRICS as METRICS
from .main import DAMAGED, BadInput, main, no_verify_option, opened
from .render import print_statement, print_summary, print_worst

SUMMARY_FORMATS = ("table", "csv", "json")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(SUMMARY_FORMATS, case_sensitive=False),
    help="table (the default); csv: the rows shown, the labels as header (a portfolio's tables one after "
    "another, a blank line between); json: every column (as --json).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table (as --format json).")
@click.option(
    "--width",
    type=click.IntRange(min=20),
    metavar="N",
    help="Fit each table in N characters, its columns split over several tables that repeat the scenario and "
    "swept values (default: the terminal's width; a pipe gets each table whole).",
)
@click.option(
    "--sort",
    "sort_by",
    metavar="COLUMN",
    help="Sort by a column: a label shown (PD, EL, 'CVaR 99%', 'year 3') or a column name, in any case.",
)
@click.option("--descending", is_flag=True, help="Sort from the largest value.")
@click.option("--all-columns", is_flag=True, help="Show every aggregate, not just the headline.")
@click.option("--by-year", is_flag=True, help="Show cumulative PD by year instead.")
@click.option("--by-tranche", is_flag=True, help="Show PD, EL, LGD, VaR and CVaR of each debt tranche instead.")
@click.option(
    "--portfolio",
    "portfolio",
    is_flag=True,
    help="A portfolio run's book in full: exposures' CVaR contributions, defaults, correlations.",
)
@no_verify_option
def summarize(
    directory,
    output_format,
    as_json,
    width,
    sort_by,
    descending,
    all_columns,
    by_year,
    by_tranche,
    portfolio,
    no_verify,
):
    """Summarize a results directory: PD, expected loss, loss tails, causes.

    On a terminal a table never wraps a row: one wider than the terminal is split into
    several, each repeating the scenario and swept-value columns at its left.
    """
    if as_json and output_format not in (None, "json"):
        raise BadInput(f"--json: is --format json, and cannot be combined with --format {output_format}")
    output_format = "json" if as_json else (output_format or "table")
    if width is not None and output_format != "table":
        raise BadInput(f"--width: only for --format table, not {output_format}")
    print_summary(
        opened(directory, no_verify),
        output_format == "json",
        sort_by,
        descending,
        all_columns,
        by_year,
        by_tranche,
        portfolio,
        output_format=output_format,
        width=width,
    )


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write (.png, .svg, .pdf)."
)
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="all",
    show_default=True,
    help="all: fan chart, loss distribution and (a sweep) PD heatmap; term-structure: cumulative PD by month; "
    "swept: PD, EL, CVaR 99 against a swept value; causes: defaults by cause and month; tornado: "
    "sensitivity.arrow; waterfall: EAD, recovery, loss.",
)
@click.option(
    "--scenario",
    "scenario_id",
    type=click.IntRange(min=0),
    help="Scenario to draw (fan, loss, causes: default 0; term-structure, waterfall: default every scenario; "
    "a portfolio: whose firms).",
)
@click.option("--x", "x_key", help="Swept key on the x axis of heatmap and swept (default: the first).")
@click.option("--y", "y_key", help="Swept key on the heatmap's y axis (default: the second).")
@click.option(
    "--metric",
    type=click.Choice(METRICS),
    help="tornado: the metric bumped parameters move (default pd); swept: draw only this one.",
)
@click.option(
    "--dpi", type=click.IntRange(min=20, max=600), default=110, show_default=True, help="Resolution of a PNG."
)
@no_verify_option
def plot(directory, output, kind, scenario_id, x_key, y_key, metric, dpi, no_verify):
    """Charts of a results directory, from its aggregate tables (so --no-paths runs too).

    \b
      gpu-stress plot results/lambda-grid -o grid.png                    # fan, loss, PD heatmap
      gpu-stress plot results/lambda-grid -o pd.png --kind swept --x market.price.drift
      gpu-stress plot results/coreweave -o causes.png --kind causes
      gpu-stress plot results/coreweave -o tornado.png --kind tornado --metric expected_loss
    """
    from ..plots import plot as draw

    draw(directory, output, kind, scenario_id, x_key, y_key, metric=metric, dpi=dpi, check=not no_verify)
    click.echo(output)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--scenario", "scenario_id", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--path", "path_id", type=click.IntRange(min=0), help="Path id to trace.")
@click.option("--worst", type=click.IntRange(min=1), help="List the K largest-loss paths instead.")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False), help="Write the statement as CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print the statement and outcome as JSON.")
@click.option("--backend", type=click.Choice(BACKENDS), help="Re-simulate on this backend (default: the run's).")
@click.option(
    "--no-shock",
    "--base-case",
    "base_case",
    is_flag=True,
    help="Trace the scenario's no-shock case (every shock zero, no random event).",
)
@click.option(
    "--central-case", is_flag=True, help="Trace the scenario's central case (no shock, the market on its planned path)."
)
@no_verify_option
def trace(directory, scenario_id, path_id, worst, csv_file, as_json, backend, base_case, central_case, no_verify):
    """One stored path month by month: market, revenue, costs, debt service, cash, collateral, covenants, default.

    The path is re-simulated from its random-number counters with the run's own
    settings; its final values equal the stored row bit for bit (checked when the
    run kept per-path files). --worst K lists the largest-loss paths to pick from.
    """
    from ..trace import trace_path, worst_paths

    directory = opened(directory, no_verify)
    if worst:
        print_worst(worst_paths(directory, worst, scenario_id if path_id is None else None), as_json)
        return
    if base_case and central_case:
        raise BadInput("--central-case: trace one deterministic case at a time (not with --no-shock)")
    case = "base_case" if base_case else "central_case" if central_case else None
    if path_id is None and case is None:
        raise BadInput("--path: give the path to trace (or --worst K to find one, or --no-shock, or --central-case)")
    result = trace_path(directory, scenario_id, path_id, backend, case=case)
    if csv_file:
        if Path(csv_file).suffix.lower() != ".csv":
            raise BadInput(f"--csv: {csv_file}: name the file .csv")
        result.write_csv(Path(csv_file))
    if as_json:
        click.echo(json.dumps(result.document(), indent=2))
    elif not csv_file:
        print_statement(result)
    if result.matches_stored_row is False:
        click.echo("the re-simulated path differs from its stored row (see the backend used)", err=True)
        sys.exit(DAMAGED)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
def verify(directory):
    """Check a results directory end to end: every file's checksum and rows, nothing missing or extra.

    Exits with 0 if it is intact, 1 naming the first damaged file, 2 if DIRECTORY is no results directory.
    """
    from ..results.verify import MissingResults, ResultsError
    from ..results.verify import verify as check

    try:
        count = check(directory)
    except MissingResults:
        raise
    except ResultsError as error:
        click.echo(f"damaged: {error}", err=True)
        sys.exit(DAMAGED)
    click.echo(f"ok: {directory}: its manifest and the {count} files it lists (run.json included) match")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--to", "to", type=click.Choice(["parquet"]), default="parquet", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Results directory to create.")
@click.option("--overwrite", is_flag=True, help="Replace an existing results directory.")
@no_verify_option
def export(directory, to, output, overwrite, no_verify):
    """Copy a results directory as Parquet: per-path data as hive-partitioned datasets (paths/scenario_id=K/).

    DuckDB reads it with read_parquet('OUT/paths/**/*.parquet', hive_partitioning=true), Spark with
    spark.read.parquet('OUT/paths'); every gpu-stress command reads it as it reads the original.
    """
    from ..results.export import export as write_export

    final = write_export(directory, output, to, overwrite, check=not no_verify)
    click.echo(f"exported: {final}")

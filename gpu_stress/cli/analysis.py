"""The analyst's commands: sensitivity (tornado) and reverse stress tests."""

import csv
import io
import json
import shlex
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..backends import BACKENDS
from ..results.aggregates import HEADLINE_METRICS as METRICS
from .main import Horizon, PathCount, main, stderr_console
from .render import print_plain_table

ANALYSIS_METRICS = METRICS


SENSITIVITY_EXAMPLES = """
\b
Examples:
  gpu-stress sensitivity --preset nebius --paths 2e4        # every setting, largest PD change first
  gpu-stress sensitivity --preset nebius --group market.price --group debt --metric expected_loss
  gpu-stress sensitivity my-firm.toml --param market.regime.glut.drift --param firm.cash --bump 0.2
  gpu-stress sensitivity --preset lambda --paths 2e4 -o results/lambda-sens
  gpu-stress plot results/lambda-sens -o tornado.png --kind tornado
"""


@main.command(epilog=SENSITIVITY_EXAMPLES)
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("--preset", help="Start from a built-in preset (see `gpu-stress presets`); default coreweave.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config key (repeatable).")
@click.option("--param", "parameters", multiple=True, metavar="KEY", help="A setting to bump (repeatable).")
@click.option(
    "--group",
    "groups",
    multiple=True,
    metavar="NAME",
    help="Bump every setting of a section: market.price, market.regime, firm, debt, customers, ... (repeatable).",
)
@click.option(
    "--bump", type=float, default=0.10, show_default=True, help="Relative bump (of the range's width for a 0)."
)
@click.option(
    "--metric",
    type=click.Choice(ANALYSIS_METRICS, case_sensitive=False),
    default="pd",
    show_default=True,
    help="Sort by the larger change of this metric.",
)
@click.option("--paths", type=PathCount(), help="Paths per run (e.g. 1e5).  [default: the config's]")
@click.option("--horizon", type=Horizon(), help="Horizon in months or to-last-maturity.  [default: the config's]")
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), help="Random seed.  [default: the config's]")
@click.option("--backend", type=click.Choice(["auto", *BACKENDS]), default="auto", show_default=True)
@click.option("--include-overlays", is_flag=True, help="Also bump the stress overlay's settings (overlay.*).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("table", "csv", "json"), case_sensitive=False),
    default="table",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Write sensitivity.arrow and run.json here.")
@click.option("--overwrite", is_flag=True, help="Replace an existing sensitivity directory.")
def sensitivity(
    config,
    preset,
    overrides,
    parameters,
    groups,
    bump,
    metric,
    paths,
    horizon,
    seed,
    backend,
    include_overlays,
    output_format,
    output,
    overwrite,
):
    """Bump settings down and up on common random numbers: the change of PD, EL and CVaR 99.

    Without --param or --group, every numeric setting of the model is bumped (but the run-level
    simulation.* and the stress overlay's). Each change carries the standard error of the paired
    difference (the same paths with and without the bump); the table is sorted by the larger
    change of --metric. docs/model.md ("Sensitivities and reverse stress tests") gives the maths.
    """
    from .. import analysis
    from ..analysis.sensitivity import csv_rows, display

    console = stderr_console()
    bar = Progress(TextColumn("parameters"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console)
    bar.disable = not console.is_terminal
    task = None

    def advance(done, total, key):
        nonlocal task
        if task is None:
            task = bar.add_task("parameters", total=total)
        bar.update(task, completed=done)

    with bar:
        result = analysis.sensitivity(
            config,
            preset=preset,
            overrides=list(overrides),
            parameters=list(parameters),
            groups=list(groups),
            bump=bump,
            metric=metric.lower(),
            paths=paths,
            horizon=horizon,
            seed=seed,
            backend=backend,
            include_overlays=include_overlays,
            output=output,
            overwrite=overwrite,
            progress=advance,
            log=console.print,
            command=shlex.join(["gpu-stress", *sys.argv[1:]]),
        )
    console.print(
        f"done: {len(result.rows)} setting(s) bumped in {result.runs} runs, {result.elapsed_s:.1f} s"
        + (f"; {len(result.skipped)} directions skipped (see run.json or --format json)" if result.skipped else "")
    )
    if output:
        console.print(f"wrote: {Path(output).resolve()}")
    output_format = output_format.lower()
    if output_format == "json":
        click.echo(json.dumps(result.document(), indent=2, default=str))
    elif output_format == "csv":
        header, rows = csv_rows(result)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        click.echo(text.getvalue(), nl=False)
    else:
        print_plain_table(*display(result))


REVERSE_EXAMPLES = """
\b
Examples:
  gpu-stress reverse --preset coreweave --target pd=0.20 \\
      --param market.regime.glut.drift --range -0.8,0
  gpu-stress reverse --preset lambda --target expected_loss=1e8 --param firm.cash --range 0,2e9
  gpu-stress reverse --preset lambda --target pd=0.5 --param overlay.price.multiplier --range 0.2,1
"""


@main.command(epilog=REVERSE_EXAMPLES)
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("--preset", help="Start from a built-in preset (see `gpu-stress presets`); default coreweave.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config key (repeatable).")
@click.option("--target", required=True, metavar="METRIC=VALUE", help="pd=0.2, expected_loss=5e8 or cvar_99=2e9.")
@click.option("--param", "parameter", required=True, metavar="KEY", help="The setting to solve for (dotted key).")
@click.option("--range", "value_range", required=True, metavar="LO,HI", help="Where to look (e.g. -0.8,0).")
@click.option("--paths", type=PathCount(), help="Paths per evaluation (e.g. 1e5).  [default: the config's]")
@click.option("--horizon", type=Horizon(), help="Horizon in months or to-last-maturity.  [default: the config's]")
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), help="Random seed.  [default: the config's]")
@click.option("--backend", type=click.Choice(["auto", *BACKENDS]), default="auto", show_default=True)
@click.option(
    "--tolerance",
    type=float,
    help="Stop when the bracket is this narrow, in the setting's unit.  [default: a twentieth of the interval]",
)
@click.option("--grid", type=click.IntRange(2, 100), default=5, show_default=True, help="Points of the first run.")
@click.option("--max-evaluations", type=click.IntRange(1, 500), default=40, show_default=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("table", "json"), case_sensitive=False),
    default="table",
    show_default=True,
)
def reverse(
    config,
    preset,
    overrides,
    target,
    parameter,
    value_range,
    paths,
    horizon,
    seed,
    backend,
    tolerance,
    grid,
    max_evaluations,
    output_format,
):
    """Reverse stress test: the value of one setting at which a metric reaches a target.

    A root search on common random numbers (every evaluation the same paths), then a 95 %
    interval for the value (the metric's standard error over its slope) and the metric
    re-measured at the answer on independent paths (seed + 1) with its own interval.
    """
    from .. import analysis
    from ..analysis.reverse import display

    console = stderr_console()
    result = analysis.reverse(
        config,
        target=target,
        parameter=parameter,
        range=value_range,
        preset=preset,
        overrides=list(overrides),
        paths=paths,
        horizon=horizon,
        seed=seed,
        backend=backend,
        tolerance=tolerance,
        grid=grid,
        max_evaluations=max_evaluations,
        log=console.print,
        command=shlex.join(["gpu-stress", *sys.argv[1:]]),
    )
    console.print(
        f"done: {len(result.evaluations)} evaluations and a re-measurement in {result.runs} runs, "
        f"{result.record.elapsed_s:.1f} s"
    )
    for note in result.notes:
        console.print(f"note: {note}")
    if output_format.lower() == "json":
        click.echo(json.dumps(result.document(), indent=2, default=str))
        return
    title, rows = display(result)
    output = Table(title=title, show_header=False)
    output.add_column("", justify="left", no_wrap=True)
    output.add_column("", justify="right", no_wrap=True)
    for row in rows:
        output.add_row(*row)
    Console(width=max(Console().width, 100)).print(output)

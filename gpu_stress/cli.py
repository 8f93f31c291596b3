"""The ``gpu-stress`` command line.

Every error that is the user's to fix (bad input, a damaged results directory,
an unwritable output, a directory another run is writing) is one line on
stderr naming the field, option or file, with exit code 2. Anything else is a
bug: one line too, exit code 1, and ``--debug`` (or ``GPU_STRESS_DEBUG=1``)
shows the traceback for a bug report.
"""

import csv
import io
import json
import os
import shlex
import sys
from pathlib import Path

import click
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from . import __version__
from .backends import BACKENDS
from .config.load import config_json_schema, preset_names, preset_text, read_preset, whole_count
from .config.schema import Simulation
from .errors import UserError, one_line
from .plots import KINDS
from .results import store
from .results.aggregates import HEADLINE_METRICS as METRICS
from .summary import (
    table_layout,
    table_width,
)

BAD_INPUT = 2
DAMAGED = 1
INTERRUPTED = 130
CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a Unix tool whose reader went away


class BadInput(click.ClickException):
    """One line on stderr, exit code 2."""

    exit_code = BAD_INPUT


class InternalError(click.ClickException):
    """A bug: one line on stderr, exit code 1."""

    exit_code = 1


def _quiet_stdout():
    """The reader of stdout went away (``gpu-stress summarize DIR | head -1``): end quietly, as Unix tools do,
    with nothing more written to the closed pipe (not even at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (a test's captured stdout)
        pass


def _stderr():
    return Console(stderr=True, soft_wrap=True)  # a status line stays one line


class _Main(click.Group):
    """Turns every error of a command into one line (see the module's docstring)."""

    def invoke(self, ctx):
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # here, not at exit: a reader that went away is seen below
            return result
        except BrokenPipeError:
            _quiet_stdout()
            raise click.exceptions.Exit(CLOSED_PIPE) from None
        except click.UsageError as error:  # a bad option value in a subcommand: one line, not the usage
            raise BadInput(error.format_message()) from None
        except (click.exceptions.Exit, click.Abort, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            if isinstance(error, UserError | OSError):
                raise BadInput(one_line(error)) from None
            raise InternalError(
                f"internal error: {type(error).__name__}: {one_line(error)} (--debug shows the traceback)"
            ) from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gpu-stress")
@click.option("--debug", is_flag=True, envvar="GPU_STRESS_DEBUG", help="Show tracebacks instead of one-line errors.")
def main(debug):
    """Monte Carlo credit stress tests for debt-financed GPU clouds."""


class PathCount(click.ParamType):
    """A positive whole number of paths, also written as 1e6 or 2.5e4."""

    name = "count"

    def convert(self, value, param, ctx):
        try:
            number = whole_count(value)
        except ValueError:
            self.fail(f"{value!r} is not a whole number", param, ctx)
        if number < 1:
            self.fail(f"{value!r} is below 1", param, ctx)
        return number


def no_verify_option(command):
    """``--no-verify``: read a results directory without checking its files against its manifest."""
    return click.option(
        "--no-verify",
        is_flag=True,
        help="Read the files without checking them against the directory's manifest (size and checksum) "
        "first; for a directory you know is whole (gpu-stress verify checks one).",
    )(command)


def _opened(directory, no_verify):
    """The results directory, opened (and, unless ``no_verify``, its manifest and run.json checked)."""
    from .results.verify import open_results

    return open_results(directory, check=not no_verify)


_DEFAULTS = Simulation()  # what a config that does not say runs with
RUN_EXAMPLES = """
\b
Examples:
  gpu-stress run -o results/coreweave         # the default preset
  gpu-stress run --preset nebius --paths 1e6 -o results/nebius
  gpu-stress run my-firm.toml --set firm.cash=2e9 -o results/mine
  gpu-stress run --preset nebius -o results/glut \\
      --sweep market.regime.glut.drift=-0.4,-0.2
  gpu-stress run --preset lambda --format parquet -o results/lambda
  gpu-stress run --preset nscale --stress prices-halve-12m \
      --stress rates-up-300bp -o results/nscale-stress
  gpu-stress run --resume results/nebius      # finish an interrupted run
"""


@main.command(epilog=RUN_EXAMPLES)
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("--preset", help="Start from a built-in preset (see `gpu-stress presets`); default coreweave.")
@click.option(
    "--paths",
    type=PathCount(),
    help=f"Paths per scenario (e.g. 100000 or 1e5).  [default: the config's; {_DEFAULTS.paths}]",
)
@click.option(
    "--horizon",
    type=click.IntRange(min=1),
    help=f"Horizon in months.  [default: the config's; {_DEFAULTS.horizon_months}]",
)
@click.option(
    "--seed", type=click.IntRange(min=0, max=2**64 - 1), help=f"Random seed.  [default: the config's; {_DEFAULTS.seed}]"
)
@click.option("--backend", type=click.Choice(["auto", *BACKENDS]), default="auto", show_default=True)
@click.option(
    "--precision",
    type=click.Choice(["float64", "float32"]),
    help=f"Floating-point precision.  [default: the config's; {_DEFAULTS.precision}]",
)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config key (repeatable).")
@click.option("--sweep", "sweeps", multiple=True, metavar="KEY=V1,V2,..", help="Sweep a key (repeatable; grid).")
@click.option(
    "--stress",
    "stresses",
    multiple=True,
    metavar="NAME",
    help="Also run a built-in stress scenario beside the baseline (repeatable; see `gpu-stress stresses`).",
)
@click.option("--independent-scenarios", is_flag=True, help="Fresh random numbers per scenario.")
@click.option(
    "--max-scenarios",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Refuse a sweep grid of more scenarios than this, before any work.",
)
@click.option("--no-paths", is_flag=True, help="Write aggregates only, no per-path files.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(store.FORMATS),
    default="arrow",
    show_default=True,
    help="Arrow IPC files, or Parquet (per-path data as a hive-partitioned dataset).",
)
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Results directory to create.")
@click.option("--overwrite", is_flag=True, help="Replace an existing results directory.")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False), help="Finish an interrupted run.")
@click.option("--cluster", metavar="local[:N]", help="Spread chunks over a local Dask cluster of N workers.")
@click.option("--scheduler", metavar="ADDRESS", help="Spread chunks over an existing Dask cluster.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--base-case", is_flag=True, help="Run only the deterministic plan: one path, no shock, no random event.")
@click.option(
    "--strict", is_flag=True, help="An override, swept key or config key that changes nothing is an error (exit 2)."
)
def run(
    config,
    preset,
    paths,
    horizon,
    seed,
    backend,
    precision,
    overrides,
    sweeps,
    stresses,
    independent_scenarios,
    no_paths,
    file_format,
    output,
    overwrite,
    resume_dir,
    cluster,
    scheduler,
    as_json,
    base_case,
    strict,
    max_scenarios,
):
    """Run a stress test and print its summary.

    CONFIG is a TOML file; without it the coreweave preset runs (or --preset).
    """
    from . import api

    if cluster or scheduler:  # check before anything is written
        from . import distributed

        distributed.check_options(cluster, scheduler)
    console = _stderr()
    with _progress(console) as progress:
        options = {"cluster": cluster, "scheduler": scheduler, "progress": progress, "log": console.print}
        try:
            if resume_dir:
                settings = {
                    "CONFIG": config,
                    "--preset": preset,
                    "--paths": paths,
                    "--horizon": horizon,
                    "--seed": seed,
                    "--precision": precision,
                    "--set": overrides,
                    "--sweep": sweeps,
                    "--stress": stresses,
                    "--independent-scenarios": independent_scenarios,
                    "--no-paths": no_paths,
                    "--format": None if file_format == "arrow" else file_format,
                    "-o": output,
                    "--base-case": base_case,
                    "--strict": strict,
                }
                given = [name for name, value in settings.items() if value not in (None, False, ())]
                if given:
                    raise BadInput(
                        f"resume: {given[0]} cannot be combined with --resume (the run keeps its recorded settings)"
                    )
                results = api.resume(resume_dir, None if backend == "auto" else backend, **options)
            else:
                if not output:
                    raise BadInput("output: give a results directory with -o DIR")
                results = api.run(
                    config,
                    preset=preset,
                    paths=paths,
                    horizon=horizon,
                    seed=seed,
                    precision=precision,
                    overrides=list(overrides),
                    sweep=list(sweeps),
                    stress=list(stresses),
                    backend=backend,
                    output=output,
                    overwrite=overwrite,
                    keep_paths=not no_paths,
                    independent_scenarios=independent_scenarios,
                    base_case=base_case,
                    format=file_format,
                    warn=lambda message: click.echo(message, err=True),
                    strict=strict,
                    max_scenarios=max_scenarios,
                    command=shlex.join(["gpu-stress", *sys.argv[1:]]),
                    **options,
                )
        except api.RunInterrupted as interrupted:
            console.print(str(interrupted))
            sys.exit(INTERRUPTED)
    record = results.run  # timed over this session: a resume times only the chunks it simulated
    simulated, elapsed, speed = record["paths_simulated"], record["elapsed_s"], record["paths_per_s"]
    console.print(f"done: {simulated:,} paths simulated in {elapsed:.1f} s ({speed:,.0f} paths/s)")
    _print_summary(results.directory, as_json)


class _progress:
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


SUMMARY_FORMATS = ("table", "csv", "json")


@main.command()
@click.option("--toml", "as_toml", is_flag=True, help="Print the library as TOML, to copy into a config's [[stress]].")
def stresses(as_toml):
    """List the built-in stress scenarios (run them with `gpu-stress run --stress NAME`).

    Each is an overlay of deterministic events (a forced regime, a price shock, a
    rate shift, a launch, a customer's default, delivery delays) on the random
    model, run beside the baseline with the same random numbers.
    """
    from .config.stresses import library, library_text

    if as_toml:
        click.echo(library_text(), nl=False)
        return
    entries = library()
    width = max(len(name) for name in entries)
    for name, entry in entries.items():
        click.echo(f"{name:<{width}}  {entry['description']}")


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
    _print_summary(
        _opened(directory, no_verify),
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


def _print_summary(
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
    from .views import ViewError, summary_view

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
    _print_tables(view.tables, view.sweep_keys, output_format, width)
    if output_format == "table":
        _print_clusters(view.clusters, width)


def _print_clusters(clusters, width=None):
    """After a table: a note per month holding a large share of a scenario's (or firm's) credit defaults, each
    one line, wrapped (as the tables fit) on a terminal or to ``width``."""
    import textwrap

    terminal = Console()
    if width is None and terminal.is_terminal:
        width = terminal.width
    for cluster in clusters:
        note = f"note: {cluster['note']}"
        click.echo(textwrap.fill(note, width, subsequent_indent="  ", break_on_hyphens=False) if width else note)


def _print_tables(tables, sweep_keys, output_format="table", width=None):
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


@main.group(invoke_without_command=True)
@click.pass_context
def presets(ctx):
    """List the built-in presets; `gpu-stress presets show NAME` prints one."""
    if ctx.invoked_subcommand is not None:
        return
    for name in preset_names():
        description = read_preset(name).get("about", {}).get("description", "")
        click.echo(f"{name:<12} {description}")


@presets.command("show", short_help="Print a preset's TOML file as written.")
@click.argument("name")
def show_preset(name):
    """Print preset NAME's TOML file as written, its comments (the figures' sources) included.

    It runs as the preset does, and starts a firm of your own:

    \b
      gpu-stress presets show nebius > my-firm.toml
      gpu-stress run my-firm.toml -o results/mine
    """
    click.echo(preset_text(name), nl=False)


@main.command()
@click.option(
    "--portfolio", is_flag=True, help="The schema of a portfolio file ([[firms]], [fire_sales], [[book]]) instead."
)
def schema(portfolio):
    """Print the JSON Schema of a configuration file (the TOML that `gpu-stress run` reads).

    Without --portfolio: one firm's configuration (as every preset but neoclouds); with it:
    a portfolio's, a file with [[firms]], whose firms' `config` tables are firm configurations.
    Two schemas rather than one anyOf of both: a file is one or the other (it has [[firms]] or
    not), and an editor checking it against the right one reports its own mistakes. Each key
    has its default and, for numbers, its range; unknown keys are refused (additionalProperties).
    """
    click.echo(json.dumps(config_json_schema(portfolio), indent=2))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(as_json):
    """Versions, CPU, CUDA driver and runtime, GPUs, and the backend `auto` picks."""

    from .info import collect

    found = collect()
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    click.echo(" ".join(f"{name} {version}" for name, version in found["versions"].items()))
    click.echo(f"CPU: {found['cpu']}, {found['memory_gib']} GiB")
    cuda = found["cuda"]
    if cuda["problem"]:
        click.echo(f"CUDA: {cuda['problem']}")
    else:
        click.echo(f"CUDA driver {cuda['driver']}, runtime {cuda['runtime']}")
        for index, gpu in enumerate(cuda["gpus"]):
            click.echo(
                f"GPU {index}: {gpu['name']}, compute capability {gpu['compute_capability']}, "
                f"{gpu['multiprocessors']} SMs, {gpu['memory_gib']} GiB ({gpu['free_gib']} free)"
            )
    click.echo(f"auto backend: {found['auto_backend']} ({found['auto_reason']})")


@main.command()
@click.option("--cc", "targets", default="80,90", show_default=True, help="Compute capabilities, comma-separated.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def kernels(targets, as_json):
    """Compile every CUDA kernel to PTX and SASS (no GPU needed); report registers, spills and occupancy.

    Exits with 1 if a kernel spills or a float32 kernel contains float64 instructions.
    """
    from dataclasses import asdict

    from .kernel_report import KernelReportError, report

    wanted = [target.strip().replace(".", "") for target in targets.split(",") if target.strip()]
    if not wanted or not all(target.isdigit() for target in wanted):
        raise BadInput(f"--cc: expected compute capabilities like 80,90, got {targets!r}")
    try:
        reports = report(wanted)
    except KernelReportError as error:
        raise BadInput(f"kernels: {one_line(error)}") from None
    except ImportError as error:
        hint = "pip install 'gpu-stress[kernels]' (numba-cuda and the CUDA compiler)"
        raise BadInput(f"kernels: {one_line(error)}: {hint}") from None
    if as_json:
        click.echo(json.dumps([asdict(item) | {"problems": item.problems} for item in reports], indent=2))
    else:
        threads = reports[0].threads_per_block if reports else 0
        caption = f"occupancy: theoretical, at {threads} threads per block (best: at any block size)"
        table = Table(title="CUDA kernels (ptxas -v)", caption=caption)
        labels = ("kernel", "precision", "target", "registers", "spills (B)", "stack (B)", "occupancy (best)")
        for label in (*labels, "float64 ops", "ok"):
            table.add_column(label, justify="right", no_wrap=True)
        for item in reports:
            table.add_row(
                item.kernel,
                item.precision,
                item.target,
                str(item.registers),
                f"{item.spill_stores}/{item.spill_loads}",
                str(item.stack_bytes),
                "-" if item.occupancy is None else f"{item.occupancy:.0%} ({item.best_occupancy:.0%})",
                str(len(item.float64_instructions)),
                "yes" if not item.problems else "; ".join(item.problems),
            )
        Console(width=max(120, Console().width)).print(table)
    if any(item.problems for item in reports):
        sys.exit(1)


@main.command()
@click.option("--backends", default=None, help="Comma-separated: numpy,cpu,cuda (default: all usable here).")
@click.option("--paths", type=click.IntRange(min=1), help="Paths per measurement (default: per backend).")
@click.option("--horizon", type=click.IntRange(min=1), default=60, show_default=True, help="Months.")
@click.option("--precision", type=click.Choice(["float64", "float32"]), default="float64", show_default=True)
@click.option("--repeats", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--scaling", "scaling_sizes", default=None, help="Also time engine runs at these path counts (cpu).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the JSON record here.")
@click.option(
    "--portfolio", is_flag=True, help="Time the portfolio kernel (the neoclouds preset): firm-path-steps per second."
)
def bench(backends, paths, horizon, precision, repeats, scaling_sizes, as_json, output, portfolio):
    """Path-steps per second of each backend, with the draws-only and naive baselines."""

    from . import bench as benchmark
    from .results.store import write_json

    chosen = [name.strip() for name in backends.split(",")] if backends else benchmark.available_backends()
    unknown = [name for name in chosen if name not in BACKENDS]
    if unknown:
        raise BadInput(f"--backends: unknown backend {unknown[0]!r} (choose from {', '.join(BACKENDS)})")
    if output and Path(output).suffix.lower() != ".json":
        raise BadInput(f"output: {output}: the benchmark record is JSON (name it .json)")
    sizes = _path_counts(scaling_sizes, "--scaling") if scaling_sizes else None
    record = benchmark.run_benchmark(chosen, horizon, precision, repeats, paths, portfolio=portfolio)
    if sizes:
        record["scaling"] = benchmark.scaling(sizes)
    if output:
        write_json(Path(output), record)
    if as_json:
        click.echo(json.dumps(record, indent=2))
        return
    table = Table(title=f"{record['preset']}, {horizon} months, {precision} on {record['machine']['cpu']}")
    rate_label = "M firm-path-steps/s" if portfolio else "M path-steps/s"
    for label in ("kernel", "backend", "paths", "median s", rate_label, "x numpy", "peak memory"):
        table.add_column(label, justify="right", no_wrap=True)
    for row in record["rows"]:
        ratio = f"{row['ratio_to_numpy']:.1f}" if row["ratio_to_numpy"] else "-"
        rate = row["firm_path_steps_per_s"] if portfolio else row["path_steps_per_s"]
        table.add_row(
            row["kernel"],
            row["backend"],
            f"{row['paths']:,}",
            f"{row['seconds']:.3f}",
            f"{rate / 1e6:,.1f}",
            ratio,
            f"{row['peak_memory_bytes'] / 2**20:,.0f} MiB",
        )
    Console(width=max(120, Console().width)).print(table)
    for name, value in record["checks"].items():
        click.echo(f"{name}: {value:.2f}")
    for row in record.get("scaling", []):
        click.echo(f"scaling: {row['paths']:>12,} paths  {row['seconds']:8.2f} s  {row['peak_rss_mib']:7.0f} MiB RSS")


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
    from .plots import plot as draw

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
@click.option("--base-case", is_flag=True, help="Trace the scenario's deterministic plan (no shock, no random event).")
@no_verify_option
def trace(directory, scenario_id, path_id, worst, csv_file, as_json, backend, base_case, no_verify):
    """One stored path month by month: market, revenue, costs, debt service, cash, collateral, covenants, default.

    The path is re-simulated from its random-number counters with the run's own
    settings; its final values equal the stored row bit for bit (checked when the
    run kept per-path files). --worst K lists the largest-loss paths to pick from.
    """
    from .trace import trace_path, worst_paths

    directory = _opened(directory, no_verify)
    if worst:
        _print_worst(worst_paths(directory, worst, scenario_id if path_id is None else None), as_json)
        return
    if path_id is None and not base_case:
        raise BadInput("--path: give the path to trace (or --worst K to find one, or --base-case)")
    result = trace_path(directory, scenario_id, path_id, backend, base_case)
    if csv_file:
        import pyarrow.csv

        store_path = Path(csv_file)
        if store_path.suffix.lower() != ".csv":
            raise BadInput(f"--csv: {csv_file}: name the file .csv")
        from .results.store import write_atomic

        write_atomic(store_path, lambda target: pyarrow.csv.write_csv(result.statement, str(target)))
    if as_json:
        import json

        from .results.store import without_nan

        document = {
            "scenario_id": result.scenario_id,
            "path_id": result.path_id,
            "backend": result.backend,
            "tranches": result.tranche_names,
            "outputs": result.outputs,
            "tranche_outcomes": result.tranche_outcomes,
            "matches_stored_row": result.matches_stored_row,
            "statement": result.statement.to_pylist(),
        }
        click.echo(json.dumps(without_nan(document), indent=2))
    elif not csv_file:
        _print_statement(result)
    if result.matches_stored_row is False:
        click.echo("the re-simulated path differs from its stored row (see the backend used)", err=True)
        sys.exit(DAMAGED)


def _print_statement(result):
    from .summary import format_money

    table = Table(title=f"scenario {result.scenario_id}, path {result.path_id} ({result.backend}); $ per month")
    statement = result.statement.to_pydict()
    tranches = len(result.tranche_names)
    labels = ["month", "price", "util", "rate", "regime", "GPUs", "contracted", "spot", "power", "opex", "EBITDA"]
    labels += ["interest", "principal", "cash", "debt", "fleet value", "LTV", "DSCR", "breaches", "event"]
    for label in labels:
        table.add_column(label, justify="right", no_wrap=True)
    for row in range(len(statement["month"])):
        interest = sum(statement[f"interest_{j}"][row] for j in range(tranches))
        principal = sum(statement[f"principal_{j}"][row] for j in range(tranches))
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
        click.echo(f"matches the stored {'base case' if result.base_case else 'row'}: {verdict}")


def _print_worst(table, as_json):
    from .summary import format_money

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


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
def verify(directory):
    """Check a results directory end to end: every file's checksum and rows, nothing missing or extra.

    Exits with 0 if it is intact, 1 naming the first damaged file, 2 if DIRECTORY is no results directory.
    """
    from .results.verify import MissingResults, ResultsError
    from .results.verify import verify as check

    try:
        count = check(directory)
    except MissingResults:
        raise
    except ResultsError as error:
        click.echo(f"damaged: {error}", err=True)
        sys.exit(DAMAGED)
    click.echo(f"ok: {directory}: its manifest and the {count} files it lists (run.json included) match")


def _path_counts(text, option):
    """``1e4,1e5`` -> [10000, 100000]; anything else names the option."""
    try:
        counts = [whole_count(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise BadInput(f"{option}: expected whole path counts like 1e4,1e5, got {text!r}")
    return counts


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
    from .results.export import export as write_export

    final = write_export(directory, output, to, overwrite, check=not no_verify)
    click.echo(f"exported: {final}")


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
@click.option("--horizon", type=click.IntRange(min=1), help="Horizon in months.  [default: the config's]")
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
    from . import analysis
    from .analysis.sensitivity import csv_rows, display

    console = _stderr()
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
        _print_plain_table(*display(result))


def _print_plain_table(title, labels, cells):
    """One rich table, never wrapped: as wide as it needs (or the terminal, if wider)."""
    from .summary import column_widths, table_width

    output = Table(title=title)
    for label in labels:
        output.add_column(label, justify="right", no_wrap=True)
    for line in cells:
        output.add_row(*line)
    Console(width=max(Console().width, table_width(column_widths(labels, cells)))).print(output)


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
@click.option("--horizon", type=click.IntRange(min=1), help="Horizon in months.  [default: the config's]")
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
    from . import analysis
    from .analysis.reverse import display

    console = _stderr()
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
        f"{result.record['elapsed_s']:.1f} s"
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


if __name__ == "__main__":
    main()

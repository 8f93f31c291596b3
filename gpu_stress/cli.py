"""The ``gpu-stress`` command line.

Every error that is the user's to fix (bad input, a damaged results directory,
an unwritable output, a directory another run is writing) is one line on
stderr naming the field, option or file, with exit code 2. Anything else is a
bug: one line too, exit code 1, and ``--debug`` (or ``GPU_STRESS_DEBUG=1``)
shows the traceback for a bug report.
"""

import json
import shlex
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__
from .backends import BACKENDS
from .config.load import load_table, preset_names, read_preset
from .engine import RangeError
from .errors import UserError
from .plots import KINDS
from .results.store import without_nan
from .scenarios import parse_sweep_option
from .summary import (
    display_rows,
    is_portfolio_run,
    load_portfolio,
    load_scenarios,
    load_tranches,
    pd_by_year_rows,
    portfolio_tables,
    scenario_rows,
    summary_json,
    tranche_display_rows,
)

BAD_INPUT = 2
DAMAGED = 1
INTERRUPTED = 130


class BadInput(click.ClickException):
    """One line on stderr, exit code 2."""

    exit_code = BAD_INPUT


class InternalError(click.ClickException):
    """A bug: one line on stderr, exit code 1."""

    exit_code = 1


def _stderr():
    return Console(stderr=True, soft_wrap=True)  # a status line stays one line


def one_line(error):
    """The message of an error as one line; an OSError names its file."""
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error}"
    text = " ".join(str(error).split())
    return text or type(error).__name__


class _Main(click.Group):
    """Turns every error of a command into one line (see the module's docstring)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
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


@main.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option("--preset", help="Start from a built-in preset (see `gpu-stress presets`).")
@click.option("--paths", type=click.IntRange(min=1), help="Paths per scenario.")
@click.option("--horizon", type=click.IntRange(min=1), help="Horizon in months.")
@click.option("--seed", type=click.IntRange(min=0, max=2**64 - 1), help="Random seed.")
@click.option("--backend", type=click.Choice(["auto", *BACKENDS]), default="auto", show_default=True)
@click.option("--precision", type=click.Choice(["float64", "float32"]), help="Floating-point precision.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config key (repeatable).")
@click.option("--sweep", "sweeps", multiple=True, metavar="KEY=V1,V2,..", help="Sweep a key (repeatable; grid).")
@click.option("--independent-scenarios", is_flag=True, help="Fresh random numbers per scenario.")
@click.option("--no-paths", is_flag=True, help="Write aggregates only, no per-path files.")
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Results directory to create.")
@click.option("--overwrite", is_flag=True, help="Replace an existing results directory.")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False), help="Finish an interrupted run.")
@click.option("--cluster", metavar="local[:N]", help="Spread chunks over a local Dask cluster of N workers.")
@click.option("--scheduler", metavar="ADDRESS", help="Spread chunks over an existing Dask cluster.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--base-case", is_flag=True, help="Run only the deterministic plan: one path, no shock, no random event.")
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
    independent_scenarios,
    no_paths,
    output,
    overwrite,
    resume_dir,
    cluster,
    scheduler,
    as_json,
    base_case,
):
    """Run a stress test and print its summary.

    CONFIG is a TOML file; without it the coreweave preset runs.
    """
    from . import engine

    if cluster or scheduler:  # check before anything is written
        from . import distributed

        distributed.check_options(cluster, scheduler)
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
            "--independent-scenarios": independent_scenarios,
            "--no-paths": no_paths,
            "-o": output,
            "--base-case": base_case,
        }
        given = [name for name, value in settings.items() if value not in (None, False, ())]
        if given:
            raise BadInput(f"resume: {given[0]} cannot be combined with --resume (the run keeps its recorded settings)")
        job = engine.resume(resume_dir, backend=None if backend == "auto" else backend)
    else:
        if not output:
            raise BadInput("output: give a results directory with -o DIR")
        settings = list(overrides)
        for key, value in (
            ("paths", paths),
            ("horizon_months", horizon),
            ("seed", seed),
            ("precision", precision),
        ):
            if value is not None:
                settings.append(
                    f"simulation.{key}={value!r}" if isinstance(value, str) else f"simulation.{key}={value}"
                )
        if independent_scenarios:
            settings.append("simulation.independent_scenarios=true")
        if base_case:  # every path would be the same one
            settings += ["simulation.base_case=true", f"simulation.paths={paths or 1}", "simulation.band_paths=1"]
        table = load_table(config, preset, settings)
        sweep_pairs = [parse_sweep_option(option) for option in sweeps]
        job = engine.start(
            table,
            output,
            sweep_pairs,
            backend=backend,
            write_paths=not no_paths,
            overwrite=overwrite,
            command=shlex.join(["gpu-stress", *sys.argv[1:]]),
        )
    record = job.record
    _stderr().print(f"backend: {record['backend']} on {record['device']} ({record['backend_reason']})")
    for unit, why in job.damaged:
        _stderr().print(f"recomputing chunk {unit.name}: {why}")
    try:
        _execute_with_progress(job, cluster, scheduler)
        final = job.finish(overwrite=True if overwrite else None)
    except KeyboardInterrupt:
        done = len(job.units) - len(job.pending())
        _stderr().print(
            f"interrupted: {done} of {len(job.units)} chunks are kept in {job.staging}; "
            f"finish with: gpu-stress run --resume {job.final}"
        )
        sys.exit(INTERRUPTED)
    except RangeError:
        job.abandon()  # it would fail the same way again: nothing is kept
        raise
    except OSError as error:  # a full disk, a vanished directory: what is done stays resumable
        raise BadInput(f"{one_line(error)}; finished chunks are kept in {job.staging}: --resume {job.final}") from None
    finally:
        job.close()
    _print_summary(final, as_json)


def _execute_with_progress(job, cluster=None, scheduler=None):
    pending = job.pending()
    console = _stderr()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("paths", total=sum(unit.paths for unit in job.units))
        progress.advance(task, sum(unit.paths for unit in job.units) - sum(unit.paths for unit in pending))

        def advance(unit):
            progress.advance(task, unit.paths)

        if cluster or scheduler:
            from . import distributed

            try:
                with distributed.connect(cluster, scheduler, job.spec.backend) as client:
                    console.print(f"cluster: {len(client.scheduler_info()['workers'])} workers")
                    distributed.execute(job, client, pending, on_unit_done=advance)
            except distributed.DistributedError:
                if not job.resumed and len(job.pending()) == len(job.units):
                    job.abandon()  # no cluster, nothing computed: leave nothing behind
                raise
        else:
            job.execute(pending, on_unit_done=advance)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--sort", "sort_by", metavar="COLUMN", help="Sort scenarios by a column.")
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
def summarize(directory, as_json, sort_by, descending, all_columns, by_year, by_tranche, portfolio):
    """Summarize a results directory: PD, expected loss, loss tails, causes."""
    _print_summary(directory, as_json, sort_by, descending, all_columns, by_year, by_tranche, portfolio)


def _print_summary(
    directory,
    as_json,
    sort_by=None,
    descending=False,
    all_columns=False,
    by_year=False,
    by_tranche=False,
    portfolio=False,
):
    record, table = load_scenarios(directory)
    if portfolio or (is_portfolio_run(record) and not by_tranche):
        unsupported = [name for name, given in (("--by-tranche", by_tranche), ("--by-year", by_year)) if given]
        unsupported += [name for name, given in (("--all-columns", all_columns), ("--sort", sort_by)) if given]
        if unsupported and is_portfolio_run(record):
            raise BadInput(f"{unsupported[0]}: not for a portfolio's book (firms.arrow has every firm's columns)")
        _print_portfolio(directory, as_json, detail=portfolio)
        return
    rows = scenario_rows(record, table, sort_by, descending)
    sweep_keys = record.get("sweep_keys", [])
    if by_tranche:
        tranches = scenario_rows(record, load_tranches(directory), sort_by, descending)
        if as_json:
            click.echo(summary_json(record, tranches, key="tranches"))
            return
        labels, cells = tranche_display_rows(tranches, sweep_keys, rows)
    elif as_json:
        click.echo(summary_json(record, rows))
        return
    else:
        labels, cells = (pd_by_year_rows if by_year else display_rows)(rows, sweep_keys, all_columns)
    simulation = record["simulation"]
    title = (
        f"{simulation['paths']:,} paths x {simulation['horizon_months']} months, seed {simulation['seed']}, "
        f"{record['backend']} {simulation['precision']}"
    )
    output = Table(title=title)
    for label in labels:
        output.add_column(label, justify="right", no_wrap=True)
    for line in cells:
        output.add_row(*line)
    # Never squeeze columns: a terminal wraps long lines, a pipe keeps them whole.
    Console(width=max(Console().width, 250)).print(output)


def _print_portfolio(directory, as_json, detail):
    record, book_rows, firm_rows, exposure_rows = load_portfolio(directory)
    if as_json:
        keys = ("gpu_stress_version", "created", "backend", "device", "simulation")
        document = {"run": {name: record.get(name) for name in keys}, "portfolio": book_rows}
        document |= {"firms": firm_rows, "exposures": exposure_rows}
        click.echo(json.dumps(without_nan(document), indent=2))
        return
    simulation = record["simulation"]
    console = Console(width=max(Console().width, 250))
    about = f"{simulation['paths']:,} paths x {simulation['horizon_months']} months, seed {simulation['seed']}"
    for title, labels, cells in portfolio_tables(
        book_rows, firm_rows, exposure_rows, record.get("sweep_keys", []), detail
    ):
        output = Table(title=f"{title} ({about}, {record['backend']} {simulation['precision']})")
        for label in labels:
            output.add_column(label, justify="right", no_wrap=True)
        for line in cells:
            output.add_row(*line)
        console.print(output)


@main.command()
def presets():
    """List the built-in presets."""
    for name in preset_names():
        description = read_preset(name).get("about", {}).get("description", "")
        click.echo(f"{name:<12} {description}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(as_json):
    """Versions, CPU, CUDA driver and runtime, GPUs, and the backend `auto` picks."""
    import json

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
    """Compile every CUDA kernel to PTX and SASS (no GPU needed); report registers and spills.

    Exits with 1 if a kernel spills or a float32 kernel contains float64 instructions.
    """
    import json
    from dataclasses import asdict

    from .kernel_report import KernelReportError, report

    wanted = [target.strip().replace(".", "") for target in targets.split(",") if target.strip()]
    if not wanted or not all(target.isdigit() for target in wanted):
        raise BadInput(f"--cc: expected compute capabilities like 80,90, got {targets!r}")
    try:
        reports = report(wanted)
    except (KernelReportError, ImportError) as error:
        raise BadInput(f"kernels: {one_line(error)}") from None
    if as_json:
        click.echo(json.dumps([asdict(item) | {"problems": item.problems} for item in reports], indent=2))
    else:
        table = Table(title="CUDA kernels (ptxas -v)")
        for label in ("kernel", "precision", "target", "registers", "spills (B)", "stack (B)", "float64 ops", "ok"):
            table.add_column(label, justify="right", no_wrap=True)
        for item in reports:
            table.add_row(
                item.kernel,
                item.precision,
                item.target,
                str(item.registers),
                f"{item.spill_stores}/{item.spill_loads}",
                str(item.stack_bytes),
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
    import json

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
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option("--kind", type=click.Choice(KINDS), default="all", show_default=True)
@click.option("--scenario", "scenario_id", type=int, default=0, show_default=True, help="Scenario for fan/loss.")
@click.option("--x", "x_key", help="Swept key on the heatmap's x axis (default: the first).")
@click.option("--y", "y_key", help="Swept key on the heatmap's y axis (default: the second).")
def plot(directory, output, kind, scenario_id, x_key, y_key):
    """Fan chart, loss distribution and (for a sweep) PD heatmap, as a PNG."""
    from .plots import plot as draw

    draw(directory, output, kind, scenario_id, x_key, y_key)
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
def trace(directory, scenario_id, path_id, worst, csv_file, as_json, backend, base_case):
    """One stored path month by month: market, revenue, costs, debt service, cash, collateral, covenants, default.

    The path is re-simulated from its random-number counters with the run's own
    settings; its final values equal the stored row bit for bit (checked when the
    run kept per-path files). --worst K lists the largest-loss paths to pick from.
    """
    from .trace import trace_path, worst_paths

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
    click.echo(f"ok: {directory}: run.json and {count} files match their checksums")


def _path_counts(text, option):
    """``1e4,1e5`` -> [10000, 100000]; anything else names the option."""
    try:
        counts = [int(float(part)) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise BadInput(f"{option}: expected path counts like 1e4,1e5, got {text!r}")
    return counts


if __name__ == "__main__":
    main()

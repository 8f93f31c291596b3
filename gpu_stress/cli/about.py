"""What gpu-stress knows and can do here: presets, stresses, the schema, the machine, the kernels, the benchmark."""

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..backends import BACKENDS
from ..config.load import config_json_schema, preset_names, preset_text, read_preset
from ..errors import one_line
from .main import BadInput, main, path_counts


@main.command()
@click.option("--toml", "as_toml", is_flag=True, help="Print the library as TOML, to copy into a config's [[stress]].")
def stresses(as_toml):
    """List the built-in stress scenarios (run them with `gpu-stress run --stress NAME`).

    Each is an overlay of deterministic events (a forced regime, a price shock, a
    rate shift, a launch, a customer's default, delivery delays) on the random
    model, run beside the baseline with the same random numbers.
    """
    from ..config.stresses import library, library_text

    if as_toml:
        click.echo(library_text(), nl=False)
        return
    entries = library()
    width = max(len(name) for name in entries)
    for name, entry in entries.items():
        click.echo(f"{name:<{width}}  {entry['description']}")


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

    from ..info import collect

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

    from ..kernel_report import KernelReportError, report

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

    from .. import bench as benchmark
    from ..results.store import write_json

    chosen = [name.strip() for name in backends.split(",")] if backends else benchmark.available_backends()
    unknown = [name for name in chosen if name not in BACKENDS]
    if unknown:
        raise BadInput(f"--backends: unknown backend {unknown[0]!r} (choose from {', '.join(BACKENDS)})")
    if output and Path(output).suffix.lower() != ".json":
        raise BadInput(f"output: {output}: the benchmark record is JSON (name it .json)")
    sizes = path_counts(scaling_sizes, "--scaling") if scaling_sizes else None
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

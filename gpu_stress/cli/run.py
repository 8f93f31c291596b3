"""``gpu-stress run``: a stress test to a results directory, then its summary."""

import shlex
import sys

import click

from ..backends import BACKENDS
from ..config.schema import Simulation
from ..results import store
from .main import INTERRUPTED, BadInput, Horizon, PathCount, main, stderr_console
from .render import print_summary, run_progress

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
    type=Horizon(),
    help="Horizon in months, or to-last-maturity (the firm's last scheduled maturity, at most 240).  "
    f"[default: the config's; {_DEFAULTS.horizon_months}]",
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
@click.option(
    "--no-shock",
    "--base-case",
    "base_case",
    is_flag=True,
    help="Run only the no-shock case: one path, every shock zero, no random event.",
)
@click.option(
    "--central-case",
    is_flag=True,
    help="Run only the central case: one path, no shock, the market on its planned path (expected launches, regimes).",
)
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
    central_case,
    strict,
    max_scenarios,
):
    """Run a stress test and print its summary.

    CONFIG is a TOML file; without it the coreweave preset runs (or --preset).
    """
    from .. import api

    if cluster or scheduler:  # check before anything is written
        from .. import distributed

        distributed.check_options(cluster, scheduler)
    console = stderr_console()
    with run_progress(console) as progress:
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
                    "--no-shock": base_case,
                    "--central-case": central_case,
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
                    central_case=central_case,
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
    record = results.record  # timed over this session: a resume times only the chunks it simulated
    simulated, elapsed, speed = record.paths_simulated, record.elapsed_s, record.paths_per_s
    console.print(f"done: {simulated:,} paths simulated in {elapsed:.1f} s ({speed:,.0f} paths/s)")
    print_summary(results.directory, as_json)

"""Draw the README's charts (docs/images/*.png): one picture of every kind `gpu-stress plot` draws.

    python benchmarks/charts.py [--paths 100000] [--keep DIR [--reuse]]     # about 2 minutes on 2 cores

Three runs, in a temporary folder (``--keep DIR``: in DIR, kept; ``--reuse``: those already there are not run
again), with the commands the README shows:

1. the README's sweep (lambda, regimes off, price drift x utilization mean), ``--paths`` a scenario,
   with an LTV covenant of 0.9 (`--set covenants.ltv_max=0.9`, so the fan chart marks a cap):
   fan.png, loss.png (scenario 6), heatmap.png, swept.png (against the drift);
2. coreweave with the built-in stresses, 20,000 paths: term-structure.png, causes.png (the
   baseline: a third of its defaults in month 60, when the 2030 notes mature), waterfall.png;
3. ``gpu-stress sensitivity`` of coreweave, six settings at 20,000 paths: tornado.png (EL).

Every PNG is drawn at 80 dpi (the fan chart at 70, the swept chart at 72) and checked to be at most 100 kB
(commit-sized); the script fails naming one that is not.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
LIMIT = 100_000  # bytes a picture may take
DPI = "80"

SWEEP = (
    "run --preset lambda --set market.regime.enabled=false --set covenants.ltv_max=0.9 "
    "--sweep market.price.drift=0.05,-0.1,-0.25 --sweep market.utilization.mean=0.6,0.7,0.8,0.9 "
    "--paths {paths} --no-paths -o {folder}/lambda-grid"
)
STRESSES = (
    "run --preset coreweave --paths 20000 --no-paths -o {folder}/cw-stress --stress shortage-ends-now "
    "--stress prices-halve-12m --stress rates-up-300bp --stress largest-customer-defaults "
    "--stress data-centre-delays-6m --stress severely-adverse"
)
SENSITIVITY = (
    "sensitivity --preset coreweave --paths 20000 -o {folder}/cw-sens --param firm.cash "
    "--param market.regime.glut.drift --param market.regime.shortage_to_glut --param collateral.fire_sale_haircut "
    "--param refinancing.max_ltv --param market.price.jump_size"
)
# (image, results, plot options); the fan chart's four panels and the swept chart's three are drawn smaller
CHARTS = (
    ("fan.png", "lambda-grid", "--kind fan --scenario 6 --dpi 70"),
    ("loss.png", "lambda-grid", "--kind loss --scenario 6"),
    ("heatmap.png", "lambda-grid", "--kind heatmap"),
    ("swept.png", "lambda-grid", "--kind swept --x market.price.drift --dpi 72"),
    ("term-structure.png", "cw-stress", "--kind term-structure"),
    ("causes.png", "cw-stress", "--kind causes --scenario 0"),
    ("waterfall.png", "cw-stress", "--kind waterfall"),
    ("tornado.png", "cw-sens", "--kind tornado --metric expected_loss"),
)


def gpu_stress(arguments):
    """Run ``gpu-stress ARGUMENTS`` (this interpreter's), its output shown; fail on a non-zero exit."""
    print(f"$ gpu-stress {arguments}", flush=True)
    done = subprocess.run([sys.executable, "-m", "gpu_stress", *arguments.split()], stdout=subprocess.DEVNULL)
    if done.returncode:
        sys.exit(f"charts: gpu-stress {arguments.split()[0]} failed (exit code {done.returncode})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000, help="paths a scenario of the sweep (default 100000)")
    parser.add_argument("--keep", type=Path, help="run in DIR and keep the results")
    parser.add_argument("--reuse", action="store_true", help="with --keep: draw the results already in DIR")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = arguments.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for command in (SWEEP, STRESSES, SENSITIVITY):
            command = command.format(paths=arguments.paths, folder=folder)
            if not (arguments.reuse and Path(command.split(" -o ")[1].split()[0]).is_dir()):
                gpu_stress(command + " --overwrite")
        IMAGES.mkdir(parents=True, exist_ok=True)
        for image, results, options in CHARTS:
            dpi = "" if "--dpi" in options else f" --dpi {DPI}"
            gpu_stress(f"plot {folder / results} -o {IMAGES / image} {options}{dpi}")
            size = (IMAGES / image).stat().st_size
            print(f"  {image}: {size / 1000:.0f} kB")
            if size > LIMIT:
                sys.exit(f"charts: {IMAGES / image} is {size:,} bytes (more than {LIMIT:,}): draw it smaller")


if __name__ == "__main__":
    main()

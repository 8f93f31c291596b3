"""Peak memory of whole runs, measured by /usr/bin/time -v (the sweeps issue's 1 GB limits).

    python benchmarks/memory.py [-o benchmarks/results/memory-MACHINE.json]

Runs, on the cpu backend with the coreweave preset:
  - 20M paths with --no-paths (aggregates only),
  - 5M paths with per-path output,
and records each command, its wall time, its peak RSS and the size of what it wrote.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gpu_stress.machine import cpu_description

RUNS = (("20M paths, --no-paths", 20_000_000, ["--no-paths"]), ("5M paths, per-path output", 5_000_000, []))


def measure(paths, options, folder):
    output = Path(folder) / f"run-{paths}"
    command = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        "-m",
        "gpu_stress",
        "run",
        "--preset",
        "coreweave",
        "--backend",
        "cpu",
        "--paths",
        str(paths),
        *options,
        "-o",
        str(output),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    peak_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    written = sum(path.stat().st_size for path in output.rglob("*") if path.is_file())
    return {
        "command": " ".join(command[3:]).replace(str(output), "DIR"),
        "paths": paths,
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "written_mib": round(written / 2**20, 1),
        "under_1_gib": peak_kib < 1024 * 1024,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output", type=Path)
    arguments = parser.parse_args()
    records = []
    with tempfile.TemporaryDirectory() as folder:
        for label, paths, options in RUNS:
            records.append({"run": label, **measure(paths, options, folder)})
            print(json.dumps(records[-1]), flush=True)
    document = {
        "machine": cpu_description(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "measured_with": "/usr/bin/time -v (Maximum resident set size)",
        "runs": records,
    }
    if arguments.output:
        arguments.output.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""What the output format costs: one preset run as Arrow IPC, as Parquet, and kept in memory by the Python API.

    python benchmarks/formats.py [--preset coreweave] [--paths 400000] [--backend cpu] [-o FILE.json]

Measures, each after a warm-up run (so no numba compilation is timed), on one process:
the wall time of `gpu_stress.run(..., output=DIR, format=...)` for each format and of the same
run kept in memory (`output=None`), the bytes each results directory takes on disk, the time
`gpu-stress export` takes to turn the Arrow run into Parquet, and how long DuckDB takes to
compute avg(loss) over the Parquet dataset (with the relative difference to the run's
expected_loss). Prints JSON, with the machine it ran on; `-o` also writes it.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb

import gpu_stress
from gpu_stress.machine import cpu_description
from gpu_stress.results.export import export


def folder_bytes(directory):
    return sum(path.stat().st_size for path in Path(directory).rglob("*") if path.is_file())


def timed(function, *args, **keywords):
    """(function's result, wall seconds it took)."""
    started = time.perf_counter()
    result = function(*args, **keywords)
    return result, round(time.perf_counter() - started, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="coreweave")
    parser.add_argument("--paths", type=int, default=400_000)
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("-o", "--output", type=Path)
    options = parser.parse_args()
    settings = {"preset": options.preset, "paths": options.paths, "backend": options.backend}
    gpu_stress.run(preset=options.preset, paths=2_000, backend=options.backend)  # compile once
    report = {"machine": cpu_description(), "version": gpu_stress.__version__, **settings}
    with tempfile.TemporaryDirectory() as folder:
        for file_format in ("arrow", "parquet"):
            directory = Path(folder) / file_format
            _, seconds = timed(gpu_stress.run, **settings, output=directory, format=file_format)
            report[file_format] = {"run_s": seconds, "bytes": folder_bytes(directory)}
        memory, seconds = timed(gpu_stress.run, **settings)
        report["memory"] = {"run_s": seconds}
        _, report["export_s"] = timed(export, Path(folder) / "arrow", Path(folder) / "exported")
        glob = str(Path(folder) / "parquet" / "paths" / "**" / "*.parquet")
        query = f"select avg(loss) from read_parquet('{glob}', hive_partitioning = true)"
        (mean,), report["duckdb_avg_loss_s"] = timed(lambda: duckdb.sql(query).fetchall()[0])
        expected_loss = memory.scenarios["expected_loss"][0].as_py()
        report["duckdb_avg_loss_relative_difference"] = abs(mean - expected_loss) / abs(expected_loss)
    text = json.dumps(report, indent=2)
    print(text)
    if options.output:
        options.output.write_text(text + "\n")


if __name__ == "__main__":
    main()

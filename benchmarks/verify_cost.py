"""What checking results against their manifest costs each reader, on a 1M-path run.

    python benchmarks/verify_cost.py [--preset coreweave] [--paths 1000000] [--repeats 21] [-o FILE.json]

Writes one run (cpu backend, per-path files kept), then times each reader in this process, with the
manifest checks (the default) and with ``--no-verify``, alternating, and keeps the fastest of
``--repeats`` of each: ``summarize``, ``summarize --by-tranche``, ``plot --kind fan``, ``trace --path``
(one chunk's part), ``trace --worst 10`` (every per-path part), ``export`` (every file) and
``gpu_stress.load`` with every table read; the slowdown is of the fastest runs (and of the medians: this
shared machine varies by several % from run to run, which a handful of repeats does not average out).
Also: the bytes of the directory, xxh3-128's and sha256's throughput here, and ``gpu-stress verify``.
Prints JSON with the machine; ``-o`` also writes it.
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import xxhash
from click.testing import CliRunner

import gpu_stress
from gpu_stress.cli import main as cli
from gpu_stress.machine import cpu_description

TABLES = ("scenarios", "bands", "tranches", "paths", "tranche_paths")


def readers(directory, scratch):
    """{name: a function running that reader once, given extra CLI options}."""

    def command(*arguments):
        def run(*extra):
            result = CliRunner().invoke(cli, [*map(str, arguments), *extra])
            assert result.exit_code == 0, result.output
            shutil.rmtree(scratch / "exported", ignore_errors=True)

        return run

    def load(*extra):
        results = gpu_stress.load(directory, verify="--no-verify" not in extra)
        for name in TABLES:
            getattr(results, name)
        results.summary()

    return {
        "summarize": command("summarize", directory),
        "summarize --by-tranche": command("summarize", directory, "--by-tranche"),
        "plot --kind fan": command("plot", directory, "-o", scratch / "fan.png", "--kind", "fan", "--dpi", 60),
        "trace --path": command("trace", directory, "--path", 5),
        "trace --worst 10": command("trace", directory, "--worst", 10),
        "export": command("export", directory, "-o", scratch / "exported"),
        "load (every table)": load,
    }


def fastest(function, *arguments, repeats):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function(*arguments)
        times.append(time.perf_counter() - started)
    return min(times)


def throughput(name, data):
    digest = xxhash.xxh3_128() if name == "xxh3_128" else hashlib.sha256()
    started = time.perf_counter()
    for offset in range(0, len(data), 1 << 22):
        digest.update(data[offset : offset + (1 << 22)])
    return round(len(data) / (time.perf_counter() - started) / 1e9, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="coreweave")
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("-o", "--output", type=Path)
    options = parser.parse_args()
    data = memoryview(os.urandom(256 << 20))
    report = {
        "machine": cpu_description(),
        "version": gpu_stress.__version__,
        "preset": options.preset,
        "paths": options.paths,
        "hash_GB_per_s": {name: throughput(name, data) for name in ("xxh3_128", "sha256")},
    }
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        directory, scratch = Path(folder) / "run", Path(folder)
        started = time.perf_counter()
        gpu_stress.run(preset=options.preset, paths=options.paths, backend="cpu", output=directory, warn=False)
        report["run_s"] = round(time.perf_counter() - started, 1)
        report["bytes"] = sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())
        started = time.perf_counter()
        assert CliRunner().invoke(cli, ["verify", str(directory)]).exit_code == 0
        report["verify_s"] = round(time.perf_counter() - started, 3)
        rows = {}
        for name, reader in readers(directory, scratch).items():
            reader()  # warm: the files are in the page cache for both modes alike
            checked, unchecked = [], []
            for _ in range(options.repeats):
                checked.append(fastest(reader, repeats=1))
                unchecked.append(fastest(reader, "--no-verify", repeats=1))
            rows[name] = {
                "checked_s": round(min(checked), 4),
                "unchecked_s": round(min(unchecked), 4),
                "slowdown": round(min(checked) / min(unchecked) - 1, 4),
                "median_checked_s": round(statistics.median(checked), 4),
                "median_unchecked_s": round(statistics.median(unchecked), 4),
                "median_slowdown": round(statistics.median(checked) / statistics.median(unchecked) - 1, 4),
            }
            print(name, rows[name], flush=True)
        report["readers"] = rows
        report["largest_slowdown"] = max(row["slowdown"] for row in rows.values())
    text = json.dumps(report, indent=2)
    print(text)
    if options.output:
        options.output.write_text(text + "\n")


if __name__ == "__main__":
    main()

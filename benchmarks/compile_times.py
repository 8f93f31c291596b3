"""What each model function costs to compile: the cold start of the cpu kernel, function by function.

    python benchmarks/compile_times.py [--precision float64] [--top 25] [-o compile-times-MACHINE.json]

Compiles the cpu path kernel once, in a fresh process with an empty numba cache (a temporary
NUMBA_CACHE_DIR), and records numba's compile events: for every function numba compiled, the
seconds it took including what it called (inclusive) and without them (self). The self times add
up to the whole compilation; the largest ones are where a cold first run waits.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_PROBE = r"""
import json, sys, time
from numba.core import event
import numpy as np

class Recorder(event.Listener):
    def __init__(self):
        self.open, self.done = [], []
    def on_start(self, ev):
        self.open.append((str(ev.data["dispatcher"].py_func.__qualname__), time.perf_counter(), []))
    def on_end(self, ev):
        name, started, children = self.open.pop()
        seconds = time.perf_counter() - started
        self.done.append({"function": name, "inclusive_s": seconds, "self_s": seconds - sum(children)})
        if self.open:
            self.open[-1][2].append(seconds)

recorder = Recorder()
event.register("numba:compile", recorder)
started = time.perf_counter()
from gpu_stress.backends.cpu import CpuBackend
from gpu_stress.backends.launch import Launch
from gpu_stress.config import load_config
from gpu_stress.params import parameter_vector
params = parameter_vector(load_config(preset="coreweave"))
CpuBackend().simulate(Launch(params, 12, 1, paths=4, dtype=getattr(np, sys.argv[1])))
print(json.dumps({"total_s": time.perf_counter() - started, "functions": recorder.done}))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--precision", default="float64", choices=["float64", "float32"])
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("-o", "--output", type=Path)
    arguments = parser.parse_args()
    from gpu_stress.machine import cpu_description

    with tempfile.TemporaryDirectory() as cache:
        environment = dict(os.environ, NUMBA_CACHE_DIR=cache)
        command = [sys.executable, "-c", _PROBE, arguments.precision]
        probe = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    measured = json.loads(probe.stdout)
    by_function = {}
    for row in measured["functions"]:
        total = by_function.setdefault(row["function"], {"function": row["function"], "self_s": 0.0, "compiles": 0})
        total["self_s"] += row["self_s"]
        total["compiles"] += 1
    ranked = sorted(by_function.values(), key=lambda row: -row["self_s"])
    record = {
        "what": "numba compile time of the cpu path kernel from an empty cache, per function (self seconds)",
        "precision": arguments.precision,
        "first_call_s": round(measured["total_s"], 2),
        "compiled_s": round(sum(row["self_s"] for row in ranked), 2),
        "functions_compiled": len(ranked),
        "top": [dict(row, self_s=round(row["self_s"], 3)) for row in ranked[: arguments.top]],
        "machine": cpu_description(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    print(json.dumps(record, indent=2))
    if arguments.output:
        arguments.output.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()

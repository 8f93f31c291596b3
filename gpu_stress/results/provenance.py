"""A run's provenance: what its results record of how they were made (versions, times, swept values)."""

import datetime
import sys

import numpy as np
import pyarrow as pa

from ..scenarios import STRESS_KEY
from . import store


def swept_columns(scenarios, sweep_keys):
    """Per scenario, [(field, value)] of its swept keys: the validated values, so a column has its key's type."""
    columns = [[] for _ in scenarios]
    for key in sweep_keys:
        if key == STRESS_KEY:
            values = [scenario.values[key] for scenario in scenarios]
            about = {b"unit": "category", b"description": "the stress scenario (baseline: none; gpu-stress stresses)"}
        else:
            values = [value_at(scenario.config.model_dump(), key) for scenario in scenarios]
            about = {b"config_key": key, b"unit": "config", b"description": f"the swept value of config key {key}"}
        field = pa.field(store.sweep_column(key), pa.array(values).type, metadata=about)
        for scenario_columns, value in zip(columns, values, strict=True):
            scenario_columns.append((field, value))
    return tuple(columns)


def value_at(document, dotted_key):
    """``document["a"]["b"][0]`` for ``a.b.0``."""
    for part in dotted_key.split("."):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


def provenance_of(record):
    """What each table's metadata records of the run (a :class:`~gpu_stress.results.record.RunRecord`)."""
    keys = ("gpu_stress_version", "created", "command", "simulation", "backend", "backend_reason", "device")
    keys += ("chunk_paths", "write_paths", "table", "sweeps", "versions", "run_id", "stream_layout")
    document = record.to_json()
    return {key: document[key] for key in keys} | {"format": record.format}


def versions():
    import numba

    found = {"python": sys.version.split()[0], "numpy": np.__version__, "numba": numba.__version__}
    found["pyarrow"] = pa.__version__
    for module in ("numba_cuda", "cupy"):
        try:
            found[module] = __import__(module).__version__
        except Exception:  # absent or unusable: not part of this run
            pass
    return found


def now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")

"""The built-in library of stress scenarios (``stresses.toml``), listed by ``gpu-stress stresses``.

A stress is a named overlay (``config.schema.Overlay``): a run with
``--stress NAME`` adds the library's table to the config's ``[[stress]]``, so
the run's record holds it and a resume or trace replays it exactly.
"""

import copy
import tomllib
from functools import cache
from pathlib import Path

from .load import ConfigError, did_you_mean
from .schema import BASELINE, Stress

LIBRARY_FILE = Path(__file__).with_name("stresses.toml")


@cache
def _library():
    with open(LIBRARY_FILE, "rb") as file:
        entries = tomllib.load(file)["stress"]
    for entry in entries:
        Stress.model_validate(entry)  # the library is valid by construction; a bad edit fails here
    return {entry["name"]: entry for entry in entries}


def library():
    """{name: stress table} of the built-in stresses, in their listed order (copies)."""
    return copy.deepcopy(_library())


def library_text():
    """The library as TOML, comments and all (to start a config's ``[[stress]]`` from)."""
    return LIBRARY_FILE.read_text()


def stress_table(name, declared=()):
    """The library's stress ``name``; one line naming the choices if there is none (or it is declared)."""
    stresses = _library()
    if name in declared:
        raise ConfigError(f"--stress {name}: the config's [[stress]] already declares it")
    if name not in stresses:
        hint = did_you_mean(name, list(stresses))
        raise ConfigError(f"--stress {name}: no such stress{hint} (gpu-stress stresses lists {len(stresses)})")
    return copy.deepcopy(stresses[name])


def with_stresses(table, names):
    """``table`` with the library's stresses ``names`` appended to its ``[[stress]]`` (a new dict)."""
    if not names:
        return table
    declared = [entry.get("name") for entry in table.get("stress", [])]
    added = []
    for name in names:
        if name == BASELINE:
            raise ConfigError(f"--stress {name}: the baseline is always run beside the stresses")
        if name in added:
            raise ConfigError(f"--stress {name}: given twice")
        added.append(name)
    return table | {"stress": [*table.get("stress", []), *(stress_table(name, declared) for name in added)]}


def overlay_overrides(name):
    """The library's stress ``name`` as ``overlay.*`` overrides (dotted key -> value), e.g. to size it in a sweep."""
    pairs = {}

    def walk(document, prefix):
        for key, value in document.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            elif key not in ("name", "description"):
                pairs[prefix + key] = value

    walk(stress_table(name), "overlay.")
    return pairs

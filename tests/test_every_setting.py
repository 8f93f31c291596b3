"""Every setting of docs/model.md runs to completion, away from its default and at both ends of its range.

Each case is one small run through the command line (64 paths, 24 months) of a
firm with every block of the model active (helpers.CAPITAL_STRUCTURE). Sweepable keys
run one sweep over the values, so one run covers both ends of a range;
``simulation.*`` keys are run-level and run once per value with ``--set``.
"""

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from gpu_stress.cli import main
from gpu_stress.config.schema import Config, numeric_range
from helpers import CAPITAL_STRUCTURE

pytestmark = pytest.mark.slow  # runs every setting of every block

# The entry of each list that a key is set on: FULL_MODEL's cohort 1 ("newer") is its planned delivery.
PLANNED = ("deposit", "deposit_months_ahead", "delay_months", "delivery_months", "lease_per_kw_month")


def keys(model, prefix=""):
    """(key, field) of each setting, as tests/test_docs.py lists them; list entries under an index."""
    for name, field in model.model_fields.items():
        if isinstance(field.default, BaseModel):
            yield from keys(type(field.default), f"{prefix}{name}.")
        elif model is Config and name in Config.tables():
            for key, entry_field in keys(Config.tables()[name], f"{name}.0."):
                planned = name == "cohorts" and key.rsplit(".", 1)[1] in PLANNED
                yield (key.replace(".0.", ".1.") if planned else key), entry_field
        else:
            yield prefix + name, field


FIELDS = dict(keys(Config))


def toml_literal(value):
    """``value`` as TOML, for ``--set`` and config files (floats keep nan and +-inf)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(key)} = {toml_literal(item)}" for key, item in value.items()) + "}"


def sweep(key, *values):
    return ["--sweep", f"{key}={','.join(str(value) for value in values)}"]


def set_(key, value):
    return ["--set", f"{key}={toml_literal(value)}"]


def named_obligor(named):
    """The arguments that give FULL_MODEL an obligor "Lab" and make ``named`` (a contract, the backstop, the
    vendor) name it, its own default probabilities at 0."""
    arguments = [*set_("obligors", [{"name": "Lab", "annual_default_probability": 0.2}])]
    arguments += [*set_(f"{named}.annual_default_probability", 0.0), *set_(f"{named}.obligor", "Lab")]
    return arguments + set_(f"{named}.glut_annual_default_probability", 0.0)


def cases():
    """{case id: (keys it exercises, command-line arguments)}."""
    found = {}
    for key, field in FIELDS.items():
        numeric = numeric_range(field)
        choices = getattr(field.annotation, "__args__", ())
        if key.startswith("simulation."):
            continue  # run-level: below
        if key == "sweep":
            found[key] = ({key}, set_("sweep", {"firm.cash": [1e9, 2e9]}))
        elif key in ("about.as_of", "about.first_month"):  # a date, a calendar month
            found[key] = ({key}, set_(key, "2025-09-30" if key.endswith("as_of") else "2025-07"))
        elif key.startswith("about."):
            found[key] = ({key}, set_(key, ["a source", "another"] if key.endswith("sources") else "a firm"))
        elif key.startswith("market.correlation."):  # +-1 is positive semi-definite with the others at 0
            others = [other for other in FIELDS if other.startswith("market.correlation.") and other != key]
            found[key] = ({key}, [*set_(others[0], 0.0), *set_(others[1], 0.0), *sweep(key, -1.0, 1.0)])
        elif key == "customers.0.share":  # the other three customers hold 0.7 of the cohort "newer"
            found[key] = ({key}, sweep(key, numeric[1], 0.3))
        elif key in ("firm.generation", "cohorts.0.generation"):  # generations FULL_MODEL lists
            found[key] = ({key}, sweep(key, "H100", "H200"))
        elif key == "generations.0.name":  # the installed fleet's generation must stay listed
            found[key] = ({key}, sweep(key, "H100"))
        elif key == "stress":  # two named overlays, run beside the baseline
            stresses = [
                {"name": "halve", "price": {"multiplier": 0.5, "months": 6}},
                {"name": "late", "launch": {"month": 3}},
            ]
            found[key] = ({key}, set_(key, stresses))
        elif key == "overlay.customer_default.customer":  # a customer FULL_MODEL lists, and the largest
            found[key] = ({key}, [*set_("overlay.customer_default.month", 4), *sweep(key, "largest", "c")])
        elif key == "customers.0.cohort":
            found[key] = ({key}, sweep(key, "installed", "newer"))
        elif key == "debt.0.funds":
            found[key] = ({key}, set_(key, ["older", "newer"]))
        elif key == "pools.0.cohorts":
            found[key] = ({key}, set_(key, ["installed", "older"]))
        elif key in ("pools.0.name", "debt.0.pool"):  # the pools the tranches of CAPITAL_STRUCTURE name
            found[key] = ({key}, sweep(key, "fleet", "growth") if key == "debt.0.pool" else sweep(key, "fleet"))
        elif key == "debt.0.revolving":  # a revolver is a bullet line that funds no cohort
            line = [*set_("debt.0.amortization", "bullet"), *set_("debt.0.funds", [])]
            found[key] = ({key}, [*line, *sweep(key, "true", "false")])
        elif key in ("debt.0.extensions", "debt.0.committed"):  # only a revolver is extended or uncommitted
            line = [*set_("debt.0.amortization", "bullet"), *set_("debt.0.funds", []), *set_("debt.0.revolving", True)]
            found[key] = ({key}, [*line, *(sweep(key, 0, 100) if key.endswith("extensions") else sweep(key, "false"))])
        elif key == "debt.0.conversion_price":  # a convertible is priced by the shares outstanding
            found[key] = ({key}, [*set_("equity.shares", 1e6), *sweep(key, 0.0, 1e9)])
        elif key in ("debt.0.call_month", "debt.0.call_trigger"):  # a call is of a convertible, before maturity
            convertible = [*set_("equity.shares", 1e6), *set_("debt.0.conversion_price", 10.0)]
            ends = (0, 1) if key.endswith("month") else (1, 100)
            found[key] = ({key}, [*convertible, *set_("debt.0.call_month", 1), *sweep(key, *ends)])
        elif key == "refinancing.window_months":  # shorter than the new loan's term
            found[key] = ({key}, [*set_("refinancing.term_months", 1200), *sweep(key, 0, 1199)])
        elif key.startswith("overlay.obligor_default."):  # an obligor FULL_MODEL's first contract names
            obligor = named_obligor("customers.0")
            if key.endswith(".obligor"):
                named = [*set_(key, "Lab"), *set_("overlay.obligor_default.month", 4)]
                found[key] = ({key}, [*obligor, *named, *sweep(key, "Lab")])
            else:
                found[key] = ({key}, [*obligor, *set_("overlay.obligor_default.obligor", "Lab"), *sweep(key, 0, 1200)])
        elif key.startswith("obligors.0.") or key.endswith(".obligor"):  # FULL_MODEL names no obligor: one
            named = key.rsplit(".", 1)[0] if key.endswith(".obligor") else "customers.0"
            obligor = named_obligor(named)
            if key.endswith(".obligor") or key.endswith(".name"):
                found[key] = ({key}, [*obligor, *sweep(key, "Lab")])
            elif field.annotation is bool:
                found[key] = ({key}, [*obligor, *sweep(key, "true", "false")])
            else:
                kind, low, high = numeric
                found[key] = ({key}, [*obligor, *sweep(key, kind(low), kind(high))])
        elif numeric:  # both ends, of the field's own type (ints for float keys: below)
            kind, low, high = numeric
            found[key] = ({key}, sweep(key, kind(low), kind(high)))
        elif field.annotation is bool:
            found[key] = ({key}, sweep(key, "true", "false"))
        elif field.annotation is str:
            found[key] = ({key}, sweep(key, "Acme", "B"))
        else:  # a Literal
            found[key] = ({key}, sweep(key, *choices))
    one_customer = [{"name": "all", "share": 1.0, "price": 2.5, "end_month": 24, "annual_default_probability": 0.1}]
    found["customers.0.share=1 (alone)"] = (
        {"customers.0.share"},
        [*set_("customers", one_customer), *sweep("customers.0.share", 0.001, 1)],
    )
    # Run-level settings, one run per value.
    simulation = {
        "simulation.paths": [1, 100],
        "simulation.horizon_months": [1, 1200, "to-last-maturity"],
        "simulation.seed": [0, 2**64 - 1],
        "simulation.precision": ["float32"],
        "simulation.independent_scenarios": [True],
        "simulation.base_case": [True],
        "simulation.central_case": [True],
        "simulation.chunk_paths": [10**12],
        "simulation.band_paths": [0, 1, 10**12],
    }
    for key, values in simulation.items():
        for value in values:
            found[f"{key}={value}"] = ({key}, set_(key, value))
    found["simulation.chunk_paths=1"] = (  # 8 chunks of 1 path; the one tracked path fits any chunk
        {"simulation.chunk_paths"},
        [*set_("simulation.chunk_paths", 1), *set_("simulation.band_paths", 1), "--paths", "8"],
    )
    found["float32, aggregates only"] = (set(), [*set_("simulation.precision", "float32"), "--no-paths"])
    # Values the key accepts, of an awkward Python type: ints for float keys, large ints.
    awkward = {
        "ints for a float key": sweep("market.price.drift", -1, 0, 1),
        "int and float for a float key": sweep("market.price.volatility", 0, 3.0),
        "large ints for a float key": sweep("firm.cash", 1, 10**13),
        "large int for an int key": sweep("firm.gpus", 1, 10**8),
        "large principal as an int": sweep("debt.0.principal", 10**13, 1.5),
        "independent scenarios": [*set_("simulation.independent_scenarios", True), *sweep("firm.gpus", 1, 2)],
    }
    for name, arguments in awkward.items():
        found[name] = (set(), arguments)
    return found


CASES = cases()


@pytest.fixture(scope="module")
def full_model(tmp_path_factory):
    """CAPITAL_STRUCTURE (FULL_MODEL with pools, equity, backstop, vendor) as a TOML file: every block on."""
    path = tmp_path_factory.mktemp("config") / "full.toml"
    path.write_text("".join(f"{key} = {toml_literal(value)}\n" for key, value in CAPITAL_STRUCTURE.items()))
    return path


def read(path):
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def assert_finite(table, where):
    """Every float (and float-list) column is finite where it is not null."""
    for column in table.column_names:
        values = table[column]
        if pa.types.is_list(values.type):
            values = pc.list_flatten(values)
        if pa.types.is_floating(values.type):
            array = values.drop_null().to_numpy()
            assert np.isfinite(array).all(), f"{where}: {column} has {array[~np.isfinite(array)][:3]}"


def assert_finite_outputs(directory):
    """scenarios.arrow exists; it, bands.arrow and every paths/*.arrow hold only finite numbers."""
    assert (directory / "scenarios.arrow").exists()
    assert_finite(read(directory / "scenarios.arrow"), "scenarios.arrow")
    if (directory / "bands.arrow").exists():
        assert_finite(read(directory / "bands.arrow"), "bands.arrow")
    for part in sorted((directory / "paths").glob("*.arrow")) + sorted((directory / "tranches").glob("*.arrow")):
        assert_finite(read(part), part.name)
    assert_finite(read(directory / "tranches.arrow"), "tranches.arrow")


def test_every_documented_setting_has_a_case():
    exercised = set().union(*(case_keys for case_keys, _ in CASES.values()))
    assert set(FIELDS) - exercised == set()


@pytest.mark.parametrize("case", CASES)
def test_setting_runs_to_completion(case, full_model, tmp_path):
    _, arguments = CASES[case]
    paths = [] if "simulation.paths" in case or "--paths" in arguments else ["--paths", "64"]
    horizon = [] if "simulation.horizon_months" in case else ["--horizon", "24"]
    output = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(full_model), *arguments, *paths, *horizon, "-o", str(output)])
    assert result.exit_code == 0, f"{result.stderr}\n{result.exception!r}"
    assert_finite_outputs(output)
    values = [arguments[index + 1].split(",") for index, option in enumerate(arguments) if option == "--sweep"]
    expected = {"sweep": 2, "stress": 3}.get(case) or math.prod(map(len, values))  # stress: baseline + two
    assert read(output / "scenarios.arrow").num_rows == expected

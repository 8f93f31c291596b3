"""Fuzzing the configuration: whatever is set, a run either refuses it cleanly or finishes with finite outputs.

Each example sets 1 to 4 leaf keys of the coreweave preset (customers and debt
included) to values that are in range, NaN, +-inf, huge, negative, zero, tiny or
of the wrong type, and runs it through the command line. Allowed outcomes:

- exit 2, one line on stderr naming one of the keys set (or a table above it,
  such as ``customers`` for the shares or ``market.correlation``), nothing on disk;
- exit 0 and every float in scenarios.arrow, bands.arrow and paths/*.arrow finite where not null;
- exit 2, one error line saying that a quantity left the representable range (after the
  line naming the backend, as the run had started), nothing on disk.

CI runs 40 examples; GPU_STRESS_FUZZ_EXAMPLES=500 runs more.
"""

import math
import os
import string
import tempfile
import typing
from pathlib import Path

from click.testing import CliRunner
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_config_ranges import base_type, displayed
from test_every_setting import FIELDS, assert_finite_outputs, toml_literal

from gpu_stress.cli import main
from gpu_stress.config.schema import numeric_range
from helpers import error_lines

LEAVES = [key for key in FIELDS if key != "sweep"]

SPECIAL = st.sampled_from(
    [
        math.nan,
        math.inf,
        -math.inf,
        1e300,
        -1e300,
        2**70,
        -(2**70),
        2**64,
        1e13,
        0,
        0.0,
        -0.0,
        -1,
        -1.5,
        1e-300,
        5e-324,
        True,
        False,
        "text",
        "",
        "nan",
        [],
        [1.0],
    ]
)
WRONG = st.one_of(
    st.floats(),  # NaN and +-inf included
    st.integers(-(2**80), 2**80),
    st.text(string.ascii_letters + string.digits + " .-", max_size=6),
    st.booleans(),
    st.lists(st.one_of(st.integers(), st.floats(allow_nan=False)), max_size=2),
)
TEXT = st.text(string.ascii_letters + " ", max_size=8)


def in_range(key):
    """Values the schema accepts for ``key``."""
    field = FIELDS[key]
    numeric = numeric_range(field)
    if numeric:
        kind, low, high = numeric
        return st.integers(low, high) if kind is int else st.floats(low, high)
    kind = base_type(field.annotation)
    if kind is bool:
        return st.booleans()
    if kind is str:
        return TEXT
    if typing.get_origin(kind) is typing.Literal:
        return st.sampled_from(typing.get_args(kind))
    return st.lists(TEXT, max_size=2)  # about.sources


@st.composite
def assignments(draw):
    """{key: value} for 1 to 4 keys."""
    keys = draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=4, unique=True))
    return {key: draw(st.one_of(in_range(key), in_range(key), in_range(key), SPECIAL, WRONG)) for key in keys}


# A renamed entry breaks the references to its old name: the error names the reference, which is right.
REFERENCED_BY = {
    "cohorts": ("customers[", "pools[", "debt["),
    "pools": ("debt[",),
    "generations": ("firm.generation", "cohorts["),
    "obligors": ("customers[", "backstop.", "vendor."),
}


def names_a_key(line, keys):
    """The line's field is one of ``keys``, a table above one (``customers``, ``market.correlation``)
    or an entry of one (``about.sources[0]``), or a reference to an entry one renamed."""
    field = line.removeprefix("Error: ").split(": ", 1)[0]
    renamed = [key.split(".")[0] for key in keys if key.count(".") == 2 and key.endswith(".name")]
    return any(
        name == field or name.startswith((f"{field}.", f"{field}[")) or field.startswith(f"{name}[")
        for name in map(displayed, keys)
    ) or any(field.startswith(REFERENCED_BY.get(table, ())) for table in renamed)


@settings(max_examples=int(os.environ.get("GPU_STRESS_FUZZ_EXAMPLES", "40")), deadline=None, derandomize=True)
@given(values=assignments())
def test_a_run_refuses_cleanly_or_finishes_finite(values):
    arguments = [part for key, value in values.items() for part in ("--set", f"{key}={toml_literal(value)}")]
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "out"
        result = CliRunner().invoke(
            main, ["run", "--preset", "coreweave", *arguments, "--paths", "32", "--horizon", "12", "-o", str(output)]
        )
        lines = result.stderr.strip().splitlines()
        refused = result.exit_code == 2 and len(lines) == 1 and names_a_key(lines[0], values)
        # A run that started has printed its backend line; it may then stop on a quantity out of range.
        errors = error_lines(result.stderr)
        out_of_range = result.exit_code == 2 and len(errors) == 1 and "range" in errors[0]
        event("finished" if result.exit_code == 0 else "refused" if refused else "left the range")
        if result.exit_code == 0:
            assert_finite_outputs(output)
        else:
            assert refused or out_of_range, f"{arguments}: exit {result.exit_code}: {result.stderr}{result.exception!r}"
            assert list(Path(folder).iterdir()) == []

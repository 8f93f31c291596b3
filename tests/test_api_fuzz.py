"""Every public function of the Python API, every argument, values of every type: only typed errors.

Each case calls ``gpu_stress.run``, ``load``, ``resume``, ``gpu_stress.analysis.sensitivity`` or ``reverse``
(and the Results methods) with one argument replaced by a value hypothesis draws (None, bools, huge and
negative numbers, NaN, text, bytes, lists, dicts, pairs, objects) and the others small and valid. The call
either returns or raises a :class:`gpu_stress.errors.UserError` with a one-line message: never a TypeError,
AttributeError, KeyError or any other exception a user cannot act on.
"""

import inspect
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gpu_stress
from gpu_stress.analysis import reverse, sensitivity
from gpu_stress.config.load import whole_count
from gpu_stress.errors import UserError

pytestmark = pytest.mark.slow  # draws values for every argument of every public function

SMALL = {"preset": "nebius", "paths": 8, "horizon": 3, "backend": "numpy", "seed": 1}
VALID = {
    "run": dict(SMALL, warn=False),
    "sensitivity": dict(SMALL, parameters=["firm.cash"]),
    "reverse": dict(SMALL, target="pd=0.5", parameter="firm.cash", range="1e8,5e9", grid=2, max_evaluations=2),
    "load": {"directory": "results"},
    "resume": {"directory": "results"},
}
FUNCTIONS = {"run": gpu_stress.run, "sensitivity": sensitivity, "reverse": reverse, "load": gpu_stress.load}
FUNCTIONS["resume"] = gpu_stress.resume
# Fixed examples in CI (derandomized); GPU_STRESS_FUZZ=N explores N fresh random examples per argument.
FUZZ_EXAMPLES = int(os.environ.get("GPU_STRESS_FUZZ", "20"))
DERANDOMIZE = "GPU_STRESS_FUZZ" not in os.environ
SKIP = {"scheduler"}  # an address is dialled (its type is checked in test_wrong_types_of_every_argument)

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=8),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=6), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=12), st.one_of(st.integers(-5, 5), st.text(max_size=6)), max_size=2),
    st.tuples(st.text(max_size=8), st.one_of(st.integers(-5, 5), st.floats(), st.text(max_size=4))),
    st.builds(object),
)


def _arguments():
    for name, function in FUNCTIONS.items():
        for parameter in inspect.signature(function).parameters:
            if parameter not in SKIP:
                yield name, parameter


def _bounded(parameter, value):
    """False for a valid value that would make a long run (many paths or months)."""
    if parameter not in ("paths", "horizon", "grid", "max_evaluations"):
        return True
    try:
        count = whole_count(value)
    except (TypeError, ValueError, OverflowError):
        return True
    return count <= 64


@pytest.fixture
def in_a_scratch_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a fuzzed output= writes here


@pytest.mark.parametrize(("function", "parameter"), list(_arguments()))
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=ANYTHING)
def test_any_value_of_any_argument_is_a_result_or_a_typed_one_line_error(
    in_a_scratch_folder, function, parameter, value
):
    assume(_bounded(parameter, value))
    arguments = dict(VALID[function], **{parameter: value})
    try:
        FUNCTIONS[function](**arguments)
    except UserError as error:
        assert str(error) and "\n" not in str(error), repr(error)


WRONG_TYPES = {
    "run": {
        "overrides": [5],
        "preset": 5,
        "keep_paths": "no",
        "paths": [1],
        "seed": 1.5,
        "horizon": "12",
        "sweep": 5,
        "stress": [3],
        "backend": 5,
        "output": 5,
        "overwrite": "yes",
        "format": 1,
        "progress": "print",
        "log": 1,
        "warn": "no",
        "config": 5,
        "scheduler": 5,
        "cluster": 4,
        "max_scenarios": "many",
        "precision": 32,
        "command": ["gpu-stress"],
    },
    "load": {"directory": 5, "verify": "no"},
    "resume": {"directory": None, "backend": 3, "progress": 1},
    "sensitivity": {"parameters": 5, "bump": "0.1", "metric": 2, "output": 3, "include_overlays": 1},
    "reverse": {"target": 5, "parameter": None, "range": (0, "1"), "grid": 1.5, "tolerance": "small"},
}


@pytest.mark.parametrize(
    ("function", "parameter", "value"),
    [(function, parameter, value) for function, wrong in WRONG_TYPES.items() for parameter, value in wrong.items()],
)
def test_wrong_types_of_every_argument(in_a_scratch_folder, function, parameter, value):
    with pytest.raises(UserError) as raised:
        FUNCTIONS[function](**dict(VALID[function], **{parameter: value}))
    message = str(raised.value)
    assert message.startswith(parameter) or f"{parameter}:" in message, message
    assert "\n" not in message


@settings(max_examples=30, deadline=None)
@given(table=ANYTHING)
def test_results_methods_take_only_their_table_names(table):
    results = gpu_stress.run(**VALID["run"])
    for method in (results.to_pandas, results.to_polars):
        try:
            method(table)
        except UserError as error:
            assert "\n" not in str(error)

"""gpu-stress reverse: the root search on common random numbers, checked on the Black-Cox closed form.

The firm is test_sensitivity's (its module docstring): PD is the discrete-monitoring
Black-Cox first-passage probability, so the glut drift at which PD reaches a target is
known, and the reported interval must hold it.
"""

import json
import math

import pytest
from click.testing import CliRunner
from test_sensitivity import black_cox_config, closed_form_pd, config_file  # noqa: F401 (a fixture)

from gpu_stress.analysis import reverse
from gpu_stress.cli import main

KEY = "market.regime.glut.drift"


def closed_form_root(target, low=-0.8, high=0.0):
    """The glut drift at which the closed-form PD is ``target`` (bisection: PD falls as the drift rises)."""
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if closed_form_pd(glut_drift=middle) > target else (low, middle)
    return (low + high) / 2


@pytest.mark.slow
def test_reverse_finds_the_black_cox_glut_drift():
    """The closed-form root lies in the reported 95 % interval; the search met the target on its own paths;
    the PD re-measured at the answer on independent paths (seed + 1) holds the target in its 95 % interval."""
    target = 0.45
    root = closed_form_root(target)
    result = reverse(
        black_cox_config(), target=("pd", target), parameter=KEY, range=(-0.8, 0.0), paths=100_000, seed=11
    )
    assert result.ci_low <= root <= result.ci_high, (root, result.ci_low, result.ci_high)
    assert result.ci_high - result.ci_low < 0.01  # meaningful: the drift to within +-0.005
    assert abs(result.value - root) < 3 * result.value_se
    assert abs(result.metric_at_value - target) <= 0.25 * result.metric_se  # the root of the CRN curve
    se = math.sqrt(target * (1 - target) / 100_000)
    assert abs(result.metric_se - se) < 0.01 * se
    # The slope against the closed form's (2 % of the way across the interval either side).
    step = 0.01
    slope = (closed_form_pd(glut_drift=root + step) - closed_form_pd(glut_drift=root - step)) / (2 * step)
    assert abs(result.slope - slope) < 3 * result.slope_se
    check = result.check
    assert check.seed == 12 and check.paths == 100_000
    assert check.ci_low <= target <= check.ci_high and check.target_inside and check.consistent
    assert len(result.evaluations) <= 20 and result.bracket[1] - result.bracket[0] <= result.tolerance


def test_reverse_on_expected_loss():
    """A smooth metric: the fire-sale haircut at which EL reaches a target, re-measured consistently."""
    config = black_cox_config()
    result = reverse(
        config, target="expected_loss=1.2e6", parameter="collateral.fire_sale_haircut", range="0.3,0.9", paths=20_000
    )
    assert 0.3 < result.value < 0.9 and result.slope > 0
    assert abs(result.metric_at_value - 1.2e6) < 0.1 * result.metric_se
    assert result.check.consistent


def run_cli(*arguments):
    return CliRunner().invoke(main, list(arguments))


SMALL = ("--paths", "4000", "--seed", "2")


def test_cli_table_and_json(config_file):  # noqa: F811
    arguments = ("reverse", str(config_file), "--target", "pd=0.4", "--param", KEY, "--range", "-0.8,0", *SMALL)
    shown = run_cli(*arguments)
    assert shown.exit_code == 0, shown.output
    for label in ("95 % interval", "PD re-measured (seed 3)", "target in that interval", KEY):
        assert label in shown.stdout
    document = json.loads(run_cli(*arguments, "--format", "json").stdout)
    assert document["metric"] == "pd" and document["target"] == 0.4 and document["parameter"] == KEY
    assert document["ci_low"] < document["value"] < document["ci_high"]
    assert document["check"]["seed"] == 3 and document["record"]["kind"] == "reverse"
    assert document["evaluations"][0] == {"value": -0.8, "pd": document["evaluations"][0]["pd"]}
    assert -0.8 < document["value"] < 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--target", "pd:0.2"), "--target: expected METRIC=VALUE with METRIC one of pd, expected_loss, cvar_99"),
        (("--target", "pd=abc"), "--target: expected METRIC=VALUE"),
        (("--target", "var=0.2"), "--target: expected METRIC=VALUE"),
        (("--target", "pd=1.5"), "--target: a PD strictly between 0 and 1, got 1.5"),
        (("--range", "-0.8"), "--range: expected LO,HI (two numbers, e.g. -0.8,0), got '-0.8'"),
        (("--range", "0,-0.8"), "--range: expected LO,HI with LO < HI, got '0,-0.8'"),
        (("--range", "-2,0"), f"--range: -2 is outside {KEY}'s range [-1, 1]"),
        (("--param", "market.regime.glut.drft"), "(did you mean 'market.regime.glut.drift'?)"),
        (("--param", "firm.gpus"), "--param: firm.gpus is a whole number"),
        (("--tolerance", "0"), "--tolerance: a positive width"),
    ],
)
def test_bad_input(config_file, arguments, message):  # noqa: F811
    given = dict(zip(arguments[::2], arguments[1::2], strict=True))
    options = {"--target": "pd=0.2", "--param": KEY, "--range": "-0.8,0"} | given
    failed = run_cli("reverse", str(config_file), *[part for item in options.items() for part in item], *SMALL)
    assert failed.exit_code == 2, failed.output
    line = failed.output.strip().splitlines()[-1]
    assert message in line, line


def test_a_target_the_range_does_not_reach(config_file):  # noqa: F811
    """One line naming the metric at each end of the range."""
    failed = run_cli("reverse", str(config_file), "--target", "pd=0.05", "--param", KEY, "--range", "-0.8,0", *SMALL)
    assert failed.exit_code == 2, failed.output
    line = failed.output.strip().splitlines()[-1]
    assert line.startswith("Error: --target: pd=0.05 is not reached on --range -0.8,0: PD is ")
    at_low, at_high = closed_form_pd(glut_drift=-0.8), closed_form_pd(glut_drift=0.0)
    assert " at -0.8 and " in line and line.endswith(" at 0")
    shown = [float(part.split("%")[0]) / 100 for part in line.split("PD is ")[1].split(" and ")]
    assert abs(shown[0] - at_low) < 0.02 and abs(shown[1] - at_high) < 0.02

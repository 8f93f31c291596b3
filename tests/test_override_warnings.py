"""Overrides that do nothing are never silent: warnings on stderr, ``--strict`` an error, the API's callbacks."""

import pytest
from click.testing import CliRunner

import gpu_stress
from gpu_stress.cli import main
from gpu_stress.config.load import ConfigError

DEAD = "covenants.cure_tests=2"  # coreweave has no covenant: nothing tests the cure count
DEAD_WARNING = (
    "warning: --set covenants.cure_tests=2 has no effect: covenants.ltv_max and covenants.dscr_min are 0 "
    "(no covenant is tested)"
)


def run_cli(*arguments):
    return CliRunner().invoke(main, ["run", "--paths", "200", "--backend", "cpu", *arguments])


def test_a_dead_override_warns_on_stderr_and_the_run_goes_on(tmp_path):
    result = run_cli("--set", DEAD, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert DEAD_WARNING in result.stderr.splitlines()
    assert "warning" not in result.stdout
    assert (tmp_path / "out" / "scenarios.arrow").exists()


def test_strict_makes_it_an_error_and_writes_nothing(tmp_path):
    result = run_cli("--set", DEAD, "--strict", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == "Error: --strict: " + DEAD_WARNING.removeprefix("warning: ")
    assert list(tmp_path.iterdir()) == []


def test_a_live_override_is_silent_even_when_strict(tmp_path):
    result = run_cli("--set", "market.price.drift=-0.3", "--set", "firm.cash=2e9", "--strict", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr


def test_identical_scenarios_of_a_sweep_are_named(tmp_path):
    result = run_cli("--sweep", "covenants.test_every_months=1,6", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "warning: --sweep covenants.test_every_months=1,6 has no effect" in result.stderr
    assert "warning: scenarios 0 and 1 have identical parameters" in result.stderr


def test_keys_of_the_users_own_config_are_checked_but_not_the_presets(tmp_path):
    config = tmp_path / "mine.toml"
    config.write_text("[refinancing]\nglut_spread = 0.1\n")  # coreweave's lenders are shut in a glut
    result = run_cli(str(config), "--preset", "coreweave", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    assert warnings == [
        "warning: config key refinancing.glut_spread has no effect: refinancing.open_in_glut is false "
        "(lenders are shut in a glut)"
    ]
    alone = run_cli("--preset", "coreweave", "-o", tmp_path / "preset")  # the preset's own dead keys: silent
    assert "warning" not in alone.stderr


def test_the_api_warns_through_its_callback_or_python_warnings_and_strict_raises():
    seen = []
    gpu_stress.run(preset="coreweave", paths=50, backend="cpu", overrides=[DEAD], warn=seen.append)
    assert seen == [DEAD_WARNING]
    with pytest.warns(gpu_stress.NoEffectWarning, match=r"covenants\.cure_tests"):
        gpu_stress.run(preset="coreweave", paths=50, backend="cpu", overrides={"covenants.cure_tests": 2})
    with pytest.raises(ConfigError, match=r"^--strict: --set covenants\.cure_tests=2 has no effect"):
        gpu_stress.run(preset="coreweave", paths=50, backend="cpu", overrides=[DEAD], strict=True)


def test_the_analyses_do_not_warn_about_their_own_bumps(recwarn):
    from gpu_stress.analysis import sensitivity

    sensitivity(preset="coreweave", parameters=["covenants.cure_tests", "firm.cash"], paths=200, seed=1)
    assert not [w for w in recwarn if issubclass(w.category, gpu_stress.NoEffectWarning)]

"""Bad input: one line naming the field, exit code 2, nothing left on disk."""

import pytest
from click.testing import CliRunner

from gpu_stress.cli import main

CASES = {
    "unknown key": (["--set", "firm.gpuz=5"], "firm.gpuz"),
    "unknown nested key": (["--set", "market.price.drfit=-0.1"], "market.price.drfit"),
    "wrong type": (["--set", 'firm.gpus="many"'], "firm.gpus"),
    "float for an integer": (["--set", "firm.gpus=1.5"], "firm.gpus"),
    "negative gpu count": (["--set", "firm.gpus=-5"], "firm.gpus"),
    "customer shares above one": (
        ["--set", "customers.1.share=0.9", "--set", 'customers.1.cohort="installed"'],
        "customers",
    ),
    "correlation above one": (
        ["--set", "market.correlation.price_utilization=1.5"],
        "market.correlation.price_utilization",
    ),
    "correlation below minus one": (
        ["--set", "market.correlation.price_rates=-1.01"],
        "market.correlation.price_rates",
    ),
    "correlation not positive semi-definite": (
        [
            "--set",
            "market.correlation.price_utilization=0.9",
            "--set",
            "market.correlation.price_rates=0.9",
            "--set",
            "market.correlation.utilization_rates=-0.9",
        ],
        "market.correlation",
    ),
    "unknown amortization": (["--set", 'debt.0.amortization="balloon"'], "debt[0].amortization"),
    "missing list entry": (["--set", "debt.10.principal=1"], "debt.10"),
    "missing config file": (["no-such-config.toml"], "config"),
    "unknown preset": (["--preset", "openai"], "preset"),
    "sweep of an unknown key": (["--sweep", "firm.gpuz=1,2"], "firm.gpuz"),
    "sweep with a bad value": (["--sweep", "firm.gpus=100,-3"], "firm.gpus"),
    "run-level sweep": (["--sweep", "simulation.paths=1,2"], "simulation.paths"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_naming_the_field(case, tmp_path):
    arguments, field = CASES[case]
    output = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", *arguments, "--paths", "100", "-o", str(output)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert field in lines[0], lines[0]
    assert list(tmp_path.iterdir()) == []  # neither out/ nor out.partial/


def test_unreadable_toml_names_the_file(tmp_path):
    config = tmp_path / "broken.toml"
    config.write_text("[firm\ngpus = 3\n")
    result = CliRunner().invoke(main, ["run", str(config), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert str(config) in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_existing_output_is_not_overwritten(tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    (output / "keep.txt").write_text("mine")
    result = CliRunner().invoke(main, ["run", "--paths", "100", "-o", str(output)])
    assert result.exit_code == 2 and "--overwrite" in result.stderr
    assert (output / "keep.txt").read_text() == "mine"


def test_summarize_of_a_missing_directory(tmp_path):
    result = CliRunner().invoke(main, ["summarize", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1

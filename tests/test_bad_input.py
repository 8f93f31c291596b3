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
    "empty sweep": (["--sweep", "firm.cash="], "firm.cash"),
    "sweep of commas only": (["--sweep", "firm.cash=,,"], "firm.cash"),
    "repeated sweep value": (["--sweep", "firm.cash=1e9,2e9,1000000000"], "firm.cash"),
    "key swept twice": (["--sweep", "firm.cash=1e9", "--sweep", "firm.cash=2e9"], "firm.cash"),
    "empty preset": (["--preset", ""], "preset"),
    "blank preset": (["--preset", "  "], "preset"),
    "a name too long": (["--set", f"firm.name={'x' * 5000}"], "firm.name"),
    "a sweep grid too large": (["--sweep", "firm.cash=1e9,2e9,3e9", "--max-scenarios", "2"], "--max-scenarios"),
    "root as output": (["-o", "/"], "output"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_naming_the_field(case, tmp_path):
    arguments, field = CASES[case]
    output = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--paths", "100", "-o", str(output), *arguments])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert field in lines[0], lines[0]
    assert len(lines[0]) <= 2000 and "x" * 100 not in lines[0]  # an excerpt of a long value, never all of it
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


# --- bounded input -----------------------------------------------------------------------------------


def _one_line(result, *names):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


def test_bounded_input_a_config_file_over_16_mb_is_refused_before_it_is_read(tmp_path):
    config = tmp_path / "huge.toml"
    with open(config, "wb") as handle:
        handle.truncate(16 * 1024 * 1024 + 1)  # sparse: no 16 MB written
    line = _one_line(CliRunner().invoke(main, ["run", str(config), "-o", str(tmp_path / "out")]), "config")
    assert "16,777,216" in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["huge.toml"]


@pytest.mark.parametrize("text", ["a = " + "[" * 5000 + "]" * 5000, "[" + ".".join(["t"] * 40) + "]\nx = 1"])
def test_bounded_input_nesting_beyond_16_levels_is_one_line(tmp_path, text):
    config = tmp_path / "deep.toml"
    config.write_text(text)
    _one_line(CliRunner().invoke(main, ["run", str(config), "-o", str(tmp_path / "out")]), "deeper than 16 levels")


def test_bounded_input_a_grid_over_10000_scenarios_is_refused_unless_raised(tmp_path):
    config = tmp_path / "grid.toml"
    drifts = ", ".join(str(-index / 1e4) for index in range(101))
    cash = ", ".join(str(1e8 * (index + 1)) for index in range(100))
    config.write_text(f'[sweep]\n"market.price.drift" = [{drifts}]\n"firm.cash" = [{cash}]\n')
    arguments = ["run", str(config), "--preset", "nebius", "-o", str(tmp_path / "out")]
    line = _one_line(CliRunner().invoke(main, arguments), "sweep", "10,100 scenarios", "--max-scenarios")
    assert "10,000" in line
    import gpu_stress
    from gpu_stress.errors import UserError

    with pytest.raises(UserError, match="10,100 scenarios"):
        gpu_stress.run(str(config), preset="nebius", paths=1, warn=False)


def test_bounded_input_a_long_description_names_its_field(tmp_path):
    config = tmp_path / "stress.toml"
    config.write_text(f'[[stress]]\nname = "long"\ndescription = "{"d" * 2000}"\nprice = {{ multiplier = 0.5 }}\n')
    line = _one_line(CliRunner().invoke(main, ["run", str(config), "-o", str(tmp_path / "out")]), "description")
    assert "d" * 100 not in line


def test_a_key_with_a_newline_is_still_one_line(tmp_path):
    import gpu_stress
    from gpu_stress.errors import UserError

    with pytest.raises(UserError) as raised:
        gpu_stress.run(preset="nebius", paths=5, overrides={"firm.\nname": 1}, warn=False)
    assert "\n" not in str(raised.value)


def test_kernels_without_the_cuda_compiler_names_the_extra(monkeypatch):
    from gpu_stress import kernel_report

    def no_compiler(targets):
        raise ImportError("No module named 'numba.cuda.cudadrv.libs'")

    monkeypatch.setattr(kernel_report, "report", no_compiler)
    line = _one_line(CliRunner().invoke(main, ["kernels"]), "kernels", "gpu-stress[kernels]")
    assert "Traceback" not in line


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly(tmp_path):
    import subprocess
    import sys

    output = tmp_path / "grid"
    cash = ",".join(str(1e8 * (index + 1)) for index in range(300))
    arguments = ["run", "--preset", "nebius", "--paths", "5", "--horizon", "3", "--backend", "numpy", "--no-paths"]
    assert CliRunner().invoke(main, [*arguments, "--sweep", f"firm.cash={cash}", "-o", str(output)]).exit_code == 0
    for view in (["--json"], ["--format", "csv"], []):
        command = [sys.executable, "-m", "gpu_stress", "summarize", str(output), *view]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stdout.read(10)
        process.stdout.close()  # as `| head -c 10` does
        stderr = process.stderr.read().decode()
        assert process.wait() in (0, 141) and stderr == "", stderr

"""`gpu-stress presets show`, `gpu-stress schema`, and "did you mean" for unknown config keys and presets."""

import json
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from gpu_stress.cli import main
from gpu_stress.config.load import ConfigError, load_config, load_table, preset_names, validate
from gpu_stress.config.portfolio import PortfolioConfig
from gpu_stress.config.schema import Config

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ROOT / "gpu_stress" / "config" / "presets"


def invoke(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def one_line_exit_2(result):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def dump(config):
    """Everything a validated config holds (a portfolio's firms' configs too)."""
    document = config.model_dump()
    if isinstance(config, PortfolioConfig):
        document["firm_configs"] = [firm.model_dump() for firm in config.firm_configs]
    return document


# --- presets -----------------------------------------------------------------------------------


def test_presets_alone_still_lists_them():
    result = invoke("presets")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.strip().splitlines()] == preset_names()


@pytest.mark.parametrize("name", preset_names())
def test_presets_show_prints_the_file_as_written_and_it_loads_back_the_same(name, tmp_path):
    result = invoke("presets", "show", name)
    assert result.exit_code == 0, result.output
    assert result.stdout == (PRESETS / f"{name}.toml").read_text()  # comments (the sources) included
    assert result.stdout.lstrip().startswith("#")
    copy = tmp_path / f"my-{name}.toml"
    copy.write_text(result.stdout)
    # `gpu-stress run my-name.toml` reads the file alone: the same table and the same validated config.
    assert load_table(copy) == load_table(preset=name)
    assert dump(load_config(copy)) == dump(load_config(preset=name))


def test_a_shown_preset_runs_as_the_preset(tmp_path):
    shown = tmp_path / "mine.toml"
    shown.write_text(invoke("presets", "show", "lambda").stdout)
    options = ["--paths", 50, "--horizon", 6, "--backend", "numpy", "--no-paths"]
    from_file = invoke("run", shown, *options, "-o", tmp_path / "file", "--json")
    from_preset = invoke("run", "--preset", "lambda", *options, "-o", tmp_path / "preset", "--json")
    assert from_file.exit_code == 0 and from_preset.exit_code == 0, from_file.output + from_preset.output
    assert json.loads(from_file.stdout)["scenarios"] == json.loads(from_preset.stdout)["scenarios"]


def test_an_unknown_preset_is_one_line_with_a_suggestion():
    line = one_line_exit_2(invoke("presets", "show", "corewave"))
    assert "unknown preset 'corewave'" in line and "(did you mean 'coreweave'?)" in line
    assert "nebius" in line  # and the names to choose from
    line = one_line_exit_2(invoke("presets", "show", "zzzz"))
    assert "did you mean" not in line and "choose from" in line
    line = one_line_exit_2(invoke("run", "--preset", "Nebius", "-o", "unused"))
    assert "(did you mean 'nebius'?)" in line


def test_a_portfolio_names_a_mistyped_firm_preset():
    table = {"firms": [{"preset": "lamda"}]}
    with pytest.raises(ConfigError, match=r"firms\[0\]\.preset: unknown preset 'lamda' \(did you mean 'lambda'\?\)"):
        validate(table)


# --- schema ------------------------------------------------------------------------------------


def resolve(schema, root):
    """The object schema behind $ref and anyOf (the first object alternative), or the schema itself."""
    while True:
        if "$ref" in schema:
            schema = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
        elif "anyOf" in schema:
            objects = [option for option in schema["anyOf"] if option.get("type") != "null"]
            scalars = all(option.get("type") not in ("object", "array", None) for option in objects)
            if scalars and len(objects) > 1:  # a number or a word ("to-last-maturity"): the leaf check sees both
                return schema
            schema = objects[0]
        else:
            return schema


def check_structure(table, schema, root, where="config"):
    """Every key of a TOML table is a property of its schema, tables and lists of tables recursively;
    every required property is there. (A structural check: jsonschema is not a dependency.)"""
    schema = resolve(schema, root)
    if isinstance(table, dict):
        assert schema.get("type") == "object", where
        properties = schema.get("properties")
        if properties is None:  # a free table (sweep: key -> values)
            assert schema.get("additionalProperties") not in (False, None), where
            return
        assert schema.get("additionalProperties") is False, where
        assert set(table) <= set(properties), (where, set(table) - set(properties))
        assert set(schema.get("required", [])) <= set(table), where
        for key, value in table.items():
            check_structure(value, properties[key], root, f"{where}.{key}")
    elif isinstance(table, list):
        assert schema.get("type") == "array", where
        for index, item in enumerate(table):
            check_structure(item, schema.get("items", {}), root, f"{where}[{index}]")
    else:
        kind = {bool: "boolean", int: "integer", float: "number", str: "string"}[type(table)]
        allowed = {option.get("type") for option in schema.get("anyOf", [schema])} - {None}
        if allowed:
            assert kind in allowed or (kind == "integer" and "number" in allowed), (where, kind, allowed)


def schema_of(*args):
    result = invoke("schema", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_schema_is_json_schema_of_the_config():
    schema = schema_of()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert list(schema["properties"]) == list(Config.model_fields)
    assert schema["additionalProperties"] is False  # a typo is an error, as in the validation
    gpus = resolve(schema["properties"]["firm"], schema)["properties"]["gpus"]
    assert (gpus["type"], gpus["minimum"], gpus["maximum"], gpus["default"]) == ("integer", 1, 10**8, 10_000)


@pytest.mark.parametrize("name", [name for name in preset_names() if name != "neoclouds"])
def test_every_firm_preset_fits_the_schema(name):
    table = tomllib.loads((PRESETS / f"{name}.toml").read_text())
    schema = schema_of()
    assert set(table) <= set(schema["properties"])  # its top-level tables
    check_structure(table, schema, schema)


def test_the_portfolio_preset_fits_the_portfolio_schema():
    table = tomllib.loads((PRESETS / "neoclouds.toml").read_text())
    schema = schema_of("--portfolio")
    assert list(schema["properties"]) == list(PortfolioConfig.model_fields)
    check_structure(table, schema, schema)
    # A firm's config table is checked as a firm's configuration.
    config = resolve(resolve(schema["properties"]["firms"], schema)["items"], schema)["properties"]["config"]
    assert resolve(config, schema)["properties"].keys() == Config.model_fields.keys()
    with pytest.raises(AssertionError):
        check_structure({"firms": [{"preset": "lambda", "config": {"firm": {"csh": 1}}}]}, schema, schema)


def test_the_structural_check_sees_a_typo():
    schema = schema_of()
    with pytest.raises(AssertionError):
        check_structure({"firm": {"csh": 1.0}}, schema, schema)
    with pytest.raises(AssertionError):
        check_structure({"debt": [{"name": "loan"}]}, schema, schema)  # maturity_month is required


# --- "did you mean" for unknown keys ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("firm.csh=1", "firm.csh: unknown key (did you mean 'firm.cash'?)"),
        ("frim.cash=1", "frim: unknown key (did you mean 'firm.cash'?)"),
        ("Firm.gpus=10", "Firm: unknown key (did you mean 'firm.gpus'?)"),
        ("simulation.path=10", "simulation.path: unknown key (did you mean 'simulation.paths'?)"),
        ("debt.0.princpal=1", "debt[0].princpal: unknown key (did you mean 'debt[0].principal'?)"),
        ("market.price.volatilty=0.2", "market.price.volatilty: unknown key (did you mean 'market.price.volatility'?)"),
    ],
)
def test_an_unknown_key_suggests_the_closest(override, message):
    with pytest.raises(ConfigError) as error:
        load_config(preset="coreweave", overrides=[override])
    assert str(error.value) == message


def test_an_unknown_key_far_from_any_gets_no_suggestion():
    with pytest.raises(ConfigError) as error:
        load_config(preset="coreweave", overrides=["zzzz=1"])
    assert str(error.value) == "zzzz: unknown key"


def test_an_unknown_key_in_a_toml_file_and_on_the_command_line(tmp_path):
    config = tmp_path / "typo.toml"
    config.write_text("[firm]\ncahs = 1e9\n")
    line = one_line_exit_2(invoke("run", config, "-o", tmp_path / "out"))
    assert "firm.cahs: unknown key (did you mean 'firm.cash'?)" in line
    line = one_line_exit_2(invoke("run", "--set", "covenants.ltv_mx=1", "-o", tmp_path / "out"))
    assert "(did you mean 'covenants.ltv_max'?)" in line
    line = one_line_exit_2(invoke("run", "--sweep", "firm.gpu=100,200", "-o", tmp_path / "out"))
    assert "(did you mean 'firm.gpus'?)" in line
    assert not (tmp_path / "out").exists()


def test_an_unknown_key_in_a_portfolio_firm_names_its_place():
    table = {"firms": [{"preset": "lambda", "config": {"firm": {"csh": 1.0}}}]}
    with pytest.raises(ConfigError) as error:
        validate(table)
    assert str(error.value) == "firms[0].config.firm.csh: unknown key (did you mean 'firms[0].config.firm.cash'?)"
    with pytest.raises(ConfigError, match=r"fire_sale: unknown key \(did you mean 'fire_sales.impact'\?\)"):
        validate({"firms": [{"preset": "lambda"}], "fire_sale": {"impact": 0.1}})


# --- environment.yml -------------------------------------------------------------------------------


def test_environment_yml_installs_everything_with_conda_and_only_gpu_stress_with_pip():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [item for item in environment["dependencies"] if isinstance(item, str)]
    (pip,) = [item["pip"] for item in environment["dependencies"] if isinstance(item, dict)]
    # pip's requirement-file lines take no per-line options (a "-e . --no-deps" line fails).
    assert pip == ["-e ."]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    conda_names = {"xxhash": "python-xxhash"}  # conda-forge's name of the Python bindings
    for requirement in project["dependencies"]:  # met by conda, so pip installs nothing more
        name = requirement.split(">")[0]
        assert requirement.replace(name, conda_names.get(name, name), 1) in conda, requirement
    names = {item.split("=")[0].split(">")[0].split("<")[0] for item in conda}
    gpu = {"numba-cuda", "cupy", "cuda-version", "cuda-nvvm", "cuda-nvrtc", "libnvjitlink", "cuda-nvcc-tools"}
    assert gpu | {"dask", "distributed", "dask-cuda", "matplotlib"} <= names

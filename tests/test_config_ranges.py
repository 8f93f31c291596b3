"""Every numeric setting has a physical range: in the schema, in docs/model.md, and at the command line.

A number outside its range, NaN or +-inf is refused before anything is written:
exit code 2 and one line naming the key and its range.
"""

import math
import re
import types
import typing
from pathlib import Path
from typing import Literal

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from gpu_stress.cli import main
from gpu_stress.config import load_config, preset_names
from gpu_stress.config.load import ConfigError, format_number, load_table, validate
from gpu_stress.config.schema import Config, numeric_range
from helpers import FULL_MODEL, MARKET_ONLY

ROOT = Path(__file__).resolve().parent.parent


def leaf_fields(model=Config, prefix=""):
    """(documented key, pydantic field) of every setting, with ``customers[].``, ``debt[].`` ... entries."""
    for name, field in model.model_fields.items():
        if isinstance(field.default, BaseModel):
            yield from leaf_fields(type(field.default), f"{prefix}{name}.")
        elif model is Config and name in Config.tables():
            yield from leaf_fields(Config.tables()[name], f"{name}[].")
        else:
            yield prefix + name, field


def base_type(annotation):
    """int for ``Annotated[int, ...] | None`` and the like (``| Literal[...]``: a word a number may be instead)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arguments = typing.get_args(annotation)
        (annotation,) = [arg for arg in arguments if arg is not type(None) and typing.get_origin(arg) is not Literal]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


NUMERIC = {key: field for key, field in leaf_fields() if base_type(field.annotation) in (int, float)}
RANGES = {key: numeric_range(field) for key, field in NUMERIC.items()}


def test_every_numeric_setting_has_a_finite_range():
    assert len(NUMERIC) > 60
    missing = [key for key, numeric in RANGES.items() if numeric is None]
    assert missing == []
    for key, (kind, low, high) in RANGES.items():
        assert kind is base_type(NUMERIC[key].annotation), key
        assert math.isfinite(low) and math.isfinite(high) and low < high, key


# Tables the default preset (coreweave) may lack: give it one entry where a key needs it.
SEEDS = {
    "cohorts": "cohorts=[{gpus = 10, gpu_cost = 1000.0, delivery_month = 3}]",
    "generations": 'generations=[{name = "H100"}]',
    "obligations": "obligations=[{monthly = 1000.0}]",
    "obligors": 'obligors=[{name = "Lab"}]',
}


def seeded(key, assignment):
    """``[assignment]``, after one entry of its table if the key is one of a table the default preset lacks."""
    table = re.split(r"[.\[]", key)[0]
    return [SEEDS[table], assignment] if table in SEEDS and not load_table().get(table) else [assignment]


def concrete(key):
    """``customers[].share`` -> ``customers.0.share`` (the default preset, coreweave, has both lists)."""
    return key.replace("[].", ".0.")


def schema_key(key):
    """``customers.0.share`` -> ``customers[].share``."""
    return re.sub(r"\.\d+\.", "[].", key)


@pytest.mark.parametrize("key", RANGES)
def test_every_numeric_setting_refuses_values_outside_its_range(key):
    kind, low, high = RANGES[key]
    for value in outside(kind, low, high).values():
        with pytest.raises(ConfigError) as error:
            load_config(overrides=seeded(key, f"{concrete(key)}={literal(value)}"))
        message = str(error.value)
        assert message.startswith(f"{displayed(concrete(key))}: must be "), message
        assert f"between {format_number(low)} and {format_number(high)}" in message, message


def documented_ranges():
    """{key: range cell} of docs/model.md's parameter table."""
    lines = (ROOT / "docs" / "model.md").read_text().splitlines()
    header = next(index for index, line in enumerate(lines) if line.startswith("| key | unit | range |"))
    column = [cell.strip() for cell in lines[header].strip("|").split("|")].index("range")
    table = {}
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        for key in re.findall(r"`([^`]+)`", cells[0]):
            table[key] = cells[column]
    return table


def parse_number(text):
    text = text.replace(",", "")
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def test_docs_give_each_numeric_setting_the_schema_range():
    documented = documented_ranges()
    for key, (_, low, high) in RANGES.items():
        assert key in documented, f"{key} is missing from the parameter table"
        match = re.fullmatch(r"(\S+) to (\S+)", documented[key])
        assert match, f"{key}: range {documented[key]!r} is not 'LOW to HIGH'"
        assert (parse_number(match[1]), parse_number(match[2])) == (low, high), key


def test_docs_give_no_range_to_other_settings():
    extra = {key: cell for key, cell in documented_ranges().items() if cell and key not in RANGES}
    assert extra == {}


def test_presets_and_test_configurations_fit_the_ranges():
    for name in preset_names():
        load_config(preset=name)
    validate(FULL_MODEL)
    validate(MARKET_ONLY)


def displayed(key):
    """How an error message names a key: ``debt.0.rate`` -> ``debt[0].rate``."""
    return re.sub(r"\.(\d+)", r"[\1]", key)


def literal(value):
    """A TOML literal for ``--set``."""
    if isinstance(value, float):
        return repr(value)  # nan, inf and -inf are TOML literals too
    return str(value)


def outside(kind, low, high):
    """Values just outside [low, high], and for floats NaN and +-inf as well."""
    if kind is int:
        return {"below": low - 1, "above": high + 1}
    step = max(abs(low), abs(high), 1.0)
    return {"below": low - step, "above": high + step, "nan": math.nan, "inf": math.inf, "-inf": -math.inf}


# A sample of keys, from every section (the default preset, coreweave, has customers and debt).
SAMPLE = [
    "simulation.horizon_months",
    "simulation.seed",
    "simulation.chunk_paths",
    "simulation.band_paths",
    "market.price.initial",
    "market.price.drift",
    "market.price.volatility",
    "market.price.jump_size",
    "market.regime.glut.drift",
    "market.regime.shortage.utilization",
    "market.utilization.mean",
    "market.rates.volatility",
    "market.rates.floor",
    "market.correlation.price_rates",
    "firm.gpus",
    "firm.gpu_cost",
    "firm.pue",
    "firm.cash",
    "collateral.price_elasticity",
    "covenants.ltv_max",
    "covenants.cure_tests",
    "refinancing.spread",
    "refinancing.term_months",
    "customers.0.share",
    "customers.1.price",
    "customers.0.end_month",
    "debt.0.principal",
    "debt.2.rate",
    "debt.1.maturity_month",
    "cohorts.0.gpus",
    "cohorts.0.delivery_month",
    "cohorts.0.age_decay",
]
CASES = [
    pytest.param(key, value, id=f"{key}={label}")
    for key in SAMPLE
    for label, value in outside(*RANGES[schema_key(key)]).items()
]


def run_with(tmp_path, *arguments):
    return CliRunner().invoke(main, ["run", *arguments, "--paths", "100", "-o", str(tmp_path / "out")])


@pytest.mark.parametrize(("key", "value"), CASES)
def test_a_value_outside_the_range_is_one_line_naming_key_and_range(key, value, tmp_path):
    _, low, high = RANGES[schema_key(key)]
    settings = [part for assignment in seeded(key, f"{key}={literal(value)}") for part in ("--set", assignment)]
    result = run_with(tmp_path, *settings)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"{displayed(key)}: must be " in lines[0], lines[0]
    assert f"between {format_number(low)} and {format_number(high)}" in lines[0], lines[0]
    assert list(tmp_path.iterdir()) == []  # neither out/ nor out.partial/


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (["--set", "firm.gpus=-5"], "firm.gpus: must be an integer between 1 and 100,000,000 (got -5)"),
        (["--set", "market.price.drift=nan"], "market.price.drift: must be a finite number between -1 and 1 (got nan)"),
        (["--set", "firm.cash=inf"], "firm.cash: must be a finite number between 0 and 10,000,000,000,000 (got inf)"),
        (["--set", "debt.0.rate=-inf"], "debt[0].rate: must be a finite number between -1 and 1 (got -inf)"),
        (["--set", "firm.gpus=1e300"], "firm.gpus: must be an integer between 1 and 100,000,000 (got 1e+300)"),
        (
            ["--sweep", "market.price.volatility=0.3,inf"],
            "sweep (market.price.volatility=inf): market.price.volatility: must be a finite number between 0 and 3"
            " (got inf)",
        ),
        (
            ["--set", 'sweep={"firm.cash" = [1e9, nan]}'],
            "sweep.firm.cash[1]: Input should be a finite number (got nan)",
        ),
    ],
)
def test_the_line_says_what_is_allowed(arguments, line, tmp_path):
    result = run_with(tmp_path, *arguments)
    assert result.exit_code == 2, result.output
    assert [text.removeprefix("Error: ") for text in result.stderr.strip().splitlines()] == [line]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("key", SAMPLE)
def test_both_ends_of_the_range_are_accepted(key):
    kind, low, high = RANGES[schema_key(key)]
    for value in (low, high):
        if key.startswith("customers") and key.endswith("share") and value > 0.3:
            continue  # the two coreweave customers' shares must still sum to at most 1
        if key.startswith("market.correlation"):
            load_config(overrides=["market.correlation.price_utilization=0", f"{key}={literal(kind(value))}"])
        elif key == "cohorts.0.delivery_month":  # its contract (customers.1) then needs a term that fits
            load_config(overrides=["customers.1.end_month=1200", f"{key}={literal(kind(value))}"])
        else:
            load_config(overrides=seeded(key, f"{key}={literal(kind(value))}"))

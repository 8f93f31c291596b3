"""Every parameter slot is declared once, filled from the config, used by the kernels and the oracle, and every
model setting in the schema feeds a slot: adding a parameter that misses one of these places fails here."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from gpu_stress.config.schema import Config
from gpu_stress.kernels import layout as L
from gpu_stress.params import PORTFOLIO_SLOTS, SLOTS, ParameterError, parameter_vector
from helpers import FULL_MODEL, config_of

ROOT = Path(__file__).resolve().parent.parent
# Settings of the run rather than of the model, and labels: no slot reads them.
NOT_MODEL = {
    "simulation.paths",
    "simulation.horizon_months",
    "simulation.seed",
    "simulation.precision",
    "simulation.independent_scenarios",
    "simulation.chunk_paths",
    "simulation.band_paths",
    "firm.name",
    "cohorts[].name",
    "generations[].name",
    "obligations[].name",
    "customers[].name",
    "debt[].name",
    "pools[].name",
    "backstop.counterparty",
    "vendor.name",
    "overlay.name",
    "overlay.description",
    "stress",  # named overlays: each becomes a scenario's [overlay] (scenarios.expand)
}
TABLES = Config.tables()


def schema_keys(model=Config, prefix=""):
    for name, field in model.model_fields.items():
        if name in ("about", "sweep"):
            continue
        if isinstance(field.default, BaseModel):
            yield from schema_keys(type(field.default), f"{prefix}{name}.")
        elif name in TABLES:
            yield name
            yield from (f"{name}[].{key}" for key in TABLES[name].model_fields)
        else:
            yield prefix + name


def constant_of(index):
    """The layout constant of parameter slot ``index`` (a block's one constant for each of its slots)."""
    name = L.PARAMETER_NAMES[index]
    constant = name.upper() if hasattr(L, name.upper()) else re.sub(r"_\d+$", "", name).upper()
    assert getattr(L, constant) <= index, name
    return constant


def test_every_slot_is_declared_exactly_once():
    covered = [index for slot in SLOTS for index in range(slot.index, slot.index + slot.size)]
    assert sorted(covered) == list(range(L.PARAMETER_COUNT))


@pytest.mark.parametrize("left_out", range(len(SLOTS)), ids=lambda i: L.PARAMETER_NAMES[SLOTS[i].index])
def test_a_slot_left_unfilled_fails_naming_it(left_out):
    slots = SLOTS[:left_out] + SLOTS[left_out + 1 :]
    with pytest.raises(ParameterError, match=L.PARAMETER_NAMES[SLOTS[left_out].index]):
        parameter_vector(config_of(FULL_MODEL), slots)


def test_every_model_setting_feeds_a_slot_and_every_source_is_a_setting():
    keys = set(schema_keys())
    sources = {source for slot in SLOTS for source in slot.sources}
    model_keys = {key for key in keys if key not in NOT_MODEL}
    fed = {key for key in model_keys if any(source == key or source.startswith(key + ".") for source in sources)}
    fed |= {key for key in model_keys if any(key.startswith(source + ".") for source in sources)}
    assert model_keys - fed == set()
    assert {
        source for source in sources if source not in keys and not any(k.startswith(source + ".") for k in keys)
    } == set()


def test_every_slot_is_read_by_the_kernels_and_by_the_oracle():
    kernels = "".join(path.read_text() for path in (ROOT / "kernels").glob("*.py") if path.name != "layout.py")
    oracle = "".join(path.read_text() for path in (ROOT / "gpu_stress" / "backends" / "oracle").glob("*.py"))
    for constant in {constant_of(index) for index in range(L.PARAMETER_COUNT)}:
        assert re.search(rf"\b{constant}\b", kernels), f"{constant} is not read by the kernels"
        assert re.search(rf"\bL\.{constant}\b", oracle), f"{constant} is not read by the oracle"


def test_every_slot_has_a_unit_or_says_it_is_a_number():
    for slot in SLOTS:
        set_by_portfolio = slot.index in PORTFOLIO_SLOTS  # a firm's place in [[firms]], not a setting of it
        assert isinstance(slot.unit, str) and (slot.sources or set_by_portfolio), L.PARAMETER_NAMES[slot.index]


def test_every_output_and_statement_column_is_named_by_its_own_slot():
    for prefix, names in (("OUT_", L.FLOAT_OUTPUT_NAMES + L.INT_OUTPUT_NAMES), ("STATEMENT_", L.STATEMENT_NAMES)):
        constants = {
            name: value for name, value in vars(L).items() if name.startswith(prefix) and isinstance(value, int)
        }
        constants.pop("STATEMENT_COUNT", None)
        for constant, index in constants.items():
            own = constant.removeprefix(prefix).lower()
            if prefix == "OUT_" and f"{own}_0" in L.INT_OUTPUT_NAMES + L.FLOAT_OUTPUT_NAMES:  # a block, by tranche
                block = L.INT_OUTPUT_NAMES if f"{own}_0" in L.INT_OUTPUT_NAMES else L.FLOAT_OUTPUT_NAMES
                assert block[index] == f"{own}_0", constant
            elif prefix == "OUT_" and own in L.INT_OUTPUT_NAMES:
                assert L.INT_OUTPUT_NAMES[index] == own, constant
            elif prefix == "OUT_" and own in L.MARKET_OUTPUT_NAMES:  # a portfolio path's market outputs
                assert L.MARKET_OUTPUT_NAMES[index] == own, constant
            elif prefix == "OUT_":
                assert L.FLOAT_OUTPUT_NAMES[index] == own, constant
            else:
                assert re.fullmatch(rf"{own}(_\d+)?", names[index]), constant
    import pyarrow as pa

    from gpu_stress.results.store import paths_schema

    stored = paths_schema(pa.float64(), {}).names
    assert stored == ["scenario_id", "path_id", *L.PATH_INT_OUTPUT_NAMES, *L.PATH_FLOAT_OUTPUT_NAMES]

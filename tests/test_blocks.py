"""The checklist "adding a model block" (docs/architecture.md), enforced: every block has every piece.

``missing(block)`` lists what a block module lacks, each item naming the piece and where it goes;
the tests run it on every block of the registry, and on a made-up block to show that it names
what is missing.
"""

import ast
import re
import types
import typing
from functools import cache
from pathlib import Path

import pytest

from gpu_stress import blocks
from gpu_stress.config.portfolio import PortfolioConfig
from gpu_stress.config.schema import Config
from gpu_stress.kernels import layout as L

ROOT = Path(__file__).parent.parent
PIECES = ("SECTIONS", "SLOTS", "RULES", "FIELDS", "STATEMENT_LINES", "EVENTS", "KERNEL")
# Config fields that are no block's: free text, the sweep grid, and the market that composes five blocks.
NOT_A_BLOCK = {"about", "sweep", "market", "firms", "book"}


def block_name(block):
    return block.__name__.rsplit(".", 1)[1]


@cache
def kernel_functions():
    """{(module, function): the names it uses} of every top-level function of kernels/."""
    found = {}
    for path in (ROOT / "kernels").glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                found[(path.stem, node.name)] = {name.id for name in ast.walk(node) if isinstance(name, ast.Name)}
    return found


@cache
def oracle_source():
    return {path.stem: path.read_text() for path in (ROOT / "gpu_stress" / "backends" / "oracle").glob("*.py")}


def slot_constant(slot):
    """The layout constant of a slot: ``log_drift_0`` -> ``LOG_DRIFT``."""
    return re.sub(r"_\d+$", "", L.PARAMETER_NAMES[slot.index]).upper()


def section_type(key):
    """The model class of the config field ``key`` (``market.price``, ``debt``, ``fire_sales``), or None."""
    model = PortfolioConfig if key == "fire_sales" else Config
    *parents, last = key.split(".")
    for part in parents:
        model = model.model_fields[part].annotation
    field = model.model_fields.get(last)
    if field is None:
        return None
    annotation = field.annotation
    while typing.get_origin(annotation) in (list, typing.Annotated):
        annotation = typing.get_args(annotation)[0]
    return annotation


def missing(block):
    """What ``block`` (a module) lacks of the checklist, one line each naming the piece."""
    name = f"blocks/{block_name(block)}.py"
    lacking = [f"{name}: no {piece}" for piece in PIECES if not hasattr(block, piece)]
    if lacking:
        return lacking
    for key, model in block.SECTIONS.items():
        if section_type(key) is not model:
            lacking.append(f"{name}: SECTIONS[{key!r}] is not the type of Config's field {key!r} (config/schema.py)")
    for rule_name, _ in block.RULES:
        if rule_name not in blocks.RULE_ORDER:
            lacking.append(f"{name}: no-effect rule {rule_name!r} is not in blocks.RULE_ORDER")
    for event_name, _ in block.EVENTS:
        if event_name not in blocks.EVENT_ORDER:
            lacking.append(f"{name}: event {event_name!r} is not in blocks.EVENT_ORDER")
    functions = kernel_functions()
    read = set()
    for entry in block.KERNEL:
        module, _, function = entry.partition(".")
        if (module, function) not in functions:
            lacking.append(f"{name}: kernel function {entry} is not in kernels/{module}.py")
            continue
        read |= functions[(module, function)]
        if module not in oracle_source():
            lacking.append(f"{name}: kernel function {entry} has no oracle module backends/oracle/{module}.py")
    oracle = "".join(oracle_source().values())
    for slot in block.SLOTS:
        constant = slot_constant(slot)
        if constant not in read:
            lacking.append(f"{name}: slot {constant} is read by none of its KERNEL functions")
        if not re.search(rf"\bL\.{constant}\b", oracle):
            lacking.append(f"{name}: slot {constant} is read nowhere in the oracle (backends/oracle/)")
    if f"`{name}`" not in (ROOT / "docs" / "architecture.md").read_text():
        lacking.append(f"{name}: no row in docs/architecture.md's block registry")
    return lacking


@pytest.mark.parametrize("block", blocks.BLOCKS, ids=block_name)
def test_every_block_has_every_piece_of_the_checklist(block):
    assert missing(block) == []


def test_the_checklist_names_what_a_block_lacks():
    incomplete = types.ModuleType("gpu_stress.blocks.drafted")
    incomplete.SECTIONS, incomplete.SLOTS, incomplete.RULES = {"market.rates": dict}, blocks.rates.SLOTS, ()
    assert missing(incomplete) == [f"blocks/drafted.py: no {piece}" for piece in PIECES[3:]]
    incomplete.FIELDS, incomplete.STATEMENT_LINES, incomplete.EVENTS = {}, (), (("deliveries", None),)
    incomplete.KERNEL = ("market.market_step", "fleet.no_such_step")
    assert missing(incomplete) == [
        "blocks/drafted.py: SECTIONS['market.rates'] is not the type of Config's field 'market.rates' "
        "(config/schema.py)",
        "blocks/drafted.py: event 'deliveries' is not in blocks.EVENT_ORDER",
        "blocks/drafted.py: kernel function fleet.no_such_step is not in kernels/fleet.py",
        "blocks/drafted.py: slot RATE_INITIAL is read by none of its KERNEL functions",
        "blocks/drafted.py: slot RATE_FLOOR is read by none of its KERNEL functions",
        "blocks/drafted.py: no row in docs/architecture.md's block registry",
    ]


def test_every_config_section_belongs_to_exactly_one_block():
    owners = {}
    for block in blocks.BLOCKS:
        for key in block.SECTIONS:
            owners.setdefault(key, []).append(block_name(block))
    wanted = {key for key in Config.model_fields if key not in NOT_A_BLOCK}
    wanted |= {f"market.{key}" for key in Config.model_fields["market"].annotation.model_fields}
    wanted |= {key for key in PortfolioConfig.model_fields if key not in NOT_A_BLOCK and key not in Config.model_fields}
    assert {key: owners.get(key) for key in wanted if len(owners.get(key, [])) != 1} == {}
    assert set(owners) <= wanted


def test_every_slot_is_declared_by_exactly_one_block():
    owners = {}
    for block in blocks.BLOCKS:
        for slot in block.SLOTS:
            for index in range(slot.index, slot.index + slot.size):
                owners.setdefault(L.PARAMETER_NAMES[index], []).append(block_name(block))
    assert {name: owners.get(name) for name in L.PARAMETER_NAMES if len(owners.get(name, [])) != 1} == {}


def test_every_per_path_output_and_statement_line_belongs_to_exactly_one_block():
    stored = [*L.PATH_INT_OUTPUT_NAMES, *L.PATH_FLOAT_OUTPUT_NAMES, *L.MARKET_OUTPUT_NAMES, "recovery"]
    owners = {}
    for block in blocks.BLOCKS:
        for field in block.FIELDS:
            owners.setdefault(field, []).append(block_name(block))
    assert {name: owners.get(name) for name in stored if len(owners.get(name, [])) != 1} == {}
    lines = {re.sub(r"_\d+$", "", name) for name in L.STATEMENT_NAMES}
    owners = {}
    for block in blocks.BLOCKS:
        for line in block.STATEMENT_LINES:
            owners.setdefault(line, []).append(block_name(block))
    assert {line: owners.get(line) for line in lines if len(owners.get(line, [])) != 1} == {}
    assert set(owners) <= lines

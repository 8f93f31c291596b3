"""The model's blocks: each one home for everything the host knows of one part of the model.

A block module declares its parameter slots (``SLOTS``: unit, config sources and
derivation, ``slots.Slot``) and the rules that say when its settings change nothing
(``RULES``: ``(name, rule)``, ``rule(view.FirmView)`` yielding ``(slots, reason)``)
the words the summary uses for its dated events (``EVENTS``: ``(name, phrases)``),
and the per-path outputs and statement lines it writes (``FIELDS``: name -> (unit,
description), ``STATEMENT_LINES``).
``params.parameter_vector`` fills the kernels' vector from the slots of every block
in :data:`BLOCKS` and ``config.effects`` applies every block's rules; no other module
holds a block's knowledge. docs/architecture.md says what a new block needs
("Adding a model block").
"""

from . import (
    capital,
    claims,
    contracts,
    facilities,
    fleet,
    funding,
    obligors,
    overlays,
    portfolio,
    price,
    rates,
    recovery,
    regimes,
    response,
    run,
    shocks,
    support,
    terminal,
    utilization,
)

# In the order of the model's month: the market, the firm's operations, its debt, its support, then the
# portfolio and the stress overlays that move them.
BLOCKS = (
    run,
    price,
    regimes,
    utilization,
    rates,
    shocks,
    fleet,
    obligors,
    contracts,
    facilities,
    funding,
    response,
    capital,
    claims,
    recovery,
    terminal,
    support,
    portfolio,
    overlays,
)


def all_slots():
    """Every block's slots, block by block."""
    return tuple(slot for block in BLOCKS for slot in block.SLOTS)


# The order the no-effect rules run in: where several find a slot unread, the first one's reason is the one given.
RULE_ORDER = (
    "regimes",  # a regime the market never enters: all its slots
    "launches",
    "shocks",
    "debt",
    "ranks",
    "refinancing",
    "funding",
    "response",
    "equity",
    "support",
    "customers",
    "obligors",
    "deliveries",
    "pools",
    "claims",
    "recovery",
    "horizon",  # months compared only with the month: past the horizon, any value is the same
    "overlay",
)


def all_rules():
    """Every block's no-effect rules as (name, rule), in RULE_ORDER (blocks in model order within a name)."""
    rules = [(name, rule) for block in BLOCKS for name, rule in block.RULES]
    return tuple(sorted(rules, key=lambda pair: RULE_ORDER.index(pair[0])))


# The order the summary names a month's events in: tranche maturities first (what a refinancing or liquidity
# default at a balloon points at), then what else falls due or ends, the stress overlay's events, covenant tests.
EVENT_ORDER = (
    "maturities",
    "closings",
    "draw ends",
    "fleet",
    "contracts",
    "charges",
    "backstop",
    "overlay",
    "covenant tests",
)


def all_events():
    """Every block's dated events as (name, phrases), ``phrases(config, month, cause)``, in EVENT_ORDER."""
    events = [(name, phrases) for block in BLOCKS for name, phrases in block.EVENTS]
    return tuple(sorted(events, key=lambda pair: EVENT_ORDER.index(pair[0])))


def all_fields():
    """{per-path output: (unit, description[, values])} of every block."""
    return {name: entry for block in BLOCKS for name, entry in block.FIELDS.items()}

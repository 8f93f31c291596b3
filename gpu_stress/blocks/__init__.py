"""The model's blocks: each one home for everything the host knows of one part of the model.

A block module declares its parameter slots (``SLOTS``: unit, config sources and
derivation, ``slots.Slot``). ``params.parameter_vector`` fills the kernels' vector
from the slots of every block in :data:`BLOCKS`; no other module holds a block's
knowledge. docs/architecture.md says what a new block needs ("Adding a model block").
"""

from . import (
    capital,
    contracts,
    facilities,
    fleet,
    overlays,
    portfolio,
    price,
    rates,
    regimes,
    run,
    support,
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
    fleet,
    contracts,
    facilities,
    capital,
    support,
    portfolio,
    overlays,
)


def all_slots():
    """Every block's slots, block by block."""
    return tuple(slot for block in BLOCKS for slot in block.SLOTS)

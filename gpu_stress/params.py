"""From a validated configuration to the flat parameter vector the kernels read.

Every slot of the vector (``kernels/layout.py``) is declared once, by the block
of the model it belongs to (``gpu_stress.blocks``): the config keys its value
comes from, its unit, and how it is derived. :func:`parameter_vector` starts
from NaN, fills every declared slot and fails, naming the slot, if any is left
unfilled, so a slot cannot silently read 0 ("off"). Everything that does not
change along a path is folded on the host once (drift corrections, exact OU and
Vasicek transition constants, monthly hazards, fleet-wide dollar amounts), so
the kernels do as little as possible per step.
"""

import numpy as np

from .blocks import all_slots, portfolio
from .kernels import layout as L


class ParameterError(RuntimeError):
    """A slot of the parameter vector that no declaration filled (a bug, not bad input)."""


SLOTS = all_slots()

PORTFOLIO_SLOTS = portfolio.PORTFOLIO_SLOTS


def portfolio_matrix(config_of_portfolio):
    """float64 matrix (firm, parameter) of a :class:`PortfolioConfig`, in the order of its [[firms]].

    Each row is the firm's own vector with the market's slots
    (``layout.MARKET_PARAMETERS``) those of the first firm (every firm steps in
    one market) and the portfolio's own slots (``blocks.portfolio``: its place,
    the secondary market). A row is what the firm's single-firm run in that
    market simulates.
    """
    rows = np.stack([parameter_vector(config) for config in config_of_portfolio.firm_configs])
    start, end = L.MARKET_PARAMETERS
    rows[:, start:end] = rows[0, start:end]
    portfolio.fill_portfolio_slots(rows, config_of_portfolio)
    return rows


def parameter_vector(config, slots=SLOTS):
    """float64 vector of length ``layout.PARAMETER_COUNT`` for one scenario, every slot filled by its declaration."""
    vector = np.full(L.PARAMETER_COUNT, np.nan)
    for slot in slots:
        vector[slot.index : slot.index + slot.size] = slot.value(config)
    unfilled = np.flatnonzero(np.isnan(vector))
    if unfilled.size:
        names = ", ".join(L.PARAMETER_NAMES[index] for index in unfilled[:5])
        raise ParameterError(f"parameter slots left unfilled (no block declares it): {names}")
    return vector

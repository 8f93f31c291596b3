"""Revolving credit facilities: committed liquidity the firm draws when short and repays when flush.

A revolver is a tranche (``TRANCHE_REVOLVING``) whose commitment ``UNDRAWN`` is
the line not drawn. While its availability period lasts (months up to
``TRANCHE_DRAW_END``, and before its maturity) the firm draws on it whatever
keeps cash after the month's service at ``TRANCHE_MINIMUM_CASH``, within what
is undrawn and, with a borrowing base, within that multiple of its collateral;
after a paid month, cash above ``TRANCHE_TARGET_CASH`` repays it, and what is
repaid can be drawn again. It pays interest on what is drawn and the undrawn
fee on the rest; what is drawn at maturity is a balloon, refinanced or due as
any other. An uncommitted line (TRANCHE_UNCOMMITTED) lends only while lenders
are open in the month's regime (``REFINANCING_OPEN``): with no pool and a
borrowing base it is the firm's borrowing against its unpledged GPUs at that
advance rate. All money in $.

A revolver with ``TRANCHE_EXTENSIONS`` left is extended instead when it falls
due, if lenders are open in the month's regime (``REFINANCING_OPEN``: shut in a
glut unless ``open_in_glut``) and the firm is not in breach of a covenant
(``BREACHES``): its maturity and the end of its availability period move out by
``TRANCHE_EXTENSION_MONTHS`` (kept in ``EXTENDED``). A revolver once refinanced
into a term loan is not extended (``debt_service.extend_revolver``).
"""

from .capital import unpledged_value
from .debt_service import draw_end
from .device import device_function
from .layout import (
    BALANCE,
    MATURITY,
    POOL_VALUE,
    REFINANCING_OPEN,
    REVOLVER_NET,
    TRANCHE_BORROWING_BASE,
    TRANCHE_COUNT,
    TRANCHE_MINIMUM_CASH,
    TRANCHE_POOL,
    TRANCHE_REVOLVING,
    TRANCHE_TARGET_CASH,
    TRANCHE_UNCOMMITTED,
    UNDRAWN,
)


@device_function
def revolver_available(params, state, j, value, dtype):
    """What revolver ``j`` can still lend ($): its undrawn line, within its borrowing base if it has one."""
    available = state[UNDRAWN + j]
    limit = params[TRANCHE_BORROWING_BASE + j]
    if limit > dtype(0.0):
        pool = int(params[TRANCHE_POOL + j])
        collateral = state[POOL_VALUE + pool] if pool >= 0 else unpledged_value(params, state, value, dtype)
        available = min(available, max(limit * collateral - state[BALANCE + j], dtype(0.0)))
    return available


@device_function
def draw_revolvers(params, state, month, regime, cash, service, value, dtype):
    """Cash ($, before the month's ``service``) once the revolvers are drawn to keep their minimum after it
    (``firm_step`` calls it for a firm with revolvers, HAS_REVOLVERS). An uncommitted line lends only while
    lenders are open in ``regime``."""
    month_number = dtype(month)
    for j in range(int(params[TRANCHE_COUNT])):
        if params[TRANCHE_REVOLVING + j] <= dtype(0.0):
            continue
        if month_number > draw_end(params, state, j) or month_number >= state[MATURITY + j]:
            continue  # its availability period is over
        if params[TRANCHE_UNCOMMITTED + j] > dtype(0.0) and params[REFINANCING_OPEN + regime] <= dtype(0.0):
            continue  # lenders are shut: an uncommitted line lends nothing
        needed = service + params[TRANCHE_MINIMUM_CASH + j] - cash
        if needed <= dtype(0.0):
            continue
        drawn = min(needed, revolver_available(params, state, j, value, dtype))
        if drawn > dtype(0.0):
            state[BALANCE + j] += drawn
            state[UNDRAWN + j] -= drawn
            state[REVOLVER_NET] += drawn
            cash += drawn
    return cash


@device_function
def repay_revolvers(params, state, month, cash, dtype):
    """Cash ($) after a paid month once cash above each revolver's target has repaid it (to be drawn again
    while its availability period lasts)."""
    month_number = dtype(month)
    for j in range(int(params[TRANCHE_COUNT])):
        if params[TRANCHE_REVOLVING + j] <= dtype(0.0) or state[BALANCE + j] <= dtype(0.0):
            continue
        repaid = min(state[BALANCE + j], max(cash - params[TRANCHE_TARGET_CASH + j], dtype(0.0)))
        if repaid > dtype(0.0):
            state[BALANCE + j] -= repaid
            if month_number <= draw_end(params, state, j):
                state[UNDRAWN + j] += repaid
            state[REVOLVER_NET] -= repaid
            cash -= repaid
    return cash

"""The terminal test: at a horizon before the last maturity, can a survivor meet the debt the horizon cuts off?

A path that lives to the horizon still owes the tranches whose last scheduled maturity (a revolver's
with every extension) is after it (TRANCHE_CUT_OFF). Counting it as safe would say that debt is
never due. The test brings those maturities forward to the horizon and holds the debt they leave,
D, against what the firm could raise for it there, as at a maturity:

    shortfall = max(D - R - C - X, 0)

R what lenders would refinance of each cut-off tranche, by the same rule as at a balloon in
``debt_service`` (their tests, ``lender_capacity``, or the LTV gate's headroom; all or nothing unless
refinancing is partial; nothing while refinancing is off or lenders are shut in the regime), C the
firm's cash, X the proceeds of new equity (the equity block's own limit, max_raise x its equity value
less what it raised this year, net of issue costs; 0 while that market is off or shut). A survivor
with a shortfall is a ``terminal`` shortfall: reported apart from the defaults within the horizon,
never counted in PD. With the horizon at the last maturity nothing is cut off: the shortfall is 0.
"""

from .capital import reserves_held
from .debt_service import annual_interest, annualized_ebitda, lender_capacity, rolled_balloon, total_debt
from .device import device_function
from .equity import equity_value
from .layout import (
    ALIVE,
    BALANCE,
    CASH,
    EQUITY_COST,
    EQUITY_ENABLED,
    EQUITY_MAX_RAISE,
    EQUITY_OPEN,
    EQUITY_RAISED_YEAR,
    FLOATING,
    LAST_LTV,
    RATE,
    RATE_FLOOR,
    REFINANCING_CAPACITY,
    REFINANCING_ENABLED,
    REFINANCING_LENDER_TESTS,
    REFINANCING_LEVERAGE_SPREAD,
    REFINANCING_MAX_LTV,
    REFINANCING_OPEN,
    REFINANCING_PARTIAL,
    REFINANCING_SPREAD,
    TRANCHE_COUNT,
    TRANCHE_CUT_OFF,
)


@device_function
def terminal_refinancing(params, state, horizon, regime, rate, value, dtype):
    """(D, R): the balances of the cut-off tranches ($) and what lenders would refinance of them at the horizon
    (``value``: the fleet's collateral value there, $)."""
    cut_off = dtype(0.0)
    for j in range(int(params[TRANCHE_COUNT])):
        if params[TRANCHE_CUT_OFF + j] > dtype(0.0):
            cut_off += state[BALANCE + j]
    if cut_off <= dtype(0.0):
        return cut_off, dtype(0.0)
    if params[REFINANCING_ENABLED] <= dtype(0.0) or params[REFINANCING_OPEN + regime] <= dtype(0.0):
        return cut_off, dtype(0.0)
    partial = params[REFINANCING_PARTIAL] > dtype(0.0)
    debt = total_debt(state, dtype)
    refinanced = dtype(0.0)
    if params[REFINANCING_LENDER_TESTS] > dtype(0.0):
        base_rate = max(rate, params[RATE_FLOOR])
        spread = params[REFINANCING_SPREAD + regime] + params[REFINANCING_LEVERAGE_SPREAD] * state[LAST_LTV]
        new_rate = base_rate + spread
        interest = annual_interest(params, state, base_rate, dtype)
        ebitda = annualized_ebitda(state, dtype)
        for j in range(int(params[TRANCHE_COUNT])):
            balance = state[BALANCE + j]
            if params[TRANCHE_CUT_OFF + j] <= dtype(0.0) or balance <= dtype(0.0):
                continue
            annual_rate = state[RATE + j]
            if state[FLOATING + j] > dtype(0.0):
                annual_rate += base_rate
            capacity = lender_capacity(
                params, state, horizon, j, balance, annual_rate, new_rate, regime, debt, interest, ebitda, dtype
            )
            rolled = rolled_balloon(balance, capacity, partial, dtype)
            debt -= balance - rolled  # repaid otherwise: the next tranche's tests see less debt
            interest += rolled * (new_rate - annual_rate) - (balance - rolled) * annual_rate
            refinanced += rolled
        return cut_off, refinanced
    # The LTV gate: lenders roll what keeps debt within (capacity share x max LTV) x V.
    max_ltv = params[REFINANCING_MAX_LTV] * params[REFINANCING_CAPACITY + regime]
    headroom = max_ltv * value - debt
    for j in range(int(params[TRANCHE_COUNT])):
        balance = state[BALANCE + j]
        if params[TRANCHE_CUT_OFF + j] <= dtype(0.0) or balance <= dtype(0.0):
            continue
        if partial:
            rolled = rolled_balloon(balance, headroom + balance, partial, dtype)
        else:
            rolled = balance if state[LAST_LTV] <= max_ltv else dtype(0.0)
        headroom -= rolled - balance
        refinanced += rolled
    return cut_off, refinanced


@device_function
def terminal_shortfall(params, state, horizon, regime, rate, value, dtype):
    """The terminal test's shortfall ($) of a path at the horizon (module docstring; ``value``: the fleet's
    collateral value there, $); 0 if it did not live to it."""
    if state[ALIVE] <= dtype(0.0):
        return dtype(0.0)
    cut_off, refinanced = terminal_refinancing(params, state, horizon, regime, rate, value, dtype)
    if cut_off <= dtype(0.0):
        return dtype(0.0)
    cash = state[CASH]
    raised = dtype(0.0)
    if params[EQUITY_ENABLED] > dtype(0.0) and params[EQUITY_OPEN + regime] > dtype(0.0):
        reserves = reserves_held(params, state, dtype)
        equity = equity_value(params, state, horizon, regime, cash, value, reserves, total_debt(state, dtype), dtype)
        room = params[EQUITY_MAX_RAISE] * equity - state[EQUITY_RAISED_YEAR]
        raised = max(room, dtype(0.0)) * (dtype(1.0) - params[EQUITY_COST])
    return max(cut_off - refinanced - cash - raised, dtype(0.0))

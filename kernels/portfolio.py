"""One path of a portfolio: several firms in one market, and the secondary market for their GPUs.

Every firm f steps in the same market path (prices, launches, regimes,
rates: drawn once), with its own shocks from its own random blocks
(entity 1 + f) and its own price basis (``path.firm_month``). A firm alone in
a portfolio with no price impact is its single-firm run, to the last bit.

Systemic fire sales. The GPUs that the lenders of defaulted firms (or of
ring-fenced pools) sell join an overhang Q (GPUs) on the secondary market,
which absorbs part of it each month:

    Q_t = retention x Q_{t-1} + sold_t,   resale-value index I_t = exp(-impact x Q_t)

(``impact`` = the price impact of one month's market depth, per GPU; the
exponential inverse demand of Cifuentes, Ferrucci and Shin, 2005). I_t scales
every firm's collateral value in month t: its LTV tests, borrowing bases,
refinancing capacity, and what its lenders recover, V I_t (1 - h): the
haircut against the value the index does not depress rises from h to
1 - (1 - h) I_t. Sales of month t depress month t itself: the month clears at
the index its own sales imply. It is stepped at the index of the overhang so
far; if that makes firms sell more GPUs than assumed, every firm steps the
month again from its state at the month's start at the lower index, until
the GPUs sold are those assumed (at most MAX_CLEARING_PASSES passes; each adds
a sale, so it ends well before).
"""

import math

from .device import device_function
from .draws import fill_firm_draws, fill_market_draws
from .layout import (
    ALIVE,
    FIRE_SALE_IMPACT,
    FIRE_SALE_RETENTION,
    GPUS_SOLD,
    MAX_CLEARING_PASSES,
    OBLIGOR_COUNT,
    OUT_GPUS_SOLD,
    OUT_MIN_RESALE_INDEX,
    RESALE_INDEX,
)
from .market import initial_market
from .obligors import record_obligor_defaults
from .path import finish_firm, firm_month, market_month, start_firm


@device_function
def resale_index(impact, overhang):
    """The resale-value index of an overhang of ``overhang`` GPUs (see the module docstring)."""
    return math.exp(-impact * overhang)


@device_function
def step_firms(params, firms, states, seed, stream, path_id, month, market, index, draws, dtype):
    """Step every firm alive at the month's start at resale-value index ``index``; returns the GPUs they sell.

    Each firm's draws of the month go into column 0 of ``draws`` before its step.
    """
    sold = dtype(0.0)
    for f in range(firms):
        state = states[f]
        if state[ALIVE] > dtype(0.0):
            state[RESALE_INDEX] = index
            fill_firm_draws(params[f], seed, stream, path_id, month, 1, draws, dtype)
            firm_month(params[f], state, month, market, draws, 0, dtype)
            sold += state[GPUS_SOLD]
        else:  # its record of the obligors' defaults goes on (each one's PD in the run)
            record_obligor_defaults(params[f], state, market[7], month, dtype)
    return sold


@device_function
def simulate_portfolio_path(
    params,
    firms,
    horizon,
    seed,
    stream,
    path_id,
    states,
    month_start,
    outputs_float,
    outputs_int,
    market_outputs,
    column,
    draws,
    dtype,
):
    """Simulate path ``path_id`` of ``firms`` firms (rows of ``params``) for ``horizon`` months.

    The market's parameters are row 0's (every row holds the same). Writes
    column ``column`` of each firm's outputs (``outputs_float[f]``,
    ``outputs_int[f]``, rows as in ``layout``) and of ``market_outputs``
    (OUT_MIN_RESALE_INDEX, OUT_GPUS_SOLD). ``states`` and ``month_start`` are
    scratch (firm x STATE_SIZE), ``draws`` scratch of DRAW_COUNT x 1 (the
    market's and then each firm's draws of a month). The secondary market's
    ``impact`` (per GPU) and ``retention`` (the overhang's share left after a
    month), as in the module docstring, are row 0's FIRE_SALE_* parameters.
    """
    market_params = params[0]
    impact = market_params[FIRE_SALE_IMPACT]
    retention = market_params[FIRE_SALE_RETENTION]
    regime, log_price, rate, launches = initial_market(market_params)
    reference_log_price = log_price
    defaulted = 0  # no named obligor has defaulted (the run's obligors, one list for every firm)
    for f in range(firms):
        start_firm(params[f], states[f], log_price, dtype)
    overhang = dtype(0.0)
    min_index = dtype(1.0)
    sold_in_all = dtype(0.0)
    size = states.shape[1]

    for month in range(1, horizon + 1):
        fill_market_draws(market_params, seed, stream, path_id, month, 1, draws, dtype)
        market = market_month(
            market_params, month, regime, log_price, reference_log_price, rate, launches, defaulted, draws, 0, dtype
        )
        regime, log_price, reference_log_price, rate, launches, _, _, defaulted = market

        alive = 0
        for f in range(firms):
            if states[f, ALIVE] > dtype(0.0):
                alive += 1
                if impact > dtype(0.0):
                    for k in range(size):
                        month_start[f, k] = states[f, k]
            else:
                month_start[f, ALIVE] = dtype(0.0)
        if alive == 0 and market_params[OBLIGOR_COUNT] <= dtype(0.0):
            break  # with named obligors the market goes on: their default months are outputs of the run
        carried = overhang * retention
        assumed = dtype(0.0)  # GPUs this month's index assumes are sold in it
        index = resale_index(impact, carried)
        sold = step_firms(params, firms, states, seed, stream, path_id, month, market, index, draws, dtype)
        passes = 1
        while impact > dtype(0.0) and sold > assumed and passes < MAX_CLEARING_PASSES:
            assumed = sold
            index = resale_index(impact, carried + assumed)
            for f in range(firms):
                if month_start[f, ALIVE] > dtype(0.0):  # alive at the month's start: copied above
                    for k in range(size):
                        states[f, k] = month_start[f, k]
            sold = step_firms(params, firms, states, seed, stream, path_id, month, market, index, draws, dtype)
            passes += 1
        overhang = carried + sold
        if alive > 0:  # once every firm has ended (the obligors' market runs on) no firm sells at it
            min_index = min(min_index, index)
        sold_in_all += sold

    for f in range(firms):
        finish_firm(params[f], states[f], horizon, regime, rate, outputs_float[f], outputs_int[f], column, dtype)
    market_outputs[OUT_MIN_RESALE_INDEX, column] = min_index
    market_outputs[OUT_GPUS_SOLD, column] = sold_in_all

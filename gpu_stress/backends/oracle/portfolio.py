"""Portfolios as array code: several firms in one market, and the secondary market for their GPUs.

The oracle of ``kernels/portfolio.py``, written over whole arrays of paths with
the firms of ``firm``. Each month the market steps once (row 0's
parameters); every firm alive at the month's start steps through it with its
own draws at the month's resale-value index

    I = exp(-impact x (retention x Q + assumed)),

where Q is the overhang of GPUs that lenders sold in earlier months and
``assumed`` the GPUs the month is assumed to sell (0 at first). Where the
firms then sell more GPUs than assumed, the path's month is re-stepped from
its start with assumed = what they sold, until they sell no more than assumed
(or after MAX_CLEARING_PASSES passes); paths that have cleared keep their
month. The overhang carries on as Q = retention x Q + sold.
"""

import numpy as np

from ...kernels import layout as L
from .firm import ArrayFirm
from .market import ArrayMarket
from .obligors import record_defaults


def simulate_portfolio(params, horizon, paths, dtype, draws_by_firm, xp=np):
    """Simulate ``paths`` paths of the firms (rows of ``params``) for ``horizon`` months.

    ``draws_by_firm[f]`` gives firm f's draws (``draws.philox_draws`` of
    its row; the market's are read from firm 0's), each over the same paths.
    The secondary market's ``impact`` (per GPU) and ``retention`` (the
    overhang's share left after a month), as in the module docstring, are row
    0's FIRE_SALE_* parameters. Returns (outputs_float (firm x
    FLOAT_OUTPUT_COUNT x path), outputs_int (firm x INT_OUTPUT_COUNT x path),
    market_outputs (MARKET_OUTPUT_COUNT x path)), as the kernels write them.
    """
    params = np.atleast_2d(np.asarray(params, dtype=dtype))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _simulate_portfolio(params, horizon, paths, dtype, draws_by_firm, xp)


def _simulate_portfolio(params, horizon, paths, dtype, draws_by_firm, xp):
    impact, retention = params[0, L.FIRE_SALE_IMPACT], params[0, L.FIRE_SALE_RETENTION]
    firms = params.shape[0]
    if len(draws_by_firm) != firms:
        raise ValueError(f"{firms} firms need {firms} draws, not {len(draws_by_firm)}")
    market = ArrayMarket(params[0], paths, dtype, xp)
    models = [ArrayFirm(params[f], paths, dtype, xp) for f in range(firms)]
    states = [model.start(market) for model in models]

    def resale_index(overhang):
        return xp.exp(-impact * overhang)

    def sold_by(results):
        """The GPUs every firm's lenders sold this month, per path (firm by firm, as the month's sales add up)."""
        total = xp.zeros(paths, dtype)
        for result in results:
            total = total + result.gpus_sold
        return total

    overhang = xp.zeros(paths, dtype)
    min_index = xp.ones(paths, dtype)
    sold_in_all = xp.zeros(paths, dtype)
    last_values = [None] * firms  # each firm's last month's working values (the terminal test's)
    for month in range(1, horizon + 1):
        # A path whose firms have all ended stops: its market outputs are final.
        going = xp.zeros(paths, bool)
        for state in states:
            going |= state.alive
        if not bool(going.any()) and models[0].obligors == 0:
            break  # with named obligors the market goes on: their default months are outputs of the run
        draws_now = [draws(month) for draws in draws_by_firm]
        market.step(draws_now[0])
        stepped = [bool(state.alive.any()) for state in states]  # a firm ended on every path steps no more
        for f in range(firms):
            if not stepped[f]:  # its record of the obligors' defaults goes on
                record_defaults(models[f], states[f], market.defaulted, month)
        month_start = [state.copy() if impact > 0 and stepped[f] else None for f, state in enumerate(states)]

        carried = overhang * retention
        assumed = xp.zeros(paths, dtype)  # the GPUs this month's index assumes are sold in it
        index = resale_index(carried)
        results = [
            models[f].month(states[f], month, market, draws_now[f], index) if stepped[f] else None for f in range(firms)
        ]
        sold = sold_by(result for result in results if result is not None)
        # The month clears at the index its own sales imply: paths that sold more than assumed step it again.
        again = (sold > assumed) if impact > 0 else xp.zeros(paths, bool)
        passes = 1
        while passes < L.MAX_CLEARING_PASSES and bool(again.any()):
            assumed = xp.where(again, sold, assumed)
            index = xp.where(again, resale_index(carried + assumed), index)
            for f in range(firms):
                if not stepped[f]:
                    continue
                trial = month_start[f].copy()
                result = models[f].month(trial, month, market, draws_now[f], index)
                states[f].take(again, trial)
                results[f].gpus_sold = xp.where(again, result.gpus_sold, results[f].gpus_sold)
                take_values(xp, results[f].values, again, result.values)
            sold = xp.where(again, sold_by(result for result in results if result is not None), sold)
            passes += 1
            again &= sold > assumed
        for f in range(firms):
            if results[f] is not None:
                last_values[f] = results[f].values
        overhang = carried + sold
        min_index = xp.where(going, xp.minimum(min_index, index), min_index)
        sold_in_all = sold_in_all + sold

    outputs_float = xp.zeros((firms, L.FLOAT_OUTPUT_COUNT, paths), dtype)
    outputs_int = xp.zeros((firms, L.INT_OUTPUT_COUNT, paths), np.int32)
    for f, (model, state) in enumerate(zip(models, states, strict=True)):
        outputs_float[f], outputs_int[f] = model.finish(state, horizon, last_values[f])
    market_outputs = xp.zeros((L.MARKET_OUTPUT_COUNT, paths), dtype)
    market_outputs[L.OUT_MIN_RESALE_INDEX] = min_index
    market_outputs[L.OUT_GPUS_SOLD] = sold_in_all
    return outputs_float, outputs_int, market_outputs


def take_values(xp, values, rows, other):
    """Month values ``values`` with rows ``rows`` of every per-path array taken from ``other`` (a re-cleared month)."""
    for name, array in vars(other).items():
        mine = getattr(values, name, None)
        per_path = isinstance(array, xp.ndarray) and array.ndim and array.shape[0] == rows.shape[0]
        if per_path and isinstance(mine, xp.ndarray) and mine.shape == array.shape:
            setattr(values, name, xp.where(rows.reshape(-1, *([1] * (array.ndim - 1))), array, mine))

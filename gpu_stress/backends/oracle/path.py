"""The monthly loop of every path of one firm (``kernels/path.py``): market, firm, statement, tracks, outputs."""

import numpy as np

from ...kernels import layout as L
from .claims import lease_adjusted
from .firm import ArrayFirm
from .market import ArrayMarket


def simulate_paths(params, horizon, paths, tracked, dtype, draws, xp=np, statement_row=-1):
    """Simulate ``paths`` paths with ``draws``; outputs laid out as the kernels' launchers write them.

    Returns (outputs_float, outputs_int, tracks, statement) as ``xp`` arrays shaped
    (FLOAT_OUTPUT_COUNT, paths), (INT_OUTPUT_COUNT, paths), (tracked, horizon, TRACK_COUNT)
    and, for path ``statement_row`` (-1: none), its monthly statement (horizon, STATEMENT_COUNT).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p = np.asarray(params, dtype=dtype)
        market = ArrayMarket(p, paths, dtype, xp)
        firm = ArrayFirm(p, paths, dtype, xp)
        state = firm.start(market)
        tracks = xp.zeros((tracked, horizon, L.TRACK_COUNT), dtype)
        statement = xp.full((horizon if statement_row >= 0 else 0, L.STATEMENT_COUNT), np.nan, dtype)
        index = dtype(1.0)  # a firm alone: no systemic fire sales depress its collateral
        for month in range(1, horizon + 1):
            draws_now = draws(month)
            market.step(draws_now)
            result = firm.month(state, month, market, draws_now, index)
            if statement_row >= 0 and bool(result.values.was_alive[statement_row]):
                write_statement(firm, state, result.values, statement[month - 1], statement_row)
            if tracked:
                rows = slice(0, tracked)
                step = month - 1
                tracks[:, step, L.TRACK_PRICE] = xp.exp(market.log_price[rows])
                tracks[:, step, L.TRACK_UTILIZATION] = result.utilization[rows]
                tracks[:, step, L.TRACK_RATE] = market.rate[rows]
                tracks[:, step, L.TRACK_GLUT] = market.regime[rows]
                tracks[:, step, L.TRACK_CASH] = xp.where(state.alive[rows], state.cash[rows], np.nan)
                tracks[:, step, L.TRACK_LTV] = xp.where(state.alive[rows], result.ltv[rows], np.nan)
            elif not bool(state.alive.any()) and firm.obligors == 0:
                break  # with named obligors the market goes on: their default months are outputs of the run
        outputs_float, outputs_int = firm.finish(state, horizon, result.values)
    return outputs_float, outputs_int, tracks, statement


def write_statement(firm, s, m, lines, row):
    """The statement ``lines`` of path ``row`` for the month ``m``, from the firm's state ``s`` after its step."""
    xp, zero = firm.xp, firm.dtype(0.0)
    lines[L.STATEMENT_PRICE] = xp.exp(m.log_price[row])
    lines[L.STATEMENT_PLANNED_PRICE] = xp.exp(m.planned_log_price[row])
    lines[L.STATEMENT_UTILIZATION] = m.utilization[row]
    lines[L.STATEMENT_RATE] = m.rate[row]
    lines[L.STATEMENT_REGIME] = m.regime[row]
    lines[L.STATEMENT_REVENUE_CONTRACTED] = m.revenue_contracted[row]
    lines[L.STATEMENT_REVENUE_SPOT] = m.revenue_spot[row]
    lines[L.STATEMENT_POWER] = m.power[row]
    lines[L.STATEMENT_OPEX] = m.opex[row]
    lines[L.STATEMENT_FIXED_CHARGES] = m.charges
    lines[L.STATEMENT_DELAY_PENALTIES] = m.penalties[row]
    lines[L.STATEMENT_EBITDA] = m.ebitda[row]
    lines[L.STATEMENT_GPUS] = m.gpus[row]
    lines[L.STATEMENT_CAPEX] = m.capex[row]
    lines[L.STATEMENT_DRAWS] = m.raised_by_closing[row] + m.drawn[row]
    lines[L.STATEMENT_UNDRAWN] = s.undrawn[row].sum()
    lines[L.STATEMENT_LAUNCHES] = m.launches[row]
    for j in range(L.MAX_TRANCHES):
        lines[L.STATEMENT_INTEREST + j] = m.interest_by_tranche[j][row] if j < firm.tranches else zero
        lines[L.STATEMENT_PRINCIPAL + j] = m.principal_by_tranche[j][row] if j < firm.tranches else zero
    lines[L.STATEMENT_REFINANCED] = m.refinanced_now[row]
    lines[L.STATEMENT_BACKSTOP] = m.backstop[row]
    lines[L.STATEMENT_PREPAID] = m.prepaid[row]
    lines[L.STATEMENT_REVOLVER] = m.revolver_net[row]
    lines[L.STATEMENT_ASSET_SALES] = m.asset_sales[row]
    lines[L.STATEMENT_CONVERTED] = m.converted[row]
    lines[L.STATEMENT_CAPEX_DEFERRED] = m.capex_deferred[row]
    lines[L.STATEMENT_OPEX_SAVED] = m.opex_saved[row]
    lines[L.STATEMENT_RESERVE_DRAWN] = m.reserve_draw[row].sum()
    lines[L.STATEMENT_RESERVES] = s.reserve[row].sum()
    lines[L.STATEMENT_EQUITY_RAISED] = m.raised[row]
    lines[L.STATEMENT_CASH] = s.cash[row]
    # At the parent's end the exposure is the debt: what the tranches that defaulted this month owed.
    defaulted_here = s.tranche_default_month == m.month
    exposure = xp.where(defaulted_here, s.tranche_ead, zero).sum(axis=1)
    debt = xp.where(m.ends, exposure, m.debt_after)
    lines[L.STATEMENT_DEBT] = debt[row]
    liability, adjusted, leverage = lease_adjusted(firm, s, m.month_number, debt)
    lines[L.STATEMENT_LEASE_LIABILITY] = liability
    lines[L.STATEMENT_LEASE_ADJUSTED_DEBT] = adjusted[row]
    lines[L.STATEMENT_LEASE_ADJUSTED_LEVERAGE] = leverage[row]
    lines[L.STATEMENT_FLEET_VALUE] = m.value[row]
    lines[L.STATEMENT_LTV] = m.ltv[row]
    lines[L.STATEMENT_DSCR] = m.dscr[row]
    lines[L.STATEMENT_BREACHES] = s.breaches[row]
    event = m.parent_cause[row] if m.ends[row] else (L.POOL_DEFAULT if m.pool_event[row] else L.NO_DEFAULT)
    lines[L.STATEMENT_EVENT] = event

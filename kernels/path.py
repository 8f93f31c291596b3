"""The monthly loop of one path: draws -> market step -> firm step -> outputs.

A path stops at its default month. Tracked paths (the first few of a
scenario, for fan charts) keep stepping the market after a default so that
price, utilization, rate and regime bands are unconditional; their cash and
LTV are NaN once the firm has defaulted.
"""

import math

from .capital import reserves_held
from .claims import lease_adjusted
from .debt_service import total_debt
from .device import device_function
from .draws import draws_column
from .firm import firm_step, init_firm
from .fleet import fleet_value
from .layout import (
    ALIVE,
    ASSET_SALES,
    BACKSTOP_DRAW,
    BACKSTOP_PAID,
    BACKSTOP_REVENUE,
    BASIS_DECAY,
    BASIS_LOADING,
    BASIS_SHOCK,
    BREACHES,
    CAPEX,
    CAPEX_DEFERRED,
    CASH,
    CLOSING_DRAW,
    CLOSING_FAILED,
    CLOSING_MONTH,
    CONVERTED,
    CUSTOMER_DRAW,
    DELAY_PENALTIES,
    DRAW_E_BASIS,
    DRAW_E_PRICE,
    DRAW_E_RATE,
    DRAW_E_UTILIZATION,
    DRAW_U_BACKSTOP,
    DRAW_U_CLOSING,
    DRAW_U_CUSTOMER,
    DRAW_U_JUMP,
    DRAW_U_REGIME,
    DRAW_U_RENEWAL,
    DRAW_U_SLIP,
    DRAW_U_VENDOR,
    DRAWS,
    EBITDA,
    END_CAUSE,
    EQUITY_RAISED,
    EQUITY_SHARE,
    FINAL_LOG_PRICE,
    FIXED_CHARGES,
    FLEET_VALUE,
    GPUS,
    INSOLVENT_NO_DEBT,
    INTEREST,
    LAST_LTV,
    LAUNCHES,
    LEASE_CLAIM,
    LEASE_RECOVERY,
    LOG_BASIS,
    MAX_COHORTS,
    MAX_CUSTOMERS,
    MAX_LTV,
    MAX_OBLIGORS,
    MAX_TRANCHES,
    MAX_UNSIGNED,
    MIN_CASH,
    MIN_DSCR,
    MONTHS_ALIVE,
    MONTHS_PER_YEAR,
    NO_DEFAULT,
    OBLIGOR_COUNT,
    OBLIGOR_DEFAULT_MONTH,
    OPEX_COST,
    OPEX_SAVED,
    OUT_BACKSTOP_PAID,
    OUT_DEFAULT_CAUSE,
    OUT_DEFAULT_MONTH,
    OUT_EAD,
    OUT_EQUITY_RAISED,
    OUT_EQUITY_VALUE,
    OUT_FINAL_CASH,
    OUT_FINAL_PRICE,
    OUT_FUNDING_FAILED_MONTH,
    OUT_LEASE_ADJUSTED_DEBT,
    OUT_LEASE_ADJUSTED_LEVERAGE,
    OUT_LEASE_CLAIM,
    OUT_LEASE_RECOVERY,
    OUT_LOSS,
    OUT_LOSS_UNDISCOUNTED,
    OUT_MAX_LTV,
    OUT_MEAN_UTILIZATION,
    OUT_MIN_CASH,
    OUT_MIN_DSCR,
    OUT_OBLIGOR_DEFAULT_MONTH,
    OUT_TERMINAL_SHORTFALL,
    OUT_TRANCHE_CLOSING_FAILED,
    OUT_TRANCHE_CLOSING_MONTH,
    OUT_TRANCHE_DEFAULT_MONTH,
    OUT_TRANCHE_EAD,
    OUT_TRANCHE_RECOVERY,
    OUT_TRANCHE_RECOVERY_CONTRACTS,
    OUT_TRANCHE_RECOVERY_ENTERPRISE_VALUE,
    OUT_TRANCHE_RECOVERY_GPUS,
    PARENT_END,
    POOL_DEFAULT,
    POWER_COST,
    PREPAID,
    PRICE_SURPRISE,
    PRINCIPAL,
    RAISED,
    RATE_SUM,
    RATIO_CAP,
    RECOVERY_PV_FACTOR,
    REFINANCED,
    RENEWAL_DRAW,
    RESERVE_DRAWN,
    REVENUE_CONTRACTED,
    REVENUE_SPOT,
    REVOLVER_NET,
    SLIP_DRAW,
    STATEMENT_ASSET_SALES,
    STATEMENT_BACKSTOP,
    STATEMENT_BREACHES,
    STATEMENT_CAPEX,
    STATEMENT_CAPEX_DEFERRED,
    STATEMENT_CASH,
    STATEMENT_CONVERTED,
    STATEMENT_DEBT,
    STATEMENT_DELAY_PENALTIES,
    STATEMENT_DRAWS,
    STATEMENT_DSCR,
    STATEMENT_EBITDA,
    STATEMENT_EQUITY_RAISED,
    STATEMENT_EVENT,
    STATEMENT_FIXED_CHARGES,
    STATEMENT_FLEET_VALUE,
    STATEMENT_GPUS,
    STATEMENT_INTEREST,
    STATEMENT_LAUNCHES,
    STATEMENT_LEASE_ADJUSTED_DEBT,
    STATEMENT_LEASE_ADJUSTED_LEVERAGE,
    STATEMENT_LEASE_LIABILITY,
    STATEMENT_LTV,
    STATEMENT_OPEX,
    STATEMENT_OPEX_SAVED,
    STATEMENT_PLANNED_PRICE,
    STATEMENT_POWER,
    STATEMENT_PREPAID,
    STATEMENT_PRICE,
    STATEMENT_PRINCIPAL,
    STATEMENT_RATE,
    STATEMENT_REFINANCED,
    STATEMENT_REGIME,
    STATEMENT_RESERVE_DRAWN,
    STATEMENT_RESERVES,
    STATEMENT_REVENUE_CONTRACTED,
    STATEMENT_REVENUE_SPOT,
    STATEMENT_REVOLVER,
    STATEMENT_UNDRAWN,
    STATEMENT_UTILIZATION,
    TRACK_CASH,
    TRACK_GLUT,
    TRACK_LTV,
    TRACK_PRICE,
    TRACK_RATE,
    TRACK_UTILIZATION,
    TRANCHE_DEFAULT_MONTH,
    TRANCHE_EAD,
    TRANCHE_RECOVERY,
    TRANCHE_RECOVERY_CONTRACTS,
    TRANCHE_RECOVERY_ENTERPRISE,
    TRANCHE_RECOVERY_GPUS,
    UNDRAWN,
    UTILIZATION_SUM,
    VENDOR_DRAW,
)
from .market import initial_market, market_impacts, market_step, reference_step
from .obligors import obligor_step, record_obligor_defaults
from .operations import utilization_step
from .terminal import terminal_shortfall


@device_function
def write_statement(
    params,
    state,
    statement,
    month,
    regime,
    log_price,
    reference_log_price,
    utilization,
    rate,
    cause,
    ltv,
    dscr,
    dtype,
):
    """Row ``month - 1`` of a path's statement, from the month's market and the firm's state after its step.

    ``cause``: how the parent ended this month (NO_DEFAULT: it did not).
    """
    row = month - 1
    statement[row, STATEMENT_PRICE] = math.exp(log_price)
    statement[row, STATEMENT_PLANNED_PRICE] = math.exp(reference_log_price)
    statement[row, STATEMENT_UTILIZATION] = utilization
    statement[row, STATEMENT_RATE] = rate
    statement[row, STATEMENT_REGIME] = dtype(regime)
    statement[row, STATEMENT_REVENUE_CONTRACTED] = state[REVENUE_CONTRACTED]
    statement[row, STATEMENT_REVENUE_SPOT] = state[REVENUE_SPOT]
    statement[row, STATEMENT_POWER] = state[POWER_COST]
    statement[row, STATEMENT_OPEX] = state[OPEX_COST]
    statement[row, STATEMENT_FIXED_CHARGES] = state[FIXED_CHARGES]
    statement[row, STATEMENT_DELAY_PENALTIES] = state[DELAY_PENALTIES]
    statement[row, STATEMENT_EBITDA] = state[EBITDA]
    for j in range(MAX_TRANCHES):
        statement[row, STATEMENT_INTEREST + j] = state[INTEREST + j]
        statement[row, STATEMENT_PRINCIPAL + j] = state[PRINCIPAL + j]
    statement[row, STATEMENT_REFINANCED] = state[REFINANCED]
    statement[row, STATEMENT_BACKSTOP] = state[BACKSTOP_REVENUE]
    statement[row, STATEMENT_PREPAID] = state[PREPAID]
    statement[row, STATEMENT_REVOLVER] = state[REVOLVER_NET]
    statement[row, STATEMENT_ASSET_SALES] = state[ASSET_SALES]
    statement[row, STATEMENT_CONVERTED] = state[CONVERTED]
    statement[row, STATEMENT_CAPEX_DEFERRED] = state[CAPEX_DEFERRED]
    statement[row, STATEMENT_OPEX_SAVED] = state[OPEX_SAVED]
    statement[row, STATEMENT_RESERVE_DRAWN] = state[RESERVE_DRAWN]
    statement[row, STATEMENT_EQUITY_RAISED] = state[RAISED]
    statement[row, STATEMENT_RESERVES] = reserves_held(params, state, dtype)
    statement[row, STATEMENT_CASH] = state[CASH]
    # At the parent's default the debt is the exposure of the tranches in default from this month.
    month_number = dtype(month)
    defaulted = dtype(0.0)
    pool_defaulted = False
    for j in range(MAX_TRANCHES):
        if state[TRANCHE_DEFAULT_MONTH + j] == month_number:
            defaulted += state[TRANCHE_EAD + j]
            pool_defaulted = True
    debt = defaulted if cause != NO_DEFAULT else total_debt(state, dtype)
    statement[row, STATEMENT_DEBT] = debt
    liability, adjusted, leverage = lease_adjusted(params, state, month, debt, dtype)
    statement[row, STATEMENT_LEASE_LIABILITY] = liability
    statement[row, STATEMENT_LEASE_ADJUSTED_DEBT] = adjusted
    statement[row, STATEMENT_LEASE_ADJUSTED_LEVERAGE] = leverage
    statement[row, STATEMENT_GPUS] = state[GPUS]
    statement[row, STATEMENT_CAPEX] = state[CAPEX]
    statement[row, STATEMENT_DRAWS] = state[DRAWS]
    undrawn = dtype(0.0)
    for j in range(MAX_TRANCHES):
        undrawn += state[UNDRAWN + j]
    statement[row, STATEMENT_UNDRAWN] = undrawn
    statement[row, STATEMENT_LAUNCHES] = state[LAUNCHES]
    statement[row, STATEMENT_FLEET_VALUE] = state[FLEET_VALUE]
    statement[row, STATEMENT_LTV] = ltv
    statement[row, STATEMENT_DSCR] = dscr
    statement[row, STATEMENT_BREACHES] = state[BREACHES]
    if cause == NO_DEFAULT and pool_defaulted:
        cause = POOL_DEFAULT  # a ring-fenced pool defaulted; the parent lives on
    statement[row, STATEMENT_EVENT] = dtype(cause)


@device_function
def start_firm(params, state, log_price, dtype):
    """The firm's state at month 0, with the path's running statistics; ``log_price``: the market's ln P(0)."""
    init_firm(params, state, dtype)
    for obligor in range(MAX_OBLIGORS):
        state[OBLIGOR_DEFAULT_MONTH + obligor] = dtype(0.0)  # every named obligor alive
    state[ALIVE] = dtype(1.0)
    state[PARENT_END] = dtype(-1.0)
    state[END_CAUSE] = dtype(NO_DEFAULT)
    state[MIN_CASH] = state[CASH]
    state[MAX_LTV] = dtype(0.0)
    state[MIN_DSCR] = dtype(RATIO_CAP)
    state[LAST_LTV] = dtype(0.0)
    state[UTILIZATION_SUM] = dtype(0.0)
    state[MONTHS_ALIVE] = dtype(0.0)
    state[RATE_SUM] = dtype(0.0)
    state[FINAL_LOG_PRICE] = log_price


@device_function
def market_month(
    params, month, regime, log_price, reference_log_price, rate, launches, defaulted, draws, column, dtype
):
    """The market's month: its step on its draws (column ``column`` of ``draws``), its named obligors' defaults
    and their impacts (``obligors.obligor_step``), the planned price's step.

    Returns ``market`` = (regime, ln P, planned ln P, r, launches, e_price, e_rate, defaulted), as
    ``firm_month`` takes it (``defaulted``: a bit per named obligor that has defaulted).
    """
    e_price = draws[DRAW_E_PRICE, column]
    e_rate = draws[DRAW_E_RATE, column]
    regime, log_price, rate, launches = market_step(
        params,
        month,
        regime,
        log_price,
        rate,
        launches,
        e_price,
        e_rate,
        draws[DRAW_U_JUMP, column],
        draws[DRAW_U_REGIME, column],
        dtype,
    )
    defaulted, log_jump, glut = obligor_step(params, defaulted, month, regime, draws, column, dtype)
    regime, log_price = market_impacts(params, dtype(month), regime, log_price, log_jump, glut, dtype)
    reference_log_price = reference_step(params, month, reference_log_price, dtype)
    return regime, log_price, reference_log_price, rate, launches, e_price, e_rate, defaulted


@device_function
def firm_month(params, state, month, market, draws, column, dtype):
    """One month of one firm in the market ``market`` = (regime, ln P, planned ln P, r, launches, e_price, e_rate,
    defaulted obligors).

    Its own shocks are column ``column`` of ``draws`` (``draws.fill_firm_draws``
    for its entity: 1 + params[FIRM_STREAM]). Steps its utilization (also
    once it has defaulted, for the fan charts), its price basis and, while it
    is alive, the firm itself. The firm's price is ln P_f = ln P + (loading -
    1) s + b with s = ln P - planned ln P: with loading 1 and no basis it is
    the market's price to the last bit.

    Returns (utilization, ln P_f, cause, ltv, dscr); cause is how the parent
    ended this month (NO_DEFAULT: it did not, or it was not alive).
    """
    regime, log_price, reference_log_price, rate, launches, e_price, e_rate, defaulted = market
    alive = state[ALIVE] > dtype(0.0)
    e_utilization = draws[DRAW_E_UTILIZATION, column]
    utilization = utilization_step(params, state, regime, e_price, e_rate, e_utilization, dtype)
    record_obligor_defaults(params, state, defaulted, month, dtype)  # also after the firm's end: each one's PD
    if not alive:
        return utilization, log_price, NO_DEFAULT, state[LAST_LTV], dtype(RATIO_CAP)

    for i in range(MAX_CUSTOMERS):
        state[CUSTOMER_DRAW + i] = draws[DRAW_U_CUSTOMER + i, column]
        state[RENEWAL_DRAW + i] = draws[DRAW_U_RENEWAL + i, column]
    for c in range(MAX_COHORTS):
        state[SLIP_DRAW + c] = draws[DRAW_U_SLIP + c, column]
    for k in range(MAX_UNSIGNED):
        state[CLOSING_DRAW + k] = draws[DRAW_U_CLOSING + k, column]
    state[BACKSTOP_DRAW] = draws[DRAW_U_BACKSTOP, column]
    state[VENDOR_DRAW] = draws[DRAW_U_VENDOR, column]
    state[LAUNCHES] = dtype(launches)
    state[RATE_SUM] += rate
    state[LOG_BASIS] = state[LOG_BASIS] * params[BASIS_DECAY] + params[BASIS_SHOCK] * draws[DRAW_E_BASIS, column]
    market_surprise = log_price - reference_log_price
    firm_log_price = log_price + (params[BASIS_LOADING] - dtype(1.0)) * market_surprise + state[LOG_BASIS]
    surprise = firm_log_price - reference_log_price
    state[PRICE_SURPRISE] = surprise
    cause, ltv, dscr = firm_step(params, state, month, regime, firm_log_price, surprise, utilization, rate, dtype)
    state[UTILIZATION_SUM] += utilization
    state[MONTHS_ALIVE] += dtype(1.0)
    state[FINAL_LOG_PRICE] = firm_log_price
    state[MIN_CASH] = min(state[MIN_CASH], state[CASH])
    state[MAX_LTV] = max(state[MAX_LTV], ltv)
    state[MIN_DSCR] = min(state[MIN_DSCR], dscr)
    state[LAST_LTV] = ltv
    if cause != NO_DEFAULT:
        state[ALIVE] = dtype(0.0)
        state[PARENT_END] = dtype(month)
        state[END_CAUSE] = dtype(cause)
    return utilization, firm_log_price, cause, ltv, dscr


@device_function
def finish_firm(params, state, horizon, regime, rate, outputs_float, outputs_int, column, dtype):
    """Write the firm's per-path outputs into column ``column`` (rows as in ``layout``); ``regime`` and ``rate``:
    the market's in the last month simulated (the terminal test's, ``terminal.terminal_shortfall``)."""
    equity = dtype(0.0)
    value = dtype(0.0)
    if state[ALIVE] > dtype(0.0):
        value = fleet_value(params, state, horizon, state[PRICE_SURPRISE], dtype)
        net_worth = state[CASH] + value
        net_worth += reserves_held(params, state, dtype)
        net_worth -= total_debt(state, dtype)
        discount = math.exp(-state[RATE_SUM] / dtype(MONTHS_PER_YEAR))
        equity = state[EQUITY_SHARE] * discount * max(net_worth, dtype(0.0))

    # The path's default: the first month a tranche defaulted, or the parent's end if no earlier.
    ead = dtype(0.0)
    loss = dtype(0.0)
    loss_undiscounted = dtype(0.0)
    present_value = params[RECOVERY_PV_FACTOR]
    first_tranche_default = -1
    first_funding_failure = -1
    for j in range(MAX_TRANCHES):
        tranche_month = int(state[TRANCHE_DEFAULT_MONTH + j])
        outputs_int[OUT_TRANCHE_DEFAULT_MONTH + j, column] = tranche_month
        outputs_int[OUT_TRANCHE_CLOSING_MONTH + j, column] = int(state[CLOSING_MONTH + j])
        failed_month = int(state[CLOSING_FAILED + j])
        outputs_int[OUT_TRANCHE_CLOSING_FAILED + j, column] = failed_month
        if failed_month > 0 and (first_funding_failure < 0 or failed_month < first_funding_failure):
            first_funding_failure = failed_month
        outputs_float[OUT_TRANCHE_EAD + j, column] = state[TRANCHE_EAD + j]
        # Recovered at the sale, W months after the default: reported at its value at default.
        outputs_float[OUT_TRANCHE_RECOVERY + j, column] = state[TRANCHE_RECOVERY + j] * present_value
        outputs_float[OUT_TRANCHE_RECOVERY_GPUS + j, column] = state[TRANCHE_RECOVERY_GPUS + j] * present_value
        outputs_float[OUT_TRANCHE_RECOVERY_CONTRACTS + j, column] = (
            state[TRANCHE_RECOVERY_CONTRACTS + j] * present_value
        )
        outputs_float[OUT_TRANCHE_RECOVERY_ENTERPRISE_VALUE + j, column] = (
            state[TRANCHE_RECOVERY_ENTERPRISE + j] * present_value
        )
        ead += state[TRANCHE_EAD + j]
        loss += state[TRANCHE_EAD + j] - state[TRANCHE_RECOVERY + j] * present_value
        loss_undiscounted += state[TRANCHE_EAD + j] - state[TRANCHE_RECOVERY + j]
        if tranche_month > 0 and (first_tranche_default < 0 or tranche_month < first_tranche_default):
            first_tranche_default = tranche_month
    parent_end = int(state[PARENT_END])
    cause = int(state[END_CAUSE])
    default_month = parent_end
    # Lease-adjusted debt in the path's last month: what it owed at the parent's end, or at the horizon.
    last_month = horizon
    owed = total_debt(state, dtype)
    if parent_end > 0:
        last_month = parent_end
        owed = dtype(0.0)
        for j in range(MAX_TRANCHES):
            if state[TRANCHE_DEFAULT_MONTH + j] == dtype(parent_end):
                owed += state[TRANCHE_EAD + j]
    _, adjusted, leverage = lease_adjusted(params, state, last_month, owed, dtype)
    if first_tranche_default > 0 and (
        parent_end < 0
        or first_tranche_default < parent_end
        or cause == INSOLVENT_NO_DEBT  # left with no debt by a pool's default this month: that is the pool's
    ):
        default_month = first_tranche_default
        cause = POOL_DEFAULT

    outputs_float[OUT_EAD, column] = ead
    outputs_float[OUT_LOSS, column] = loss
    outputs_float[OUT_LOSS_UNDISCOUNTED, column] = loss_undiscounted
    outputs_float[OUT_EQUITY_RAISED, column] = state[EQUITY_RAISED]
    outputs_float[OUT_BACKSTOP_PAID, column] = state[BACKSTOP_PAID]
    outputs_float[OUT_LEASE_CLAIM, column] = state[LEASE_CLAIM]
    outputs_float[OUT_LEASE_RECOVERY, column] = state[LEASE_RECOVERY] * present_value
    outputs_float[OUT_LEASE_ADJUSTED_DEBT, column] = adjusted
    outputs_float[OUT_LEASE_ADJUSTED_LEVERAGE, column] = leverage
    shortfall = terminal_shortfall(params, state, horizon, regime, rate, value, dtype)
    outputs_float[OUT_TERMINAL_SHORTFALL, column] = shortfall
    outputs_float[OUT_FINAL_PRICE, column] = math.exp(state[FINAL_LOG_PRICE])
    outputs_float[OUT_FINAL_CASH, column] = state[CASH]
    outputs_float[OUT_MIN_CASH, column] = state[MIN_CASH]
    outputs_float[OUT_MAX_LTV, column] = state[MAX_LTV]
    outputs_float[OUT_MIN_DSCR, column] = state[MIN_DSCR]
    outputs_float[OUT_MEAN_UTILIZATION, column] = state[UTILIZATION_SUM] / state[MONTHS_ALIVE]
    outputs_float[OUT_EQUITY_VALUE, column] = equity
    outputs_int[OUT_DEFAULT_MONTH, column] = default_month
    for j in range(MAX_OBLIGORS):
        obligor_month = int(state[OBLIGOR_DEFAULT_MONTH + j])
        outputs_int[OUT_OBLIGOR_DEFAULT_MONTH + j, column] = obligor_month if obligor_month > 0 else -1
    outputs_int[OUT_DEFAULT_CAUSE, column] = cause
    outputs_int[OUT_FUNDING_FAILED_MONTH, column] = first_funding_failure


@device_function
def simulate_path(
    params,
    horizon,
    seed,
    stream,
    path_id,
    state,
    outputs_float,
    outputs_int,
    column,
    tracks,
    track_row,
    statement,
    record_statement,
    draws,
    dtype,
):
    """Simulate path ``path_id`` of one firm for ``horizon`` months.

    Writes column ``column`` of ``outputs_float`` / ``outputs_int`` (rows as in
    ``layout``), if ``track_row`` >= 0 row ``track_row`` of ``tracks`` (month x
    TRACK_*), and if ``record_statement`` the path's monthly statement into
    ``statement`` (month x STATEMENT_*, for the months it lived). ``state`` is
    scratch of length STATE_SIZE, ``draws`` scratch of DRAW_COUNT rows and as
    many months as the launcher fills at once (``draws.draws_column``).
    """
    regime, log_price, rate, launches = initial_market(params)
    reference_log_price = log_price  # the planned price path that collateral is valued against
    defaulted = 0  # no named obligor has defaulted
    start_firm(params, state, log_price, dtype)

    for month in range(1, horizon + 1):
        draw_column = draws_column(params, seed, stream, path_id, month, horizon, draws, dtype)
        market = market_month(
            params, month, regime, log_price, reference_log_price, rate, launches, defaulted, draws, draw_column, dtype
        )
        regime, log_price, reference_log_price, rate, launches, _, _, defaulted = market
        was_alive = state[ALIVE] > dtype(0.0)
        utilization, firm_log_price, cause, ltv, dscr = firm_month(
            params, state, month, market, draws, draw_column, dtype
        )
        if was_alive and record_statement:
            write_statement(
                params,
                state,
                statement,
                month,
                regime,
                firm_log_price,
                reference_log_price,
                utilization,
                rate,
                cause,
                ltv,
                dscr,
                dtype,
            )
        alive = state[ALIVE] > dtype(0.0)
        if track_row >= 0:
            step = month - 1
            tracks[track_row, step, TRACK_PRICE] = math.exp(log_price)
            tracks[track_row, step, TRACK_UTILIZATION] = utilization
            tracks[track_row, step, TRACK_RATE] = rate
            tracks[track_row, step, TRACK_GLUT] = dtype(regime)
            tracks[track_row, step, TRACK_CASH] = state[CASH] if alive else dtype(math.nan)
            tracks[track_row, step, TRACK_LTV] = ltv if alive else dtype(math.nan)
        elif not alive and params[OBLIGOR_COUNT] <= dtype(0.0):
            break  # with named obligors the market goes on: their default months are outputs of the run

    finish_firm(params, state, horizon, regime, rate, outputs_float, outputs_int, column, dtype)

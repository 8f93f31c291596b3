"""One month of the firm: a GPU cloud that borrows to buy GPUs for its contracted backlog.

All money in $, per month unless stated. ``firm_step`` runs the named
sub-steps of month t in this order, each in the module of its concern
(``fleet``, ``contracts``, ``support``, ``operations``, ``debt_service``,
``capital``, ``covenants``); the numpy oracle has functions of the same names:

0. ``open_month`` clears the month's statement lines; ``support_counterparties``:
   the backstop's counterparty and the vendor may default; ``close_facilities``
   (``funding``): a facility not yet signed closes in its window (its principal
   into cash, its commitment undrawn) or, at the window's end, fails and cancels
   the deliveries it funds that have not begun.
1. ``deliveries``: a planned cohort due this month either slips one more month
   (with the regime's slip probability, up to the maximum delay, or while a
   facility that funds it is pending) or arrives:
   its cost less any deposit is paid, and the delayed-draw facilities that fund
   it draw advance rate x cost against their undrawn commitment while their
   draw window is open. Deposits are paid in their own month.
2. ``contracts``: each backlog contract starts at its cohort's delivery, pays
   take-or-pay on its share of the cohort's GPUs, expires at the end of its
   term and then renews (regime's probability) at the cohort's current price
   less a discount, or gives its capacity back to the spot market; its customer
   defaults with the regime's monthly hazard (or in a stress overlay's month). A contract whose cohort is late
   past its limit is terminated or earns the customer a penalty.
3. ``fleet``: the cohorts in service (delivered, not past their useful life),
   their power bill and collateral value V. ``operating_cash_flow``: by cohort,
   contracted revenue + spot revenue (uncontracted GPUs x 730 h x U x the price
   of the cohort's generation) - power; less opex, fixed charges (leases, power
   contracts; ``fixed_charges``) and delay penalties: EBITDA.
4. ``debt_service``: interest at the fixed coupon or at max(r, floor) + spread,
   plus the undrawn fee of open commitments; principal by its schedule (bullet,
   linear, annuity), interest only inside a draw window. A bullet balloon is
   refinanced (floating, regime spread plus a leverage spread, new term) while
   refinancing is on and lenders are open in this regime, up to what keeps
   debt within max LTV x V; the rest is due from cash.
5. ``cover_shortfall`` and ``unpaid_cause`` (``liquidity_test``): cash (with the reserves and an equity raise) < debt
   service due -> "refinancing" if only the balloon broke it, else
   "liquidity"; with no debt, "insolvent_no_debt", which is no credit
   default. EAD = debt before payment. With [claims] (``claims.lease_cause``)
   a month whose cash fell short of its fixed charges is "lease", as is one
   of a firm that owes no lender but still owes rent.
6. ``covenant_tests``: on test months, while debt is outstanding, LTV = debt /
   V > max, or DSCR = trailing-quarter (EBITDA + fixed charges) / (scheduled
   debt service + fixed charges) (``trailing_coverage``; balloons excluded)
   < min. More than ``cure_tests`` breaches in a row -> default for that cause.
7. at the parent's default, the waterfall by tranche (``capital.settle_parent``).

Between 4 and 5 ring-fenced pools are tested (``capital.pool_tests``); after a
paid month (``pay_service``) come the borrowing base, the reserves' top-up and the
cash sweep (``capital.manage_cash``). docs/model.md gives the whole order.
"""

import math

from .capital import (
    clear_recovery,
    cover_shortfall,
    manage_cash,
    pool_tests,
    pool_values,
    reserves_held,
    service_due,
    settle_parent,
)
from .claims import lease_cause
from .contracts import contracts
from .covenants import covenant_tests, loan_to_value, trailing_coverage, unpaid_cause
from .debt_service import debt_service, pay_service, total_debt
from .device import device_function
from .equity import convert_notes
from .fleet import deliveries, fleet_value
from .funding import close_facilities
from .layout import (
    ASSET_SALES,
    BACKSTOP_ALIVE,
    BACKSTOP_DRAW,
    BACKSTOP_HAZARD,
    BACKSTOP_PAID,
    BACKSTOP_REVENUE,
    BALANCE,
    BALLOON,
    BREACHES,
    CAPEX,
    CAPEX_DEFERRED,
    CASH,
    CASH_INITIAL,
    CLAIMS_ON,
    CLOSING_FAILED,
    CLOSING_MONTH,
    COHORT_AGE_INITIAL,
    COHORT_CASH_FLOW,
    COHORT_FIXED_DELAY,
    COHORT_IN_SERVICE,
    COHORT_VALUE,
    CONTRACT_END,
    CONTRACT_PRICE,
    CONVERTED,
    CUSTOMER_ALIVE,
    CUSTOMER_COHORT,
    CUSTOMER_COUNT,
    CUSTOMER_DRAW,
    CUSTOMER_END,
    CUSTOMER_PRICE,
    CUSTOMER_RENEWAL,
    CUSTOMER_TERM,
    DEFERRED,
    DELAY_PENALTIES,
    DELIVERY,
    DRAWS,
    EBITDA_TRAILING,
    EQUITY_RAISED,
    EQUITY_RAISED_YEAR,
    EQUITY_SHARE,
    EXTENDED,
    FIXED_CHARGES,
    FLEET_VALUE,
    FLOATING,
    GPUS_SOLD,
    HAS_CONVERTIBLES,
    HAS_PREPAYMENTS,
    HAS_RESERVES,
    HAS_REVOLVERS,
    HAS_RING_FENCED,
    HAS_UNSIGNED,
    INTEREST,
    LAUNCH_CREDIT,
    LAUNCHES,
    LEASE_CLAIM,
    LEASE_RECOVERY,
    LOG_BASIS,
    MATURITY,
    MAX_COHORTS,
    MAX_CUSTOMERS,
    MAX_POOLS,
    MAX_TRANCHES,
    MONTHS_PER_YEAR,
    MONTHS_SHORT,
    NO_DEFAULT,
    OPEX_CUT,
    OPEX_SAVED,
    PAYMENT_RATE,
    POOL_COUNT,
    POOL_DEFAULT,
    POOL_DEFAULTED,
    POOL_RESERVE_MONTHS,
    POOL_RING_FENCED,
    POOL_VALUE,
    PREPAID,
    PRICE_SURPRISE,
    PRINCIPAL,
    RAISED,
    RATE,
    RENEWAL_DRAW,
    RESALE_INDEX,
    RESERVE,
    RESERVE_DRAWN,
    RESPONSE_CUT_BELOW,
    RESPONSE_OPEX_CUT,
    RESPONSE_SELL_UNPLEDGED,
    REVOLVER_NET,
    SERVICE_TRAILING,
    SLIP_DRAW,
    SLIP_PROBABILITY,
    SOLD,
    TRAILING_MONTHS,
    TRANCHE_BORROWING_BASE,
    TRANCHE_COMMITMENT,
    TRANCHE_CONVERSION_PRICE,
    TRANCHE_COUNT,
    TRANCHE_DEFAULT_MONTH,
    TRANCHE_EAD,
    TRANCHE_FLOATING,
    TRANCHE_MATURITY,
    TRANCHE_PRINCIPAL,
    TRANCHE_RATE,
    TRANCHE_REVOLVING,
    TRANCHE_SWEEP,
    TRANCHE_UNSIGNED,
    UNDRAWN,
    UTILIZATION_LOGIT,
    UTILIZATION_LOGIT_INITIAL,
    VENDOR_ALIVE,
    VENDOR_DRAW,
    VENDOR_HAZARD,
)
from .operations import operating_cash_flow
from .response import count_short_months, sell_unpledged
from .revolvers import draw_revolvers, repay_revolvers
from .support import support_counterparties


@device_function
def optional_blocks(params):
    """(more customers, renewals, slips, support, funding): which of its optional random draws the firm makes.

    A block is drawn only by a firm that can use it (more than two customers, a
    contract that can renew, a delivery that can slip at random, a backstop or
    vendor that can default, a facility not yet signed); the draws are
    counter-based, so skipping a block moves no other draw.
    """
    customers = int(params[CUSTOMER_COUNT])
    renewals = False
    for i in range(customers):
        renewals = renewals or params[CUSTOMER_RENEWAL + i] + params[CUSTOMER_RENEWAL + MAX_CUSTOMERS + i] > 0
    slips = params[SLIP_PROBABILITY] + params[SLIP_PROBABILITY + 1] > 0
    hazards = params[BACKSTOP_HAZARD] + params[BACKSTOP_HAZARD + 1] + params[VENDOR_HAZARD] + params[VENDOR_HAZARD + 1]
    unsigned = False
    for j in range(int(params[TRANCHE_COUNT])):
        unsigned = unsigned or params[TRANCHE_UNSIGNED + j] > 0
    return customers > 2, renewals, slips, hazards > 0, unsigned


@device_function
def init_firm(params, state, dtype):
    """Fill the firm's state vector for month 0."""
    state[CASH] = params[CASH_INITIAL]
    state[UTILIZATION_LOGIT] = params[UTILIZATION_LOGIT_INITIAL]
    state[BREACHES] = dtype(0.0)
    state[LAUNCHES] = dtype(0.0)
    for c in range(MAX_COHORTS):
        state[DELIVERY + c] = params[COHORT_FIXED_DELAY + c] - params[COHORT_AGE_INITIAL + c]
        state[LAUNCH_CREDIT + c] = dtype(0.0)
        state[SLIP_DRAW + c] = dtype(1.0)
    customers = int(params[CUSTOMER_COUNT])
    for i in range(MAX_CUSTOMERS):
        state[CUSTOMER_ALIVE + i] = dtype(1.0) if i < customers else dtype(0.0)
        state[CUSTOMER_DRAW + i] = dtype(1.0)
        state[RENEWAL_DRAW + i] = dtype(1.0)
        state[CONTRACT_PRICE + i] = params[CUSTOMER_PRICE + i]
        cohort = int(params[CUSTOMER_COHORT + i])
        if params[CUSTOMER_END + i] < dtype(0.0):  # its first term runs from the cohort's delivery
            state[CONTRACT_END + i] = state[DELIVERY + cohort] + params[CUSTOMER_TERM + i] - dtype(1.0)
        else:
            state[CONTRACT_END + i] = params[CUSTOMER_END + i]
    for j in range(MAX_TRANCHES):
        signed = params[TRANCHE_UNSIGNED + j] <= dtype(0.0)  # an unsigned facility lends once it closes
        state[BALANCE + j] = params[TRANCHE_PRINCIPAL + j] if signed else dtype(0.0)
        state[UNDRAWN + j] = params[TRANCHE_COMMITMENT + j] if signed else dtype(0.0)
        state[CLOSING_MONTH + j] = dtype(0.0) if signed else dtype(-1.0)
        state[CLOSING_FAILED + j] = dtype(-1.0)
        state[FLOATING + j] = params[TRANCHE_FLOATING + j]
        state[RATE + j] = params[TRANCHE_RATE + j]
        state[MATURITY + j] = params[TRANCHE_MATURITY + j]
        state[EXTENDED + j] = dtype(0.0)
        state[PAYMENT_RATE + j] = dtype(math.nan)
        state[INTEREST + j] = dtype(0.0)
        state[PRINCIPAL + j] = dtype(0.0)
        state[BALLOON + j] = dtype(0.0)
        state[TRANCHE_DEFAULT_MONTH + j] = dtype(-1.0)
        state[TRANCHE_EAD + j] = dtype(0.0)
        clear_recovery(state, j, dtype)
    for k in range(TRAILING_MONTHS):
        state[EBITDA_TRAILING + k] = dtype(0.0)
        state[SERVICE_TRAILING + k] = dtype(0.0)
    state[CAPEX] = dtype(0.0)
    state[DRAWS] = dtype(0.0)
    state[DELAY_PENALTIES] = dtype(0.0)
    for c in range(MAX_COHORTS):
        state[SOLD + c] = dtype(0.0)
        state[COHORT_CASH_FLOW + c] = dtype(0.0)
        state[COHORT_VALUE + c] = dtype(0.0)
    for p in range(MAX_POOLS):
        state[POOL_VALUE + p] = dtype(0.0)
        state[POOL_DEFAULTED + p] = dtype(0.0)
        state[RESERVE + p] = dtype(0.0)
    state[EQUITY_SHARE] = dtype(1.0)
    state[EQUITY_RAISED] = dtype(0.0)
    state[EQUITY_RAISED_YEAR] = dtype(0.0)
    state[BACKSTOP_PAID] = dtype(0.0)
    state[BACKSTOP_ALIVE] = dtype(1.0)
    state[VENDOR_ALIVE] = dtype(1.0)
    state[BACKSTOP_DRAW] = dtype(1.0)
    state[VENDOR_DRAW] = dtype(1.0)
    state[BACKSTOP_REVENUE] = dtype(0.0)
    state[PREPAID] = dtype(0.0)
    state[RESERVE_DRAWN] = dtype(0.0)
    state[RAISED] = dtype(0.0)
    state[FLEET_VALUE] = dtype(0.0)
    state[LEASE_CLAIM] = dtype(0.0)
    state[LEASE_RECOVERY] = dtype(0.0)
    state[RESALE_INDEX] = dtype(1.0)
    state[LOG_BASIS] = dtype(0.0)
    state[PRICE_SURPRISE] = dtype(0.0)
    state[GPUS_SOLD] = dtype(0.0)
    for c in range(MAX_COHORTS):
        state[COHORT_IN_SERVICE + c] = dtype(0.0)
    has_ring_fenced = False
    has_reserves = False
    for p in range(int(params[POOL_COUNT])):
        has_ring_fenced = has_ring_fenced or params[POOL_RING_FENCED + p] > dtype(0.0)
        has_reserves = has_reserves or params[POOL_RESERVE_MONTHS + p] > dtype(0.0)
    has_prepayments = False
    has_revolvers = False
    has_unsigned = False
    has_convertibles = False
    for j in range(int(params[TRANCHE_COUNT])):
        has_convertibles = has_convertibles or params[TRANCHE_CONVERSION_PRICE + j] > dtype(0.0)
        has_prepayments = has_prepayments or params[TRANCHE_BORROWING_BASE + j] + params[TRANCHE_SWEEP + j] > dtype(0.0)
        has_revolvers = has_revolvers or params[TRANCHE_REVOLVING + j] > dtype(0.0)
        has_unsigned = has_unsigned or params[TRANCHE_UNSIGNED + j] > dtype(0.0)
    state[HAS_REVOLVERS] = dtype(1.0) if has_revolvers else dtype(0.0)
    state[HAS_UNSIGNED] = dtype(1.0) if has_unsigned else dtype(0.0)
    state[HAS_CONVERTIBLES] = dtype(1.0) if has_convertibles else dtype(0.0)
    for c in range(MAX_COHORTS):
        state[DEFERRED + c] = dtype(0.0)
    state[MONTHS_SHORT] = dtype(0.0)
    state[OPEX_CUT] = dtype(0.0)
    state[HAS_RING_FENCED] = dtype(1.0) if has_ring_fenced else dtype(0.0)
    state[HAS_RESERVES] = dtype(1.0) if has_reserves else dtype(0.0)
    state[HAS_PREPAYMENTS] = dtype(1.0) if has_prepayments else dtype(0.0)


@device_function
def open_month(state, month, dtype):
    """Clear the month's own statement lines; a new year clears the year's equity raised."""
    if (month - 1) % MONTHS_PER_YEAR == 0:
        state[EQUITY_RAISED_YEAR] = dtype(0.0)
    state[PREPAID] = dtype(0.0)
    state[RESERVE_DRAWN] = dtype(0.0)
    state[RAISED] = dtype(0.0)
    state[GPUS_SOLD] = dtype(0.0)
    state[REVOLVER_NET] = dtype(0.0)
    state[ASSET_SALES] = dtype(0.0)
    state[CONVERTED] = dtype(0.0)
    state[CAPEX_DEFERRED] = dtype(0.0)
    state[OPEX_SAVED] = dtype(0.0)


@device_function
def firm_step(params, state, month, regime, log_price, price_surprise, utilization, rate, dtype):
    """Advance the firm one month; ``price_surprise`` is ln P less the planned ln P (collateral).

    Returns (cause, ltv, dscr): cause is NO_DEFAULT or how the parent ends this
    month; ltv and dscr as reported. A ring-fenced pool may default on its own
    while the parent lives on: its tranches' default month, EAD and recovery
    are in the state (state[TRANCHE_DEFAULT_MONTH + j] ...), as are every
    tranche's at the parent's default (``settle_parent``, the waterfall).
    """
    open_month(state, month, dtype)
    support_counterparties(params, state, regime, dtype)
    if state[HAS_UNSIGNED] > dtype(0.0):  # facilities close before the deliveries that wait for them
        raised = close_facilities(params, state, month, regime, price_surprise, dtype)
        state[CASH] += raised
        state[DRAWS] = raised
    else:
        state[DRAWS] = dtype(0.0)
    capex, drawn = deliveries(params, state, month, regime, dtype)
    state[CAPEX] = capex
    state[DRAWS] += drawn
    state[DELAY_PENALTIES] = contracts(params, state, month, regime, log_price, dtype)
    value = fleet_value(params, state, month, price_surprise, dtype)
    pool_values(params, state, dtype)
    ebitda = operating_cash_flow(params, state, month, log_price, utilization, dtype)
    cash = state[CASH] + ebitda - capex + drawn
    debt = total_debt(state, dtype)
    if state[HAS_CONVERTIBLES] > dtype(0.0):  # notes in the money convert before their balloon falls due
        debt = convert_notes(params, state, month, regime, cash, reserves_held(params, state, dtype), dtype)
    debt_service(params, state, month, regime, rate, debt, value, loan_to_value(debt, value, dtype), dtype)

    cross_default = False
    if state[HAS_RING_FENCED] > dtype(0.0):
        cash, value, cross_default = pool_tests(params, state, month, cash, value, dtype)
    state[FLEET_VALUE] = value
    service, balloon = service_due(params, state, dtype)
    # Coverage is of scheduled service: a balloon is refinanced or paid from cash, not from EBITDA.
    # Fixed charges sit on both sides (a fixed-charge cover); with none it is EBITDA / service.
    charges = state[FIXED_CHARGES]
    dscr, service_quarter = trailing_coverage(state, month, ebitda + charges, service - balloon + charges, dtype)
    if cross_default:
        state[CASH] = cash
        settle_parent(params, state, month, cash, value, dtype)
        return POOL_DEFAULT, loan_to_value(total_debt(state, dtype), value, dtype), dscr

    # The optional blocks are tested here, not only inside: a call the month does not need costs time.
    if state[HAS_REVOLVERS] > dtype(0.0):
        cash = draw_revolvers(params, state, month, regime, cash, service, value, dtype)
    debt = total_debt(state, dtype)  # before payment, without the tranches of pools that defaulted now
    if params[RESPONSE_SELL_UNPLEDGED] > dtype(0.0) and debt > dtype(0.0):
        cash, value = sell_unpledged(params, state, cash, service, value, dtype)
        state[FLEET_VALUE] = value
    ltv = loan_to_value(debt, value, dtype)
    cash, reserves, covered = cover_shortfall(params, state, month, regime, cash, value, service, debt, dtype)
    if not covered:
        state[CASH] = cash
        settle_parent(params, state, month, cash, value, dtype)
        cause = unpaid_cause(cash + reserves, service, balloon, debt, dtype)
        if params[CLAIMS_ON] > dtype(0.0):
            cause = lease_cause(params, state, month, cash, cause, dtype)
        return cause, ltv, dscr

    cash = pay_service(params, state, cash, service, dtype)
    cash, cause = manage_cash(params, state, cash, value, ebitda, service - balloon, dtype)
    if cause == NO_DEFAULT and state[HAS_REVOLVERS] > dtype(0.0):
        cash = repay_revolvers(params, state, month, cash, dtype)
    state[CASH] = cash
    if params[RESPONSE_OPEX_CUT] > dtype(0.0) and params[RESPONSE_CUT_BELOW] > dtype(0.0):
        count_short_months(params, state, cash, dtype)
    debt = total_debt(state, dtype)
    ltv = loan_to_value(debt, value, dtype)
    if cause == NO_DEFAULT:
        cause = covenant_tests(params, state, month, debt, ltv, dscr, service_quarter, dtype)
    if cause != NO_DEFAULT:
        settle_parent(params, state, month, cash, value, dtype)
    return cause, ltv, dscr

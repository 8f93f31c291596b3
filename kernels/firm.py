"""One month of the firm: a GPU cloud that borrows to buy GPUs for its contracted backlog.

All money in $, per month unless stated. ``firm_step`` runs the named
sub-steps of month t in this order (the numpy oracle has sections of the
same names):

1. ``deliveries``: a planned cohort due this month either slips one more month
   (with the regime's slip probability, up to the maximum delay) or arrives:
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
5. ``liquidity_test``: cash (with the reserves and an equity raise) < debt
   service due -> "refinancing" if only the balloon broke it, else
   "liquidity"; with no debt, "insolvent_no_debt", which is no credit
   default. EAD = debt before payment.
6. ``covenant_tests``: on test months, while debt is outstanding, LTV = debt /
   V > max, or DSCR = trailing-quarter (EBITDA + fixed charges) / (scheduled
   debt service + fixed charges) (``trailing_coverage``; balloons excluded)
   < min. More than ``cure_tests`` breaches in a row -> default for that cause.
7. at the parent's default, the waterfall by tranche (``capital.settle_parent``).

Between 4 and 5 ring-fenced pools are tested (``capital.pool_tests``); after a
paid month come the borrowing base, the reserves and the cash sweep
(``kernels/capital.py``). docs/model.md gives the whole order.
"""

import math

from .capital import (
    borrowing_base,
    cash_sweep,
    draw_reserves,
    pool_tests,
    pool_values,
    raise_equity,
    reserves_held,
    service_due,
    settle_parent,
    top_up_reserves,
)
from .device import device_function
from .layout import (
    ANNUITY,
    BACKSTOP_ALIVE,
    BACKSTOP_CAP,
    BACKSTOP_DRAW,
    BACKSTOP_END,
    BACKSTOP_HAZARD,
    BACKSTOP_PAID,
    BACKSTOP_PRICE,
    BACKSTOP_REVENUE,
    BACKSTOP_START,
    BALANCE,
    BALLOON,
    BREACHES,
    BULLET,
    CAPEX,
    CASH,
    CASH_INITIAL,
    CHOLESKY,
    COHORT_AGE_INITIAL,
    COHORT_CASH_FLOW,
    COHORT_COST,
    COHORT_COUNT,
    COHORT_DELIVERY_MONTHS,
    COHORT_DEPOSIT,
    COHORT_DEPOSIT_MONTH,
    COHORT_FIXED_DELAY,
    COHORT_GPUS,
    COHORT_IN_SERVICE,
    COHORT_LOG_DECAY,
    COHORT_LOG_PRICE_RATIO,
    COHORT_NEWEST,
    COHORT_POWER_FULL,
    COHORT_SLIPS,
    COHORT_USEFUL_LIFE,
    COHORT_VALUE,
    CONTRACT_END,
    CONTRACT_PRICE,
    CURE_TESTS,
    CUSTOMER_ALIVE,
    CUSTOMER_COHORT,
    CUSTOMER_COUNT,
    CUSTOMER_DEFAULT_MONTH,
    CUSTOMER_DELAY_LIMIT,
    CUSTOMER_DELAY_PENALTY,
    CUSTOMER_DRAW,
    CUSTOMER_END,
    CUSTOMER_HAZARD,
    CUSTOMER_PRICE,
    CUSTOMER_RENEWAL,
    CUSTOMER_RENEWAL_DISCOUNT,
    CUSTOMER_SHARE,
    CUSTOMER_TAKE_OR_PAY,
    CUSTOMER_TERM,
    CUSTOMER_TERMINATES,
    DELAY_MAX,
    DELAY_PENALTIES,
    DELIVERY,
    DRAWS,
    DSCR_BREACH,
    DSCR_MIN,
    EBITDA,
    EBITDA_TRAILING,
    EQUITY_RAISED,
    EQUITY_RAISED_YEAR,
    EQUITY_SHARE,
    FIXED_CHARGES,
    FIXED_OPEX,
    FLEET_VALUE,
    FLOATING,
    FLOOR_ENABLED,
    GPUS,
    GPUS_SOLD,
    HAS_PREPAYMENTS,
    HAS_RESERVES,
    HAS_RING_FENCED,
    HOURS_PER_MONTH,
    IDLE_POWER_FRACTION,
    INSOLVENT_NO_DEBT,
    INTEREST,
    LAUNCH_CREDIT,
    LAUNCHES,
    LINEAR,
    LIQUIDITY,
    LOG_BASIS,
    LOG_JUMP,
    LOG_PRICE_FLOOR,
    LTV_BREACH,
    LTV_MAX,
    MATURITY,
    MAX_COHORTS,
    MAX_CUSTOMERS,
    MAX_POOLS,
    MAX_TRANCHES,
    MONTHS_PER_YEAR,
    NO_DEFAULT,
    OBLIGATION_AMOUNT,
    OBLIGATION_COUNT,
    OBLIGATION_END,
    OBLIGATION_LOG_ESCALATION,
    OBLIGATION_START,
    OPEX_COST,
    OPEX_PER_GPU,
    PAYMENT,
    PAYMENT_RATE,
    POOL_COUNT,
    POOL_DEFAULT,
    POOL_DEFAULTED,
    POOL_RESERVE_MONTHS,
    POOL_RING_FENCED,
    POOL_VALUE,
    POWER_COST,
    PREPAID,
    PRICE_ELASTICITY,
    PRICE_SURPRISE,
    PRINCIPAL,
    RAISED,
    RATE,
    RATE_FLOOR,
    RATIO_CAP,
    REFINANCED,
    REFINANCING,
    REFINANCING_ENABLED,
    REFINANCING_LEVERAGE_SPREAD,
    REFINANCING_MAX_LTV,
    REFINANCING_OPEN,
    REFINANCING_PARTIAL,
    REFINANCING_SPREAD,
    REFINANCING_TERM,
    RENEWAL_DRAW,
    RESALE_INDEX,
    RESERVE,
    RESERVE_DRAWN,
    REVENUE_CONTRACTED,
    REVENUE_SPOT,
    SERVICE_TRAILING,
    SLIP_DRAW,
    SLIP_PROBABILITY,
    SOLD,
    TEST_EVERY,
    TRAILING_MONTHS,
    TRANCHE_ADVANCE_RATE,
    TRANCHE_AMORTIZATION,
    TRANCHE_BORROWING_BASE,
    TRANCHE_COMMITMENT,
    TRANCHE_COUNT,
    TRANCHE_DEFAULT_MONTH,
    TRANCHE_DRAW_END,
    TRANCHE_EAD,
    TRANCHE_FLOATING,
    TRANCHE_FUNDS,
    TRANCHE_MATURITY,
    TRANCHE_PRINCIPAL,
    TRANCHE_RATE,
    TRANCHE_RECOVERY,
    TRANCHE_SWEEP,
    TRANCHE_UNDRAWN_FEE,
    TRANCHE_VENDOR,
    UNDRAWN,
    UTILIZATION_DECAY,
    UTILIZATION_LOGIT,
    UTILIZATION_LOGIT_INITIAL,
    UTILIZATION_LOGIT_MEAN,
    UTILIZATION_SHOCK,
    VENDOR_ALIVE,
    VENDOR_DRAW,
    VENDOR_HAZARD,
)


@device_function
def optional_blocks(params):
    """(more customers, renewals, slips, support): which of its optional random draws the firm makes.

    A block is drawn only by a firm that can use it (more than two customers, a
    contract that can renew, a delivery that can slip at random, a backstop or
    vendor that can default); the draws are counter-based, so skipping a block
    moves no other draw.
    """
    customers = int(params[CUSTOMER_COUNT])
    renewals = False
    for i in range(customers):
        renewals = renewals or params[CUSTOMER_RENEWAL + i] + params[CUSTOMER_RENEWAL + MAX_CUSTOMERS + i] > 0
    slips = params[SLIP_PROBABILITY] + params[SLIP_PROBABILITY + 1] > 0
    hazards = params[BACKSTOP_HAZARD] + params[BACKSTOP_HAZARD + 1] + params[VENDOR_HAZARD] + params[VENDOR_HAZARD + 1]
    return customers > 2, renewals, slips, hazards > 0


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
        state[BALANCE + j] = params[TRANCHE_PRINCIPAL + j]
        state[UNDRAWN + j] = params[TRANCHE_COMMITMENT + j]
        state[FLOATING + j] = params[TRANCHE_FLOATING + j]
        state[RATE + j] = params[TRANCHE_RATE + j]
        state[MATURITY + j] = params[TRANCHE_MATURITY + j]
        state[PAYMENT_RATE + j] = dtype(math.nan)
    for k in range(TRAILING_MONTHS):
        state[EBITDA_TRAILING + k] = dtype(0.0)
        state[SERVICE_TRAILING + k] = dtype(0.0)
    for j in range(MAX_TRANCHES):
        state[INTEREST + j] = dtype(0.0)
        state[PRINCIPAL + j] = dtype(0.0)
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
    for j in range(MAX_TRANCHES):
        state[BALLOON + j] = dtype(0.0)
        state[TRANCHE_DEFAULT_MONTH + j] = dtype(-1.0)
        state[TRANCHE_EAD + j] = dtype(0.0)
        state[TRANCHE_RECOVERY + j] = dtype(0.0)
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
    for j in range(int(params[TRANCHE_COUNT])):
        has_prepayments = has_prepayments or params[TRANCHE_BORROWING_BASE + j] + params[TRANCHE_SWEEP + j] > dtype(0.0)
    state[HAS_RING_FENCED] = dtype(1.0) if has_ring_fenced else dtype(0.0)
    state[HAS_RESERVES] = dtype(1.0) if has_reserves else dtype(0.0)
    state[HAS_PREPAYMENTS] = dtype(1.0) if has_prepayments else dtype(0.0)


@device_function
def total_debt(state, dtype):
    """Outstanding principal of all tranches ($); unused slots hold zero."""
    outstanding = dtype(0.0)
    for j in range(MAX_TRANCHES):
        outstanding += state[BALANCE + j]
    return outstanding


@device_function
def cohort_in_service(params, state, cohort, month, dtype):
    """(age, share delivered) of the cohort in ``month`` (a float): (-1, 0) if it is not in service.

    Age counts months since its first tranche arrived; it is delivered in
    COHORT_DELIVERY_MONTHS equal monthly tranches and retires whole when its
    age passes its useful life.
    """
    age = month - state[DELIVERY + cohort]
    if age < dtype(0.0) or age > params[COHORT_USEFUL_LIFE + cohort]:
        return dtype(-1.0), dtype(0.0)
    tranches = params[COHORT_DELIVERY_MONTHS + cohort]
    return age, min(age + dtype(1.0), tranches) / tranches


@device_function
def cohort_log_price(params, state, cohort, log_price, dtype):
    """ln of the rental price ($/GPU-hour) that the cohort's generation earns, given the market's ln P.

    The market's P is the price of the generation that was newest at month 0,
    cut by every launch since. A generation's price is a fixed ratio of it; a
    cohort whose generation is the newest at its delivery is not cut by the
    launches before that (its LAUNCH_CREDIT). No generation rents below the
    price floor.
    """
    value = log_price + params[COHORT_LOG_PRICE_RATIO + cohort] - state[LAUNCH_CREDIT + cohort] * params[LOG_JUMP]
    if params[FLOOR_ENABLED] > dtype(0.0) and value < params[LOG_PRICE_FLOOR]:
        value = params[LOG_PRICE_FLOOR]
    return value


@device_function
def fleet(params, state, month, price_surprise, dtype):
    """(GPUs in service, $ power bill with all of them busy, collateral value V $) of the cohorts in month ``month``.

    A cohort is in service from its delivery (age 0) until its age passes its
    useful life; before and after it earns nothing and is worth nothing. Its
    value is cost x share delivered x residual(age) x (P / planned P)^elasticity, with
    residual(age) = (1 - age_decay)^(age / 12) and ``price_surprise`` = ln P -
    ln planned P: the residual curve already holds the expected decline, so on
    the planned price path V = sum of cost x residual(age) exactly. Every
    value is scaled by the resale-value index state[RESALE_INDEX] (1 unless
    systemic fire sales in a portfolio depress it). The firm owns (1 - SOLD) of
    each cohort (lenders of defaulted pools sold the rest); state[COHORT_VALUE
    + c] and state[COHORT_IN_SERVICE + c] get each cohort's value and GPUs in full.
    """
    gpus = dtype(0.0)
    power_full = dtype(0.0)
    value = dtype(0.0)
    for c in range(int(params[COHORT_COUNT])):
        age, delivered = cohort_in_service(params, state, c, dtype(month), dtype)
        state[COHORT_VALUE + c] = dtype(0.0)
        state[COHORT_IN_SERVICE + c] = dtype(0.0)
        if age >= dtype(0.0):
            owned = dtype(1.0) - state[SOLD + c]
            state[COHORT_IN_SERVICE + c] = params[COHORT_GPUS + c] * delivered
            gpus += params[COHORT_GPUS + c] * delivered * owned
            power_full += params[COHORT_POWER_FULL + c] * delivered * owned
            exponent = params[PRICE_ELASTICITY] * price_surprise + params[COHORT_LOG_DECAY + c] * age
            full_value = params[COHORT_COST + c] * delivered * math.exp(exponent) * state[RESALE_INDEX]
            state[COHORT_VALUE + c] = full_value
            value += full_value * owned
    return gpus, power_full, value


@device_function
def fleet_value(params, state, month, price_surprise, dtype):
    """Collateral value V ($) of the cohorts in service in month ``month`` (see ``fleet``)."""
    _, _, value = fleet(params, state, month, price_surprise, dtype)
    return value


@device_function
def deliveries(params, state, month, regime, dtype):
    """Deposits and deliveries due this month: (capex $, drawn on delayed-draw facilities $).

    A planned cohort due this month slips one more month if its draw
    (state[SLIP_DRAW]) is below the regime's slip probability and it has not
    yet slipped DELAY_MAX months at random; otherwise it starts to arrive, in
    COHORT_DELIVERY_MONTHS equal monthly tranches. Each tranche's cost less its
    part of the deposit is due, and each facility that funds the cohort draws
    min(advance rate x the tranche's cost - drawn so far for it, undrawn) while
    its draw window is open.
    """
    month_number = dtype(month)
    capex = dtype(0.0)
    drawn = dtype(0.0)
    for c in range(int(params[COHORT_COUNT])):
        if params[COHORT_DEPOSIT_MONTH + c] == month_number:
            capex += params[COHORT_DEPOSIT + c]
        planned = params[COHORT_FIXED_DELAY + c] - params[COHORT_AGE_INITIAL + c]
        if (
            state[DELIVERY + c] == month_number
            and params[COHORT_SLIPS + c] > dtype(0.0)
            and state[SLIP_DRAW + c] < params[SLIP_PROBABILITY + regime]
            and month_number - planned < params[DELAY_MAX]
        ):
            state[DELIVERY + c] = month_number + dtype(1.0)
            for i in range(int(params[CUSTOMER_COUNT])):  # a first term from delivery starts later
                if int(params[CUSTOMER_COHORT + i]) == c and params[CUSTOMER_END + i] < dtype(0.0):
                    state[CONTRACT_END + i] += dtype(1.0)
            continue
        tranche = month_number - state[DELIVERY + c]  # 0 for the first of its monthly tranches
        tranches = params[COHORT_DELIVERY_MONTHS + c]
        if tranche < dtype(0.0) or tranche >= tranches or tranche > params[COHORT_USEFUL_LIFE + c]:
            continue  # none due, or the cohort has retired: no more tranches are bought
        owned = dtype(1.0) - state[SOLD + c]  # what lenders of a defaulted pool sold is not bought
        cost = params[COHORT_COST + c] / tranches * owned
        capex += cost - params[COHORT_DEPOSIT + c] / tranches * owned
        if tranche == dtype(0.0) and params[COHORT_NEWEST + c] > dtype(0.0):
            state[LAUNCH_CREDIT + c] = state[LAUNCHES]
        funded = dtype(0.0)
        for j in range(int(params[TRANCHE_COUNT])):
            if month_number > params[TRANCHE_DRAW_END + j] or (int(params[TRANCHE_FUNDS + j]) >> c) & 1 == 0:
                continue
            draw = min(params[TRANCHE_ADVANCE_RATE + j] * cost - funded, state[UNDRAWN + j])
            if draw > dtype(0.0):
                state[UNDRAWN + j] -= draw
                state[BALANCE + j] += draw
                funded += draw
        drawn += funded
    return capex, drawn


@device_function
def contracts(params, state, month, regime, log_price, dtype):
    """Expire, renew or lose the backlog contracts this month; returns the delay penalties due ($).

    Uses this month's uniforms state[RENEWAL_DRAW] (renewal at expiry) and
    state[CUSTOMER_DRAW] (default). A contract on a cohort not yet delivered
    waits; once the cohort is later than planned by more than the contract's
    limit, the customer walks away (if it may) or is owed its penalty share of
    the contract's monthly value, each month.
    """
    month_number = dtype(month)
    penalties = dtype(0.0)
    for i in range(int(params[CUSTOMER_COUNT])):
        if state[CUSTOMER_ALIVE + i] <= dtype(0.0):
            continue
        if month_number == params[CUSTOMER_DEFAULT_MONTH + i]:  # a stress overlay's default
            state[CUSTOMER_ALIVE + i] = dtype(0.0)
            continue
        cohort = int(params[CUSTOMER_COHORT + i])
        if cohort >= 0 and month_number < state[DELIVERY + cohort]:
            if month_number > state[CONTRACT_END + i]:  # its first term ran out before its cohort came
                state[CUSTOMER_ALIVE + i] = dtype(0.0)
                continue
            months_late = month_number + params[COHORT_AGE_INITIAL + cohort] + dtype(1.0)
            if months_late > params[CUSTOMER_DELAY_LIMIT + i]:
                if params[CUSTOMER_TERMINATES + i] > dtype(0.0):
                    state[CUSTOMER_ALIVE + i] = dtype(0.0)
                else:
                    gpu_hours = params[CUSTOMER_SHARE + i] * params[COHORT_GPUS + cohort] * dtype(HOURS_PER_MONTH)
                    penalties += params[CUSTOMER_DELAY_PENALTY + i] * gpu_hours * state[CONTRACT_PRICE + i]
            continue
        if month_number > state[CONTRACT_END + i]:
            if state[RENEWAL_DRAW + i] < params[CUSTOMER_RENEWAL + MAX_CUSTOMERS * regime + i]:
                state[CONTRACT_END + i] += params[CUSTOMER_TERM + i]
                spot = log_price if cohort < 0 else cohort_log_price(params, state, cohort, log_price, dtype)
                state[CONTRACT_PRICE + i] = math.exp(spot) * (dtype(1.0) - params[CUSTOMER_RENEWAL_DISCOUNT + i])
            else:
                state[CUSTOMER_ALIVE + i] = dtype(0.0)  # its capacity goes back to the spot market
                continue
        if state[CUSTOMER_DRAW + i] < params[CUSTOMER_HAZARD + MAX_CUSTOMERS * regime + i]:
            state[CUSTOMER_ALIVE + i] = dtype(0.0)
    return penalties


@device_function
def contracted(params, state, month, cohort, utilization, dtype):
    """(share of the cohort's GPUs under paying contracts, $ per cohort GPU-hour they pay) this month.

    Call after ``contracts``. Fleet-wide contracts (cohort -1) cover their
    share of every cohort. A contract pays its price on its take-or-pay share
    and on the used part (utilization U) of the rest.
    """
    share = dtype(0.0)
    rate = dtype(0.0)
    for i in range(int(params[CUSTOMER_COUNT])):
        covers = int(params[CUSTOMER_COHORT + i])
        if state[CUSTOMER_ALIVE + i] <= dtype(0.0) or (covers >= 0 and covers != cohort):
            continue
        if covers >= 0 and dtype(month) < state[DELIVERY + covers]:
            continue  # waiting for its cohort
        take_or_pay = params[CUSTOMER_TAKE_OR_PAY + i]
        paid = take_or_pay + (dtype(1.0) - take_or_pay) * utilization
        share += params[CUSTOMER_SHARE + i]
        rate += params[CUSTOMER_SHARE + i] * state[CONTRACT_PRICE + i] * paid
    return share, rate


@device_function
def fixed_charges(params, month, dtype):
    """Leases and power contracts due this month ($), each escalating from its first month."""
    month_number = dtype(month)
    total = dtype(0.0)
    for k in range(int(params[OBLIGATION_COUNT])):
        start = params[OBLIGATION_START + k]
        if start <= month_number <= params[OBLIGATION_END + k]:
            escalation = math.exp(params[OBLIGATION_LOG_ESCALATION + k] * (month_number - start))
            total += params[OBLIGATION_AMOUNT + k] * escalation
    return total


@device_function
def loan_to_value(debt, value, dtype):
    """debt / V, clipped to RATIO_CAP (a worthless fleet with debt sits at the cap)."""
    if debt <= dtype(0.0):
        return dtype(0.0)
    if value * dtype(RATIO_CAP) <= debt:
        return dtype(RATIO_CAP)
    return debt / value


@device_function
def coverage_ratio(ebitda, service, dtype):
    """EBITDA / debt service, clipped to +-RATIO_CAP; RATIO_CAP when nothing is due."""
    if service <= dtype(0.0):
        return dtype(RATIO_CAP)
    return min(max(ebitda / service, dtype(-RATIO_CAP)), dtype(RATIO_CAP))


@device_function
def utilization_step(params, state, regime, e_price, e_rate, e_utilization, dtype):
    """The fleet's utilization this month (share), a logit-OU process in the firm's state.

    x = m_R + (x - m_R) e^{-kappa dt} + eta sqrt((1 - e^{-2 kappa dt}) / (2 kappa)) Z_U, with
    Z_U = l20 e_price + l21 e_rate + l22 e_utilization: the firm's own shock
    loaded on the market's two.
    """
    z_utilization = (
        params[CHOLESKY + 3] * e_price + params[CHOLESKY + 4] * e_rate + params[CHOLESKY + 5] * e_utilization
    )
    mean = params[UTILIZATION_LOGIT_MEAN + regime]
    logit = (
        mean + (state[UTILIZATION_LOGIT] - mean) * params[UTILIZATION_DECAY] + params[UTILIZATION_SHOCK] * z_utilization
    )
    state[UTILIZATION_LOGIT] = logit
    return dtype(1.0) / (dtype(1.0) + math.exp(-logit))


@device_function
def operating_cash_flow(params, state, month, log_price, utilization, dtype):
    """EBITDA of the month ($): by cohort in service, contracted and spot revenue less power; less opex and charges.

    Call after ``contracts``; fills the statement lines (state[REVENUE_CONTRACTED] ...)
    and each whole cohort's operating cash flow (state[COHORT_CASH_FLOW + c], for
    its pools). The firm earns on the (1 - SOLD) it owns of each cohort, and the
    capacity backstop pays for its unused, uncontracted hours.
    """
    revenue_contracted = dtype(0.0)
    revenue_spot = dtype(0.0)
    power = dtype(0.0)
    gpus = dtype(0.0)
    unused_hours = dtype(0.0)
    idle = params[IDLE_POWER_FRACTION]
    for c in range(int(params[COHORT_COUNT])):
        state[COHORT_CASH_FLOW + c] = dtype(0.0)
        age, delivered = cohort_in_service(params, state, c, dtype(month), dtype)
        if age < dtype(0.0):
            continue
        owned = dtype(1.0) - state[SOLD + c]
        cohort_gpus = params[COHORT_GPUS + c] * delivered
        hours = cohort_gpus * dtype(HOURS_PER_MONTH)
        share, rate = contracted(params, state, month, c, utilization, dtype)
        spot_price = math.exp(cohort_log_price(params, state, c, log_price, dtype))
        contracted_c = hours * rate
        spot_c = hours * (dtype(1.0) - share) * utilization * spot_price
        busy = share + (dtype(1.0) - share) * utilization
        power_c = params[COHORT_POWER_FULL + c] * delivered * (busy + (dtype(1.0) - busy) * idle)
        state[COHORT_CASH_FLOW + c] = contracted_c + spot_c - power_c - params[OPEX_PER_GPU] * cohort_gpus
        revenue_contracted += contracted_c * owned
        revenue_spot += spot_c * owned
        power += power_c * owned
        gpus += cohort_gpus * owned
        unused_hours += hours * owned * (dtype(1.0) - share) * (dtype(1.0) - utilization)
    opex = params[OPEX_PER_GPU] * gpus + params[FIXED_OPEX]
    charges = fixed_charges(params, month, dtype)
    backstop = backstop_payment(params, state, month, unused_hours, dtype)
    state[REVENUE_CONTRACTED] = revenue_contracted
    state[REVENUE_SPOT] = revenue_spot
    state[POWER_COST] = power
    state[OPEX_COST] = opex
    state[FIXED_CHARGES] = charges
    state[GPUS] = gpus
    state[BACKSTOP_REVENUE] = backstop
    ebitda = revenue_contracted + revenue_spot + backstop - power - opex - charges - state[DELAY_PENALTIES]
    state[EBITDA] = ebitda
    return ebitda


@device_function
def backstop_payment(params, state, month, unused_hours, dtype):
    """What the capacity backstop pays this month ($): unused, uncontracted GPU-hours at its price, up to its cap."""
    month_number = dtype(month)
    if (
        params[BACKSTOP_CAP] <= dtype(0.0)
        or state[BACKSTOP_ALIVE] <= dtype(0.0)
        or month_number < params[BACKSTOP_START]
        or month_number > params[BACKSTOP_END]
    ):
        return dtype(0.0)
    payment = min(params[BACKSTOP_PRICE] * unused_hours, params[BACKSTOP_CAP] - state[BACKSTOP_PAID])
    payment = max(payment, dtype(0.0))
    state[BACKSTOP_PAID] += payment
    return payment


@device_function
def support_counterparties(params, state, regime, dtype):
    """The backstop's counterparty and the vendor default with their regime's monthly hazard.

    Once the vendor has stopped financing, the undrawn commitments of every
    vendor-financed tranche lapse.
    """
    if state[BACKSTOP_ALIVE] > dtype(0.0) and state[BACKSTOP_DRAW] < params[BACKSTOP_HAZARD + regime]:
        state[BACKSTOP_ALIVE] = dtype(0.0)
    if state[VENDOR_ALIVE] > dtype(0.0) and state[VENDOR_DRAW] < params[VENDOR_HAZARD + regime]:
        state[VENDOR_ALIVE] = dtype(0.0)
    if state[VENDOR_ALIVE] <= dtype(0.0):
        for j in range(int(params[TRANCHE_COUNT])):
            if params[TRANCHE_VENDOR + j] > dtype(0.0):
                state[UNDRAWN + j] = dtype(0.0)


@device_function
def debt_service(params, state, month, regime, rate, debt, value, leverage, dtype):
    """Interest (undrawn fees included), principal and unrefinanced balloon due this month, by tranche.

    Fills state[INTEREST + j], state[PRINCIPAL + j] and state[BALLOON + j]
    and leaves balances as they are: ``pay_service`` reduces them once the
    month's service is paid. Inside its draw window a facility pays interest
    only; after it, its undrawn commitment lapses. A bullet's balloon is
    refinanced while lenders are open: in part, up to what keeps debt within
    max LTV x ``value`` (``debt`` and ``leverage`` are from before service), or
    all or nothing by ``leverage`` if refinancing is not partial.
    """
    month_number = dtype(month)
    base_rate = max(rate, params[RATE_FLOOR])
    lenders_open = params[REFINANCING_ENABLED] > dtype(0.0) and params[REFINANCING_OPEN + regime] > dtype(0.0)
    partial = params[REFINANCING_PARTIAL] > dtype(0.0)
    headroom = params[REFINANCING_MAX_LTV] * value - debt
    new_spread = params[REFINANCING_SPREAD + regime] + params[REFINANCING_LEVERAGE_SPREAD] * leverage
    state[REFINANCED] = dtype(0.0)
    for j in range(int(params[TRANCHE_COUNT])):
        balance = state[BALANCE + j]
        in_window = month_number <= params[TRANCHE_DRAW_END + j]
        fee = dtype(0.0)
        if in_window:
            fee = state[UNDRAWN + j] * params[TRANCHE_UNDRAWN_FEE + j] / dtype(MONTHS_PER_YEAR)
        else:
            state[UNDRAWN + j] = dtype(0.0)
        state[INTEREST + j] = fee
        state[PRINCIPAL + j] = dtype(0.0)
        state[BALLOON + j] = dtype(0.0)
        if balance <= dtype(0.0):
            continue
        annual_rate = state[RATE + j]
        if state[FLOATING + j] > dtype(0.0):
            annual_rate += base_rate
        monthly_rate = annual_rate / dtype(MONTHS_PER_YEAR)
        interest = balance * monthly_rate
        payments_left = state[MATURITY + j] - month_number + dtype(1.0)
        amortization = int(params[TRANCHE_AMORTIZATION + j])
        if payments_left <= dtype(1.0):
            principal = balance
            if amortization == BULLET:
                rolled = dtype(0.0)
                if lenders_open:
                    if partial:
                        rolled = min(balance, max(headroom + balance, dtype(0.0)))
                    elif leverage <= params[REFINANCING_MAX_LTV]:
                        rolled = balance
                    headroom -= rolled - balance
                if rolled > dtype(0.0):
                    state[FLOATING + j] = dtype(1.0)
                    state[RATE + j] = new_spread
                    state[MATURITY + j] = month_number + params[REFINANCING_TERM]
                    state[REFINANCED] += rolled
                    principal = balance - rolled
                state[BALLOON + j] = principal
        elif in_window:
            principal = dtype(0.0)
        elif amortization == LINEAR:
            principal = balance / payments_left
        elif amortization == ANNUITY:
            # The level payment only changes with the rate: recompute it then, not every month.
            if monthly_rate != state[PAYMENT_RATE + j]:
                state[PAYMENT_RATE + j] = monthly_rate
                if monthly_rate != dtype(0.0):
                    # 1 - (1 + i)^-n without cancellation, so tiny and negative rates stay exact.
                    annuity_factor = -math.expm1(-payments_left * math.log1p(monthly_rate))
                    state[PAYMENT + j] = balance * monthly_rate / annuity_factor
                else:
                    state[PAYMENT + j] = balance / payments_left
            principal = state[PAYMENT + j] - interest
        else:
            principal = dtype(0.0)
        state[INTEREST + j] += interest
        state[PRINCIPAL + j] = principal


@device_function
def pay_service(params, state, dtype):
    """The month's service is paid: each balance falls by its principal."""
    for j in range(int(params[TRANCHE_COUNT])):
        state[BALANCE + j] -= state[PRINCIPAL + j]


@device_function
def trailing_coverage(state, month, cover, scheduled_service, dtype):
    """(DSCR, trailing-quarter service $): this month's cover (EBITDA + fixed charges) and service join the quarter."""
    slot = month % TRAILING_MONTHS
    state[EBITDA_TRAILING + slot] = cover
    state[SERVICE_TRAILING + slot] = scheduled_service
    cover_quarter = dtype(0.0)
    service_quarter = dtype(0.0)
    for k in range(TRAILING_MONTHS):
        cover_quarter += state[EBITDA_TRAILING + k]
        service_quarter += state[SERVICE_TRAILING + k]
    return coverage_ratio(cover_quarter, service_quarter, dtype), service_quarter


@device_function
def liquidity_test(cash, service, balloon, debt, dtype):
    """How the month ends if ``cash`` ($, EBITDA in) cannot pay ``service`` ($ due); NO_DEFAULT if it can."""
    if cash >= service:
        return NO_DEFAULT
    return unpaid_cause(cash, service, balloon, debt, dtype)


@device_function
def unpaid_cause(cash, service, balloon, debt, dtype):
    """Why a month whose ``service`` was not paid ends the path (never NO_DEFAULT).

    ``refinancing`` if ``cash`` could pay all but an unrefinanced balloon, else
    ``liquidity``; with no debt at all, ``insolvent_no_debt`` (no lender loses).
    """
    if debt <= dtype(0.0):
        return INSOLVENT_NO_DEBT
    if balloon > dtype(0.0) and cash >= service - balloon:
        return REFINANCING
    return LIQUIDITY


@device_function
def covenant_tests(params, state, month, debt, ltv, dscr, service_quarter, dtype):
    """NO_DEFAULT, LTV_BREACH or DSCR_BREACH after this month's covenant test, if one is due.

    Tested every TEST_EVERY months while debt is outstanding; a breach counts
    in state[BREACHES], a clean test resets it, and more than CURE_TESTS
    breaches in a row is a default (LTV first when both are breached).
    """
    if debt <= dtype(0.0) or month % int(params[TEST_EVERY]) != 0:
        return NO_DEFAULT
    ltv_breach = params[LTV_MAX] > dtype(0.0) and ltv > params[LTV_MAX]
    dscr_breach = params[DSCR_MIN] > dtype(0.0) and service_quarter > dtype(0.0) and dscr < params[DSCR_MIN]
    if not (ltv_breach or dscr_breach):
        state[BREACHES] = dtype(0.0)
        return NO_DEFAULT
    state[BREACHES] += dtype(1.0)
    if state[BREACHES] <= params[CURE_TESTS]:
        return NO_DEFAULT
    return LTV_BREACH if ltv_breach else DSCR_BREACH


@device_function
def firm_step(params, state, month, regime, log_price, price_surprise, utilization, rate, dtype):
    """Advance the firm one month; ``price_surprise`` is ln P less the planned ln P (collateral).

    Returns (cause, ltv, dscr): cause is NO_DEFAULT or how the parent ends this
    month; ltv and dscr as reported. A ring-fenced pool may default on its own
    while the parent lives on: its tranches' default month, EAD and recovery
    are in the state (state[TRANCHE_DEFAULT_MONTH + j] ...), as are every
    tranche's at the parent's default (``settle_parent``, the waterfall).
    """
    if (month - 1) % MONTHS_PER_YEAR == 0:
        state[EQUITY_RAISED_YEAR] = dtype(0.0)
    state[PREPAID] = dtype(0.0)
    state[RESERVE_DRAWN] = dtype(0.0)
    state[RAISED] = dtype(0.0)
    state[GPUS_SOLD] = dtype(0.0)
    support_counterparties(params, state, regime, dtype)
    capex, drawn = deliveries(params, state, month, regime, dtype)
    state[CAPEX] = capex
    state[DRAWS] = drawn
    state[DELAY_PENALTIES] = contracts(params, state, month, regime, log_price, dtype)
    value = fleet_value(params, state, month, price_surprise, dtype)
    pool_values(params, state, dtype)
    ebitda = operating_cash_flow(params, state, month, log_price, utilization, dtype)
    cash = state[CASH] + ebitda - capex + drawn
    debt = total_debt(state, dtype)
    ltv = loan_to_value(debt, value, dtype)
    debt_service(params, state, month, regime, rate, debt, value, ltv, dtype)

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

    debt = total_debt(state, dtype)  # before payment, without the tranches of pools that defaulted now
    ltv = loan_to_value(debt, value, dtype)
    shortfall = service - cash
    if shortfall > dtype(0.0):
        reserves = dtype(0.0)
        needed = shortfall
        if state[HAS_RESERVES] > dtype(0.0):
            reserves, needed = draw_reserves(params, state, shortfall, False, dtype)
        if needed > dtype(0.0):
            book_equity = cash + value + reserves_held(params, state, dtype) - debt
            if not raise_equity(params, state, regime, needed, book_equity, dtype):
                state[CASH] = cash
                settle_parent(params, state, month, cash, value, dtype)
                return unpaid_cause(cash + reserves, service, balloon, debt, dtype), ltv, dscr
            cash += needed  # the raise's proceeds
        if reserves > dtype(0.0):
            drawn, _ = draw_reserves(params, state, shortfall, True, dtype)
            cash += drawn

    pay_service(params, state, dtype)
    cash -= service
    if state[RAISED] > dtype(0.0):
        cash = dtype(0.0)  # a raise covers the shortfall exactly: no cash is left (whatever the rounding)
    cause = NO_DEFAULT
    if state[HAS_PREPAYMENTS] > dtype(0.0):
        cash, cause = borrowing_base(params, state, cash, value, dtype)
    if cause == NO_DEFAULT and state[HAS_RESERVES] > dtype(0.0):
        cash = top_up_reserves(params, state, cash, dtype)
    if cause == NO_DEFAULT and state[HAS_PREPAYMENTS] > dtype(0.0):
        cash = cash_sweep(params, state, ebitda, service - balloon, cash, dtype)
    state[CASH] = cash
    debt = total_debt(state, dtype)
    ltv = loan_to_value(debt, value, dtype)
    if cause == NO_DEFAULT:
        cause = covenant_tests(params, state, month, debt, ltv, dscr, service_quarter, dtype)
    if cause != NO_DEFAULT:
        settle_parent(params, state, month, cash, value, dtype)
    return cause, ltv, dscr

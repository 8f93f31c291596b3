"""One month of the firm: a GPU cloud renting out a fleet it bought with debt.

All money in $, per month unless stated. ``firm_step`` runs the named
sub-steps of month t in this order (the numpy oracle has sections of the
same names):

1. ``fleet``: the cohorts still in service (each retires at the end of its
   useful life), their power bill and collateral value V.
   ``operating_cash_flow``: anchor customers default with their monthly hazard
   or expire (their capacity goes to the spot market); EBITDA = take-or-pay
   revenue + spot revenue (spot share x GPUs in service x 730 h x U x P) -
   power - opex. With every cohort retired only the fixed opex remains.
   ``capex_and_funding``: cohorts delivered this month are paid from cash.
2. ``debt_service``: interest at the fixed coupon or at max(r, floor) + spread;
   principal by its schedule (bullet, linear, annuity). A bullet balloon is
   refinanced (floating, regime spread, new term) if refinancing is on,
   lenders are open in this regime and LTV <= the limit; otherwise it is due
   from cash.
3. ``liquidity_test``: cash < debt service due -> "refinancing" if only the
   balloon broke it, else "liquidity"; with no debt, "insolvent_no_debt",
   which is no credit default. EAD = debt before payment.
4. ``covenant_tests``: on test months, while debt is outstanding, LTV = debt /
   V > max, or DSCR = trailing-quarter EBITDA / scheduled debt service
   (``trailing_coverage``; balloons excluded) < min. More than ``cure_tests``
   breaches in a row -> default for that cause.
5. ``recovery``: at default, lenders recover min(EAD, cash+ + V (1 - fire-sale
   haircut)), with V from ``fleet_value``.
"""

import math

from .device import device_function
from .layout import (
    ANNUITY,
    BALANCE,
    BREACHES,
    BULLET,
    CASH,
    CASH_INITIAL,
    CHOLESKY,
    COHORT_AGE_INITIAL,
    COHORT_COST,
    COHORT_COUNT,
    COHORT_GPUS,
    COHORT_LOG_DECAY,
    COHORT_POWER_FULL,
    COHORT_USEFUL_LIFE,
    CURE_TESTS,
    CUSTOMER_ALIVE,
    CUSTOMER_COUNT,
    CUSTOMER_DRAW,
    CUSTOMER_END,
    CUSTOMER_HAZARD,
    CUSTOMER_PRICE,
    CUSTOMER_SHARE,
    DSCR_BREACH,
    DSCR_MIN,
    EBITDA_TRAILING,
    FIRE_SALE_RECOVERY,
    FIXED_OPEX,
    FLOATING,
    HOURS_PER_MONTH,
    IDLE_POWER_FRACTION,
    INSOLVENT_NO_DEBT,
    INTEREST,
    LINEAR,
    LIQUIDITY,
    LTV_BREACH,
    LTV_MAX,
    MATURITY,
    MAX_CUSTOMERS,
    MAX_TRANCHES,
    MONTHS_PER_YEAR,
    NO_DEFAULT,
    OPEX_COST,
    OPEX_PER_GPU,
    PAYMENT,
    PAYMENT_RATE,
    POWER_COST,
    PRICE_ELASTICITY,
    PRINCIPAL,
    RATE,
    RATE_FLOOR,
    RATIO_CAP,
    REFINANCING,
    REFINANCING_ENABLED,
    REFINANCING_MAX_LTV,
    REFINANCING_OPEN,
    REFINANCING_SPREAD,
    REFINANCING_TERM,
    REVENUE_CONTRACTED,
    REVENUE_SPOT,
    SERVICE_TRAILING,
    TEST_EVERY,
    TRAILING_MONTHS,
    TRANCHE_AMORTIZATION,
    TRANCHE_COUNT,
    TRANCHE_FLOATING,
    TRANCHE_MATURITY,
    TRANCHE_PRINCIPAL,
    TRANCHE_RATE,
    UTILIZATION_DECAY,
    UTILIZATION_LOGIT,
    UTILIZATION_LOGIT_INITIAL,
    UTILIZATION_LOGIT_MEAN,
    UTILIZATION_SHOCK,
)


@device_function
def init_firm(params, state, dtype):
    """Fill the firm's state vector for month 0."""
    state[CASH] = params[CASH_INITIAL]
    state[UTILIZATION_LOGIT] = params[UTILIZATION_LOGIT_INITIAL]
    state[BREACHES] = dtype(0.0)
    customers = int(params[CUSTOMER_COUNT])
    for i in range(MAX_CUSTOMERS):
        state[CUSTOMER_ALIVE + i] = dtype(1.0) if i < customers else dtype(0.0)
        state[CUSTOMER_DRAW + i] = dtype(1.0)
    for j in range(MAX_TRANCHES):
        state[BALANCE + j] = params[TRANCHE_PRINCIPAL + j]
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


@device_function(inline=True)
def total_debt(state, dtype):
    """Outstanding principal of all tranches ($); unused slots hold zero."""
    outstanding = dtype(0.0)
    for j in range(MAX_TRANCHES):
        outstanding += state[BALANCE + j]
    return outstanding


@device_function(inline=True)
def fleet(params, month, price_surprise, dtype):
    """(GPUs in service, $ power bill with all of them busy, collateral value V $) of the cohorts in month ``month``.

    A cohort is in service from its delivery (age 0) until its age passes its
    useful life; before and after it earns nothing and is worth nothing. Its value is cost x residual(age) x (P /
    planned P)^elasticity, with residual(age) = (1 - age_decay)^(age / 12) and
    ``price_surprise`` = ln P - ln planned P: the residual curve already holds
    the expected decline, so on the planned price path V = sum of cost x
    residual(age) exactly.
    """
    gpus = dtype(0.0)
    power_full = dtype(0.0)
    value = dtype(0.0)
    for c in range(int(params[COHORT_COUNT])):
        age = params[COHORT_AGE_INITIAL + c] + dtype(month)
        if dtype(0.0) <= age <= params[COHORT_USEFUL_LIFE + c]:
            gpus += params[COHORT_GPUS + c]
            power_full += params[COHORT_POWER_FULL + c]
            exponent = params[PRICE_ELASTICITY] * price_surprise + params[COHORT_LOG_DECAY + c] * age
            value += params[COHORT_COST + c] * math.exp(exponent)
    return gpus, power_full, value


@device_function(inline=True)
def capex_and_funding(params, month, dtype):
    """Capex due this month ($): GPUs x cost of the cohorts delivered this month, paid from cash.

    (Delayed-draw facilities that fund deliveries come with the growing firm;
    today every delivery is funded by cash, and cash that cannot pay it is a
    liquidity default.)
    """
    capex = dtype(0.0)
    for c in range(int(params[COHORT_COUNT])):
        if params[COHORT_AGE_INITIAL + c] + dtype(month) == dtype(0.0):
            capex += params[COHORT_COST + c]
    return capex


@device_function(inline=True)
def fleet_value(params, month, price_surprise, dtype):
    """Collateral value V ($) of the cohorts in service in month ``month`` (see ``fleet``)."""
    _, _, value = fleet(params, month, price_surprise, dtype)
    return value


@device_function(inline=True)
def loan_to_value(debt, value, dtype):
    """debt / V, clipped to RATIO_CAP (a worthless fleet with debt sits at the cap)."""
    if debt <= dtype(0.0):
        return dtype(0.0)
    if value * dtype(RATIO_CAP) <= debt:
        return dtype(RATIO_CAP)
    return debt / value


@device_function(inline=True)
def coverage_ratio(ebitda, service, dtype):
    """EBITDA / debt service, clipped to +-RATIO_CAP; RATIO_CAP when nothing is due."""
    if service <= dtype(0.0):
        return dtype(RATIO_CAP)
    return min(max(ebitda / service, dtype(-RATIO_CAP)), dtype(RATIO_CAP))


@device_function(inline=True)
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


@device_function(inline=True)
def operating_cash_flow(params, state, month, price, utilization, gpus, power_full, dtype):
    """EBITDA of the month ($) of ``gpus`` GPUs in service; also retires customers that default this month.

    Customers take their shares of the GPUs in service; ``power_full`` is
    their power bill if all were busy.
    """
    month_number = dtype(month)
    contracted_share = dtype(0.0)
    contracted_rate = dtype(0.0)  # $ per fleet GPU-hour from take-or-pay contracts
    for i in range(MAX_CUSTOMERS):  # unused slots are never alive
        if state[CUSTOMER_ALIVE + i] > dtype(0.0) and month_number <= params[CUSTOMER_END + i]:
            if state[CUSTOMER_DRAW + i] < params[CUSTOMER_HAZARD + i]:
                state[CUSTOMER_ALIVE + i] = dtype(0.0)
            else:
                contracted_share += params[CUSTOMER_SHARE + i]
                contracted_rate += params[CUSTOMER_SHARE + i] * params[CUSTOMER_PRICE + i]
    hours = gpus * dtype(HOURS_PER_MONTH)
    spot_share = dtype(1.0) - contracted_share
    revenue = hours * (contracted_rate + spot_share * utilization * price)
    busy = contracted_share + spot_share * utilization
    idle = params[IDLE_POWER_FRACTION]
    power = power_full * (busy + (dtype(1.0) - busy) * idle)
    opex = params[OPEX_PER_GPU] * gpus
    # The statement's lines (gpu-stress trace); EBITDA below keeps the arithmetic of one expression.
    state[REVENUE_CONTRACTED] = hours * contracted_rate
    state[REVENUE_SPOT] = revenue - state[REVENUE_CONTRACTED]
    state[POWER_COST] = power
    state[OPEX_COST] = opex + params[FIXED_OPEX]
    return revenue - power - opex - params[FIXED_OPEX]


@device_function(inline=True)
def debt_service(params, state, month, regime, rate, leverage, dtype):
    """Interest and scheduled principal due this month, and the unrefinanced balloon ($).

    Balances are reduced as if paid: if the firm cannot pay, the path stops and
    the caller reports the debt from before this call as EAD.
    """
    month_number = dtype(month)
    base_rate = max(rate, params[RATE_FLOOR])
    can_refinance = (
        params[REFINANCING_ENABLED] > dtype(0.0)
        and params[REFINANCING_OPEN + regime] > dtype(0.0)
        and leverage <= params[REFINANCING_MAX_LTV]
    )
    service = dtype(0.0)
    balloon = dtype(0.0)
    for j in range(int(params[TRANCHE_COUNT])):
        balance = state[BALANCE + j]
        state[INTEREST + j] = dtype(0.0)
        state[PRINCIPAL + j] = dtype(0.0)
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
                if can_refinance:
                    state[FLOATING + j] = dtype(1.0)
                    state[RATE + j] = params[REFINANCING_SPREAD + regime]
                    state[MATURITY + j] = month_number + params[REFINANCING_TERM]
                    principal = dtype(0.0)
                else:
                    balloon += balance
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
        state[BALANCE + j] = balance - principal
        state[INTEREST + j] = interest
        state[PRINCIPAL + j] = principal
        service += interest + principal
    return service, balloon


@device_function(inline=True)
def trailing_coverage(state, month, ebitda, scheduled_service, dtype):
    """(DSCR, trailing-quarter scheduled service $): this month joins the trailing quarter."""
    slot = month % TRAILING_MONTHS
    state[EBITDA_TRAILING + slot] = ebitda
    state[SERVICE_TRAILING + slot] = scheduled_service
    ebitda_quarter = dtype(0.0)
    service_quarter = dtype(0.0)
    for k in range(TRAILING_MONTHS):
        ebitda_quarter += state[EBITDA_TRAILING + k]
        service_quarter += state[SERVICE_TRAILING + k]
    return coverage_ratio(ebitda_quarter, service_quarter, dtype), service_quarter


@device_function(inline=True)
def liquidity_test(cash, service, balloon, debt, dtype):
    """How the month ends if ``cash`` ($, EBITDA in) cannot pay ``service`` ($ due); NO_DEFAULT if it can.

    ``refinancing`` if it could pay all but an unrefinanced balloon, else
    ``liquidity``; with no debt at all, ``insolvent_no_debt`` (no lender loses).
    """
    if cash >= service:
        return NO_DEFAULT
    if debt <= dtype(0.0):
        return INSOLVENT_NO_DEBT
    if balloon > dtype(0.0) and cash >= service - balloon:
        return REFINANCING
    return LIQUIDITY


@device_function(inline=True)
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


@device_function(inline=True)
def recovery(params, debt, cash, collateral_value, dtype):
    """What lenders recover at default ($): cash on hand and the fleet sold at the fire-sale haircut, at most EAD."""
    return min(debt, max(cash, dtype(0.0)) + collateral_value * params[FIRE_SALE_RECOVERY])


@device_function(inline=True)
def firm_step(params, state, month, regime, log_price, price_surprise, utilization, rate, dtype):
    """Advance the firm one month; ``price_surprise`` is ln P less the planned ln P (collateral).

    Returns (cause, ead, loss, ltv, dscr): cause is NO_DEFAULT or how the path
    ends; ead and loss in $ (zero without default); ltv and dscr as reported.
    """
    gpus, power_full, value = fleet(params, month, price_surprise, dtype)
    ebitda = operating_cash_flow(params, state, month, math.exp(log_price), utilization, gpus, power_full, dtype)
    cash = state[CASH] + ebitda - capex_and_funding(params, month, dtype)
    debt = total_debt(state, dtype)
    ltv = loan_to_value(debt, value, dtype)

    service, balloon = debt_service(params, state, month, regime, rate, ltv, dtype)
    # Coverage is of scheduled service: a balloon is refinanced or paid from cash, not from EBITDA.
    dscr, service_quarter = trailing_coverage(state, month, ebitda, service - balloon, dtype)

    cause = liquidity_test(cash, service, balloon, debt, dtype)
    if cause != NO_DEFAULT:
        state[CASH] = cash
        return cause, debt, debt - recovery(params, debt, cash, value, dtype), ltv, dscr

    cash -= service
    state[CASH] = cash
    debt = total_debt(state, dtype)
    ltv = loan_to_value(debt, value, dtype)
    cause = covenant_tests(params, state, month, debt, ltv, dscr, service_quarter, dtype)
    if cause != NO_DEFAULT:
        return cause, debt, debt - recovery(params, debt, cash, value, dtype), ltv, dscr
    return NO_DEFAULT, dtype(0.0), dtype(0.0), ltv, dscr

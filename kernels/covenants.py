"""Tests of the month: liquidity (can cash pay the service due) and the LTV and DSCR covenants."""

from .device import device_function
from .layout import (
    BREACHES,
    CURE_TESTS,
    DSCR_BREACH,
    DSCR_MIN,
    EBITDA_TRAILING,
    INSOLVENT_NO_DEBT,
    LIQUIDITY,
    LTV_BREACH,
    LTV_MAX,
    NO_DEFAULT,
    RATIO_CAP,
    REFINANCING,
    SERVICE_TRAILING,
    TEST_EVERY,
    TRAILING_MONTHS,
)


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

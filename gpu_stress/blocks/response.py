"""The firm's response to stress: what management does before it misses a payment (sell unpledged GPUs)."""

from ..config.types import Dollars, Probability, Section, between
from ..kernels import layout as L
from .slots import Slot

# --- the config section (schema) ---


class Response(Section):
    """What the firm does when its cash runs short: below ``liquidity_threshold`` after the month's debt service,
    a firm that owes debt sells the GPUs no pool holds (``sell_unpledged``; cohorts fully delivered) at the
    fire-sale value, for what brings its cash back to the threshold, before it draws reserves or raises equity;
    with last month's cash below ``defer_capex_below``, a planned delivery that falls due waits, up to
    ``max_deferral_months``, and is then cancelled; after ``cut_lag_months`` month-ends in a row below
    ``cut_opex_below``, the firm cuts ``opex_cut`` of its fixed opex for good. A threshold of 0 is off."""

    liquidity_threshold: Dollars = 0.0  # $ of cash after the month's service (the sale)
    sell_unpledged: bool = False
    defer_capex_below: Dollars = 0.0  # $ of last month's cash below which a delivery waits (0: never)
    max_deferral_months: between(0, 1200, int) = 6
    opex_cut: Probability = 0.0  # share of the fixed opex
    cut_opex_below: Dollars = 0.0  # $ of month-end cash below which a month counts towards the cut (0: never)
    cut_lag_months: between(1, 1200, int) = 3


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {"response": Response}
KERNEL = (  # firm_step: whether the firm acts at all
    "firm.firm_step",
    "response.sell_unpledged",
    "response.delivery_decision",
    "response.count_short_months",
    "operations.operating_cash_flow",
)

SLOTS = (
    Slot(L.RESPONSE_LIQUIDITY, "$", ("response.liquidity_threshold",), lambda c: c.response.liquidity_threshold),
    Slot(
        L.RESPONSE_SELL_UNPLEDGED,
        "1 sells / 0",
        ("response.sell_unpledged",),
        lambda c: float(c.response.sell_unpledged),
    ),
    Slot(L.RESPONSE_DEFER_BELOW, "$ (0 off)", ("response.defer_capex_below",), lambda c: c.response.defer_capex_below),
    Slot(
        L.RESPONSE_MAX_DEFERRAL, "months", ("response.max_deferral_months",), lambda c: c.response.max_deferral_months
    ),
    Slot(L.RESPONSE_OPEX_CUT, "share", ("response.opex_cut",), lambda c: c.response.opex_cut),
    Slot(L.RESPONSE_CUT_LAG, "months", ("response.cut_lag_months",), lambda c: c.response.cut_lag_months),
    Slot(L.RESPONSE_CUT_BELOW, "$ (0 off)", ("response.cut_opex_below",), lambda c: c.response.cut_opex_below),
)


def fully_pledged(f):
    """Whether pools hold every GPU of every cohort (their shares of it add up to 1 or more): nothing to sell."""
    v = f.v
    for c in range(int(v[L.COHORT_COUNT])):
        pledged = sum(v[L.POOL_SHARE + q] for q in range(int(v[L.POOL_COUNT])) if (int(v[L.POOL_COHORTS + q]) >> c) & 1)
        if pledged < 1:
            return False
    return True


def planned(f):
    """Whether a cohort is planned for delivery within the horizon (a delivery the firm could put off)."""
    v = f.v
    return any(
        0 < v[L.COHORT_FIXED_DELAY + c] - v[L.COHORT_AGE_INITIAL + c] <= f.horizon
        for c in range(int(v[L.COHORT_COUNT]))
    )


def response_rule(f):
    """A threshold for an action the firm does not take; an action with nothing to act on, or never taken."""
    v = f.v
    sale = [L.RESPONSE_LIQUIDITY, L.RESPONSE_SELL_UNPLEDGED]
    if not f.owed:
        yield sale, "the firm has no debt (it sells GPUs only to keep paying its lenders)"
    elif fully_pledged(f):
        yield sale, "pools hold every GPU of every cohort (there is nothing unpledged to sell)"
    elif v[L.RESPONSE_SELL_UNPLEDGED] == 0:
        yield [L.RESPONSE_LIQUIDITY], "response.sell_unpledged is false (the firm takes no action at the threshold)"
    if not planned(f):
        yield (
            [L.RESPONSE_DEFER_BELOW, L.RESPONSE_MAX_DEFERRAL],
            f"no cohort is planned for delivery within the horizon (month {f.horizon})",
        )
    elif v[L.RESPONSE_DEFER_BELOW] == 0:
        yield [L.RESPONSE_MAX_DEFERRAL], "response.defer_capex_below is 0 (no delivery is put off)"
    cut = [L.RESPONSE_OPEX_CUT, L.RESPONSE_CUT_BELOW, L.RESPONSE_CUT_LAG]
    if v[L.FIXED_OPEX] == 0:
        yield cut, "firm.fixed_opex_month is 0 (there is no fixed opex to cut)"
    elif v[L.RESPONSE_OPEX_CUT] == 0:
        yield cut, "response.opex_cut is 0 (no cut)"
    elif v[L.RESPONSE_CUT_BELOW] == 0:
        yield cut, "response.cut_opex_below is 0 (no month counts towards the cut)"


RULES = (("response", response_rule),)

# --- the words the summary uses for its events, its per-path outputs and statement lines ---
EVENTS = ()
FIELDS = {}
STATEMENT_LINES = ("asset_sales", "capex_deferred", "opex_saved")

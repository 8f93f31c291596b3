"""The firm's response to stress: what management does before it misses a payment (sell unpledged GPUs)."""

from ..config.types import Dollars, Section
from ..kernels import layout as L
from .slots import Slot

# --- the config section (schema) ---


class Response(Section):
    """Below ``liquidity_threshold`` of cash after the month's debt service, a firm that owes debt sells the
    GPUs no pool holds (``sell_unpledged``; cohorts fully delivered) at the fire-sale value, for what brings its
    cash back to the threshold, before it draws reserves or raises equity."""

    liquidity_threshold: Dollars = 0.0  # $ of cash after the month's service
    sell_unpledged: bool = False


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {"response": Response}
KERNEL = ("firm.firm_step", "response.sell_unpledged")  # firm_step: whether the firm acts at all

SLOTS = (
    Slot(L.RESPONSE_LIQUIDITY, "$", ("response.liquidity_threshold",), lambda c: c.response.liquidity_threshold),
    Slot(
        L.RESPONSE_SELL_UNPLEDGED,
        "1 sells / 0",
        ("response.sell_unpledged",),
        lambda c: float(c.response.sell_unpledged),
    ),
)


def fully_pledged(f):
    """Whether pools hold every GPU of every cohort (their shares of it add up to 1 or more): nothing to sell."""
    v = f.v
    for c in range(int(v[L.COHORT_COUNT])):
        pledged = sum(v[L.POOL_SHARE + q] for q in range(int(v[L.POOL_COUNT])) if (int(v[L.POOL_COHORTS + q]) >> c) & 1)
        if pledged < 1:
            return False
    return True


def response_rule(f):
    """A threshold for an action the firm does not take; an action with nothing to act on."""
    slots = [L.RESPONSE_LIQUIDITY, L.RESPONSE_SELL_UNPLEDGED]
    if not f.owed:
        yield slots, "the firm has no debt (it sells GPUs only to keep paying its lenders)"
    elif fully_pledged(f):
        yield slots, "pools hold every GPU of every cohort (there is nothing unpledged to sell)"
    elif f.v[L.RESPONSE_SELL_UNPLEDGED] == 0:
        yield [L.RESPONSE_LIQUIDITY], "response.sell_unpledged is false (the firm takes no action at the threshold)"


RULES = (("response", response_rule),)

# --- the words the summary uses for its events, its per-path outputs and statement lines ---
EVENTS = ()
FIELDS = {}
STATEMENT_LINES = ("asset_sales",)

"""Recovery: the workout from a default to the creditors' money, its costs, its discounting, and what is sold.

``[recovery]`` sets the months from default to the sale (the GPUs age along their generation's used-value
curve meanwhile), the recovery costs as a share of gross recovery, the annual rate that discounts the sale's
proceeds to the month of default (losses are reported at that present value and undiscounted), whether a
secured pool sells its surviving contracts as going concerns with their GPUs, and the EV / contracted forward
EBITDA multiple at which the whole firm sells as a going concern when that beats liquidation (0: never).
Every default leaves recoveries as before issue 30 with the defaults (no workout, no costs, no contract value,
no EV rule). kernels/recovery.py gives the rules.
"""

import math

from ..config.types import Section, between
from ..kernels import layout as L
from .contracts import pooled
from .slots import Slot

# --- the config section (schema) ---


class Recovery(Section):
    """The workout: how long, at what cost, discounted at what rate, and whether contracts and the going concern
    are sold."""

    workout_months: between(0, 120, int) = 0  # from default to the sale
    cost_share: between(0, 0.99) = 0.0  # of gross recovery: fees and the sale's costs, paid first
    discount_rate: between(0, 1) = 0.0  # annual: what the sale's $ are worth at default
    contract_value: bool = False  # secured pools sell surviving contracts as going concerns, with their GPUs
    going_concern_multiple: between(0, 50) = 0.0  # EV / contracted forward EBITDA at default; 0: no EV rule


def _log_discount(config):
    return math.log1p(config.recovery.discount_rate) / L.MONTHS_PER_YEAR


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {"recovery": Recovery}
KERNEL = (
    "recovery.sale_value",
    "recovery.pool_sale_value",
    "recovery.unpledged_sale_value",
    "recovery.contract_gain",
    "recovery.enterprise_surplus",
    "capital.pool_tests",
    "capital.settle_parent",
    "path.finish_firm",
)

SLOTS = (
    Slot(L.RECOVERY_WORKOUT_MONTHS, "months", ("recovery.workout_months",), lambda c: c.recovery.workout_months),
    Slot(L.RECOVERY_NET, "share kept", ("recovery.cost_share",), lambda c: 1.0 - c.recovery.cost_share),
    Slot(L.RECOVERY_LOG_DISCOUNT, "ln discount per month", ("recovery.discount_rate",), _log_discount),
    Slot(
        L.RECOVERY_PV_FACTOR,
        "$ at default per $ at the sale",
        ("recovery.discount_rate", "recovery.workout_months"),
        lambda c: math.exp(-_log_discount(c) * c.recovery.workout_months),
    ),
    Slot(L.RECOVERY_CONTRACTS, "1 sold / 0", ("recovery.contract_value",), lambda c: float(c.recovery.contract_value)),
    Slot(
        L.RECOVERY_EV_MULTIPLE,
        "EV / contracted forward EBITDA",
        ("recovery.going_concern_multiple",),
        lambda c: c.recovery.going_concern_multiple,
    ),
)


def recovery_rule(f):
    """No debt: nothing is recovered; no pool: no contract of a pool to sell; a rate with no workout and no
    contract value discounts nothing."""
    v = f.v
    every = [
        L.RECOVERY_WORKOUT_MONTHS,
        L.RECOVERY_NET,
        L.RECOVERY_LOG_DISCOUNT,
        L.RECOVERY_PV_FACTOR,
        L.RECOVERY_CONTRACTS,
        L.RECOVERY_EV_MULTIPLE,
    ]
    if not f.owed and (v[L.OBLIGATION_COUNT] == 0 or v[L.CLAIMS_ON] <= 0):
        yield every, "the firm owes no lender and no landlord claims (nothing is recovered)"
        return
    if not any(pooled(f, int(v[L.CUSTOMER_COHORT + i])) for i in range(f.customers)):
        yield [L.RECOVERY_CONTRACTS], "no pool holds a contract's GPUs (contract_value sells nothing)"
    if v[L.RECOVERY_WORKOUT_MONTHS] == 0 and (v[L.RECOVERY_CONTRACTS] <= 0 or v[L.POOL_COUNT] == 0):
        yield [L.RECOVERY_LOG_DISCOUNT], "no workout and no contract sold (discount_rate discounts nothing)"


RULES = (("recovery", recovery_rule),)
EVENTS = ()

# --- the per-path outputs it writes (name: (unit, description)) and its statement lines ---
FIELDS = {
    "loss_undiscounted": (
        "USD",
        "the path's loss with recoveries not discounted: EAD - what the sale, W = recovery.workout_months after "
        "the default, pays net of costs (loss is the same at its present value at default)",
    ),
}
STATEMENT_LINES = ()

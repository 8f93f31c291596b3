"""Funding risk: facilities not yet signed at the cut-off, which close in their window or fail.

A facility with ``signed = false`` (``[[debt]]``) lends nothing until it closes. In each month of its
closing window it closes with a hazard that gives ``closing_probability`` over the window on the planned
path, moved by the market and the firm (``[funding]``); while it is pending, the deliveries it funds wait;
if the window ends unclosed, those not yet begun are cancelled (kernels/funding.py gives the rules).
"""

from ..config.types import Ratio, Section, between
from ..kernels import layout as L
from .slots import Slot, per_tranche

# --- the config section (schema) ---


class Funding(Section):
    """How the market and the firm move an unsigned facility's monthly closing hazard h:
    h_t = min(1, h x g_regime x exp(price_sensitivity x s_t - leverage_sensitivity x max(LTV_{t-1} - ltv_threshold,
    0))), with g = 1 in a shortage and ``glut_factor`` in a glut (0: lenders do not close in a glut; the firm tries
    again when the market turns), s_t the firm's price surprise (ln P - planned ln P) and LTV_{t-1} last month's
    debt / collateral value."""

    glut_factor: between(0, 100) = 1.0
    price_sensitivity: between(0, 100) = 0.0  # per unit of ln price surprise
    leverage_sensitivity: between(0, 100) = 0.0  # per unit of LTV above ltv_threshold
    ltv_threshold: Ratio = 1.0


def closing_hazard(tranche):
    """The monthly hazard h that closes ``tranche`` with its closing_probability p over its n-month window on the
    planned path: 1 - (1 - h)^n = p."""
    if not to_sign(tranche):
        return 0.0
    months = tranche.closing_end_month - tranche.closing_start_month + 1
    return 1.0 - (1.0 - tranche.closing_probability) ** (1.0 / months)


def to_sign(tranche):
    """Whether ``tranche`` is a facility still to be signed: not signed, and with something to lend."""
    return not tranche.signed and tranche.principal + tranche.commitment > 0


def unsigned_words(config):
    """TRANCHE_UNSIGNED: 0 for a signed facility (or one with nothing to lend), k + 1 for the k-th still to be
    signed (its closing uniform)."""
    words, count = [], 0
    for tranche in config.debt:
        count += to_sign(tranche)
        words.append(float(count) if to_sign(tranche) else 0.0)
    return words + [0.0] * (L.MAX_TRANCHES - len(config.debt))


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {"funding": Funding}
KERNEL = (
    "firm.init_firm",
    "firm.optional_blocks",
    "funding.pending",
    "funding.closing_hazard",
    "funding.close_facilities",
)

SLOTS = (
    Slot(L.TRANCHE_UNSIGNED, "0 signed / k + 1", ("debt[].signed",), unsigned_words, L.MAX_TRANCHES),
    Slot(
        L.TRANCHE_CLOSING_START,
        "month",
        ("debt[].closing_start_month",),
        per_tranche(lambda t: t.closing_start_month),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_CLOSING_END,
        "month",
        ("debt[].closing_end_month",),
        per_tranche(lambda t: t.closing_end_month),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_CLOSING_HAZARD,
        "monthly probability",
        ("debt[].closing_probability", "debt[].closing_start_month", "debt[].closing_end_month", "debt[].signed"),
        per_tranche(closing_hazard),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.FUNDING_FACTOR,
        "hazard multiple",
        ("funding.glut_factor",),
        lambda c: [1.0, c.funding.glut_factor],
        2,
        by_regime=1,
    ),
    Slot(
        L.FUNDING_PRICE_SENSITIVITY,
        "per unit of ln price surprise",
        ("funding.price_sensitivity",),
        lambda c: c.funding.price_sensitivity,
    ),
    Slot(
        L.FUNDING_LEVERAGE_SENSITIVITY,
        "per unit of LTV",
        ("funding.leverage_sensitivity",),
        lambda c: c.funding.leverage_sensitivity,
    ),
    Slot(L.FUNDING_LTV_THRESHOLD, "ratio", ("funding.ltv_threshold",), lambda c: c.funding.ltv_threshold),
)

_TRANCHE_SLOTS = ("TRANCHE_CLOSING_START", "TRANCHE_CLOSING_END", "TRANCHE_CLOSING_HAZARD")
_FIRM_SLOTS = [
    L.FUNDING_FACTOR,
    L.FUNDING_FACTOR + 1,
    L.FUNDING_PRICE_SENSITIVITY,
    L.FUNDING_LEVERAGE_SENSITIVITY,
    L.FUNDING_LTV_THRESHOLD,
]


def unsigned(f):
    """The facilities owed (principal or commitment) that are not signed."""
    return [j for j in f.owed if f.v[L.TRANCHE_UNSIGNED + j] > 0]


def funding_rule(f):
    """A signed facility's closing terms; the market's sway over no facility, or over ones that cannot close."""
    v = f.v
    for j in f.owed:
        if v[L.TRANCHE_UNSIGNED + j] == 0:
            yield [getattr(L, name) + j for name in _TRANCHE_SLOTS], f"{f.tranche(j)}.signed is true"
    pending = unsigned(f)
    if not pending:
        yield _FIRM_SLOTS, "every facility is signed"
        return
    if all(v[L.TRANCHE_CLOSING_HAZARD + j] == 0 for j in pending):
        yield _FIRM_SLOTS, "every unsigned facility's closing_probability is 0 (none can close)"
        return
    if v[L.FUNDING_LEVERAGE_SENSITIVITY] == 0:
        yield [L.FUNDING_LTV_THRESHOLD], "funding.leverage_sensitivity is 0"


def horizon_rule(f):
    """A closing window that ends after the horizon: its end is compared only with the month."""
    for j in unsigned(f):
        if f.v[L.TRANCHE_CLOSING_END + j] > f.horizon:
            yield [L.TRANCHE_CLOSING_END + j], f"{f.tranche(j)}'s closing window ends after the horizon ({f.horizon})"


RULES = (("funding", funding_rule), ("horizon", horizon_rule))


# --- the words the summary uses for this block's events: config is a scenario's config as a dict ---


def closing_events(config, month, cause):
    """The end of an unsigned facility's closing window (where it fails if it has not closed)."""
    return [
        f"facility {tranche.get('name')!r} must close by then (not signed at the cut-off)"
        for tranche in config.get("debt") or []
        if tranche.get("signed") is False and tranche.get("closing_end_month") == month
    ]


EVENTS = (("closings", closing_events),)

# --- the per-path outputs it writes (name: (unit, description)) and its statement lines ---
FIELDS = {
    "funding_failed_month": (
        "month",
        "the first month a facility not signed at the cut-off reached the end of its closing window unclosed (the "
        "deliveries it funds that had not begun are cancelled); null: none did (every facility closed, is still "
        "pending, or was signed)",
    ),
}
STATEMENT_LINES = ()

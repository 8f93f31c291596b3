"""Equity and support: equity raises, the capacity backstop and the GPU vendor's financing."""

from typing import Literal

from ..config.types import Dollars, Name, Probability, Section, between
from ..kernels import layout as L
from .slots import Slot, by_regime, hazards, month_of, open_by_regime, per_tranche
from .view import BASE_CASE_REASON, slot_indices

# --- the config sections (schema) ---


class Equity(Section):
    """Emergency equity raises: when cash and reserves cannot pay the month's debt service and
    investors are open, new shares cover the shortfall, within a yearly room of the equity, at book
    (``basis = "book"``: cash + GPUs + reserves - debt) or at market value (``"market"``: an EV of
    ``ebitda_multiple`` x annualized trailing EBITDA, ``glut_ebitda_multiple`` in a glut, plus cash and
    reserves, less debt; with ``ebitda = "forward"`` of contracted forward EBITDA: the next twelve months' take-or-pay
    contracts less the cost of serving them and the fixed opex and charges). The market value and ``shares`` also
    price a convertible's conversion."""

    enabled: bool = False
    max_raise_per_year: between(0, 10) = 0.25  # share of the equity at the raise, per year
    cost: between(0, 0.9) = 0.10  # share of the gross raise lost to the discount and fees
    open_in_glut: bool = False
    basis: Literal["book", "market"] = "book"
    ebitda_multiple: between(0, 1000) = 10.0  # EV / annualized trailing EBITDA, in a shortage
    glut_ebitda_multiple: between(0, 1000) | None = None  # in a glut; None: as in a shortage
    ebitda: Literal["trailing", "forward"] = "trailing"  # what the multiple is of: trailing or contracted forward
    shares: between(0, 1e13) = 0.0  # shares outstanding at month 0 (for a convertible's conversion)


class Backstop(Section):
    """A capacity backstop: a counterparty buys unused, uncontracted capacity at ``price`` from
    ``start_month`` to ``end_month`` until it has paid ``cap`` in all (``cap = 0``: none)."""

    counterparty: Name = "backstop"
    cap: Dollars = 0.0  # $ in all
    price: between(0, 1000) = 0.0  # $/GPU-hour
    start_month: between(1, 1200, int) = 1
    end_month: between(1, 1200, int) = 1200
    annual_default_probability: Probability = 0.0  # of the counterparty, in shortage
    glut_annual_default_probability: Probability | None = None  # None: as in shortage
    obligor: Name | None = None  # an obligor of [[obligors]] the counterparty is (then no probability of its own)


class Vendor(Section):
    """The GPU vendor that finances ``[[debt]]`` tranches with ``vendor = true``: if it stops
    financing (its default), their undrawn commitments lapse."""

    name: Name = "vendor"
    annual_default_probability: Probability = 0.0  # in shortage
    glut_annual_default_probability: Probability | None = None  # None: as in shortage
    obligor: Name | None = None  # an obligor of [[obligors]] the vendor is (then no probability of its own)


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "equity": Equity,
    "backstop": Backstop,
    "vendor": Vendor,
}
KERNEL = (
    "support.support_counterparties",
    "support.backstop_payment",
    "capital.raise_equity",
    "equity.market_equity",
    "equity.equity_value",
    "equity.convert_notes",
    "firm.init_firm",
)


SLOTS = (
    Slot(L.TRANCHE_VENDOR, "1 vendor / 0", ("debt[].vendor",), per_tranche(lambda t: float(t.vendor)), L.MAX_TRANCHES),
    Slot(L.EQUITY_ENABLED, "1 on / 0 off", ("equity.enabled",), lambda c: float(c.equity.enabled)),
    open_by_regime(L.EQUITY_OPEN, "equity"),
    Slot(
        L.EQUITY_MAX_RAISE,
        "share of book equity a year",
        ("equity.max_raise_per_year",),
        lambda c: c.equity.max_raise_per_year,
    ),
    Slot(L.EQUITY_COST, "share", ("equity.cost",), lambda c: c.equity.cost),
    Slot(L.EQUITY_MARKET, "1 market / 0 book", ("equity.basis",), lambda c: float(c.equity.basis == "market")),
    Slot(
        L.EQUITY_MULTIPLE,
        "EV / annual EBITDA",
        ("equity.ebitda_multiple", "equity.glut_ebitda_multiple"),
        lambda c: by_regime(c.equity.ebitda_multiple, c.equity.glut_ebitda_multiple),
        2,
        by_regime=1,
    ),
    Slot(L.EQUITY_SHARES, "shares", ("equity.shares",), lambda c: c.equity.shares),
    Slot(
        L.EQUITY_FORWARD,
        "1 contracted forward / 0 trailing",
        ("equity.ebitda",),
        lambda c: float(c.equity.ebitda == "forward"),
    ),
    Slot(
        L.TRANCHE_CONVERSION_PRICE,
        "$ a share (0: none)",
        ("debt[].conversion_price",),
        per_tranche(lambda t: t.conversion_price),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_CALL_MONTH,
        "month (0: never)",
        ("debt[].call_month",),
        per_tranche(lambda t: t.call_month),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_CALL_TRIGGER,
        "share price / conversion price",
        ("debt[].call_trigger",),
        per_tranche(lambda t: t.call_trigger),
        L.MAX_TRANCHES,
    ),
    Slot(L.BACKSTOP_CAP, "$", ("backstop.cap",), lambda c: c.backstop.cap),
    Slot(L.BACKSTOP_PRICE, "$/GPU-hour", ("backstop.price",), lambda c: c.backstop.price),
    Slot(L.BACKSTOP_START, "month", ("backstop.start_month",), lambda c: c.backstop.start_month),
    Slot(L.BACKSTOP_END, "month", ("backstop.end_month",), lambda c: c.backstop.end_month),
    Slot(
        L.BACKSTOP_HAZARD,
        "per month",
        ("backstop.annual_default_probability", "backstop.glut_annual_default_probability", "backstop.cap"),
        lambda c: (
            hazards(c.backstop.annual_default_probability, c.backstop.glut_annual_default_probability)
            if c.backstop.cap > 0
            else [0.0, 0.0]
        ),
        2,
        by_regime=1,
    ),
    Slot(
        L.VENDOR_HAZARD,
        "per month",
        ("vendor.annual_default_probability", "vendor.glut_annual_default_probability", "debt[].vendor"),
        lambda c: (
            hazards(c.vendor.annual_default_probability, c.vendor.glut_annual_default_probability)
            if any(t.vendor for t in c.debt)
            else [0.0, 0.0]
        ),
        2,
        by_regime=1,
    ),
)


def called_in_horizon(f, j):
    """Whether tranche ``j`` has an issuer's call that opens within the horizon."""
    return 0 < f.v[L.TRANCHE_CALL_MONTH + j] <= f.horizon


def converting(f):
    """Convertible tranches owed that can convert within the horizon: at their maturity, or called."""
    v = f.v
    can = [j for j in f.owed if v[L.TRANCHE_MATURITY + j] <= f.horizon or called_in_horizon(f, j)]
    return [j for j in can if v[L.TRANCHE_CONVERSION_PRICE + j] > 0]


def equity_rule(f):
    """Equity that can never be raised: every setting of it, the switch included; the market value's settings
    where neither a raise nor a conversion reads them."""
    v = f.v
    every = (
        slot_indices("EQUITY_ENABLED", "EQUITY_MARKET")
        + slot_indices("EQUITY_OPEN", size=2)
        + slot_indices("EQUITY_MAX_RAISE", "EQUITY_COST")
    )
    multiples = [*slot_indices("EQUITY_MULTIPLE", size=2), L.EQUITY_FORWARD]
    raises = False
    if v[L.EQUITY_ENABLED] == 0:
        yield every, "equity.enabled is false"
    elif not any(is_open > 0 for is_open in f.by_regime(L.EQUITY_OPEN)):
        yield every, "equity.open_in_glut is false and the market is always in glut"
    else:
        raises = True
    for j in f.owed:
        if v[L.TRANCHE_MATURITY + j] > f.horizon and not called_in_horizon(f, j):  # nothing to convert it
            why = f"{f.tranche(j)} matures after the horizon (month {f.horizon}) and has no call within it"
            yield [L.TRANCHE_CONVERSION_PRICE + j], why
        if not called_in_horizon(f, j) or v[L.TRANCHE_CONVERSION_PRICE + j] == 0:
            why = f"{f.tranche(j)} is not convertible or has no call within the horizon"
            yield [L.TRANCHE_CALL_MONTH + j, L.TRANCHE_CALL_TRIGGER + j], why
    if converting(f):
        return
    yield [L.EQUITY_SHARES], "no convertible tranche matures within the horizon"
    if not raises:
        yield multiples, "no equity is raised and no convertible tranche matures within the horizon"
    elif v[L.EQUITY_MARKET] == 0:
        yield multiples, 'equity.basis is "book" and no convertible tranche matures within the horizon'
    elif v[L.EQUITY_OPEN + 1] == 0:
        why = "equity.open_in_glut is false (no raise in a glut) and no convertible tranche converts within the horizon"
        yield [L.EQUITY_MULTIPLE + 1], why


def support_rule(f):
    """A backstop that never pays, a vendor whose default changes nothing: every setting of each."""
    v = f.v
    backstop = slot_indices("BACKSTOP_CAP", "BACKSTOP_PRICE", "BACKSTOP_START", "BACKSTOP_END") + slot_indices(
        "BACKSTOP_HAZARD", size=2
    )
    if v[L.BACKSTOP_CAP] == 0:
        yield backstop, "backstop.cap is 0 (no backstop)"
    elif v[L.BACKSTOP_PRICE] == 0:
        yield backstop, "backstop.price is 0 (the backstop pays nothing)"
    elif v[L.BACKSTOP_START] > v[L.BACKSTOP_END]:
        yield backstop, "backstop.start_month is after backstop.end_month (the backstop never buys)"
    elif v[L.BACKSTOP_START] > f.horizon:
        yield backstop, f"backstop.start_month is after the horizon (month {f.horizon})"
    elif f.base_case:
        yield slot_indices("BACKSTOP_HAZARD", size=2), f"{BASE_CASE_REASON}: no counterparty defaults"
    vendor = slot_indices("VENDOR_HAZARD", size=2) + [L.TRANCHE_VENDOR + j for j in range(f.tranches)]
    lapsing = [j for j in f.owed if v[L.TRANCHE_VENDOR + j] > 0 and v[L.TRANCHE_COMMITMENT + j] > 0]
    if not lapsing:
        yield vendor, "no vendor-financed tranche (vendor = true) has an undrawn commitment"
    elif f.base_case:
        yield vendor, f"{BASE_CASE_REASON}: the vendor never stops financing"
    elif not any(hazard > 0 for hazard in f.by_regime(L.VENDOR_HAZARD)):
        yield vendor, "vendor.annual_default_probability is 0 (the vendor never stops financing)"


def horizon_rule(f):
    """A backstop that buys to the horizon: any later end is the same."""
    v = f.v
    horizon = f"the horizon (month {f.horizon})"
    if v[L.BACKSTOP_END] >= f.horizon:
        yield [L.BACKSTOP_END], f"backstop.end_month is at or after {horizon}"


RULES = (
    ("equity", equity_rule),  # off, never open
    ("support", support_rule),  # a backstop that never pays, a vendor that never matters
    ("horizon", horizon_rule),
)


def backstop_events(config, month, cause):
    """The backstop's end, the month after its last."""
    backstop = config.get("backstop") or {}
    if backstop.get("cap") and month_of(backstop.get("end_month")) == month - 1:
        return [f"the backstop ended in month {month - 1}"]
    return []


EVENTS = (("backstop", backstop_events),)


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {
    "equity_value": (
        "USD",
        "the month-0 holders' share of the terminal equity, discounted at the path's short rates "
        "(0 unless the firm lived to the horizon)",
    ),
    "equity_raised": ("USD", "equity raised on the path, gross, in all"),
    "backstop_paid": ("USD", "paid by the capacity backstop for unused capacity on the path, in all"),
}
STATEMENT_LINES = ("backstop", "equity_raised", "converted")

"""Equity and support: equity raises, the capacity backstop and the GPU vendor's financing."""

from ..kernels import layout as L
from .slots import Slot, hazards, per_tranche

SLOTS = (
    Slot(L.TRANCHE_VENDOR, "1 vendor / 0", ("debt[].vendor",), per_tranche(lambda t: float(t.vendor)), L.MAX_TRANCHES),
    Slot(L.EQUITY_ENABLED, "1 on / 0 off", ("equity.enabled",), lambda c: float(c.equity.enabled)),
    Slot(
        L.EQUITY_OPEN,
        "1 open / 0 closed",
        ("equity.open_in_glut",),
        lambda c: [1.0, float(c.equity.open_in_glut)],
        2,
    ),
    Slot(
        L.EQUITY_MAX_RAISE,
        "share of book equity a year",
        ("equity.max_raise_per_year",),
        lambda c: c.equity.max_raise_per_year,
    ),
    Slot(L.EQUITY_COST, "share", ("equity.cost",), lambda c: c.equity.cost),
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
    ),
)

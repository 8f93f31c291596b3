"""Debt facilities.

tranches (principal, rates, amortization, delayed-draw commitments), covenants and refinancing at
maturity.
"""

from ..kernels import layout as L
from .slots import Slot, per_tranche

_AMORTIZATION_CODES = {"bullet": L.BULLET, "linear": L.LINEAR, "annuity": L.ANNUITY}


def initial_debt(config):
    """Committed debt at month 0 ($): drawn principal plus the undrawn commitments of delayed-draw loans."""
    return sum(tranche.principal + tranche.commitment for tranche in config.debt)


def _funded_cohorts(config, tranche):
    """Bit mask of the cohorts the facility funds (bit c: cohort c)."""
    return float(sum(1 << config.cohort_index(name) for name in set(tranche.funds)))


_FLOATING = "floating"


SLOTS = (
    Slot(L.TRANCHE_COUNT, "tranches", ("debt",), lambda c: len(c.debt)),
    Slot(L.TRANCHE_PRINCIPAL, "$", ("debt[].principal",), per_tranche(lambda t: t.principal), L.MAX_TRANCHES),
    Slot(
        L.TRANCHE_FLOATING,
        "1 floating / 0 fixed",
        ("debt[].rate_type",),
        per_tranche(lambda t: float(t.rate_type == _FLOATING)),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_RATE,
        "annual",
        ("debt[].rate", "debt[].spread", "debt[].rate_type"),
        per_tranche(lambda t: t.spread if t.rate_type == _FLOATING else t.rate),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_AMORTIZATION,
        "BULLET | LINEAR | ANNUITY",
        ("debt[].amortization",),
        per_tranche(lambda t: _AMORTIZATION_CODES[t.amortization]),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_MATURITY,
        "month",
        ("debt[].maturity_month",),
        per_tranche(lambda t: t.maturity_month),
        L.MAX_TRANCHES,
    ),
    Slot(L.TRANCHE_COMMITMENT, "$", ("debt[].commitment",), per_tranche(lambda t: t.commitment), L.MAX_TRANCHES),
    Slot(
        L.TRANCHE_DRAW_END,
        "month",
        ("debt[].draw_end_month",),
        per_tranche(lambda t: t.draw_end_month),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_ADVANCE_RATE,
        "share",
        ("debt[].advance_rate",),
        per_tranche(lambda t: t.advance_rate),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_UNDRAWN_FEE,
        "annual",
        ("debt[].undrawn_fee",),
        per_tranche(lambda t: t.undrawn_fee),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_FUNDS,
        "bit mask of cohorts",
        ("debt[].funds",),
        lambda c: [_funded_cohorts(c, t) for t in c.debt] + [0.0] * (L.MAX_TRANCHES - len(c.debt)),
        L.MAX_TRANCHES,
    ),
    Slot(L.LTV_MAX, "ratio (0 off)", ("covenants.ltv_max",), lambda c: c.covenants.ltv_max),
    Slot(L.DSCR_MIN, "ratio (0 off)", ("covenants.dscr_min",), lambda c: c.covenants.dscr_min),
    Slot(L.TEST_EVERY, "months", ("covenants.test_every_months",), lambda c: c.covenants.test_every_months),
    Slot(L.CURE_TESTS, "tests", ("covenants.cure_tests",), lambda c: c.covenants.cure_tests),
    Slot(L.REFINANCING_ENABLED, "1 on / 0 off", ("refinancing.enabled",), lambda c: float(c.refinancing.enabled)),
    Slot(L.REFINANCING_MAX_LTV, "ratio", ("refinancing.max_ltv",), lambda c: c.refinancing.max_ltv),
    Slot(
        L.REFINANCING_OPEN,
        "1 open / 0 closed",
        ("refinancing.open_in_glut",),
        lambda c: [1.0, float(c.refinancing.open_in_glut)],
        2,
    ),
    Slot(
        L.REFINANCING_SPREAD,
        "annual",
        ("refinancing.spread", "refinancing.glut_spread"),
        lambda c: [c.refinancing.spread, c.refinancing.glut_spread],
        2,
    ),
    Slot(L.REFINANCING_TERM, "months", ("refinancing.term_months",), lambda c: c.refinancing.term_months),
    Slot(
        L.REFINANCING_PARTIAL,
        "1 partial / 0 all or nothing",
        ("refinancing.partial",),
        lambda c: float(c.refinancing.partial),
    ),
    Slot(
        L.REFINANCING_LEVERAGE_SPREAD,
        "annual per unit of LTV",
        ("refinancing.leverage_spread",),
        lambda c: c.refinancing.leverage_spread,
    ),
    Slot(L.TRANCHE_SWEEP_DSCR, "ratio", ("debt[].sweep_dscr",), per_tranche(lambda t: t.sweep_dscr), L.MAX_TRANCHES),
)

"""Debt facilities.

tranches (principal, rates, amortization, delayed-draw commitments), covenants and refinancing at
maturity.
"""

from typing import Literal

from pydantic import model_validator

from ..config.types import Coupon, Dollars, Months, Name, Probability, Ratio, Section, between
from ..kernels import layout as L
from ..kernels.layout import MAX_RANK
from .slots import Slot, month_of, open_by_regime, per_tranche
from .terminal import balloons, cut_off_tranches, extended_in_horizon, refinanceable, terminal_cover_test
from .view import slot_indices

# --- the config sections (schema) ---


class Covenants(Section):
    ltv_max: Ratio = 0.0  # 0 = no LTV covenant
    dscr_min: Ratio = 0.0  # 0 = no DSCR covenant
    test_every_months: Months = 3
    cure_tests: between(0, 1200, int) = 0


class Refinancing(Section):
    """Debt rolled into new floating loans while lenders are open, at the regime's spread plus
    ``leverage_spread`` x LTV: a balloon at maturity (in part, ``partial``, or all or nothing), and with
    ``window_months`` any tranche, whole, in the months before its maturity.

    What lenders would lend: with ``tests = "ltv"`` what keeps the firm's debt within ``max_ltv`` x its
    collateral; with ``tests = "lender"`` their usual tests by security: a tranche secured on a pool by
    the pool's LTV, an unsecured one by debt / annualized EBITDA (``max_debt_to_ebitda``) and annualized
    EBITDA / interest (``min_interest_cover``). In a glut (when ``open_in_glut``) lenders offer
    ``glut_capacity`` of that capacity.
    """

    enabled: bool = False
    max_ltv: Ratio = 0.8
    spread: Coupon = 0.06
    glut_spread: Coupon = 0.10
    open_in_glut: bool = False
    term_months: Months = 36
    partial: bool = True  # false: a balloon is rolled whole if lenders would lend all of it, else not at all
    leverage_spread: between(0, 1) = 0.0  # annual spread added per unit of LTV
    window_months: between(0, 1199, int) = 0  # months before maturity a tranche can be refinanced; 0: at maturity
    tests: Literal["ltv", "lender"] = "ltv"
    max_debt_to_ebitda: between(0, 100) = 0.0  # unsecured, "lender" tests (0: not tested)
    min_interest_cover: between(0, 100) = 0.0  # unsecured, "lender" tests (0: not tested)
    glut_capacity: Probability = 1.0  # share of the tests' capacity lenders offer in a glut

    @model_validator(mode="after")
    def _window_inside_a_term(self):
        if self.window_months >= self.term_months:
            raise ValueError(
                f"window_months ({self.window_months}) must be shorter than term_months ({self.term_months}): "
                "a new loan would be in its own window at once"
            )
        return self


class Debt(Section):
    """A loan, notes or a delayed-draw term loan (DDTL): ``commitment`` is drawn at the deliveries of
    the cohorts it ``funds`` (advance rate x their cost) until ``draw_end_month``, then lapses."""

    name: Name = "loan"
    principal: between(0, 1e13) = 0.0  # $ drawn at month 0
    rate_type: Literal["fixed", "floating"] = "fixed"
    rate: Coupon = 0.0
    spread: Coupon = 0.0
    amortization: Literal["bullet", "linear", "annuity"] = "bullet"
    maturity_month: Months
    commitment: Dollars = 0.0  # $ undrawn at month 0
    draw_end_month: between(0, 1200, int) = 0  # last month it can draw; interest only until then
    advance_rate: Probability = 1.0  # of a funded cohort's cost
    undrawn_fee: between(0, 0.2) = 0.0  # annual, on the undrawn commitment
    funds: list[str] = []  # names of the cohorts it funds (draws on their deliveries)
    pool: Name | None = None  # the pool that secures it; None: unsecured at the parent
    # What lenders refinance it on ([refinancing] tests = "lender"): its pool's collateral (LTV), or the contracts
    # on its pool's cohorts (max_debt_to_ebitda x their contracted forward EBITDA)
    secured_on: Literal["collateral", "contracts"] = "collateral"
    rank: between(1, MAX_RANK, int) = 1  # seniority: 1 is paid first
    cash_sweep: Probability = 0.0  # share of the cash flow above sweep_dscr x debt service, prepaid each month
    sweep_dscr: between(0, 1000) = 1.0  # the cover of the month's scheduled debt service the firm keeps
    borrowing_base: Ratio = 0.0  # max balance / its collateral's value (0 = none); the excess is prepaid
    vendor: bool = False  # financed by the GPU vendor ([vendor]): its undrawn commitment can lapse
    # A revolving credit facility: ``commitment`` is the line, drawn up to draw_end_month (before maturity)
    # whenever cash after the month's service would fall below ``minimum_cash``, and repaid from cash above
    # ``target_cash``; what is repaid can be drawn again. A bullet, funding no cohort.
    revolving: bool = False
    minimum_cash: Dollars = 0.0  # $ its draws keep after the month's service
    committed: bool = True  # false: lends only while lenders are open in the month's regime ([refinancing])
    target_cash: Dollars = 0.0  # $ above which cash repays it (at least minimum_cash)
    # When it falls due, a revolver with extensions left is extended instead, by extension_months (its maturity
    # and availability), if lenders are open in the month's regime ([refinancing]) and no covenant is in breach.
    extensions: between(0, 100, int) = 0
    extension_months: between(1, 1200, int) = 12
    # Funding risk ([funding]): a facility not yet signed at the cut-off closes, if at all, in a month of
    # closing_start_month .. closing_end_month, with closing_probability over that window on the planned path;
    # until it closes it lends nothing and the deliveries it funds wait; if it never closes they are cancelled.
    signed: bool = True
    conversion_price: between(0, 1e9) = 0.0  # $ a share: a convertible converts at maturity if above it ([equity])
    call_month: between(0, 1200, int) = 0  # first month the issuer may call a convertible (0: never)
    call_trigger: between(1, 100) = 1.3  # share price / conversion price at which it calls (the holders convert)
    closing_probability: Probability = 1.0
    closing_start_month: between(1, 1200, int) = 1
    closing_end_month: between(1, 1200, int) = 12

    @model_validator(mode="after")
    def _a_window_to_close_in(self):
        if self.signed:
            return self
        if self.closing_end_month < self.closing_start_month:
            raise ValueError(
                f"closing_end_month: {self.name}'s ({self.closing_end_month}) is before its closing_start_month "
                f"({self.closing_start_month})"
            )
        if self.commitment > 0 and self.funds and self.closing_end_month > self.draw_end_month:
            raise ValueError(
                f"closing_end_month: {self.name}'s ({self.closing_end_month}) is after its draw_end_month "
                f"({self.draw_end_month}): it could close when it can no longer draw"
            )
        return self

    @model_validator(mode="after")
    def _a_call_before_maturity(self):
        if self.call_month and not self.conversion_price:
            raise ValueError(
                f"call_month: {self.name} is not convertible (conversion_price is 0); only a convert is called"
            )
        if self.call_month and self.call_month >= self.maturity_month:
            months = f"({self.call_month}) is not before its maturity_month ({self.maturity_month})"
            raise ValueError(f"call_month: {self.name}'s {months}")
        return self

    @model_validator(mode="after")
    def _contracts_in_a_pool(self):
        if self.secured_on == "contracts" and self.pool is None:
            raise ValueError(f"secured_on: {self.name} is secured on contracts, so it needs the pool that holds them")
        return self

    @model_validator(mode="after")
    def _a_revolver_is_a_line(self):
        if self.extensions and not self.revolving:
            raise ValueError(f"extensions: {self.name} is not revolving; only a revolver's maturity is extended")
        if not self.committed and not self.revolving:
            raise ValueError(f"committed: {self.name} is not revolving; only a line can be uncommitted")
        if self.revolving:
            if self.amortization != "bullet":
                raise ValueError(f"revolving: {self.name} is a revolver, so its amortization must be bullet")
            if self.funds:
                raise ValueError(f"revolving: {self.name} is a revolver, which funds no cohort (funds must be empty)")
            if self.target_cash < self.minimum_cash:
                raise ValueError(
                    f"target_cash: {self.name}'s ({self.target_cash:g}) is below its minimum_cash "
                    f"({self.minimum_cash:g}): it would repay what it has just drawn"
                )
        return self


_AMORTIZATION_CODES = {"bullet": L.BULLET, "linear": L.LINEAR, "annuity": L.ANNUITY}


def initial_debt(config):
    """Committed debt at month 0 ($): drawn principal plus the undrawn commitments of delayed-draw loans."""
    return sum(tranche.principal + tranche.commitment for tranche in config.debt)


def _funded_cohorts(config, tranche):
    """Bit mask of the cohorts the facility funds (bit c: cohort c)."""
    return float(sum(1 << config.cohort_index(name) for name in set(tranche.funds)))


_FLOATING = "floating"


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "debt": Debt,
    "covenants": Covenants,
    "refinancing": Refinancing,
}
KERNEL = (
    "firm.init_firm",
    "fleet.deliveries",
    "debt_service.debt_service",
    "debt_service.extend_revolver",
    "debt_service.lender_capacity",
    "debt_service.roll_over",
    "revolvers.draw_revolvers",
    "revolvers.repay_revolvers",
    "covenants.covenant_tests",
)


def tranche_slot(index, unit, attribute):
    """The slot of one setting of every tranche, read as it is (``debt[].<attribute>``)."""
    return Slot(index, unit, (f"debt[].{attribute}",), per_tranche(lambda t: getattr(t, attribute)), L.MAX_TRANCHES)


SLOTS = (
    Slot(L.TRANCHE_COUNT, "tranches", ("debt",), lambda c: len(c.debt)),
    tranche_slot(L.TRANCHE_PRINCIPAL, "$", "principal"),
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
    tranche_slot(L.TRANCHE_MATURITY, "month", "maturity_month"),
    tranche_slot(L.TRANCHE_COMMITMENT, "$", "commitment"),
    tranche_slot(L.TRANCHE_DRAW_END, "month", "draw_end_month"),
    tranche_slot(L.TRANCHE_ADVANCE_RATE, "share", "advance_rate"),
    tranche_slot(L.TRANCHE_UNDRAWN_FEE, "annual", "undrawn_fee"),
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
    open_by_regime(L.REFINANCING_OPEN, "refinancing"),
    Slot(
        L.REFINANCING_SPREAD,
        "annual",
        ("refinancing.spread", "refinancing.glut_spread"),
        lambda c: [c.refinancing.spread, c.refinancing.glut_spread],
        2,
        by_regime=1,
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
    Slot(L.REFINANCING_WINDOW, "months", ("refinancing.window_months",), lambda c: c.refinancing.window_months),
    Slot(
        L.REFINANCING_LENDER_TESTS,
        "1 lender's tests / 0 LTV gate",
        ("refinancing.tests",),
        lambda c: float(c.refinancing.tests == "lender"),
    ),
    Slot(
        L.REFINANCING_MAX_LEVERAGE,
        "debt / annual EBITDA (0 off)",
        ("refinancing.max_debt_to_ebitda",),
        lambda c: c.refinancing.max_debt_to_ebitda,
    ),
    Slot(
        L.REFINANCING_MIN_COVER,
        "annual EBITDA / interest (0 off)",
        ("refinancing.min_interest_cover",),
        lambda c: c.refinancing.min_interest_cover,
    ),
    Slot(
        L.REFINANCING_CAPACITY,
        "share",
        ("refinancing.glut_capacity",),
        lambda c: [1.0, c.refinancing.glut_capacity],
        2,
        by_regime=1,
    ),
    Slot(
        L.TRANCHE_REVOLVING,
        "1 revolving / 0",
        ("debt[].revolving",),
        per_tranche(lambda t: float(t.revolving)),
        L.MAX_TRANCHES,
    ),
    tranche_slot(L.TRANCHE_MINIMUM_CASH, "$", "minimum_cash"),
    tranche_slot(L.TRANCHE_TARGET_CASH, "$", "target_cash"),
    Slot(
        L.TRANCHE_UNCOMMITTED,
        "1 uncommitted / 0 committed",
        ("debt[].committed",),
        per_tranche(lambda t: float(not t.committed)),
        L.MAX_TRANCHES,
    ),
    Slot(
        L.TRANCHE_ON_CONTRACTS,
        "1 contracts / 0 collateral",
        ("debt[].secured_on",),
        per_tranche(lambda t: float(t.secured_on == "contracts")),
        L.MAX_TRANCHES,
    ),
    tranche_slot(L.TRANCHE_EXTENSIONS, "extensions", "extensions"),
    tranche_slot(L.TRANCHE_EXTENSION_MONTHS, "months", "extension_months"),
)


def asks_if_lenders_are_open(f, j):
    """Whether tranche ``j`` reads the regime's REFINANCING_OPEN outside refinancing: a revolver's extension, an
    uncommitted line's draws."""
    uncommitted = f.v[L.TRANCHE_REVOLVING + j] > 0 and f.v[L.TRANCHE_UNCOMMITTED + j] > 0
    return uncommitted or extended_in_horizon(f, j)


def lenders_open(f):
    """Whether refinancing is on and lenders are open in some regime the market can be in."""
    v = f.v
    return v[L.REFINANCING_ENABLED] > 0 and any(is_open > 0 for is_open in f.by_regime(L.REFINANCING_OPEN))


def floats(f):
    """True if the base rate's floor can matter: a tranche pays a floating rate (floating, or refinanced into a
    floating loan), or the terminal test's interest cover prices a new floating loan."""
    v = f.v
    if any(v[L.TRANCHE_FLOATING + j] > 0 for j in f.owed):
        return True
    return (bool(refinanceable(f)) or terminal_cover_test(f)) and lenders_open(f)


REFINANCING_SLOTS = slot_indices(
    "REFINANCING_ENABLED",
    "REFINANCING_MAX_LTV",
    "REFINANCING_TERM",
    "REFINANCING_PARTIAL",
    "REFINANCING_LEVERAGE_SPREAD",
    "REFINANCING_WINDOW",
    "REFINANCING_LENDER_TESTS",
    "REFINANCING_MAX_LEVERAGE",
    "REFINANCING_MIN_COVER",
) + slot_indices("REFINANCING_OPEN", "REFINANCING_SPREAD", "REFINANCING_CAPACITY", size=2)


def debt_rule(f):
    v = f.v
    tranche_blocks = [
        "TRANCHE_PRINCIPAL",
        "TRANCHE_FLOATING",
        "TRANCHE_RATE",
        "TRANCHE_AMORTIZATION",
        "TRANCHE_MATURITY",
        "TRANCHE_COMMITMENT",
        "TRANCHE_DRAW_END",
        "TRANCHE_ADVANCE_RATE",
        "TRANCHE_UNDRAWN_FEE",
        "TRANCHE_FUNDS",
        "TRANCHE_POOL",
        "TRANCHE_RANK",
        "TRANCHE_SWEEP",
        "TRANCHE_SWEEP_DSCR",
        "TRANCHE_BORROWING_BASE",
        "TRANCHE_VENDOR",
        "TRANCHE_REVOLVING",
        "TRANCHE_MINIMUM_CASH",
        "TRANCHE_TARGET_CASH",
        "TRANCHE_EXTENSIONS",
        "TRANCHE_EXTENSION_MONTHS",
        "TRANCHE_ON_CONTRACTS",
        "TRANCHE_UNCOMMITTED",
        "TRANCHE_UNSIGNED",
        "TRANCHE_CLOSING_START",
        "TRANCHE_CLOSING_END",
        "TRANCHE_CLOSING_HAZARD",
        "TRANCHE_CONVERSION_PRICE",
        "TRANCHE_CALL_MONTH",
        "TRANCHE_CALL_TRIGGER",
    ]
    for j in range(f.tranches):
        if j not in f.owed:
            yield (
                [getattr(L, name) + j for name in tranche_blocks],
                (f"{f.tranche(j)} has no principal and no commitment"),
            )
    if not f.owed:
        covenants = [L.LTV_MAX, L.DSCR_MIN, L.TEST_EVERY, L.CURE_TESTS]
        # With [claims] the landlords still sell the estate's GPUs at the fire-sale recovery.
        landlords = v[L.CLAIMS_ON] > 0 and v[L.OBLIGATION_COUNT] > 0
        fire_sale = [] if landlords else [L.FIRE_SALE_RECOVERY]
        yield covenants + REFINANCING_SLOTS + [L.RATE_FLOOR, *fire_sale], "the firm has no debt"
        return
    if v[L.LTV_MAX] == 0 and v[L.DSCR_MIN] == 0:
        covenants = [L.LTV_MAX, L.DSCR_MIN, L.TEST_EVERY, L.CURE_TESTS]
        yield covenants, "covenants.ltv_max and covenants.dscr_min are 0 (no covenant is tested)"
    for j in f.owed:
        revolving = v[L.TRANCHE_REVOLVING + j] > 0
        if not revolving:
            slots = [L.TRANCHE_MINIMUM_CASH + j, L.TRANCHE_TARGET_CASH + j, L.TRANCHE_UNCOMMITTED + j]
            yield slots, f"{f.tranche(j)}.revolving is false"
        elif all(is_open > 0 for is_open in f.by_regime(L.REFINANCING_OPEN)):
            yield [L.TRANCHE_UNCOMMITTED + j], "lenders are open in every regime (refinancing.open_in_glut)"
        if not extended_in_horizon(f, j):
            yield (
                [L.TRANCHE_EXTENSIONS + j, L.TRANCHE_EXTENSION_MONTHS + j],
                f"{f.tranche(j)} has no extension or does not fall due within the horizon (month {f.horizon})",
            )
        if v[L.TRANCHE_COMMITMENT + j] == 0 and revolving and v[L.TRANCHE_PRINCIPAL + j] > 0:
            # What it repays can be drawn again: only what a revolver never reads is idle.
            yield (
                [L.TRANCHE_ADVANCE_RATE + j, L.TRANCHE_FUNDS + j],
                f"{f.tranche(j)} is a revolver (it funds no cohort)",
            )
        elif v[L.TRANCHE_COMMITMENT + j] == 0:
            slots = [L.TRANCHE_ADVANCE_RATE + j, L.TRANCHE_FUNDS + j, L.TRANCHE_UNDRAWN_FEE + j, L.TRANCHE_VENDOR + j]
            if v[L.TRANCHE_AMORTIZATION + j] == L.BULLET:  # a bullet pays no principal before maturity anyway
                slots.append(L.TRANCHE_DRAW_END + j)
            yield slots, f"{f.tranche(j)}.commitment is 0 (nothing to draw)"
        elif v[L.TRANCHE_FUNDS + j] == 0:
            yield [L.TRANCHE_ADVANCE_RATE + j], f"{f.tranche(j)}.funds is empty (it draws on no delivery)"
        if v[L.TRANCHE_SWEEP + j] == 0:
            yield [L.TRANCHE_SWEEP_DSCR + j], f"{f.tranche(j)}.cash_sweep is 0"
    if not floats(f):
        yield [L.RATE_FLOOR], "no tranche pays a floating rate (none is floating, none is refinanced)"


def refinancing_rule(f):
    """Refinancing that can roll nothing (every setting of it, the switch included), and the settings of the
    tests it does not make."""
    v = f.v
    if not f.owed:
        return
    window = L.REFINANCING_WINDOW
    in_horizon = refinanceable(f)
    rolled = sorted(set(in_horizon) | set(cut_off_tranches(f)))  # the terminal test's tranches are tested too
    tested = v[L.REFINANCING_ENABLED] > 0 and v[L.REFINANCING_LENDER_TESTS] > 0 and lenders_open(f)
    read_on_contracts = [j for j in rolled if v[L.TRANCHE_POOL + j] >= 0] if tested else []
    unread = [L.TRANCHE_ON_CONTRACTS + j for j in f.owed if j not in read_on_contracts]
    if unread:
        yield unread, "what the tranche is secured on is read only by the lender's tests of a secured tranche rolled"
    if not rolled:
        # window_months itself stays: a longer window could open within the horizon.
        slots = [k for k in REFINANCING_SLOTS if k != window]
        yield slots, f"no tranche falls due or enters its window within the horizon (month {f.horizon})"
        return
    if not in_horizon:
        why = f"no tranche falls due or enters its window within the horizon (month {f.horizon}): only the terminal"
        yield _new_loan_terms(f, rolled), why + " test refinances, and it services no new loan"
    slots = REFINANCING_SLOTS
    if any(asks_if_lenders_are_open(f, j) for j in f.owed):  # an extension or an uncommitted line reads them
        slots = [k for k in slots if k not in slot_indices("REFINANCING_OPEN", size=2)]
    if v[L.REFINANCING_ENABLED] == 0:
        yield slots, "refinancing.enabled is false"
        return
    if not lenders_open(f):
        yield slots, "refinancing.open_in_glut is false and the market is always in glut (lenders are never open)"
        return
    if v[L.REFINANCING_OPEN + 1] == 0:
        glut = [L.REFINANCING_SPREAD + 1, L.REFINANCING_CAPACITY + 1]
        yield glut, "refinancing.open_in_glut is false (lenders are shut in a glut)"
    on_contracts = [j for j in rolled if v[L.TRANCHE_POOL + j] >= 0 and v[L.TRANCHE_ON_CONTRACTS + j] > 0]
    on_collateral = [j for j in rolled if v[L.TRANCHE_POOL + j] >= 0 and v[L.TRANCHE_ON_CONTRACTS + j] == 0]
    unsecured = [j for j in rolled if v[L.TRANCHE_POOL + j] < 0]
    if v[L.REFINANCING_LENDER_TESTS] == 0:
        unsecured_tests = [L.REFINANCING_MAX_LEVERAGE, L.REFINANCING_MIN_COVER]
        yield unsecured_tests, 'refinancing.tests is "ltv" (the firm\'s LTV gate decides)'
    else:
        if not unsecured:
            why = "every tranche that can be refinanced is secured on a pool"
            if not on_contracts:
                yield [L.REFINANCING_MAX_LEVERAGE], why + " (its pool's LTV decides)"
            yield [L.REFINANCING_MIN_COVER], why + " (no interest cover is tested)"
        if not on_collateral:
            why = "no tranche that can be refinanced is secured on a pool's collateral"
            yield [L.REFINANCING_MAX_LTV], why + ', and refinancing.tests is "lender"'
    if v[window] == 0 and all(v[L.TRANCHE_MATURITY + j] == f.horizon for j in balloons(f)):
        why = f"every balloon falls due in the last month (month {f.horizon}): a new loan is never serviced"
        yield _new_loan_terms(f, rolled), why


def _new_loan_terms(f, rolled):
    """A new loan's settings that no refinancing reads when none is serviced: its term, and its spreads unless the
    lenders' interest cover prices a new loan for an unsecured tranche of ``rolled`` (within the horizon or at it)."""
    v = f.v
    cover = v[L.REFINANCING_LENDER_TESTS] > 0 and v[L.REFINANCING_MIN_COVER] > 0
    terms = [L.REFINANCING_TERM]
    if not (cover and any(v[L.TRANCHE_POOL + j] < 0 for j in rolled)):
        terms += [*slot_indices("REFINANCING_SPREAD", size=2), L.REFINANCING_LEVERAGE_SPREAD]
    return terms


def horizon_rule(f):
    """Draw windows that run to the horizon, bullets that mature after it."""
    v = f.v
    horizon = f"the horizon (month {f.horizon})"
    for j in f.owed:
        if v[L.TRANCHE_DRAW_END + j] >= f.horizon:
            yield [L.TRANCHE_DRAW_END + j], f"{f.tranche(j)}'s draw window runs to {horizon}"
        if v[L.TRANCHE_AMORTIZATION + j] == L.BULLET and v[L.TRANCHE_MATURITY + j] > f.horizon:
            yield [L.TRANCHE_MATURITY + j], f"{f.tranche(j)} is a bullet maturing after {horizon}"


RULES = (
    ("debt", debt_rule),  # covenants off; an empty tranche; draws with no commitment; a floor with nothing floating
    ("refinancing", refinancing_rule),  # off, no balloon due, lenders never open
    ("horizon", horizon_rule),
)


# --- the words the summary uses for this block's events: config is a scenario's config as a dict ---


def maturity_events(config, month, cause):
    """Tranche maturities (what a refinancing or liquidity default at a balloon points at)."""
    events = []
    for tranche in config.get("debt") or []:
        if month_of(tranche.get("maturity_month")) == month:
            kind = {"bullet": "its balloon falls due"}.get(tranche.get("amortization"), "")
            events.append(f"tranche {tranche.get('name')!r} matures then" + (f" ({kind})" if kind else ""))
    return events


def draw_end_events(config, month, cause):
    """The end of delayed-draw facilities' drawing periods."""
    return [
        f"tranche {tranche.get('name')!r} stops drawing then"
        for tranche in config.get("debt") or []
        if tranche.get("commitment") and month_of(tranche.get("draw_end_month")) == month
    ]


def covenant_test_events(config, month, cause):
    """A covenant test month, for a covenant default."""
    covenants = config.get("covenants") or {}
    every = covenants.get("test_every_months") or 0
    if cause in ("ltv", "dscr") and every and month % every == 0:
        first = " (the first)" if month == every else ""
        return [f"a covenant test month{first}: covenants are tested every {every} months"]
    return []


EVENTS = (("maturities", maturity_events), ("draw ends", draw_end_events), ("covenant tests", covenant_test_events))


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
_CAUSES = (
    "how the path ended: liquidity, ltv, dscr, refinancing, pool, lease (credit defaults; lease: a missed lease or "
    "power-contract payment, with [claims]), insolvent_no_debt (out of cash owing nothing, not counted in PD); none "
    "is never stored: null = no end within the horizon"
)
FIELDS = {
    "default_month": (
        "month",
        "the month (1 to the horizon) a lender was first not paid, or the firm ran out of cash owing nothing; "
        "null: neither within the horizon",
    ),
    "default_cause": ("category", _CAUSES, L.CAUSE_NAMES),
    "ead": ("USD", "exposure at default, summed over the tranches in default on the path (0: no default)"),
    "loss": ("USD", "loss to the lenders on the path, EAD less recoveries, summed over its tranches, undiscounted"),
    "max_ltv": ("1", "the highest month-end loan-to-value, debt / collateral value (clipped to 1000)"),
    "min_dscr": ("1", "the lowest monthly trailing-quarter debt-service coverage ratio (clipped to +-1000)"),
}
STATEMENT_LINES = (
    "draws",
    "undrawn",
    "interest",
    "principal",
    "refinanced",
    "revolver",
    "debt",
    "ltv",
    "dscr",
    "breaches",
    "event",
)

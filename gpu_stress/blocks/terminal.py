"""The terminal test: at a horizon before the last maturity, the debt due after it held against what would pay it.

A path that lives to the horizon still owes the tranches whose last scheduled maturity is after it.
The test brings those maturities forward to the horizon: what refinancing (the lenders' own tests,
as at a balloon), cash and new equity (the equity block's limit) would not cover is the path's
``terminal_shortfall``, reported apart from the defaults within the horizon (kernels/terminal.py).
It has no setting of its own: it reads the refinancing and equity blocks', and the horizon.
"""

from ..kernels import layout as L
from .run import final_maturity
from .slots import Slot, per_tranche

# --- its home in the config (none of its own), and the kernel functions that read its slots ---
SECTIONS = {}
KERNEL = (
    "terminal.terminal_refinancing",
    "terminal.terminal_shortfall",
)


def cut_off(config):
    """Per tranche, 1 if the horizon ends before its last scheduled maturity (``run.final_maturity``) and it has
    something to lend."""
    horizon = config.simulation.horizon_months
    return per_tranche(lambda t: float(final_maturity(t) > horizon and t.principal + t.commitment > 0))(config)


SLOTS = (
    Slot(
        L.TRANCHE_CUT_OFF,
        "1 cut off / 0 not",
        (
            "debt[].maturity_month",
            "debt[].revolving",
            "debt[].extensions",
            "debt[].extension_months",
            "debt[].principal",
            "debt[].commitment",
            "simulation.horizon_months",
        ),
        cut_off,
        L.MAX_TRANCHES,
    ),
)


# --- which tranches fall due within the horizon, and which after it (the no-effect rules' views) ---


def balloons(f):
    """Tranches whose bullet falls due within the horizon (``f``: a ``view.FirmView``)."""
    v = f.v
    bullets = [j for j in f.owed if v[L.TRANCHE_AMORTIZATION + j] == L.BULLET]
    return [j for j in bullets if v[L.TRANCHE_MATURITY + j] <= f.horizon]


def in_a_window(f, window):
    """Tranches whose refinancing window of ``window`` months (before their maturity month) opens within the
    horizon: a month t <= horizon with 2 <= maturity - t + 1 <= window + 1."""
    v = f.v
    return [j for j in f.owed if window > 0 and 2 <= v[L.TRANCHE_MATURITY + j] <= f.horizon + window]


def refinanceable(f):
    """Tranches that can be refinanced within the horizon: balloons due, and those in a window."""
    return sorted(set(balloons(f)) | set(in_a_window(f, f.v[L.REFINANCING_WINDOW])))


def extended_in_horizon(f, j):
    """Whether tranche ``j`` is a revolver with an extension that can fall due within the horizon."""
    v = f.v
    revolving = v[L.TRANCHE_REVOLVING + j] > 0 and v[L.TRANCHE_EXTENSIONS + j] > 0
    return revolving and v[L.TRANCHE_MATURITY + j] <= f.horizon


def cut_off_tranches(f):
    """The tranches the terminal test holds at the horizon (``f``: a ``view.FirmView``)."""
    return [j for j in f.owed if f.v[L.TRANCHE_CUT_OFF + j] > 0]


def terminal_cover_test(f):
    """Whether the terminal test holds an unsecured tranche to the lenders' interest cover (which prices the new
    loan: base rate, spread and leverage spread)."""
    v = f.v
    tested = v[L.REFINANCING_LENDER_TESTS] > 0 and v[L.REFINANCING_MIN_COVER] > 0
    return tested and any(v[L.TRANCHE_POOL + j] < 0 for j in cut_off_tranches(f))


RULES = ()  # it reads the refinancing and equity settings; their blocks' rules count its reads (cut_off_tranches)


EVENTS = ()  # no dated event of its own in a scenario's config


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {
    "terminal_shortfall": (
        "USD",
        "the terminal test at the horizon: of the debt due after it, what refinancing, cash and new equity "
        "would not cover there (0: passed, defaulted before, or nothing due after the horizon)",
    ),
}
STATEMENT_LINES = ()

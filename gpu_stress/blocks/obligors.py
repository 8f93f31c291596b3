"""Named obligors: the credits behind the contracts, one default time per obligor and path.

A contract (``customers[].obligor``), the backstop's counterparty (``backstop.obligor``) and the
vendor (``vendor.obligor``) may name an obligor of ``[[obligors]]`` instead of carrying a default
probability of their own: every contract of that obligor then ends in the month it defaults, on
every firm of a portfolio alike (the portfolio merges its firms' obligors by name). Its monthly
default probability is its hazard in the month's regime, moved by a common credit factor through
its ``factor_loading`` (kernels/obligors.py gives the maths). Its default can move the market (wrong-way
risk): a fall in GPU prices and a switch to glut, with a probability (``market_impact_probability``).
"""

import math
from statistics import NormalDist

from ..config.types import Name, Probability, Section, between
from ..kernels import layout as L
from .slots import Slot, by_regime, monthly_hazard
from .view import BASE_CASE_REASON

# A threshold beyond any normal a float32 holds: Phi^-1 of a hazard of 0 or 1.
UNBOUNDED = 1.0e30


class Obligor(Section):
    """A named credit: its default probabilities by regime and its loading on the common credit factor."""

    name: Name
    annual_default_probability: Probability = 0.0  # in shortage
    glut_annual_default_probability: Probability | None = None  # None: as in shortage
    # rho: the share of its credit's variance on the common factor (0: independent of the other obligors)
    factor_loading: between(0, 0.99) = 0.0
    # Wrong-way risk: with this probability its default moves the GPU market in its month, by a fall of
    # price_jump in every generation's rental price (and so in every GPU's resale value) and, if
    # switches_to_glut, a switch to the glut regime.
    market_impact_probability: Probability = 0.0
    price_jump: between(0, 0.95) = 0.0  # the share prices fall (0.3: 30 % lower)
    switches_to_glut: bool = False


def obligor_index(config, name):
    """The index of obligor ``name`` in ``config.obligors``, -1 for None."""
    return -1 if name is None else [obligor.name for obligor in config.obligors].index(name)


def default_threshold(hazard):
    """Phi^-1(h): the one-factor model's threshold for a monthly hazard h (+-UNBOUNDED at 1 and 0)."""
    if hazard <= 0.0:
        return -UNBOUNDED
    if hazard >= 1.0:
        return UNBOUNDED
    return NormalDist().inv_cdf(hazard)


def per_obligor(function, padding=0.0):
    """A block of MAX_OBLIGORS values: ``function(obligor)`` for each obligor, ``padding`` for unused slots."""
    return lambda config: (
        [function(obligor) for obligor in config.obligors] + [padding] * (L.MAX_OBLIGORS - len(config.obligors))
    )


def per_obligor_by_regime(transform):
    """Two blocks of MAX_OBLIGORS values, shortage then glut: ``transform`` of each obligor's monthly hazard."""

    def values(config):
        pairs = [
            by_regime(obligor.annual_default_probability, obligor.glut_annual_default_probability)
            for obligor in config.obligors
        ]
        padding = [transform(0.0)] * (L.MAX_OBLIGORS - len(config.obligors))
        blocks = [[transform(monthly_hazard(pair[regime])) for pair in pairs] + padding for regime in (0, 1)]
        return blocks[0] + blocks[1]

    return values


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {"obligors": Obligor}
KERNEL = (
    "obligors.obligor_blocks",
    "obligors.default_probability",
    "obligors.shifted_threshold",
    "obligors.surely_survives",
    "obligors.obligor_step",
    "obligors.record_obligor_defaults",
    "obligors.obligor_defaulted",
    "market.market_impacts",
    "contracts.contracts",
    "support.support_counterparties",
)

HAZARD_SOURCES = ("obligors[].annual_default_probability", "obligors[].glut_annual_default_probability")
SLOTS = (
    Slot(L.OBLIGOR_COUNT, "obligors", ("obligors",), lambda c: len(c.obligors)),
    Slot(
        L.OBLIGOR_HAZARD,
        "per month",
        HAZARD_SOURCES,
        per_obligor_by_regime(lambda hazard: hazard),
        2 * L.MAX_OBLIGORS,
        by_regime=L.MAX_OBLIGORS,
    ),
    Slot(
        L.OBLIGOR_THRESHOLD,
        "standard normal",
        HAZARD_SOURCES,
        per_obligor_by_regime(default_threshold),
        2 * L.MAX_OBLIGORS,
        by_regime=L.MAX_OBLIGORS,
    ),
    Slot(
        L.OBLIGOR_LOADING,
        "sqrt(rho)",
        ("obligors[].factor_loading",),
        per_obligor(lambda obligor: math.sqrt(obligor.factor_loading)),
        L.MAX_OBLIGORS,
    ),
    Slot(
        L.OBLIGOR_IDIOSYNCRATIC,
        "sqrt(1 - rho)",
        ("obligors[].factor_loading",),
        per_obligor(lambda obligor: math.sqrt(1.0 - obligor.factor_loading), padding=1.0),
        L.MAX_OBLIGORS,
    ),
    Slot(
        L.CUSTOMER_OBLIGOR,
        "obligor index (-1: its own default draw)",
        ("customers[].obligor", "obligors[].name"),
        lambda c: (
            [float(obligor_index(c, x.obligor)) for x in c.customers] + [-1.0] * (L.MAX_CUSTOMERS - len(c.customers))
        ),
        L.MAX_CUSTOMERS,
    ),
    Slot(
        L.BACKSTOP_OBLIGOR,
        "obligor index (-1: none)",
        ("backstop.obligor", "obligors[].name"),
        lambda c: obligor_index(c, c.backstop.obligor),
    ),
    Slot(
        L.VENDOR_OBLIGOR,
        "obligor index (-1: none)",
        ("vendor.obligor", "obligors[].name"),
        lambda c: obligor_index(c, c.vendor.obligor),
    ),
    Slot(
        L.OBLIGOR_IMPACT_PROBABILITY,
        "probability",
        ("obligors[].market_impact_probability",),
        per_obligor(lambda obligor: obligor.market_impact_probability),
        L.MAX_OBLIGORS,
    ),
    Slot(
        L.OBLIGOR_LOG_PRICE_JUMP,
        "ln(1 - price_jump)",
        ("obligors[].price_jump",),
        per_obligor(lambda obligor: math.log1p(-obligor.price_jump)),
        L.MAX_OBLIGORS,
    ),
    Slot(
        L.OBLIGOR_GLUT_SWITCH,
        "1: to glut",
        ("obligors[].switches_to_glut",),
        per_obligor(lambda obligor: float(obligor.switches_to_glut)),
        L.MAX_OBLIGORS,
    ),
)


def obligors_rule(f):
    """An obligor no contract, backstop or vendor names and whose default moves no market, one that never
    defaults, or a market impact of size zero, changes nothing."""
    config = f.config
    named = {x.obligor for x in config.customers} | {config.backstop.obligor, config.vendor.obligor}
    for j, obligor in enumerate(config.obligors):
        impacts = [L.OBLIGOR_IMPACT_PROBABILITY + j, L.OBLIGOR_LOG_PRICE_JUMP + j, L.OBLIGOR_GLUT_SWITCH + j]
        moves = f.v[impacts[0]] > 0 and (f.v[impacts[1]] < 0 or f.v[impacts[2]] > 0)
        if not moves:
            yield impacts, f"obligor {obligor.name!r}'s default moves no market (no probability, fall or switch)"
        every = [L.OBLIGOR_HAZARD + j, L.OBLIGOR_HAZARD + L.MAX_OBLIGORS + j]
        every += [L.OBLIGOR_THRESHOLD + j, L.OBLIGOR_THRESHOLD + L.MAX_OBLIGORS + j]
        every += [L.OBLIGOR_LOADING + j, L.OBLIGOR_IDIOSYNCRATIC + j]
        if obligor.name not in named and not moves:
            yield every, f"obligor {obligor.name!r} is named by no contract, backstop or vendor"
        elif f.base_case:
            yield every, f"{BASE_CASE_REASON}: no obligor defaults at random"
        elif not any(hazard > 0 for hazard in f.by_regime(L.OBLIGOR_HAZARD + j, L.MAX_OBLIGORS)):
            yield every[4:], f"obligor {obligor.name!r} never defaults (its factor loading moves nothing)"


RULES = (("obligors", obligors_rule),)
FIELDS = {}
STATEMENT_LINES = ()
EVENTS = ()

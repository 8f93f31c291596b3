"""Market regimes: shortage and glut, and the monthly chance of switching."""

from typing import Literal

from ..config.types import Drift, OpenUnit, Probability, Section, Volatility
from ..kernels import layout as L
from .slots import MONTH, REGIMES, Slot
from .view import BASE_CASE_REASON, slot_indices

# --- the config sections (schema) ---


class RegimeDynamics(Section):
    """Overrides for one regime; unset fields fall back to market.price / market.utilization."""

    drift: Drift | None = None
    volatility: Volatility | None = None
    utilization: OpenUnit | None = None


class Regime(Section):
    enabled: bool = False
    initial: Literal["shortage", "glut"] = "shortage"
    shortage_to_glut: Probability = 0.0
    glut_to_shortage: Probability = 0.0
    shortage: RegimeDynamics = RegimeDynamics()
    glut: RegimeDynamics = RegimeDynamics()
    # the planned price path's regime: "expected" the chain's expectation from the initial regime, "initial" it persists
    planned_path: Literal["expected", "initial"] = "expected"


# The regime fallback rule, the one place it is stated: while regimes are on, a regime's own drift,
# volatility or utilization (market.regime.<regime>.<field>) replaces the base setting; unset, the base holds.
REGIME_FIELDS = {
    "drift": "market.price.drift",
    "volatility": "market.price.volatility",
    "utilization": "market.utilization.mean",
}
# Each base setting and the regime fields that replace it (config.load clears them when a layer sets the base).
REGIME_SHADOWS = {
    base: tuple(f"market.regime.{regime}.{field}" for regime in REGIMES) for field, base in REGIME_FIELDS.items()
}
# The config keys a by-regime slot reads besides its base settings.
REGIME_KEYS = ("market.regime.enabled", "market.regime.shortage", "market.regime.glut")


def regime_value(config, regime, field):
    """A regime's drift, volatility or utilization: its own if regimes are on and it is set, else the base setting."""
    override = getattr(getattr(config.market.regime, regime), field) if config.market.regime.enabled else None
    if override is not None:
        return override
    section, name = REGIME_FIELDS[field].removeprefix("market.").split(".")
    return getattr(getattr(config.market, section), name)


def initial_regime(config):
    return 0 if not config.market.regime.enabled or config.market.regime.initial == "shortage" else 1


def planned_regime(config):
    """[long-run P(glut), the chain's monthly decay, glut's log drift - shortage's] of the planned path.

    The planned path's regime is the two-state chain's expectation: P(glut
    after m months) = pi + (pi_0 - pi) k^m with pi = p / (p + q) and k = 1 - p - q
    (p, q the monthly switching probabilities). Where that never moves from
    pi_0 (regimes off, no switching, ``planned_path = "initial"``, or a chain that
    cannot leave its initial regime) the slots are (pi_0, 1, 0): the initial
    regime's drift, exactly.
    """
    regime = config.market.regime
    initial = float(initial_regime(config))
    to_glut, to_shortage = regime.shortage_to_glut, regime.glut_to_shortage
    leaves = to_glut if initial == 0.0 else to_shortage
    if not regime.enabled or regime.planned_path == "initial" or leaves == 0.0:
        return [initial, 1.0, 0.0]
    gap = log_drift(config, "glut") - log_drift(config, "shortage")
    return [to_glut / (to_glut + to_shortage), 1.0 - to_glut - to_shortage, gap]


def regime_departure(config, month):
    """(pi_0 - pi) k^m: how far P(glut in ``month``) still is from its long run (``kernels/market``'s, in Python)."""
    long_run, decay, _ = planned_regime(config)
    return (float(initial_regime(config)) - long_run) * decay**month


def glut_probability(config, month):
    """P(the market is in glut in ``month``) on the planned path (``kernels/market.glut_probability``, in Python)."""
    return planned_regime(config)[0] + regime_departure(config, month)


def central_regimes(config, horizon):
    """The regimes the central case's market is in over months 1 .. ``horizon``: glut while it is the more probable
    (``kernels/market.central_regime``, its comparison)."""
    long_run = planned_regime(config)[0]
    return {int(regime_departure(config, month) > 0.5 - long_run) for month in range(1, horizon + 1)}


def log_drift(config, regime):
    """A regime's (mu - sigma^2 / 2) dt, ln price per month."""
    return (regime_value(config, regime, "drift") - 0.5 * regime_value(config, regime, "volatility") ** 2) * MONTH


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "market.regime": Regime,
}
KERNEL = (
    "market.initial_market",
    "market.market_step",
    "market.glut_probability",
    "market.regime_departure",
    "market.planned_log_drift",
)


SLOTS = (
    Slot(L.REGIME_INITIAL, "0 shortage / 1 glut", ("market.regime.initial", "market.regime.enabled"), initial_regime),
    Slot(
        L.SWITCH_PROBABILITY,
        "per month",
        ("market.regime.shortage_to_glut", "market.regime.glut_to_shortage", "market.regime.enabled"),
        lambda c: (
            [c.market.regime.shortage_to_glut, c.market.regime.glut_to_shortage]
            if c.market.regime.enabled
            else [0.0, 0.0]
        ),
        2,
        by_regime=1,
    ),
    Slot(
        L.PLANNED_REGIME,
        "P(glut); per month; ln price per month",
        (
            "market.regime.enabled",
            "market.regime.initial",
            "market.regime.planned_path",
            "market.regime.shortage_to_glut",
            "market.regime.glut_to_shortage",
            "market.price.drift",
            "market.price.volatility",
            "market.regime.shortage",
            "market.regime.glut",
        ),
        planned_regime,
        3,
    ),
)


def regime_slots(r):
    """Every slot that holds regime ``r``'s value, as the blocks declare them (``Slot.by_regime``)."""
    from . import all_slots  # every block's, this one's included

    return [
        slot.index + r * slot.by_regime + k for slot in all_slots() if slot.by_regime for k in range(slot.by_regime)
    ]


def regimes_rule(f):
    regime = f.config.market.regime
    for r in (0, 1):
        if r in f.regimes:
            continue
        name, other = REGIMES[r], REGIMES[1 - r]
        if f.base_case:
            reason = f"{BASE_CASE_REASON}: the market is never in {name}"
        elif not regime.enabled:
            reason = "market.regime.enabled is false (the market is never in glut)"
        else:
            reason = f"market.regime.{other}_to_{name} is 0 (the market starts in {other} and is never in {name})"
        yield regime_slots(r), reason
    if f.base_case:
        yield slot_indices("SWITCH_PROBABILITY", size=2), f"{BASE_CASE_REASON}: no regime switch"


RULES = (("regimes", regimes_rule),)  # a regime the market never enters: all its slots


EVENTS = ()  # no dated event of its own in a scenario's config


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {}
STATEMENT_LINES = ("regime",)

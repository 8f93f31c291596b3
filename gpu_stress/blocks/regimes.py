"""Market regimes: shortage and glut, and the monthly chance of switching."""

from ..kernels import layout as L
from .slots import Slot


def initial_regime(config):
    return 0 if not config.market.regime.enabled or config.market.regime.initial == "shortage" else 1


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
    ),
)

"""The short rate: a Vasicek process, with the floor floating debt pays at least."""

from ..kernels import layout as L
from .slots import Slot, ou_step

SLOTS = (
    Slot(L.RATE_INITIAL, "annual", ("market.rates.initial",), lambda c: c.market.rates.initial),
    Slot(L.RATE_MEAN, "annual", ("market.rates.mean",), lambda c: c.market.rates.mean),
    Slot(
        L.RATE_DECAY,
        "per month",
        ("market.rates.enabled", "market.rates.mean_reversion", "market.rates.volatility"),
        lambda c: (
            list(ou_step(c.market.rates.mean_reversion, c.market.rates.volatility))
            if c.market.rates.enabled
            else [1.0, 0.0]
        ),
        2,  # RATE_DECAY, RATE_SHOCK
    ),
    Slot(L.RATE_FLOOR, "annual", ("market.rates.floor",), lambda c: c.market.rates.floor),
)


RULES = ()  # the rates' shocks are judged with the market's correlation (``shocks``)


EVENTS = ()  # no dated event of its own in a scenario's config

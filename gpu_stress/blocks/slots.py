"""The parameter slots' declaration and the maths several blocks derive them with."""

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..kernels import layout as L

MONTH = 1.0 / L.MONTHS_PER_YEAR  # dt in years


REGIMES = ("shortage", "glut")


@dataclass(frozen=True)
class Slot:
    """Slot(s) ``index`` .. ``index + size - 1``: ``value(config)`` from ``sources`` (config keys), in ``unit``."""

    index: int
    unit: str
    sources: tuple
    value: Callable
    size: int = 1
    # A slot by regime holds the shortage block of ``by_regime`` values, then the glut block (0: not by regime).
    by_regime: int = 0


def ou_transition(index, section):
    """The slot pair (decay, shock sd) of ``market.<section>``'s exact monthly OU step; switched off: (1, 0)."""
    keys = tuple(f"market.{section}.{name}" for name in ("enabled", "mean_reversion", "volatility"))

    def value(config):
        process = getattr(config.market, section)
        return list(ou_step(process.mean_reversion, process.volatility)) if process.enabled else [1.0, 0.0]

    return Slot(index, "per month", keys, value, 2)


def open_by_regime(index, section):
    """The slot pair (shortage, glut) of whether ``<section>`` (a market for funding: refinancing, equity) is
    open: always in a shortage, in a glut as its ``open_in_glut`` says (1 open / 0 closed)."""

    def value(config):
        return [1.0, float(getattr(config, section).open_in_glut)]

    return Slot(index, "1 open / 0 closed", (f"{section}.open_in_glut",), value, 2, by_regime=1)


def logit(probability):
    return math.log(probability / (1.0 - probability))


def ou_step(mean_reversion, volatility, dt=MONTH):
    """(decay, shock sd) of the exact one-step transition of dx = -k x dt + v dW."""
    decay = math.exp(-mean_reversion * dt)
    if mean_reversion == 0.0:
        return 1.0, volatility * math.sqrt(dt)
    return decay, volatility * math.sqrt(-math.expm1(-2.0 * mean_reversion * dt) / (2.0 * mean_reversion))


def monthly_hazard(annual_probability):
    """Monthly default probability h with (1 - h)^12 = 1 - annual probability."""
    return -math.expm1(math.log1p(-annual_probability) / L.MONTHS_PER_YEAR) if annual_probability < 1 else 1.0


def by_regime(shortage, glut):
    """A glut value that falls back to the shortage value when not set."""
    return [shortage, shortage if glut is None else glut]


def per_customer_by_regime(shortage, glut, transform=lambda value: value):
    """Two blocks of MAX_CUSTOMERS values, shortage then glut, for consecutive slots."""

    def values(config):
        pairs = [by_regime(shortage(c), glut(c)) for c in config.customers]
        padding = [0.0] * (L.MAX_CUSTOMERS - len(config.customers))
        return [transform(pair[0]) for pair in pairs] + padding + [transform(pair[1]) for pair in pairs] + padding

    return values


def per_customer(function, padding=0.0):
    """A block of MAX_CUSTOMERS values: ``function(customer)`` for each customer, ``padding`` for unused slots."""
    return lambda config: (
        [function(c) for c in config.customers] + [padding] * (L.MAX_CUSTOMERS - len(config.customers))
    )


def per_tranche(function, padding=0.0):
    return lambda config: [function(t) for t in config.debt] + [padding] * (L.MAX_TRANCHES - len(config.debt))


def per_pool(function, padding=0.0):
    return lambda config: (
        [function(pool, config) for pool in config.pools] + [padding] * (L.MAX_POOLS - len(config.pools))
    )


def hazards(shortage, glut):
    """[shortage, glut] monthly hazards of two annual default probabilities (glut None: as in shortage)."""
    return [monthly_hazard(probability) for probability in by_regime(shortage, glut)]


def month_of(value):
    """A month from a config (as a dict) if it is a whole number, else None (for the blocks' event phrases)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None

"""GPU rental price.

drift and volatility by regime, generation launches, the price floor, the market's correlation, the
firm's own price basis.
"""

import math

import numpy as np

from ..kernels import layout as L
from .fleet import cash_cost_per_gpu_hour
from .regimes import initial_regime
from .slots import MONTH, REGIME_KEYS, REGIMES, Slot, ou_step, regime_value


def correlation_factor(matrix):
    """Lower-triangular L with L L^T = matrix, for positive semi-definite matrices.

    A plain Cholesky that sets a column to zero when its pivot vanishes, so
    perfectly correlated shocks (rho = +-1) work too.
    """
    size = len(matrix)
    factor = np.zeros((size, size))
    for column in range(size):
        pivot = matrix[column, column] - factor[column, :column] @ factor[column, :column]
        if pivot <= 1e-12:
            continue
        factor[column, column] = math.sqrt(pivot)
        for row in range(column + 1, size):
            off_diagonal = matrix[row, column] - factor[row, :column] @ factor[column, :column]
            factor[row, column] = off_diagonal / factor[column, column]
    return factor


def _drift(config, regime):
    return regime_value(config, regime, "drift", config.market.price.drift)


def _volatility(config, regime):
    return regime_value(config, regime, "volatility", config.market.price.volatility)


def _log_drift(config, regime):
    return (_drift(config, regime) - 0.5 * _volatility(config, regime) ** 2) * MONTH


def _price_floor(config):
    return config.market.price.floor_multiple * cash_cost_per_gpu_hour(config.firm)


def _market_first(matrix):
    """The (price, utilization, rate) correlation matrix reordered (price, rate, utilization).

    Its Cholesky factor then builds the market's shocks from the market's two
    normals alone, and a firm's utilization shock from those and its own.
    """
    order = [0, 2, 1]
    return matrix[np.ix_(order, order)]


SLOTS = (
    Slot(L.LOG_PRICE_INITIAL, "ln $/GPU-hour", ("market.price.initial",), lambda c: math.log(c.market.price.initial)),
    Slot(
        L.LOG_DRIFT,
        "ln price per month",
        ("market.price.drift", "market.price.volatility", *REGIME_KEYS),
        lambda c: [_log_drift(c, regime) for regime in REGIMES],
        2,
    ),
    Slot(
        L.LOG_VOLATILITY,
        "ln price per sqrt(month)",
        ("market.price.volatility", *REGIME_KEYS),
        lambda c: [_volatility(c, regime) * math.sqrt(MONTH) for regime in REGIMES],
        2,
    ),
    Slot(
        L.JUMP_PROBABILITY,
        "per month",
        ("market.price.jump_intensity",),
        lambda c: c.market.price.jump_intensity * MONTH,
    ),
    Slot(L.LOG_JUMP, "ln price", ("market.price.jump_size",), lambda c: math.log1p(-c.market.price.jump_size)),
    Slot(
        L.REFERENCE_LOG_DRIFT,
        "ln price per month",
        ("market.price.drift", "market.price.jump_intensity", "market.price.jump_size", *REGIME_KEYS),
        # The planned price path: the initial regime's log drift and the expected log cut of launches.
        lambda c: (
            _log_drift(c, REGIMES[initial_regime(c)])
            + c.market.price.jump_intensity * MONTH * math.log1p(-c.market.price.jump_size)
        ),
    ),
    Slot(L.FLOOR_ENABLED, "1 on / 0 off", ("market.price.floor_multiple",), lambda c: float(_price_floor(c) > 0)),
    Slot(
        L.LOG_PRICE_FLOOR,
        "ln $/GPU-hour",
        ("market.price.floor_multiple", "firm.power_kw", "firm.pue", "firm.electricity_price"),
        lambda c: math.log(_price_floor(c)) if _price_floor(c) > 0 else 0.0,
    ),
    Slot(
        L.CHOLESKY,
        "",
        (
            "market.correlation.price_utilization",
            "market.correlation.price_rates",
            "market.correlation.utilization_rates",
        ),
        lambda c: list(correlation_factor(_market_first(c.market.correlation.matrix()))[np.tril_indices(3)]),
        6,
    ),
    Slot(L.BASIS_LOADING, "", ("price_basis.market_loading",), lambda c: c.price_basis.market_loading),
    Slot(
        L.BASIS_DECAY,
        "per month; sd of ln price",
        ("price_basis.mean_reversion", "price_basis.volatility"),
        lambda c: list(ou_step(c.price_basis.mean_reversion, c.price_basis.volatility)),
        2,
    ),
)

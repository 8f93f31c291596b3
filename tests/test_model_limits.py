"""Textbook limits of the model, checked within 4 standard errors (fixed seeds)."""

import math

import numpy as np
import pytest

from helpers import MARKET_ONLY, config_of, simulate, table_with


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_final_price_has_gbm_mean_and_variance(backend, dtype):
    config = config_of(MARKET_ONLY)
    price = config.market.price
    years = config.simulation.horizon_months / 12
    outputs = simulate(config, backend, dtype=dtype)
    assert (outputs["default_month"] == -1).all()
    final = outputs["final_price"].astype(np.float64)
    n = final.size
    mean = price.initial * math.exp(price.drift * years)
    variance = mean**2 * math.expm1(price.volatility**2 * years)
    assert abs(final.mean() - mean) < 4 * math.sqrt(variance / n)
    deviations = (final - final.mean()) ** 2
    assert abs(deviations.mean() - variance) < 4 * deviations.std() / math.sqrt(n)


def test_a_different_seed_gives_different_paths():
    first = simulate(config_of(MARKET_ONLY), "cpu", paths=1000)
    second = simulate(config_of(table_with(MARKET_ONLY, {"simulation": {"seed": 8}})), "cpu", paths=1000)
    assert not np.any(first["final_price"] == second["final_price"])

"""Textbook limits of the model, within 4 standard errors (fixed seeds), on every backend."""

import math

import numpy as np
import pytest

from conftest import BACKENDS, DTYPES
from gpu_stress.blocks.slots import monthly_hazard
from gpu_stress.kernels import layout as L
from helpers import MARKET_ONLY, config_of, simulate, table_with


def within(estimate, expected, standard_error, sigmas=4.0):
    return abs(estimate - expected) < sigmas * standard_error


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
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
    assert within(final.mean(), mean, math.sqrt(variance / n))
    deviations = (final - final.mean()) ** 2
    assert within(deviations.mean(), variance, deviations.std() / math.sqrt(n))


@pytest.mark.parametrize("backend", BACKENDS)
def test_share_in_glut_follows_the_markov_chain(backend):
    to_glut, to_shortage = 0.05, 0.03
    table = table_with(
        MARKET_ONLY,
        {
            "simulation": {"paths": 20_000, "horizon_months": 48},
            "market": {"regime": {"enabled": True, "shortage_to_glut": to_glut, "glut_to_shortage": to_shortage}},
        },
    )
    tracks = simulate(config_of(table), backend, tracked=20_000)["tracks"]
    stationary = to_glut / (to_glut + to_shortage)
    for month in (1, 6, 12, 24, 48):
        expected = stationary * (1 - (1 - to_glut - to_shortage) ** month)
        share = tracks[:, month - 1, L.TRACK_GLUT].mean()
        assert within(share, expected, math.sqrt(expected * (1 - expected) / 20_000)), month


@pytest.mark.parametrize("backend", BACKENDS)
def test_short_rate_has_vasicek_mean_and_variance(backend):
    r0, mean, speed, volatility, months = 0.05, 0.03, 0.5, 0.02, 60
    table = table_with(
        MARKET_ONLY,
        {
            "simulation": {"paths": 20_000, "horizon_months": months},
            "market": {
                "rates": {
                    "enabled": True,
                    "initial": r0,
                    "mean": mean,
                    "mean_reversion": speed,
                    "volatility": volatility,
                }
            },
        },
    )
    rates = simulate(config_of(table), backend, tracked=20_000)["tracks"][:, -1, L.TRACK_RATE]
    years = months / 12
    expected_mean = mean + (r0 - mean) * math.exp(-speed * years)
    expected_variance = volatility**2 * -math.expm1(-2 * speed * years) / (2 * speed)
    n = rates.size
    assert within(rates.mean(), expected_mean, math.sqrt(expected_variance / n))
    deviations = (rates - rates.mean()) ** 2
    assert within(deviations.mean(), expected_variance, deviations.std() / math.sqrt(n))


@pytest.mark.parametrize("backend", BACKENDS)
def test_share_of_customers_defaulted_by_month_t(backend):
    # One customer takes the whole fleet at a price that exactly covers opex: the firm (with no
    # debt) runs out of cash in the month its customer defaults, so its end months are the
    # customer's default months; with nothing owed, that is an insolvency, not a credit default.
    annual = 0.2
    gpus, opex = 1000, 10_000.0
    table = table_with(
        MARKET_ONLY,
        {
            "simulation": {"paths": 20_000, "horizon_months": 60},
            "firm": {"gpus": gpus, "opex_per_gpu_month": opex, "cash": 1e6},
            "customers": [{"share": 1.0, "price": opex / 730, "end_month": 60, "annual_default_probability": annual}],
        },
    )
    outputs = simulate(config_of(table), backend)
    assert set(np.unique(outputs["default_cause"])) <= {L.NO_DEFAULT, L.INSOLVENT_NO_DEBT}
    hazard = monthly_hazard(annual)
    n = outputs["default_month"].size
    for month in (1, 12, 30, 60):
        expected = 1 - (1 - hazard) ** month
        share = ((outputs["default_month"] > 0) & (outputs["default_month"] <= month)).mean()
        assert within(share, expected, math.sqrt(expected * (1 - expected) / n)), month


def closed_form_payments(amortization, principal, annual_rate, months):
    """Debt service of each month of a fixed-rate loan, from the textbook formulas."""
    i = annual_rate / 12
    if amortization == "annuity":
        level = principal * i / (1 - (1 + i) ** -months)
        return np.full(months, level)
    if amortization == "linear":
        balances = principal * (1 - np.arange(months) / months)
        return principal / months + balances * i
    payments = np.full(months, principal * i)
    payments[-1] += principal
    return payments


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("amortization", ["annuity", "linear", "bullet"])
def test_debt_service_follows_the_closed_form_schedule(backend, amortization):
    principal, annual_rate, months = 1e9, 0.09, 48
    deterministic = table_with(
        MARKET_ONLY,
        {
            "simulation": {"paths": 3, "horizon_months": 60},
            "market": {"price": {"volatility": 0.0}},
            "firm": {"cash": 5e9},
        },
    )
    loan = {
        "debt": [{"principal": principal, "rate": annual_rate, "amortization": amortization, "maturity_month": months}]
    }
    cash_without = simulate(config_of(deterministic), backend, tracked=1)["tracks"][0, :, L.TRACK_CASH]
    cash_with = simulate(config_of(table_with(deterministic, loan)), backend, tracked=1)["tracks"][0, :, L.TRACK_CASH]
    paid_to_date = cash_without - cash_with
    payments = np.diff(paid_to_date, prepend=0.0)
    np.testing.assert_allclose(
        payments[:months], closed_form_payments(amortization, principal, annual_rate, months), rtol=1e-9
    )
    np.testing.assert_allclose(payments[months:], 0.0, atol=1e-3)

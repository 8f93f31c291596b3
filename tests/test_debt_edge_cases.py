"""Debt edge cases: balloons and covenants, negative and tiny rates, on every CPU backend."""

import numpy as np
import pytest

from conftest import BACKENDS
from gpu_stress.kernels import layout as L
from helpers import FULL_MODEL, MARKET_ONLY, assert_same_paths, config_of, simulate, table_with


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_balloon_paid_from_cash_does_not_breach_the_dscr_covenant(backend):
    table = table_with(
        MARKET_ONLY,
        {
            "simulation": {"paths": 500, "horizon_months": 24},
            "firm": {"cash": 3e9},
            "covenants": {"dscr_min": 1.0, "test_every_months": 3},
            "debt": [{"principal": 1e9, "rate": 0.05, "amortization": "bullet", "maturity_month": 12}],
        },
    )
    outputs = simulate(config_of(table), backend)
    assert (outputs["default_cause"] != L.DSCR_BREACH).all()
    assert (outputs["final_cash"] > 1.9e9).all()  # repaid on time, out of cash


@pytest.mark.parametrize("rate", [-0.02, 1e-17, 1e-9, 0.0])
def test_annuities_at_negative_zero_and_tiny_rates_agree_and_amortize(rate):
    loan = {
        "debt": [{"principal": 6e8, "rate": rate, "amortization": "annuity", "maturity_month": 48}],
        "simulation": {"paths": 400},
        "firm": {"cash": 2e9},
    }
    config = config_of(table_with(MARKET_ONLY, loan))
    cpu, oracle = simulate(config, "cpu", tracked=1), simulate(config, "numpy", tracked=1)
    assert_same_paths(cpu, oracle)
    assert (cpu["default_month"] == -1).all()
    baseline = simulate(
        config_of(table_with(MARKET_ONLY, {"simulation": {"paths": 400}, "firm": {"cash": 2e9}})), "cpu", tracked=1
    )
    paid = baseline["tracks"][0, :, L.TRACK_CASH] - cpu["tracks"][0, :, L.TRACK_CASH]
    interest = np.diff(paid, prepend=0.0)[:48].sum() - 6e8
    if rate == 0.0:
        assert abs(interest) < 1e-3
    else:
        assert np.sign(interest) == np.sign(rate) or abs(rate) < 1e-8


def test_tiny_rates_in_float32_do_not_default():
    loan = {
        "debt": [{"principal": 6e8, "rate": 1e-9, "amortization": "annuity", "maturity_month": 48}],
        "simulation": {"paths": 200},
        "firm": {"cash": 2e9},
    }
    outputs = simulate(config_of(table_with(MARKET_ONLY, loan)), "cpu", dtype=np.float32)
    assert (outputs["default_month"] == -1).all()


def test_floating_annuity_with_a_negative_floor_agrees():
    table = table_with(
        FULL_MODEL,
        {"market": {"rates": {"floor": -0.02, "initial": -0.01, "mean": -0.01}}, "simulation": {"paths": 800}},
    )
    table["debt"][0] |= {"rate_type": "floating", "spread": 0.0}
    assert_same_paths(simulate(config_of(table), "cpu"), simulate(config_of(table), "numpy"))

"""Property-based: any valid configuration gives finite, consistent outputs."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpu_stress.kernels import layout as L
from helpers import config_of, simulate

unit = st.floats(0.0, 1.0)
share = st.floats(0.01, 0.99)


@st.composite
def configurations(draw):
    customers = draw(st.integers(0, 4))
    shares = [draw(st.floats(0.01, 1.0 / max(customers, 1))) for _ in range(customers)]
    tranches = draw(st.integers(0, 5))
    rho = draw(st.floats(-0.95, 0.95))
    return {
        "simulation": {
            "paths": 64,
            "horizon_months": draw(st.integers(1, 72)),
            "seed": draw(st.integers(0, 2**64 - 1)),
        },
        "market": {
            "price": {
                "initial": draw(st.floats(0.1, 20.0)),
                "drift": draw(st.floats(-1.0, 0.5)),
                "volatility": draw(st.floats(0.0, 1.5)),
                "jump_intensity": draw(st.floats(0.0, 12.0)),
                "jump_size": draw(st.floats(0.0, 0.9)),
                "floor_multiple": draw(st.floats(0.0, 3.0)),
            },
            "regime": {
                "enabled": draw(st.booleans()),
                "initial": draw(st.sampled_from(["shortage", "glut"])),
                "shortage_to_glut": draw(unit),
                "glut_to_shortage": draw(unit),
                "glut": {
                    "drift": draw(st.floats(-1.0, 0.2)),
                    "volatility": draw(st.floats(0.0, 1.5)),
                    "utilization": draw(share),
                },
            },
            "utilization": {
                "enabled": draw(st.booleans()),
                "initial": draw(share),
                "mean": draw(share),
                "mean_reversion": draw(st.floats(0.0, 10.0)),
                "volatility": draw(st.floats(0.0, 2.0)),
            },
            "rates": {
                "enabled": draw(st.booleans()),
                "initial": draw(st.floats(-0.01, 0.15)),
                "mean": draw(st.floats(-0.01, 0.1)),
                "mean_reversion": draw(st.floats(0.0, 2.0)),
                "volatility": draw(st.floats(0.0, 0.05)),
                "floor": draw(st.floats(-0.01, 0.05)),
            },
            "correlation": {"price_utilization": rho, "price_rates": 0.0, "utilization_rates": 0.0},
        },
        "firm": {
            "gpus": draw(st.integers(1, 300_000)),
            "gpu_cost": draw(st.floats(1.0, 100_000.0)),
            "gpu_age_months": draw(st.integers(0, 100)),
            "useful_life_months": draw(st.integers(1, 120)),
            "power_kw": draw(st.floats(0.0, 3.0)),
            "electricity_price": draw(st.floats(0.0, 0.5)),
            "opex_per_gpu_month": draw(st.floats(0.0, 2000.0)),
            "fixed_opex_month": draw(st.floats(0.0, 1e8)),
            "cash": draw(st.floats(0.0, 1e10)),
        },
        "collateral": {
            "price_elasticity": draw(st.floats(0.0, 3.0)),
            "age_decay": draw(st.floats(0.0, 0.9)),
            "fire_sale_haircut": draw(unit),
        },
        "covenants": {
            "ltv_max": draw(st.floats(0.0, 3.0)),
            "dscr_min": draw(st.floats(0.0, 3.0)),
            "test_every_months": draw(st.integers(1, 12)),
            "cure_tests": draw(st.integers(0, 4)),
        },
        "refinancing": {
            "enabled": draw(st.booleans()),
            "max_ltv": draw(st.floats(0.0, 2.0)),
            "spread": draw(st.floats(0.0, 0.2)),
            "glut_spread": draw(st.floats(0.0, 0.3)),
            "open_in_glut": draw(st.booleans()),
            "term_months": draw(st.integers(1, 60)),
        },
        "customers": [
            {
                "share": s,
                "price": draw(st.floats(0.0, 10.0)),
                "end_month": draw(st.integers(0, 80)),
                "annual_default_probability": draw(unit),
            }
            for s in shares
        ],
        "debt": [
            {
                "principal": draw(st.floats(1.0, 1e10)),
                "rate_type": draw(st.sampled_from(["fixed", "floating"])),
                "rate": draw(st.floats(0.0, 0.3)),
                "spread": draw(st.floats(0.0, 0.2)),
                "amortization": draw(st.sampled_from(["bullet", "linear", "annuity"])),
                "maturity_month": draw(st.integers(1, 100)),
            }
            for _ in range(tranches)
        ],
    }


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(table=configurations(), float32=st.booleans())
def test_outputs_are_finite_and_consistent(table, float32):
    config = config_of(table)
    horizon = config.simulation.horizon_months
    outputs = simulate(config, "cpu", tracked=8, dtype=np.float32 if float32 else np.float64)
    for name in L.FLOAT_OUTPUT_NAMES:
        assert np.isfinite(outputs[name]).all(), name
    month, cause = outputs["default_month"], outputs["default_cause"]
    assert ((month == -1) | ((month >= 1) & (month <= horizon))).all()
    assert ((month == -1) == (cause == L.NO_DEFAULT)).all()
    assert set(np.unique(cause)) <= set(range(len(L.CAUSE_NAMES)))
    assert (outputs["ead"] >= 0).all() and (outputs["loss"] >= 0).all()
    assert (outputs["loss"] <= outputs["ead"] * (1 + 1e-6)).all()
    assert (outputs["equity_value"][month > 0] == 0).all() and (outputs["equity_value"] >= 0).all()
    assert ((outputs["mean_utilization"] >= 0) & (outputs["mean_utilization"] <= 1)).all()
    assert (outputs["final_price"] > 0).all()
    market = outputs["tracks"][:, :, [L.TRACK_PRICE, L.TRACK_UTILIZATION, L.TRACK_RATE, L.TRACK_GLUT]]
    assert np.isfinite(market).all()

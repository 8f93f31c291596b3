"""With common random numbers, stress moves results the way credit intuition says it must."""

import itertools

import numpy as np

from helpers import preset_config, simulate


def outcomes(*overrides):
    return simulate(preset_config("coreweave", "simulation.paths=20000", *overrides), "cpu")


def pd(outputs):
    return (outputs["default_month"] > 0).mean()


def test_pd_rises_as_price_drift_falls():
    drifts = [0.05, -0.05, -0.15, -0.25, -0.35]
    values = [pd(outcomes(f"market.regime.shortage.drift={d}", f"market.regime.glut.drift={d - 0.25}")) for d in drifts]
    assert all(later >= earlier for earlier, later in itertools.pairwise(values)), values
    assert values[-1] > values[0]


def test_pd_rises_with_leverage():
    scales = [0.6, 0.8, 1.0, 1.2, 1.4]
    base = preset_config("coreweave").debt
    values = []
    for scale in scales:
        overrides = [f"debt.{j}.principal={tranche.principal * scale}" for j, tranche in enumerate(base)]
        values.append(pd(outcomes(*overrides)))
    assert all(later >= earlier for earlier, later in itertools.pairwise(values)), values
    assert values[-1] > values[0]


def test_expected_loss_rises_with_the_fire_sale_haircut_path_by_path():
    losses = [outcomes(f"collateral.fire_sale_haircut={h}")["loss"] for h in (0.1, 0.3, 0.55, 0.8, 1.0)]
    for lower, higher in itertools.pairwise(losses):
        assert (higher >= lower).all()
    means = [loss.mean() for loss in losses]
    assert means[-1] > means[0]


def test_loss_never_exceeds_exposure():
    for overrides in ([], ["collateral.fire_sale_haircut=1.0"], ["firm.cash=0"]):
        outputs = outcomes(*overrides)
        assert (outputs["loss"] >= 0).all()
        assert (outputs["loss"] <= outputs["ead"] * (1 + 1e-12)).all()
        assert np.all((outputs["ead"] > 0) <= (outputs["default_month"] > 0))

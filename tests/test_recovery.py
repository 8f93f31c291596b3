"""Issue 30, item 4: recovery with a workout, costs, discounting, contract value, the EV rule, used-value curves."""

import math

import numpy as np
import pytest

from gpu_stress.kernels import layout as L
from helpers import CAPITAL_STRUCTURE, FULL_MODEL, assert_same_paths, config_of, per_path, simulate, table_with

WORKOUT = {
    "recovery": {
        "workout_months": 18,
        "cost_share": 0.04,
        "discount_rate": 0.093,
        "contract_value": True,
        "going_concern_multiple": 5.0,
    },
    "generations": [
        {"name": "H100", "relative_price": 1.0},
        {"name": "A100", "relative_price": 0.5, "age_decay": 0.35},  # its own used-value curve
        {"name": "H200", "relative_price": 1.3, "newest_at_delivery": True},
    ],
}
RECOVERY_MODEL = table_with(CAPITAL_STRUCTURE, WORKOUT)
SPLITS = ("gpus", "contracts", "enterprise_value")


def tranche_outputs(result, name, tranches):
    return np.stack([result[f"tranche_{name}_{j}"] for j in range(tranches)])


def test_cpu_matches_numpy_with_every_recovery_mechanism():
    config = config_of(RECOVERY_MODEL)
    cpu, oracle = simulate(config, "cpu"), simulate(config, "numpy")
    assert_same_paths(cpu, oracle)
    tranches = len(RECOVERY_MODEL["debt"])
    for split in SPLITS:  # every source of recovery pays some tranche on some path
        assert (tranche_outputs(cpu, f"recovery_{split}", tranches) > 0).any(), split
    assert (cpu["loss"] > cpu["loss_undiscounted"]).any()  # discounting the workout adds to the loss


@pytest.mark.slow
def test_the_cuda_kernels_agree_on_the_simulator_with_every_recovery_mechanism(tmp_path):
    from test_cuda import SMALL, as_outputs, run_on_simulator

    table = table_with(RECOVERY_MODEL, SMALL)
    reference = simulate(config_of(table), "cpu")
    assert_same_paths(as_outputs(run_on_simulator(tmp_path / "paths", table)), per_path(reference))
    tranches = run_on_simulator(tmp_path / "tranches", table, part="tranches")
    count = len(table["debt"])
    for name in ("recovery", *(f"recovery_{split}" for split in SPLITS)):
        expected = np.stack([reference[f"tranche_{name}_{j}"] for j in range(count)], axis=1).ravel()
        np.testing.assert_allclose(tranches[name].to_numpy(), expected, rtol=1e-9, atol=1e-3)


def test_with_no_workout_no_costs_no_contract_value_and_no_ev_rule_recoveries_are_todays():
    # A discount rate alone discounts nothing: the sale is in the month of default.
    today = simulate(config_of(CAPITAL_STRUCTURE), "cpu")
    explicit = simulate(config_of(table_with(CAPITAL_STRUCTURE, {"recovery": {"discount_rate": 0.2}})), "cpu")
    for name, values in today.items():
        np.testing.assert_array_equal(explicit[name], values, err_msg=name)
    assert np.array_equal(today["loss"], today["loss_undiscounted"])


def test_the_split_adds_up_to_the_recovery():
    result = simulate(config_of(RECOVERY_MODEL), "cpu")
    tranches = len(RECOVERY_MODEL["debt"])
    recovery = tranche_outputs(result, "recovery", tranches)
    parts = sum(tranche_outputs(result, f"recovery_{split}", tranches) for split in SPLITS)
    assert np.all(parts <= recovery * (1 + 1e-12) + 1e-6)  # the rest: reserves and cash


# One unsecured tranche, no landlords' claims, no pools: its recovery is min(EAD, pot), the pot cash+ and the GPUs.
ONE_TRANCHE = table_with(
    FULL_MODEL, {"claims": {"fixed_charges": False}, "collateral": {"age_decay": 0.2, "fire_sale_haircut": 0.8}}
)
ONE_TRANCHE["debt"] = [FULL_MODEL["debt"][0] | {"principal": 6e8}]  # large enough that its pot falls short
# No cohort retires before a sale (a retired cohort sells for nothing): every GPU ages on one curve.
ONE_TRANCHE["firm"]["useful_life_months"] = 240
ONE_TRANCHE["cohorts"] = [cohort | {"age_decay": 0.2, "useful_life_months": 240} for cohort in FULL_MODEL["cohorts"]]


def test_a_hand_computed_default_with_workout_costs_and_discounting_matches_to_the_cent():
    workout, cost, rate = 24, 0.05, 0.093
    today = simulate(config_of(ONE_TRANCHE), "cpu")
    worked_out = simulate(
        config_of(
            table_with(
                ONE_TRANCHE, {"recovery": {"workout_months": workout, "cost_share": cost, "discount_rate": rate}}
            )
        ),
        "cpu",
    )
    month = today["tranche_default_month_0"]
    np.testing.assert_array_equal(worked_out["tranche_default_month_0"], month)  # the workout changes no path
    ead, recovered, gpus = today["tranche_ead_0"], today["tranche_recovery_0"], today["tranche_recovery_gpus_0"]
    # Only where the pot fell short of the claim is the whole pot (cash and GPUs) known from today's split.
    short = (month > 0) & (recovered < ead)
    assert short.sum() > 100
    cash = recovered - gpus
    kept_per_month = (1 - 0.2) ** (1 / 12)  # the used-value curve: 20 % a year
    pot = (cash + gpus * kept_per_month**workout) * (1 - cost)
    expected = np.minimum(pot, ead) / (1 + rate) ** (workout / 12)
    np.testing.assert_allclose(worked_out["tranche_recovery_0"][short], expected[short], rtol=0, atol=0.005)
    undiscounted = ead - np.minimum(pot, ead)
    np.testing.assert_allclose(worked_out["loss_undiscounted"][short], undiscounted[short], rtol=0, atol=0.005)
    example = 80 * 0.95 / 1.093**2  # the docstring's example of kernels/recovery.py
    assert round(example, 2) == 63.62


def test_a_pool_with_a_surviving_contract_recovers_at_least_its_gpus():
    gpus_only = simulate(config_of(CAPITAL_STRUCTURE), "cpu")
    with_contracts = simulate(config_of(table_with(CAPITAL_STRUCTURE, {"recovery": {"contract_value": True}})), "cpu")
    pooled = [j for j, tranche in enumerate(CAPITAL_STRUCTURE["debt"]) if tranche.get("pool") == "fleet"]
    gained = 0
    for j in pooled:
        month = gpus_only[f"tranche_default_month_{j}"]
        np.testing.assert_array_equal(with_contracts[f"tranche_default_month_{j}"], month)
        before, after = gpus_only[f"tranche_recovery_{j}"], with_contracts[f"tranche_recovery_{j}"]
        assert np.all(after >= before * (1 - 1e-12)), j
        gained += int((after > before * (1 + 1e-9)).sum())
        assert np.all(with_contracts[f"tranche_recovery_contracts_{j}"][after > before * (1 + 1e-9)] > 0), j
    assert gained > 20  # the test bites: surviving contracts added value on many paths


def test_the_ev_rule_raises_only_what_the_going_concern_is_worth_above_liquidation():
    liquidation = simulate(config_of(CAPITAL_STRUCTURE), "cpu")
    table = table_with(CAPITAL_STRUCTURE, {"recovery": {"going_concern_multiple": 6.0}})
    going_concern = simulate(config_of(table), "cpu")
    unsecured = 2  # rank 2, unsecured at the parent
    before = liquidation[f"tranche_recovery_{unsecured}"]
    after = going_concern[f"tranche_recovery_{unsecured}"]
    assert np.all(after >= before * (1 - 1e-12))
    raised = after > before * (1 + 1e-9)
    assert raised.sum() > 20
    assert np.all(going_concern[f"tranche_recovery_enterprise_value_{unsecured}"][raised] > 0)


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
def test_recovery_costs_and_a_longer_workout_never_raise_a_recovery(backend):
    def recovered(workout, cost):
        layer = {"recovery": {"workout_months": workout, "cost_share": cost, "discount_rate": 0.09}}
        result = simulate(config_of(table_with(CAPITAL_STRUCTURE, layer)), backend, paths=600)
        return tranche_outputs(result, "recovery", len(CAPITAL_STRUCTURE["debt"])), result

    base, base_result = recovered(0, 0.0)
    for workout, cost in ((12, 0.0), (0, 0.05), (24, 0.05)):
        changed, result = recovered(workout, cost)
        same = result["default_month"] == base_result["default_month"]  # a pool's surplus can change a later path
        assert np.all(changed[:, same] <= base[:, same] * (1 + 1e-12) + 1e-6), (workout, cost)
        assert (changed[:, same] < base[:, same] * (1 - 1e-6)).any(), (workout, cost)


def test_a_generation_carries_its_own_used_value_curve():
    from gpu_stress.params import parameter_vector

    vector = parameter_vector(config_of(RECOVERY_MODEL))
    older = 1  # the "older" cohort is an A100
    assert vector[L.COHORT_LOG_DECAY + older] == pytest.approx(math.log(1 - 0.35) / 12)
    assert vector[L.COHORT_LOG_DECAY] == pytest.approx(math.log(1 - 0.15) / 12)  # the installed H100s: collateral's
    newer = 2  # its own age_decay (0.3) wins over its generation's
    assert vector[L.COHORT_LOG_DECAY + newer] == pytest.approx(math.log(1 - 0.3) / 12)


# --- issue 30, item 5: each obligor's default months and its PD as realised in the run ---


def test_an_obligors_realised_pd_counts_the_months_after_the_firms_end(tmp_path):
    """The market runs on after a firm's default: the obligor's realised PD is 1 - (1 - p)^(T / 12) within 4 SE,
    though most firms end before the horizon."""
    import pyarrow.dataset as ds

    from gpu_stress import api

    probability, horizon, paths = 0.1, 60, 4000
    table = table_with(
        ONE_TRANCHE,
        {
            "simulation": {"paths": paths, "horizon_months": horizon},
            "obligors": [{"name": "Lab", "annual_default_probability": probability}],
        },
    )
    table["customers"][1] = {k: v for k, v in table["customers"][1].items() if k != "annual_default_probability"}
    table["customers"][1]["obligor"] = "Lab"
    config = config_of(table)
    result = simulate(config, "cpu")
    assert (result["default_month"] > 0).mean() > 0.5  # most firms end early: the test bites
    for backend in ("cpu", "numpy"):
        months = simulate(config, backend)["obligor_default_month_0"]
        expected = 1 - (1 - probability) ** (horizon / 12)
        se = math.sqrt(expected * (1 - expected) / paths)
        assert abs((months > 0).mean() - expected) < 4 * se, backend
    later = (result["obligor_default_month_0"] > result["default_month"]) & (result["default_month"] > 0)
    assert later.sum() > 50  # defaults recorded after the firm's end
    run = api.run(table, backend="cpu", output=tmp_path / "run")
    scenarios = run.scenarios.to_pylist()[0]
    assert scenarios["obligor_names"] == ["Lab"]
    assert scenarios["obligor_pd"][0] == pytest.approx((result["obligor_default_month_0"] > 0).mean())
    stored = ds.dataset(tmp_path / "run" / "paths", format="arrow").to_table()
    np.testing.assert_array_equal(
        stored["obligor_default_month_0"].fill_null(-1).to_numpy(), result["obligor_default_month_0"]
    )

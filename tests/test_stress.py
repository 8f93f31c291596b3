"""Stress overlays and named stress scenarios: inert at size zero, paired with the baseline, each event as stated."""

import math

import numpy as np
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

import gpu_stress
from gpu_stress.cli import main
from gpu_stress.config.load import ConfigError
from gpu_stress.config.stresses import library, overlay_overrides
from gpu_stress.kernels import layout as L
from helpers import (
    EVERY_EVENT,
    FULL_MODEL,
    assert_same_paths,
    config_of,
    credit_defaults,
    outputs_of_table,
    simulate,
    statement_of,
    table_with,
)

# Every overlay at size zero, its months away from their defaults: none may change any path.
ZERO_SIZE = {
    "regime": {"state": "none", "start_month": 3, "end_month": 9},
    "price": {"multiplier": 1.0, "start_month": 4, "months": 6},
    "rates": {"shift": 0.0, "start_month": 5},
    "launch": {"month": 0},
    "customer_default": {"customer": "c", "month": 0},
    "delivery_delay_months": 0,
}


def small(table, paths=2000):
    return table_with(table, {"simulation": {"paths": paths, "horizon_months": 48}})


# A firm that outlives the horizon on the traced path, so its statement has every month to compare.
SURVIVES = {"firm": {"cash": 1e11}, "covenants": {"ltv_max": 0.0, "dscr_min": 0.0}}


def test_a_zero_size_overlay_is_the_baseline_to_the_last_bit():
    base = small(FULL_MODEL)
    zero = table_with(base, {"overlay": ZERO_SIZE})
    for backend in ("cpu", "numpy"):
        baseline, overlaid = simulate(config_of(base), backend), simulate(config_of(zero), backend)
        for name in L.FLOAT_OUTPUT_NAMES + L.INT_OUTPUT_NAMES:
            np.testing.assert_array_equal(overlaid[name], baseline[name], err_msg=f"{backend} {name}")


def test_every_event_at_once_cpu_matches_the_numpy_oracle_path_by_path():
    table = table_with(small(FULL_MODEL), {"overlay": EVERY_EVENT})
    cpu, oracle = simulate(config_of(table), "cpu", tracked=100), simulate(config_of(table), "numpy", tracked=100)
    assert_same_paths(cpu, oracle)
    np.testing.assert_allclose(cpu["tracks"], oracle["tracks"], rtol=1e-9, equal_nan=True)
    baseline = simulate(config_of(small(FULL_MODEL)), "cpu")
    assert (cpu["default_month"] != baseline["default_month"]).any()  # the comparison compares stressed paths


@pytest.mark.parametrize("name", list(library()))
def test_each_library_stress_cpu_matches_the_numpy_oracle(name):
    # CoreWeave names the obligors the library's stresses default (OpenAI, Microsoft); Nebius has no OpenAI
    preset = "coreweave" if "obligor_default" in library()[name] else "nebius"
    table = small(gpu_stress.config.load.load_table(preset=preset), paths=1500)
    table = table_with(table, {"overlay": library()[name]})
    assert_same_paths(simulate(config_of(table), "cpu"), simulate(config_of(table), "numpy"))


def test_rate_shift_moves_the_short_rate_by_exactly_the_shift_from_its_month():
    base = table_with(small(FULL_MODEL), SURVIVES)
    shifted = table_with(base, {"overlay": {"rates": {"shift": 0.03, "start_month": 6}}})
    before, after = statement_of(base)[:, L.STATEMENT_RATE], statement_of(shifted)[:, L.STATEMENT_RATE]
    np.testing.assert_array_equal(after[:5], before[:5])
    np.testing.assert_allclose(after[5:] - before[5:], 0.03, rtol=0, atol=1e-12)


def test_price_shock_reaches_its_multiplier_over_its_ramp_and_stays():
    base = table_with(small(FULL_MODEL), SURVIVES, {"market": {"price": {"floor_multiple": 0.0}}})
    shocked = table_with(base, {"overlay": {"price": {"multiplier": 0.5, "start_month": 3, "months": 4}}})
    months = 20  # while the firm lives on both paths
    before = statement_of(base)[:months, L.STATEMENT_PRICE]
    after = statement_of(shocked)[:months, L.STATEMENT_PRICE]
    ratio = after / before
    np.testing.assert_allclose(ratio[:2], 1.0, rtol=1e-12)
    np.testing.assert_allclose(ratio[2:6], 0.5 ** (np.arange(1, 5) / 4), rtol=1e-12)  # equal log steps
    np.testing.assert_allclose(ratio[6:], 0.5, rtol=1e-12)
    # the plan collateral is valued against does not move: the shock is a surprise
    planned = L.STATEMENT_PLANNED_PRICE
    np.testing.assert_array_equal(statement_of(shocked)[:months, planned], statement_of(base)[:months, planned])


def test_forced_regime_holds_in_its_window_then_the_chain_goes_on():
    base = small(FULL_MODEL)
    forced = table_with(base, {"overlay": {"regime": {"state": "glut", "start_month": 4, "end_month": 10}}})
    regime = statement_of(forced)[:, L.STATEMENT_REGIME]
    assert (regime[3:10] == 1).all()
    np.testing.assert_array_equal(regime[:3], statement_of(base)[:3, L.STATEMENT_REGIME])
    # In the oracle over many paths: everyone is in glut in the window, and afterwards some leave it.
    tracks = simulate(config_of(forced), "numpy", tracked=2000, paths=2000)["tracks"][:, :, L.TRACK_GLUT]
    assert (tracks[:, 3:10] == 1).all()
    assert 0 < tracks[:, 20].mean() < 1


def test_forced_launch_cuts_the_price_by_the_launch_size_and_counts():
    base = table_with(small(FULL_MODEL), SURVIVES, {"market": {"price": {"floor_multiple": 0.0}}})
    launched = table_with(base, {"overlay": {"launch": {"month": 5}}})
    before, after = statement_of(base), statement_of(launched)
    jump = FULL_MODEL["market"]["price"]["jump_size"]
    ratio = after[:20, L.STATEMENT_PRICE] / before[:20, L.STATEMENT_PRICE]
    np.testing.assert_allclose(ratio[:4], 1.0, rtol=1e-12)
    np.testing.assert_allclose(ratio[4:], 1 - jump, rtol=1e-12)
    np.testing.assert_array_equal(after[4:20, L.STATEMENT_LAUNCHES] - before[4:20, L.STATEMENT_LAUNCHES], 1)


def test_customer_default_ends_its_revenue_in_its_month():
    base = table_with(
        small(FULL_MODEL), SURVIVES, {"customers": [FULL_MODEL["customers"][1] | {"annual_default_probability": 0.0}]}
    )
    stressed = table_with(base, {"overlay": {"customer_default": {"customer": "b", "month": 9}}})
    before, after = statement_of(base), statement_of(stressed)
    contracted = L.STATEMENT_REVENUE_CONTRACTED
    np.testing.assert_array_equal(after[:8, contracted], before[:8, contracted])
    assert (before[8:20, contracted] > 0).all() and (after[8:20, contracted] == 0).all()


def test_the_largest_customer_is_the_contract_worth_most():
    config = config_of(FULL_MODEL)
    # a: 0.3 x all GPUs x 2.6 x 12 months; b: 0.2 x all x 2.4 x 48; c: 0.4 of "newer" x 3.2 x 24; d: 0.1 x 2.2 x 60
    assert config.customers[config.largest_customer()].name == "b"


def test_delivery_delay_postpones_every_planned_delivery():
    base = table_with(small(FULL_MODEL), {"delivery_delays": {"slip_probability": 0.0, "glut_slip_probability": 0.0}})
    delayed = table_with(base, {"overlay": {"delivery_delay_months": 5}})
    gpus_before, gpus_after = statement_of(base)[:, L.STATEMENT_GPUS], statement_of(delayed)[:, L.STATEMENT_GPUS]
    first_before = int(np.argmax(gpus_before > gpus_before[0]))
    first_after = int(np.argmax(gpus_after > gpus_after[0]))
    assert first_after == first_before + 5


def run_stressed(stresses, paths=20_000, preset="coreweave", **options):
    return gpu_stress.run(preset=preset, paths=paths, seed=11, backend="cpu", stress=stresses, **options)


def test_a_stress_runs_beside_the_baseline_with_the_same_random_numbers():
    # Raises on book equity. With the preset's raises on market value, on 10 of the 6,420 paths that default in
    # both the stressed path raises equity the baseline does not (its shortfall falls in another month, when
    # investors are open) and defaults later: "no later" holds path by path only for the book rule.
    book = ['equity.basis="book"']
    results = run_stressed(["prices-halve-12m"], overrides=book)
    scenarios = results.scenarios.to_pydict()
    assert scenarios["stress"] == ["baseline", "prices-halve-12m"]
    paths = results.paths
    scenario = [paths.filter(pc.equal(paths["scenario_id"], i)) for i in range(2)]
    by = {name: outputs_of_table(scenario[i]) for i, name in enumerate(scenarios["stress"])}
    base, halved = by["baseline"], by["prices-halve-12m"]
    alone = gpu_stress.run(preset="coreweave", paths=20_000, seed=11, backend="cpu", overrides=book)
    assert_same_paths(base, outputs_of_table(alone.paths), rtol=0)  # the baseline is the run without stresses
    # Rental prices halving raises PD and EL, path by path: every path that defaults in the baseline
    # defaults under the stress no later, and the paired differences are far beyond their standard errors.
    defaulted, stressed_defaulted = credit_defaults(scenario[0]), credit_defaults(scenario[1])
    assert (stressed_defaulted >= defaulted).all()
    both = defaulted & stressed_defaulted
    assert (halved["default_month"][both] <= base["default_month"][both]).all()
    for difference in (stressed_defaulted.astype(float) - defaulted, halved["loss"] - base["loss"]):
        standard_error = difference.std(ddof=1) / math.sqrt(difference.size)
        assert difference.mean() > 4 * standard_error
    assert halved["final_price"].mean() < base["final_price"].mean()


def test_config_stresses_sweeps_and_the_stress_column():
    table = gpu_stress.config.load.load_table(preset="lambda")
    table["stress"] = [{"name": "cut", "price": {"multiplier": 0.8}}]
    results = gpu_stress.run(
        table, paths=500, backend="cpu", stress=["rates-up-300bp"], sweep={"overlay.price.months": [1, 12]}
    )
    scenarios = results.scenarios.to_pydict()
    assert scenarios["stress"] == ["baseline"] * 2 + ["cut"] * 2 + ["rates-up-300bp"] * 2  # stress varies slowest
    assert scenarios["overlay_price_months"] == [1, 12] * 3
    field = results.scenarios.schema.field("stress")
    assert field.metadata[b"unit"] == b"category"
    assert results.run["sweep_keys"] == ["stress", "overlay.price.months"]


def test_stress_sizes_as_overrides():
    assert overlay_overrides("prices-halve-12m") == {
        "overlay.price.multiplier": 0.5,
        "overlay.price.start_month": 1,
        "overlay.price.months": 12,
    }


@pytest.mark.parametrize(
    "stress, overrides, message",
    [
        (["no-such"], {}, "--stress no-such: no such stress"),
        (["prices-halve"], {}, "did you mean 'prices-halve-12m'?"),
        (["baseline"], {}, "--stress baseline: the baseline is always run"),
        (["adverse", "adverse"], {}, "--stress adverse: given twice"),
        ([], {"overlay.customer_default.customer": "nobody", "overlay.customer_default.month": 3}, "no customer"),
        ([], {"overlay.price.multiplier": 0.0}, "overlay.price.multiplier"),
        ([], {"stress": [{"name": "baseline"}]}, "stress[0].name"),
    ],
)
def test_bad_stresses_are_one_line_errors_naming_the_field(stress, overrides, message):
    with pytest.raises(ConfigError) as error:
        gpu_stress.run(preset="coreweave", paths=10, backend="cpu", stress=stress, overrides=overrides)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_portfolio_stress_hits_every_firm_with_the_named_customer():
    results = gpu_stress.run(
        preset="neoclouds", paths=300, horizon=24, backend="cpu", stress=["shortage-ends-now", "rates-up-300bp"]
    )
    assert results.scenarios["stress"].to_pylist() == ["baseline", "shortage-ends-now", "rates-up-300bp"]
    table = gpu_stress.config.load.load_table(preset="neoclouds")
    table["overlay"] = {"customer_default": {"customer": "nobody", "month": 3}}
    with pytest.raises(ConfigError, match=r"overlay\.customer_default\.customer: no firm has a customer named"):
        gpu_stress.run(table, paths=10, backend="cpu")


def test_stresses_command_lists_the_library():
    result = CliRunner().invoke(main, ["stresses"])
    assert result.exit_code == 0
    for name, entry in library().items():
        assert name in result.output and entry["description"] in result.output
    toml = CliRunner().invoke(main, ["stresses", "--toml"])
    assert toml.exit_code == 0 and toml.output.count("\n[[stress]]\n") == len(library())


def test_run_stress_option_and_summarize(tmp_path):
    output = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", "--preset", "lambda", "--paths", "400", "--backend", "cpu", "--stress", "adverse", "-o", output]
    )
    assert result.exit_code == 0, result.output
    assert "adverse" in result.output and "baseline" in result.output
    loaded = gpu_stress.load(output)
    assert loaded.scenarios["stress"].to_pylist() == ["baseline", "adverse"]

"""The compiled cpu kernel against the independent numpy oracle, path by path."""

import numpy as np
import pytest

from gpu_stress.config.load import firm_preset_names
from gpu_stress.kernels import layout as L
from helpers import CAPITAL_STRUCTURE, FULL_MODEL, assert_same_paths, config_of, preset_config, simulate


@pytest.mark.parametrize("preset", firm_preset_names())
def test_cpu_matches_numpy_on_every_preset(preset):
    config = preset_config(preset, "simulation.paths=3000")
    assert_same_paths(simulate(config, "cpu"), simulate(config, "numpy"))


def test_cpu_matches_numpy_on_the_full_model():
    config = config_of(FULL_MODEL)
    cpu, oracle = simulate(config, "cpu", tracked=200), simulate(config, "numpy", tracked=200)
    assert_same_paths(cpu, oracle)
    np.testing.assert_allclose(cpu["tracks"], oracle["tracks"], rtol=1e-9, equal_nan=True)
    # The comparison means something only if every credit default occurs (insolvencies with no
    # debt, rare here, are compared on the presets: about 7 % of crusoe's paths).
    causes = set(np.unique(cpu["default_cause"]))
    assert causes >= {L.NO_DEFAULT, *L.CREDIT_CAUSES} - {L.POOL_DEFAULT}, causes  # it has no pools


def test_cpu_matches_numpy_on_the_capital_structure():
    config = config_of(CAPITAL_STRUCTURE)
    cpu, oracle = simulate(config, "cpu", tracked=200), simulate(config, "numpy", tracked=200)
    assert_same_paths(cpu, oracle)
    # Cash that an equity raise brings back to zero cancels to rounding: compared in $ there.
    np.testing.assert_allclose(cpu["tracks"], oracle["tracks"], rtol=1e-9, atol=1e-3, equal_nan=True)
    assert L.POOL_DEFAULT in set(np.unique(cpu["default_cause"]))
    for name in ("equity_raised", "backstop_paid", "tranche_recovery_1", "tranche_recovery_2"):
        assert (cpu[name] > 0).any(), name  # every mechanism acts on some path


def test_cpu_matches_numpy_from_a_large_path_offset():
    config = config_of(FULL_MODEL)
    start = 2**33 + 12345  # path ids beyond 32 bits
    assert_same_paths(
        simulate(config, "cpu", paths=500, path_start=start), simulate(config, "numpy", paths=500, path_start=start)
    )


def test_float32_cpu_stays_close_to_float64():
    config = preset_config("nebius", "simulation.paths=4000")
    single = simulate(config, "cpu", dtype=np.float32)
    double = simulate(config, "cpu")
    assert single["final_price"].dtype == np.float32
    # Same shocks, rounded differently: prices agree to float32 accuracy compounded over 60 months.
    np.testing.assert_allclose(single["final_price"], double["final_price"], rtol=1e-4)

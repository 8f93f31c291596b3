"""Every block of the model switches off to exactly the model without it (path by path)."""

import numpy as np
import pytest

from conftest import HOST_BACKENDS
from helpers import FULL_MODEL, assert_same_paths, config_of, simulate, table_with

BASE = table_with(FULL_MODEL, {"simulation": {"paths": 1500}})
BASE_PRICE = BASE["market"]["price"]
BASE_UTILIZATION = BASE["market"]["utilization"]

# block -> (switched off, the same model written without the block)
BLOCKS = {
    "regimes": (
        {"market": {"regime": {"enabled": False}}},
        {
            "market": {
                "regime": {
                    "enabled": True,
                    "shortage_to_glut": 0.0,
                    "glut_to_shortage": 0.0,
                    "shortage": {
                        "drift": BASE_PRICE["drift"],
                        "volatility": BASE_PRICE["volatility"],
                        "utilization": BASE_UTILIZATION["mean"],
                    },
                    "glut": {"drift": 1.0, "volatility": 1.0, "utilization": 0.1},
                }
            }
        },
    ),
    "generation jumps": (
        {"market": {"price": {"jump_intensity": 0.0}}},
        {"market": {"price": {"jump_intensity": 12.0, "jump_size": 0.0}}},
    ),
    "price floor": (
        {"market": {"price": {"floor_multiple": 0.0}}},
        {"market": {"price": {"floor_multiple": 1e-12}}},
    ),
    "utilization dynamics": (
        {"market": {"utilization": {"enabled": False}}},
        {"market": {"utilization": {"enabled": True, "volatility": 0.0, "mean_reversion": 0.0}}},
    ),
    "short rate": (
        {"market": {"rates": {"enabled": False}}},
        {"market": {"rates": {"enabled": True, "volatility": 0.0, "mean_reversion": 0.0}}},
    ),
    "anchor customers": (
        {"customers": []},
        {"customers": [{"share": 0.5, "price": 9.0, "end_month": 0, "annual_default_probability": 0.5}]},
    ),
    "counterparty default": (
        {"customers": [{**customer, "annual_default_probability": 0.0} for customer in BASE["customers"]]},
        {"customers": [{**customer, "annual_default_probability": 1e-300} for customer in BASE["customers"]]},
    ),
    "covenants": (
        {"covenants": {"ltv_max": 0.0, "dscr_min": 0.0}},
        {"covenants": {"ltv_max": 1000.0, "dscr_min": 1e-9, "cure_tests": 1000}},
    ),
    "refinancing": (
        {"refinancing": {"enabled": False}},
        {"refinancing": {"enabled": True, "max_ltv": 0.0}},
    ),
    "fleet retirement": (
        {"firm": {"useful_life_months": 1000}},
        {"firm": {"useful_life_months": 2000}},
    ),
}


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("backend", HOST_BACKENDS)
def test_switched_off_block_equals_the_model_without_it(block, backend):
    switched_off, without = BLOCKS[block]
    first = simulate(config_of(table_with(BASE, switched_off)), backend)
    second = simulate(config_of(table_with(BASE, without)), backend)
    assert_same_paths(first, second, rtol=1e-13)


@pytest.mark.parametrize("block", ["regimes", "generation jumps", "anchor customers", "covenants", "refinancing"])
def test_switching_a_block_on_changes_results(block):
    # The comparison above would pass vacuously if a block never did anything.
    switched_off, _ = BLOCKS[block]
    on = simulate(config_of(BASE), "cpu")
    off = simulate(config_of(table_with(BASE, switched_off)), "cpu")
    assert not np.array_equal(on["default_month"], off["default_month"]) or not np.array_equal(
        on["final_cash"], off["final_cash"]
    )


SIMULATED = """
import sys
sys.path.insert(0, sys.argv[1])
from helpers import assert_same_paths, config_of, simulate, table_with
from test_model_blocks import BASE, BLOCKS

small = {"simulation": {"paths": 24, "horizon_months": 30}}
for block, (switched_off, without) in BLOCKS.items():
    first = simulate(config_of(table_with(BASE, switched_off, small)), "cuda")
    second = simulate(config_of(table_with(BASE, without, small)), "cuda")
    assert_same_paths(first, second, rtol=1e-13)
    print("same:", block)
"""


@pytest.mark.slow
def test_switched_off_blocks_equal_the_model_without_them_on_the_cuda_simulator():
    import os
    import subprocess
    import sys
    from pathlib import Path

    environment = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    tests = str(Path(__file__).resolve().parent)
    result = subprocess.run([sys.executable, "-c", SIMULATED, tests], capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("same:") == len(BLOCKS)

"""Philox4x32-10 and the draws built on it: known answers, golden values, moments."""

import math
from pathlib import Path

import numba
import numpy as np
import pytest

from conftest import DTYPES
from gpu_stress.backends.launch import Launch
from gpu_stress.backends.oracle import rng as oracle_rng
from gpu_stress.kernels import draws as month_draws
from gpu_stress.kernels import layout as L
from gpu_stress.kernels import rng

# Random123's known-answer vectors for Philox4x32-10: (counter, key) -> output.
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@numba.njit
def _philox_compiled(c0, c1, c2, c3, k0, k1):
    return rng.philox4x32_10(c0, c1, c2, c3, k0, k1)


@numba.njit
def _normals_compiled(seed, path_ids, month, block, dtype):
    out = np.empty((path_ids.size, 4), dtype)
    for i in range(path_ids.size):
        b0, b1, b2, b3 = rng.draw_block(seed, 0, path_ids[i], month, block)
        out[i, 0], out[i, 1] = rng.box_muller(b0, b1, dtype)
        out[i, 2], out[i, 3] = rng.box_muller(b2, b3, dtype)
    return out


@numba.njit
def _uniforms_compiled(seed, path_ids, month, block, dtype):
    out = np.empty((path_ids.size, 4), dtype)
    for i in range(path_ids.size):
        bits = rng.draw_block(seed, 0, path_ids[i], month, block)
        for lane in range(4):
            out[i, lane] = rng.to_uniform(bits[lane], dtype)
    return out


@numba.njit(error_model="numpy")  # as the cpu kernels: their callees compile once per process
def _draws_compiled(params, seed, path_id, first_month, months, dtype):
    draws = np.full((L.DRAW_COUNT, months), np.nan, dtype)
    month_draws.fill_draws(params, seed, 0, path_id, first_month, months, draws, dtype)
    return draws


def _firm_params(firm, customers=3):
    params = np.zeros(L.PARAMETER_COUNT)
    params[L.FIRM_STREAM] = firm
    params[L.CUSTOMER_COUNT] = customers
    return params


def _market_and_firm(params, seed, path_id, month):
    """(e_price, e_rate, u_jump, u_regime) and (e_utilization, e_basis, u_customer0..3) of one month."""
    column = _draws_compiled(params, np.uint64(seed), path_id, month, 1, np.float64)[:, 0]
    market = column[[L.DRAW_E_PRICE, L.DRAW_E_RATE, L.DRAW_U_JUMP, L.DRAW_U_REGIME]]
    firm = column[[L.DRAW_E_UTILIZATION, L.DRAW_E_BASIS, *range(L.DRAW_U_CUSTOMER, L.DRAW_U_CUSTOMER + 4)]]
    return market, firm


@pytest.mark.parametrize(("counter", "key", "expected"), KNOWN_ANSWERS)
def test_philox_known_answers_compiled(counter, key, expected):
    assert tuple(int(x) for x in _philox_compiled(*counter, *key)) == expected


@pytest.mark.parametrize(("counter", "key", "expected"), KNOWN_ANSWERS)
def test_philox_known_answers_plain_python(counter, key, expected):
    # The kernel source run as plain Python, as on the CUDA simulator.
    result = rng.philox4x32_10(*(np.uint64(x) for x in counter), *(np.uint64(x) for x in key))
    assert tuple(int(x) for x in result) == expected


@pytest.mark.parametrize(("counter", "key", "expected"), KNOWN_ANSWERS)
def test_philox_known_answers_numpy(counter, key, expected):
    assert tuple(int(x) for x in oracle_rng.philox4x32_10(counter, key)) == expected


def test_kernel_and_numpy_streams_are_identical():
    path_ids = np.arange(10**6 - 500, 10**6 + 500, dtype=np.uint64) * np.uint64(4099)
    for month, block in ((1, 0), (37, 1), (600, 2)):
        compiled = np.array(
            [[int(x) for x in rng.draw_block(987654321, 0, int(p), month, block)] for p in path_ids[:50]]
        )
        vectorized = np.stack(oracle_rng.draw_block(987654321, 0, path_ids[:50], month, block), axis=1)
        np.testing.assert_array_equal(compiled, vectorized.astype(np.int64))
        normals = _normals_compiled(np.uint64(5), path_ids, month, block, np.float64)
        z0, z1 = oracle_rng.box_muller(*oracle_rng.draw_block(5, 0, path_ids, month, block)[:2], np.float64)
        np.testing.assert_allclose(normals[:, 0], z0, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(normals[:, 1], z1, rtol=1e-13, atol=1e-14)


def test_golden_normals_and_uniforms():
    # Regression values of the draw contract: seed 42, path 7, month 3.
    normals = _normals_compiled(np.uint64(42), np.array([7], np.uint64), 3, 0, np.float64)[0]
    uniforms = _uniforms_compiled(np.uint64(42), np.array([7], np.uint64), 3, 1, np.float64)[0]
    np.testing.assert_allclose(normals, GOLDEN_NORMALS, rtol=1e-14)
    np.testing.assert_allclose(uniforms, GOLDEN_UNIFORMS, rtol=1e-15)


def test_draws_depend_on_every_coordinate():
    base = tuple(int(x) for x in rng.draw_block(1, 0, 5, 3, 0))
    for changed in ((2, 0, 5, 3, 0), (1, 1, 5, 3, 0), (1, 0, 6, 3, 0), (1, 0, 5, 4, 0), (1, 0, 5, 3, 1)):
        assert tuple(int(x) for x in rng.draw_block(*changed)) != base
    # 64-bit path ids and seeds use both halves.
    assert tuple(int(x) for x in rng.draw_block(1, 0, 5 + 2**32, 3, 0)) != base
    assert tuple(int(x) for x in rng.draw_block(1 + 2**32, 0, 5, 3, 0)) != base


@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform_moments_within_four_standard_errors(dtype):
    n_paths = 250_000
    uniforms = _uniforms_compiled(np.uint64(2024), np.arange(n_paths, dtype=np.uint64), 5, 1, dtype)
    values = uniforms.astype(np.float64).ravel()
    n = values.size
    assert values.min() > 0.0 and values.max() < 1.0
    assert abs(values.mean() - 0.5) < 4 * math.sqrt(1 / 12 / n)
    # Var of (U - 1/2)^2 is 1/80 - 1/144.
    assert abs(((values - 0.5) ** 2).mean() - 1 / 12) < 4 * math.sqrt((1 / 80 - 1 / 144) / n)


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_moments_within_four_standard_errors(dtype):
    n_paths = 250_000
    normals = _normals_compiled(np.uint64(99), np.arange(n_paths, dtype=np.uint64), 12, 0, dtype)
    for lane in range(4):
        z = normals[:, lane].astype(np.float64)
        n = z.size
        assert abs(z.mean()) < 4 / math.sqrt(n), lane
        assert abs((z**2).mean() - 1) < 4 * math.sqrt(2 / n), lane  # Var(Z^2) = 2
        assert abs((z**3).mean()) < 4 * math.sqrt(15 / n), lane  # Var(Z^3) = 15
        assert abs((z**4).mean() - 3) < 4 * math.sqrt(96 / n), lane  # Var(Z^4) = 105 - 9
    # The two normals of a pair are uncorrelated.
    product = normals[:, 0].astype(np.float64) * normals[:, 1]
    assert abs(product.mean()) < 4 / math.sqrt(n_paths)


def test_cos_sin_turns_matches_numpy():
    turns = np.linspace(0.0, 1.0, 10_001)
    values = np.array([rng.cos_sin_turns(t, np.float64) for t in turns])
    np.testing.assert_allclose(values[:, 0], np.cos(2 * np.pi * turns), atol=2e-15)
    np.testing.assert_allclose(values[:, 1], np.sin(2 * np.pi * turns), atol=2e-15)


GOLDEN_NORMALS = [-0.3300257981675773, -1.3186885768580958, -1.8413726254331144, -1.2993464628488274]
GOLDEN_UNIFORMS = [0.13821184530388564, 0.09564161289017648, 0.8334700724808499, 0.5787596023874357]


# Stream layout 2 (docs/model.md): seed 42, path 7, month 3, stream 0.
GOLDEN_MARKET = [-0.3300257981675773, -1.3186885768580958, 0.07890764286275953, 0.5978009164100513]
GOLDEN_FIRMS = [
    [
        -1.2136872733184751,
        1.0646313780028818,
        0.9733994916314259,
        0.5149569284403697,
        0.69615920225624,
        0.5610711356857792,
    ],
    [
        0.11058701126072616,
        -0.7454114491564884,
        0.4328534515807405,
        0.7345849958946928,
        0.28020110621582717,
        0.9750980968819931,
    ],
]


def test_market_and_firm_draws_known_answers_also_in_the_docs():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "model.md").read_text()
    for firm, golden in enumerate(GOLDEN_FIRMS):
        market, firm_draws = _market_and_firm(_firm_params(firm), 42, 7, 3)
        np.testing.assert_allclose(market, GOLDEN_MARKET, rtol=1e-14)
        np.testing.assert_allclose(firm_draws, golden, rtol=1e-14)
        assert ", ".join(repr(value) for value in golden) in docs
    assert ", ".join(repr(value) for value in GOLDEN_MARKET) in docs


def test_market_and_firms_draw_from_blocks_of_their_own():
    blocks = {L.MARKET_BLOCK}
    for firm in range(L.MAX_ENTITIES - 1):
        first = L.BLOCKS_PER_ENTITY * (1 + firm)
        firm_blocks = {first + L.FIRM_BLOCK, first + L.FIRM_MORE_CUSTOMERS_BLOCK}
        assert blocks.isdisjoint(firm_blocks) and max(firm_blocks) < L.BLOCKS_PER_STREAM
        blocks |= firm_blocks
    # A firm's draws are its blocks' words, whatever the other firms draw.
    words = rng.draw_block(np.uint64(9), 0, 11, 5, L.BLOCKS_PER_ENTITY * 3 + L.FIRM_BLOCK)
    e_utilization, _ = rng.box_muller(words[0], words[1], np.float64)
    assert _market_and_firm(_firm_params(2, customers=2), 9, 11, 5)[1][0] == e_utilization


def test_a_firms_settings_never_change_the_market_path():
    from gpu_stress.backends import get_backend
    from gpu_stress.params import parameter_vector
    from helpers import FULL_MODEL, config_of, table_with

    one_customer = table_with(FULL_MODEL, {"market": {"utilization": {"volatility": 2.0}}})
    one_customer["customers"] = one_customer["customers"][:1]  # no block for customers 2 and 3
    tracks = []
    for table in (FULL_MODEL, one_customer):
        config = config_of(table)
        _, _, track = get_backend("cpu").simulate(
            Launch(parameter_vector(config), 60, 11, 0, 0, 300, 300, dtype=np.float64)
        )
        tracks.append(track)
    for variable in (L.TRACK_PRICE, L.TRACK_RATE, L.TRACK_GLUT):
        np.testing.assert_array_equal(tracks[0][:, :, variable], tracks[1][:, :, variable])
    assert not np.array_equal(tracks[0][:, :, L.TRACK_UTILIZATION], tracks[1][:, :, L.TRACK_UTILIZATION])

"""Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11, "Random123").

Philox maps a 128-bit counter and a 64-bit key to 128 random bits with no
state, so a draw is a pure function of where it is used:

    counter = (path_lo, path_hi, month, 4 * stream + block),  key = (seed_lo, seed_hi)

Draw k of month t of path p is lane k % 4 of block k // 4. ``stream`` is 0
under common random numbers (every scenario sees the same shocks) and
scenario_id + 1 for independent scenarios. Nothing depends on a thread id,
chunk, grid size, backend or worker.

All arithmetic is done in uint64 holding 32-bit values, with every constant
typed, because numba turns mixed signed/unsigned integer arithmetic into float64.

Example (from the CPU, numba compiles the same functions)::

    >>> from gpu_stress.kernels.rng import philox4x32_10
    >>> [hex(int(x)) for x in philox4x32_10(0, 0, 0, 0, 0, 0)]
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
"""

import math

import numpy as np

from .device import device_function, is_float64
from .layout import BLOCKS_PER_ENTITY, BLOCKS_PER_STREAM, FIRM_BLOCK, FIRM_MORE_CUSTOMERS_BLOCK, MARKET_BLOCK

_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_MULTIPLIER_0 = np.uint64(0xD2511F53)
_MULTIPLIER_1 = np.uint64(0xCD9E8D57)
_WEYL_0 = np.uint64(0x9E3779B9)  # golden ratio
_WEYL_1 = np.uint64(0xBB67AE85)  # sqrt(3) - 1
_SHIFT_TO_23_BITS = np.uint64(9)


@device_function(inline=True)
def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Ten Philox rounds; returns four uint32 values (held in uint64)."""
    c0 = np.uint64(c0) & _MASK32
    c1 = np.uint64(c1) & _MASK32
    c2 = np.uint64(c2) & _MASK32
    c3 = np.uint64(c3) & _MASK32
    k0 = np.uint64(k0) & _MASK32
    k1 = np.uint64(k1) & _MASK32
    for _ in range(10):
        product0 = _MULTIPLIER_0 * c0
        product1 = _MULTIPLIER_1 * c2
        c0, c1, c2, c3 = (
            (product1 >> _SHIFT32) ^ c1 ^ k0,
            product1 & _MASK32,
            (product0 >> _SHIFT32) ^ c3 ^ k1,
            product0 & _MASK32,
        )
        k0 = (k0 + _WEYL_0) & _MASK32
        k1 = (k1 + _WEYL_1) & _MASK32
    return c0, c1, c2, c3


@device_function(inline=True)
def draw_block(seed, stream, path, month, block):
    """Block ``block`` (BLOCKS_PER_ENTITY x entity + k, see ``layout``) of a month of a path."""
    seed = np.uint64(seed)
    path = np.uint64(path)
    lane3 = np.uint64(stream) * np.uint64(BLOCKS_PER_STREAM) + np.uint64(block)
    return philox4x32_10(path & _MASK32, path >> _SHIFT32, np.uint64(month), lane3, seed & _MASK32, seed >> _SHIFT32)


@device_function(inline=True)
def to_uniform(bits, dtype):
    """Map 32 random bits to a uniform in the open interval (0, 1).

    float64 keeps all 32 bits: (x + 1/2) / 2^32. float32 keeps the top 23 so
    that (x + 1/2) / 2^23 is exact and never rounds to 1.
    """
    if is_float64(dtype):
        return (dtype(bits) + dtype(0.5)) * dtype(2.3283064365386963e-10)
    return (dtype(bits >> _SHIFT_TO_23_BITS) + dtype(0.5)) * dtype(1.1920928955078125e-07)


@device_function(inline=True)
def cos_sin_turns(turns, dtype):
    """(cos 2 pi x, sin 2 pi x) for x in [0, 1].

    Reduced to the nearest quarter turn, then Taylor series on [-pi/4, pi/4]
    (remainder below 1e-17). Written out rather than calling math.sin: CUDA's
    sinf carries a float64 path for huge arguments that float32 kernels must
    not contain, and the quarter-turn reduction here is exact.
    """
    quarter_turns = turns * dtype(4.0)
    quadrant = int(quarter_turns + dtype(0.5))
    theta = (quarter_turns - dtype(quadrant)) * dtype(1.5707963267948966)
    t2 = theta * theta
    # Horner in t2: sin = theta (1 - t2/3! + t2^2/5! - ...), cos = 1 - t2/2! + t2^2/4! - ...
    sine = dtype(-1.0 / 1307674368000.0)
    sine = sine * t2 + dtype(1.0 / 6227020800.0)
    sine = sine * t2 - dtype(1.0 / 39916800.0)
    sine = sine * t2 + dtype(1.0 / 362880.0)
    sine = sine * t2 - dtype(1.0 / 5040.0)
    sine = sine * t2 + dtype(1.0 / 120.0)
    sine = sine * t2 - dtype(1.0 / 6.0)
    sine = (sine * t2 + dtype(1.0)) * theta
    cosine = dtype(1.0 / 20922789888000.0)
    cosine = cosine * t2 - dtype(1.0 / 87178291200.0)
    cosine = cosine * t2 + dtype(1.0 / 479001600.0)
    cosine = cosine * t2 - dtype(1.0 / 3628800.0)
    cosine = cosine * t2 + dtype(1.0 / 40320.0)
    cosine = cosine * t2 - dtype(1.0 / 720.0)
    cosine = cosine * t2 + dtype(1.0 / 24.0)
    cosine = cosine * t2 - dtype(0.5)
    cosine = cosine * t2 + dtype(1.0)
    quadrant &= 3
    if quadrant == 0:
        return cosine, sine
    if quadrant == 1:
        return -sine, cosine
    if quadrant == 2:
        return -cosine, -sine
    return sine, -cosine


@device_function(inline=True)
def box_muller(bits0, bits1, dtype):
    """Two independent standard normals from two 32-bit words (Box and Muller, 1958)."""
    radius = math.sqrt(dtype(-2.0) * math.log(to_uniform(bits0, dtype)))
    cosine, sine = cos_sin_turns(to_uniform(bits1, dtype), dtype)
    return radius * cosine, radius * sine


@device_function
def market_draws(seed, stream, path_id, month, dtype):
    """The market's random inputs of one month: (e_price, e_rate, u_jump, u_regime).

    Two independent standard normals (correlated by the market step) and two
    uniforms, from the market's own block: no firm's draws can change them.
    """
    bits0, bits1, bits2, bits3 = draw_block(seed, stream, path_id, month, MARKET_BLOCK)
    e_price, e_rate = box_muller(bits0, bits1, dtype)
    return e_price, e_rate, to_uniform(bits2, dtype), to_uniform(bits3, dtype)


@device_function
def firm_draws(seed, stream, path_id, month, firm, more_customers, dtype):
    """Firm ``firm``'s random inputs of one month: (e_utilization, e_basis, u_customer0..3).

    Two independent standard normals (its utilization's and its price basis's
    own shocks) and four uniforms, from the firm's own blocks (entity 1 + firm). The block for customers 2
    and 3 is drawn only if ``more_customers``; otherwise their uniforms are 1
    (never a default).
    """
    first = BLOCKS_PER_ENTITY * (1 + firm)
    bits0, bits1, bits2, bits3 = draw_block(seed, stream, path_id, month, first + FIRM_BLOCK)
    e_utilization, e_basis = box_muller(bits0, bits1, dtype)
    u_customer2 = dtype(1.0)
    u_customer3 = dtype(1.0)
    if more_customers:
        more0, more1, _, _ = draw_block(seed, stream, path_id, month, first + FIRM_MORE_CUSTOMERS_BLOCK)
        u_customer2 = to_uniform(more0, dtype)
        u_customer3 = to_uniform(more1, dtype)
    return e_utilization, e_basis, to_uniform(bits2, dtype), to_uniform(bits3, dtype), u_customer2, u_customer3


@device_function
def firm_uniforms(seed, stream, path_id, month, firm, block, dtype):
    """Four uniforms from block ``block`` of firm ``firm`` (e.g. FIRM_RENEWAL_BLOCK: one per contract)."""
    bits0, bits1, bits2, bits3 = draw_block(seed, stream, path_id, month, BLOCKS_PER_ENTITY * (1 + firm) + block)
    return to_uniform(bits0, dtype), to_uniform(bits1, dtype), to_uniform(bits2, dtype), to_uniform(bits3, dtype)

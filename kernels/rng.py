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
from .layout import BLOCKS_PER_STREAM

_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_MULTIPLIER_0 = np.uint64(0xD2511F53)
_MULTIPLIER_1 = np.uint64(0xCD9E8D57)
_WEYL_0 = np.uint64(0x9E3779B9)  # golden ratio
_WEYL_1 = np.uint64(0xBB67AE85)  # sqrt(3) - 1
_SHIFT_TO_23_BITS = np.uint64(9)


@device_function
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


@device_function
def draw_block(seed, stream, path, month, block):
    """Block ``block`` (BLOCKS_PER_ENTITY x entity + k, see ``layout``) of a month of a path."""
    seed = np.uint64(seed)
    path = np.uint64(path)
    lane3 = np.uint64(stream) * np.uint64(BLOCKS_PER_STREAM) + np.uint64(block)
    return philox4x32_10(path & _MASK32, path >> _SHIFT32, np.uint64(month), lane3, seed & _MASK32, seed >> _SHIFT32)


@device_function
def to_uniform(bits, dtype):
    """Map 32 random bits to a uniform in the open interval (0, 1).

    float64 keeps all 32 bits: (x + 1/2) / 2^32. float32 keeps the top 23 so
    that (x + 1/2) / 2^23 is exact and never rounds to 1.
    """
    if is_float64(dtype):
        return (dtype(bits) + dtype(0.5)) * dtype(2.3283064365386963e-10)
    return (dtype(bits >> _SHIFT_TO_23_BITS) + dtype(0.5)) * dtype(1.1920928955078125e-07)


@device_function
def cos_sin_turns(turns, dtype):
    """(cos 2 pi x, sin 2 pi x) for x in [0, 1].

    Reduced to the nearest quarter turn, then Taylor series on [-pi/4, pi/4]
    (remainder below 1e-17). Written out rather than calling math.sin: CUDA's
    sinf carries a float64 path for huge arguments that float32 kernels must
    not contain, and the quarter-turn reduction here is exact. The quadrant
    picks and signs the two series by selects, not branches, so that a loop
    of these over many paths or months compiles to vector instructions.
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
    # quadrant 0: (cos, sin), 1: (-sin, cos), 2: (-cos, -sin), 3: (sin, -cos) of theta, chosen by
    # multiplying with 0 and 1 and signs of +-1 (all exact) rather than by branches
    quadrant &= 3
    odd = dtype(quadrant & 1)
    first = odd * sine + (dtype(1.0) - odd) * cosine
    second = odd * cosine + (dtype(1.0) - odd) * sine
    first_sign = dtype(1.0) - dtype(2.0) * dtype((quadrant == 1) | (quadrant == 2))
    second_sign = dtype(1.0) - dtype(2.0) * dtype(quadrant >= 2)
    return first_sign * first, second_sign * second


@device_function
def log_unit(u, dtype):
    """ln u for u in [2^-33, 1], as ``to_uniform`` makes them (float64 or float32).

    Exact reduction u = m 2^e with m in [1/sqrt 2, sqrt 2): seven scalings by
    powers of two, each multiplied in by a 0-or-1 factor rather than chosen by
    a branch. Then ln m = 2 atanh s = 2 s (1 + s^2/3 + s^4/5 + ...) with
    s = (m - 1) / (m + 1), |s| < 0.172: twelve terms leave a remainder below
    1e-17 relative. Written out rather than calling math.log, a call into libm
    that no loop around it can vectorize: this compiles to vector instructions
    on the CPU and to plain arithmetic on CUDA, within 2 units in the last
    place of math.log in float64 (3 in float32; ``tests/test_draws.py``).
    """
    exponent = dtype(0.0)  # u = (scaled u) x 2^exponent throughout
    below = dtype(u < dtype(2.0**-32))
    u = u * (dtype(1.0) + below * dtype(2.0**32 - 1.0))
    exponent = exponent - below * dtype(32.0)
    below = dtype(u < dtype(2.0**-16))
    u = u * (dtype(1.0) + below * dtype(2.0**16 - 1.0))
    exponent = exponent - below * dtype(16.0)
    below = dtype(u < dtype(2.0**-8))
    u = u * (dtype(1.0) + below * dtype(2.0**8 - 1.0))
    exponent = exponent - below * dtype(8.0)
    below = dtype(u < dtype(2.0**-4))
    u = u * (dtype(1.0) + below * dtype(2.0**4 - 1.0))
    exponent = exponent - below * dtype(4.0)
    below = dtype(u < dtype(2.0**-2))
    u = u * (dtype(1.0) + below * dtype(2.0**2 - 1.0))
    exponent = exponent - below * dtype(2.0)
    below = dtype(u < dtype(0.5))
    u = u * (dtype(1.0) + below)
    exponent = exponent - below
    below = dtype(u < dtype(0.7071067811865476))  # u in [1/2, 1) now: m = 2u below 1/sqrt 2, else u
    u = u * (dtype(1.0) + below)
    exponent = exponent - below
    s = (u - dtype(1.0)) / (u + dtype(1.0))
    t = s * s
    series = dtype(1.0 / 23.0)
    series = series * t + dtype(1.0 / 21.0)
    series = series * t + dtype(1.0 / 19.0)
    series = series * t + dtype(1.0 / 17.0)
    series = series * t + dtype(1.0 / 15.0)
    series = series * t + dtype(1.0 / 13.0)
    series = series * t + dtype(1.0 / 11.0)
    series = series * t + dtype(1.0 / 9.0)
    series = series * t + dtype(1.0 / 7.0)
    series = series * t + dtype(1.0 / 5.0)
    series = series * t + dtype(1.0 / 3.0)
    series = series * t + dtype(1.0)
    return dtype(2.0) * s * series + exponent * dtype(0.6931471805599453)


@device_function
def box_muller(bits0, bits1, dtype):
    """Two independent standard normals from two 32-bit words (Box and Muller, 1958)."""
    radius = math.sqrt(dtype(-2.0) * log_unit(to_uniform(bits0, dtype), dtype))
    cosine, sine = cos_sin_turns(to_uniform(bits1, dtype), dtype)
    return radius * cosine, radius * sine

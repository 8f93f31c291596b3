"""Philox4x32-10 and the monthly draws, vectorized with numpy over paths.

An independent implementation of the random-number contract of
``gpu_stress.kernels.rng``: same counters, same keys, same outputs, written
for whole arrays so that the numpy backend can serve as the oracle.
"""

import numpy as np

from ...kernels.layout import BLOCKS_PER_STREAM

_MASK32 = np.uint64(0xFFFFFFFF)
_MULTIPLIERS = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
_WEYL = (np.uint64(0x9E3779B9), np.uint64(0xBB67AE85))


def philox4x32_10(counter, key):
    """Philox4x32-10 of four counter words and two key words (arrays or scalars).

    Returns four uint64 arrays holding 32-bit values.
    """
    c0, c1, c2, c3 = (np.asarray(word, dtype=np.uint64) & _MASK32 for word in counter)
    k0, k1 = (np.uint64(word) & _MASK32 for word in key)
    for _ in range(10):
        product0 = _MULTIPLIERS[0] * c0
        product1 = _MULTIPLIERS[1] * c2
        c0, c1, c2, c3 = (
            (product1 >> np.uint64(32)) ^ c1 ^ k0,
            product1 & _MASK32,
            (product0 >> np.uint64(32)) ^ c3 ^ k1,
            product0 & _MASK32,
        )
        k0 = (k0 + _WEYL[0]) & _MASK32
        k1 = (k1 + _WEYL[1]) & _MASK32
    return c0, c1, c2, c3


def draw_block(seed, stream, path_ids, month, block):
    """Block ``block`` of month ``month`` for every path in ``path_ids`` (uint64 array)."""
    seed = np.uint64(seed)
    lane3 = np.uint64(stream * BLOCKS_PER_STREAM + block)
    counter = (path_ids & _MASK32, path_ids >> np.uint64(32), np.uint64(month), lane3)
    return philox4x32_10(counter, (seed & _MASK32, seed >> np.uint64(32)))


def to_uniform(bits, dtype):
    """Uniforms in (0, 1): 32 bits for float64, the top 23 bits for float32."""
    if np.dtype(dtype) == np.float64:
        return (bits.astype(np.float64) + 0.5) * 2.0**-32
    return ((bits >> np.uint64(9)).astype(np.float32) + np.float32(0.5)) * np.float32(2.0**-23)


def box_muller(bits0, bits1, dtype):
    """Two arrays of independent standard normals."""
    radius = np.sqrt(dtype(-2.0) * np.log(to_uniform(bits0, dtype)))
    angle = dtype(2.0 * np.pi) * to_uniform(bits1, dtype)
    return radius * np.cos(angle), radius * np.sin(angle)

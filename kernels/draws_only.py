"""The random-number work of a path with no model: the roofline of the path kernel.

Each month draws exactly what the path model draws (``rng.market_draws`` and
``rng.firm_draws`` of its one firm) and
adds it to a checksum so the compiler cannot drop the work. Every path runs
the whole horizon, so per nominal path-step this is the random-number-bound
limit of the model (which can only beat it by stopping defaulted paths early).
"""

from .device import device_function
from .rng import firm_draws, market_draws


@device_function
def draw_path(horizon, seed, stream, path_id, more_customers, dtype):
    checksum = dtype(0.0)
    for month in range(1, horizon + 1):
        for value in market_draws(seed, stream, path_id, month, dtype):
            checksum += value
        for value in firm_draws(seed, stream, path_id, month, 0, more_customers, dtype):
            checksum += value
    return checksum

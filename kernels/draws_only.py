"""The random-number work of a path with no model: the roofline of the path kernel.

Each month draws exactly what the path model draws (``rng.market_draws``,
``rng.firm_draws`` of its one firm and the optional blocks it uses, see
``firm.optional_blocks``) and adds it to a checksum so the compiler cannot
drop the work. Every path runs the whole horizon, so per nominal path-step this
is the random-number-bound limit of the model (which can only beat it by
stopping defaulted paths early).
"""

from .device import device_function
from .firm import optional_blocks
from .layout import FIRM_MORE_CUSTOMERS_BLOCK, FIRM_RENEWAL_BLOCK, FIRM_SLIP_BLOCK
from .rng import firm_draws, firm_uniforms, market_draws


@device_function
def draw_path(params, horizon, seed, stream, path_id, dtype):
    more_customers, renewals, slips, support = optional_blocks(params)
    checksum = dtype(0.0)
    for month in range(1, horizon + 1):
        for value in market_draws(seed, stream, path_id, month, dtype):
            checksum += value
        for value in firm_draws(seed, stream, path_id, month, 0, more_customers, dtype):
            checksum += value
        if support:
            for value in firm_uniforms(seed, stream, path_id, month, 0, FIRM_MORE_CUSTOMERS_BLOCK, dtype):
                checksum += value
        if renewals:
            for value in firm_uniforms(seed, stream, path_id, month, 0, FIRM_RENEWAL_BLOCK, dtype):
                checksum += value
        if slips:
            for value in firm_uniforms(seed, stream, path_id, month, 0, FIRM_SLIP_BLOCK, dtype):
                checksum += value
    return checksum

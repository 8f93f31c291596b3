"""The random-number work of a path with no model: the roofline of the path kernel.

Each month draws exactly what the path model draws, the same way
(``draws.draws_column``: months at a time into the launcher's draws array),
and adds it to a checksum so the compiler cannot drop the work. Every path
runs the whole horizon, so per nominal path-step this is the
random-number-bound limit of the model (which can only beat it by stopping
defaulted paths early).
"""

from .device import device_function
from .draws import draws_column
from .layout import DRAW_COUNT


@device_function
def draw_path(params, horizon, seed, stream, path_id, draws, dtype):
    checksum = dtype(0.0)
    for month in range(1, horizon + 1):
        column = draws_column(params, seed, stream, path_id, month, horizon, draws, dtype)
        for row in range(DRAW_COUNT):
            checksum += draws[row, column]
    return checksum

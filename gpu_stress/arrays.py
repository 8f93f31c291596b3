"""Helpers for code that runs on numpy and CuPy arrays alike."""

import numpy as np


def to_host(array):
    """A numpy array from a numpy or CuPy array (CuPy copies device to host)."""
    return array.get() if hasattr(array, "get") else np.asarray(array)


def output_arrays(xp, paths, horizon, tracked, dtype):
    """(outputs_float, outputs_int, tracks) for a launcher to fill, in the array module ``xp``."""
    from .kernels import layout

    return (
        xp.empty((layout.FLOAT_OUTPUT_COUNT, paths), dtype),
        xp.empty((layout.INT_OUTPUT_COUNT, paths), np.int32),
        xp.zeros((tracked, horizon, layout.TRACK_COUNT), dtype),
    )


def portfolio_arrays(xp, firms, paths, dtype):
    """(outputs_float, outputs_int, market_outputs) of a portfolio chunk: firm x output x path, and output x path."""
    from .kernels import layout

    return (
        xp.empty((firms, layout.FLOAT_OUTPUT_COUNT, paths), dtype),
        xp.empty((firms, layout.INT_OUTPUT_COUNT, paths), np.int32),
        xp.empty((layout.MARKET_OUTPUT_COUNT, paths), dtype),
    )


def statement_array(xp, horizon, recording, dtype):
    """The monthly statement a launcher fills for one path (NaN after its last month); empty if not recording."""
    from .kernels import layout

    return xp.full((horizon if recording else 0, layout.STATEMENT_COUNT), np.nan, dtype)

"""The cpu backend: the compiled path kernel, ranges of paths on a pool of threads (``kernels.cpu``)."""

import numpy as np

from ..arrays import output_arrays, portfolio_arrays, statement_array
from ..machine import cpu_description
from .base import PathBackend, kernel_ready


def needs_compiling(dtype, portfolio=False):
    """True if the first chunk in ``dtype`` (numpy.float32 or float64) will compile the path kernel
    (``portfolio``: the portfolio kernel): it is neither compiled in this process nor in numba's cache."""
    from ..kernels import cpu as kernels

    if portfolio:
        dispatcher = kernels.simulate_portfolio_range
        arguments = _portfolio_arguments(np.zeros((1, 1)), 0.0, 1.0, 1, 0, 0, 0, 1, dtype)
    else:
        dispatcher = kernels.simulate_path_range
        arguments = _path_arguments(np.zeros(1), 1, 0, 0, 0, 1, 0, -1, dtype)
    path_range = (0, 1)  # first, stop: see kernels.cpu.in_parallel
    return not kernel_ready(dispatcher, [dispatcher.typeof_pyval(argument) for argument in (*arguments, *path_range)])


def _path_arguments(params, horizon, seed, stream, path_start, paths, tracked, statement_column, dtype):
    """The path kernel's arguments, its outputs allocated (see ``CpuBackend._simulate``)."""
    outputs_float, outputs_int, tracks = output_arrays(np, paths, horizon, tracked, dtype)
    statement = statement_array(np, horizon, statement_column >= 0, dtype)
    params = np.ascontiguousarray(params, dtype=dtype)
    outputs = (outputs_float, outputs_int, tracks, statement)
    return (params, horizon, np.uint64(seed), stream, path_start, *outputs, statement_column, dtype)


def _portfolio_arguments(params, impact, retention, horizon, seed, stream, path_start, paths, dtype):
    """The portfolio kernel's arguments, its outputs allocated."""
    outputs = portfolio_arrays(np, params.shape[0], paths, dtype)
    params = np.ascontiguousarray(params, dtype=dtype)
    return (params, impact, retention, horizon, np.uint64(seed), stream, path_start, *outputs, dtype)


class CpuBackend(PathBackend):
    name = "cpu"
    xp = np

    def __init__(self):
        from ..kernels import cpu  # compiles (or loads from numba's cache) on first use

        self._kernels = cpu

    def default_chunk_paths(self, horizon, dtype):
        return 1 << 17

    def device(self):
        return cpu_description()

    def _simulate(self, params, horizon, seed, stream, path_start, paths, tracked, statement_column, dtype):
        arguments = _path_arguments(params, horizon, seed, stream, path_start, paths, tracked, statement_column, dtype)
        self._kernels.simulate_paths(*arguments)
        return arguments[5:9]  # outputs_float, outputs_int, tracks, statement

    def simulate_portfolio(self, params, impact, retention, horizon, seed, stream, path_start, paths, dtype):
        arguments = _portfolio_arguments(params, impact, retention, horizon, seed, stream, path_start, paths, dtype)
        self._kernels.simulate_portfolios(*arguments)
        return arguments[7:10]  # outputs_float, outputs_int, market_outputs

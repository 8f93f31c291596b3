"""The cpu backend: the compiled path kernel, parallel over paths with numba."""

import numpy as np

from ..arrays import output_arrays, portfolio_arrays, statement_array
from ..machine import cpu_description
from .base import PathBackend


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
        outputs_float, outputs_int, tracks = output_arrays(np, paths, horizon, tracked, dtype)
        statement = statement_array(np, horizon, statement_column >= 0, dtype)
        self._kernels.simulate_paths(
            np.ascontiguousarray(params, dtype=dtype),
            horizon,
            np.uint64(seed),
            stream,
            path_start,
            outputs_float,
            outputs_int,
            tracks,
            statement,
            statement_column,
            dtype,
        )
        return outputs_float, outputs_int, tracks, statement

    def simulate_portfolio(self, params, impact, retention, horizon, seed, stream, path_start, paths, dtype):
        outputs_float, outputs_int, market_outputs = portfolio_arrays(np, params.shape[0], paths, dtype)
        self._kernels.simulate_portfolios(
            np.ascontiguousarray(params, dtype=dtype),
            impact,
            retention,
            horizon,
            np.uint64(seed),
            stream,
            path_start,
            outputs_float,
            outputs_int,
            market_outputs,
            dtype,
        )
        return outputs_float, outputs_int, market_outputs

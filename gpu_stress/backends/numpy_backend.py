"""The numpy backend: the array model with the Philox draws, the oracle of the tests."""

import numpy as np

from ..machine import cpu_description
from .base import PathBackend
from .oracle.draws import philox_draws
from .oracle.path import simulate_paths
from .oracle.portfolio import simulate_portfolio


class NumpyBackend(PathBackend):
    name = "numpy"
    xp = np

    def default_chunk_paths(self, horizon, dtype):
        return 1 << 16

    def device(self):
        return cpu_description()

    def _simulate(self, params, horizon, seed, stream, path_start, paths, tracked, statement_column, dtype):
        draws = philox_draws(seed, stream, path_start, paths, params, dtype)
        return simulate_paths(params, horizon, paths, tracked, dtype, draws, statement_row=statement_column)

    def simulate_portfolio(self, params, impact, retention, horizon, seed, stream, path_start, paths, dtype):
        params = np.atleast_2d(np.asarray(params, dtype=dtype))
        # Each firm draws from its own blocks (entity 1 + its FIRM_STREAM); the market's are the same for all.
        draws_by_firm = [philox_draws(seed, stream, path_start, paths, row, dtype) for row in params]
        return simulate_portfolio(params, impact, retention, horizon, paths, dtype, draws_by_firm)

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

    def _simulate(self, launch):
        params, dtype = launch.parameters, launch.dtype
        draws = philox_draws(launch.seed, launch.stream, launch.path_start, launch.paths, params, dtype)
        return simulate_paths(
            params, launch.horizon, launch.paths, launch.tracked, dtype, draws, statement_row=launch.statement_path
        )

    def simulate_portfolio(self, launch):
        params, dtype = np.atleast_2d(np.asarray(launch.parameters, dtype=launch.dtype)), launch.dtype
        # Each firm draws from its own blocks (entity 1 + its FIRM_STREAM); the market's are the same for all.
        draws_by_firm = [
            philox_draws(launch.seed, launch.stream, launch.path_start, launch.paths, row, dtype) for row in params
        ]
        return simulate_portfolio(params, launch.horizon, launch.paths, dtype, draws_by_firm)

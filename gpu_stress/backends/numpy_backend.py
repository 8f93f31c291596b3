"""The numpy backend: the array model with the Philox draws, the oracle of the tests."""

import numpy as np

from ..machine import cpu_description
from .array_model import philox_draws, simulate_paths
from .base import PathBackend


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

"""The numpy backend: the vectorized oracle (see numpy_model)."""

import numpy as np

from ..machine import cpu_description
from .numpy_model import simulate_paths


class NumpyBackend:
    name = "numpy"
    xp = np

    def default_chunk_paths(self, horizon, dtype):
        return 1 << 16

    def device(self):
        return cpu_description()

    def simulate(self, params, horizon, seed, stream, path_start, paths, tracked, dtype):
        return simulate_paths(params, horizon, seed, stream, path_start, paths, tracked, dtype)

"""The cpu backend: the compiled path kernel, parallel over paths with numba."""

import numpy as np

from ..arrays import output_arrays
from ..machine import cpu_description


class CpuBackend:
    name = "cpu"
    xp = np

    def __init__(self):
        from ..kernels import cpu  # compiles (or loads from numba's cache) on first use

        self._kernels = cpu

    def default_chunk_paths(self, horizon, dtype):
        return 1 << 17

    def device(self):
        return cpu_description()

    def simulate(self, params, horizon, seed, stream, path_start, paths, tracked, dtype):
        outputs_float, outputs_int, tracks = output_arrays(np, paths, horizon, tracked, dtype)
        self._kernels.simulate_paths(
            np.ascontiguousarray(params, dtype=dtype),
            horizon,
            np.uint64(seed),
            stream,
            path_start,
            outputs_float,
            outputs_int,
            tracks,
            dtype,
        )
        return outputs_float, outputs_int, tracks

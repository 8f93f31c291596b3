"""CUDA launcher: one thread per path, grid-stride, the same path model as the CPU.

Importing this module needs numba-cuda (``pip install gpu-stress[cuda13]``); it
runs on a GPU, or on numba's CUDA simulator when NUMBA_ENABLE_CUDASIM=1.
"""

import functools

from numba import cuda

from .device import SOURCE_DIGEST
from .layout import STATE_SIZE
from .path import simulate_path

THREADS_PER_BLOCK = 128


@functools.cache
def path_kernel(dtype):
    """The path kernel for ``dtype`` (numpy.float32 or numpy.float64), compiled lazily."""
    return _compile(dtype, SOURCE_DIGEST)


def _compile(dtype, source_digest):
    @cuda.jit(cache=True)
    def simulate_paths(params, horizon, seed, stream, path_start, outputs_float, outputs_int, tracks):
        source_digest  # noqa: B018  (in the cache key: a model edit recompiles)
        state = cuda.local.array(STATE_SIZE, dtype)
        tracked = tracks.shape[0]
        for column in range(cuda.grid(1), outputs_float.shape[1], cuda.gridsize(1)):
            track_row = column if column < tracked else -1
            simulate_path(
                params,
                horizon,
                seed,
                stream,
                path_start + column,
                state,
                outputs_float,
                outputs_int,
                column,
                tracks,
                track_row,
                dtype,
            )

    return simulate_paths


def simulate_paths(params, horizon, seed, stream, path_start, outputs_float, outputs_int, tracks, dtype, blocks):
    """Launch the path kernel on ``blocks`` x THREADS_PER_BLOCK threads (grid-stride)."""
    path_kernel(dtype)[blocks, THREADS_PER_BLOCK](
        params, horizon, seed, stream, path_start, outputs_float, outputs_int, tracks
    )

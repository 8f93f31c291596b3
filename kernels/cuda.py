"""CUDA launchers: one thread per path, grid-stride, the same path model as the CPU.

Importing this module needs numba-cuda (``pip install gpu-stress[cuda13]``); it
runs on a GPU, or on numba's CUDA simulator when NUMBA_ENABLE_CUDASIM=1.
``SIGNATURES`` gives every kernel's argument types, for compiling to PTX with
no GPU (``gpu-stress kernels``).
"""

import functools

import numba
from numba import cuda

from .device import SOURCE_DIGEST
from .draws_only import draw_path
from .layout import MAX_FIRMS, STATE_SIZE
from .path import simulate_path
from .portfolio import simulate_portfolio_path

THREADS_PER_BLOCK = 128


@functools.cache
def path_kernel(dtype):
    """The path kernel for ``dtype`` (numpy.float32 or numpy.float64), compiled on first launch."""
    return _compile_path_kernel(dtype, SOURCE_DIGEST)


@functools.cache
def draws_kernel(dtype):
    """The draws-only roofline kernel for ``dtype``."""
    return _compile_draws_kernel(dtype, SOURCE_DIGEST)


def _compile_path_kernel(dtype, source_digest):
    @cuda.jit(cache=True)
    def simulate_paths(
        params, horizon, seed, stream, path_start, outputs_float, outputs_int, tracks, statement, statement_column
    ):
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
                statement,
                column == statement_column,
                dtype,
            )

    return simulate_paths


@functools.cache
def portfolio_kernel(dtype):
    """The portfolio kernel for ``dtype``: one thread per path steps every firm (at most MAX_FIRMS)."""
    return _compile_portfolio_kernel(dtype, SOURCE_DIGEST)


def _compile_portfolio_kernel(dtype, source_digest):
    @cuda.jit(cache=True)
    def simulate_portfolios(
        params, impact, retention, horizon, seed, stream, path_start, outputs_float, outputs_int, market_outputs
    ):
        source_digest  # noqa: B018
        states = cuda.local.array((MAX_FIRMS, STATE_SIZE), dtype)
        month_start = cuda.local.array((MAX_FIRMS, STATE_SIZE), dtype)
        firms = params.shape[0]
        for column in range(cuda.grid(1), market_outputs.shape[1], cuda.gridsize(1)):
            simulate_portfolio_path(
                params,
                firms,
                impact,
                retention,
                horizon,
                seed,
                stream,
                path_start + column,
                states,
                month_start,
                outputs_float,
                outputs_int,
                market_outputs,
                column,
                dtype,
            )

    return simulate_portfolios


def _compile_draws_kernel(dtype, source_digest):
    @cuda.jit(cache=True)
    def draw_paths(params, horizon, seed, stream, path_start, checksums):
        source_digest  # noqa: B018
        for column in range(cuda.grid(1), checksums.shape[0], cuda.gridsize(1)):
            checksums[column] = draw_path(params, horizon, seed, stream, path_start + column, dtype)

    return draw_paths


def _path_signature(float_type):
    index = numba.int64
    return (
        float_type[::1],
        index,
        numba.uint64,
        index,
        index,
        float_type[:, ::1],
        numba.int32[:, ::1],
        float_type[:, :, ::1],
        float_type[:, ::1],
        index,
    )


def _portfolio_signature(float_type):
    index = numba.int64
    return (
        float_type[:, ::1],
        float_type,
        float_type,
        index,
        numba.uint64,
        index,
        index,
        float_type[:, :, ::1],
        numba.int32[:, :, ::1],
        float_type[:, ::1],
    )


def _draws_signature(float_type):
    index = numba.int64
    return (float_type[::1], index, numba.uint64, index, index, float_type[::1])


# kernel name -> (kernel factory, argument types for a numba float type)
SIGNATURES = {
    "simulate_paths": (path_kernel, _path_signature),
    "simulate_portfolios": (portfolio_kernel, _portfolio_signature),
    "draw_paths": (draws_kernel, _draws_signature),
}


def simulate_paths(
    params,
    horizon,
    seed,
    stream,
    path_start,
    outputs_float,
    outputs_int,
    tracks,
    statement,
    statement_column,
    dtype,
    blocks,
):
    """Launch the path kernel on ``blocks`` x THREADS_PER_BLOCK threads (grid-stride)."""
    path_kernel(dtype)[blocks, THREADS_PER_BLOCK](
        params, horizon, seed, stream, path_start, outputs_float, outputs_int, tracks, statement, statement_column
    )


def simulate_portfolios(params, impact, retention, horizon, seed, stream, path_start, outputs, dtype, blocks):
    """Launch the portfolio kernel (``params``: firm x parameter, at most MAX_FIRMS rows).

    ``outputs``: (outputs_float, outputs_int, market_outputs) to fill.
    """
    portfolio_kernel(dtype)[blocks, THREADS_PER_BLOCK](
        params, dtype(impact), dtype(retention), horizon, seed, stream, path_start, *outputs
    )


def draw_paths(params, horizon, seed, stream, path_start, checksums, dtype, blocks):
    """Launch the draws-only kernel."""
    draws_kernel(dtype)[blocks, THREADS_PER_BLOCK](params, horizon, seed, stream, path_start, checksums)

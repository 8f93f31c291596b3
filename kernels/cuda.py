"""CUDA launchers: one thread per path, grid-stride, the same path model as the CPU.

Every thread of a block reads the same parameter at the same time, so the path
and draws kernels first copy the parameter vector into the block's shared
memory (PARAMETER_COUNT values, a few kB): a broadcast from shared memory costs
no trip to L1 or L2. Outputs are written output-major (row, path), so the
threads of a warp write consecutive addresses. Each thread's state and draws are
thread-local arrays (``local`` memory, cached in L1): the state has too many
slots, indexed by runtime cohort and tranche counts, to live in registers.

THREADS_PER_BLOCK = 128 (four warps). Registers limit these kernels' occupancy
(``gpu-stress kernels`` reports it per kernel and precision, with the best any
block size would give), and 128 threads reach that best for each of them on
sm_80 and sm_90 (e.g. 31 % at the float32 path kernel's 86 registers, 25 % at
the float64 one's 124) with four warps to share each block's copy of the
parameters. Larger blocks would lose occupancy once the registers no longer
hold a whole number of them; smaller ones copy the parameters more often.

Importing this module needs numba-cuda (``pip install gpu-stress[cuda13]``); it
runs on a GPU, or on numba's CUDA simulator when NUMBA_ENABLE_CUDASIM=1.
``SIGNATURES`` gives every kernel's argument types, for compiling to PTX with
no GPU (``gpu-stress kernels``).
"""

import functools

import numba
import numpy as np
from numba import cuda

from .device import SOURCE_DIGEST
from .draws_only import draw_path
from .layout import DRAW_COUNT, MAX_FIRMS, PARAMETER_COUNT, STATE_SIZE
from .path import simulate_path
from .portfolio import simulate_portfolio_path

THREADS_PER_BLOCK = 128


@cuda.jit(device=True)
def _block_copy(params, shared):
    """``shared`` (the block's shared memory) once the block's threads have copied ``params`` into it."""
    for index in range(cuda.threadIdx.x, min(params.shape[0], shared.shape[0]), cuda.blockDim.x):
        shared[index] = params[index]
    cuda.syncthreads()
    return shared


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
        params = _block_copy(params, cuda.shared.array(PARAMETER_COUNT, dtype))
        state = cuda.local.array(STATE_SIZE, dtype)
        draws = cuda.local.array((DRAW_COUNT, 1), dtype)  # a month at a time (``draws.draws_column``)
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
                draws,
                dtype,
            )

    return simulate_paths


@functools.cache
def portfolio_kernel(dtype):
    """The portfolio kernel for ``dtype``: one thread per path steps every firm (at most MAX_FIRMS)."""
    return _compile_portfolio_kernel(dtype, SOURCE_DIGEST)


def _compile_portfolio_kernel(dtype, source_digest):
    @cuda.jit(cache=True)
    def simulate_portfolios(params, horizon, seed, stream, path_start, outputs_float, outputs_int, market_outputs):
        source_digest  # noqa: B018
        states = cuda.local.array((MAX_FIRMS, STATE_SIZE), dtype)
        month_start = cuda.local.array((MAX_FIRMS, STATE_SIZE), dtype)
        draws = cuda.local.array((DRAW_COUNT, 1), dtype)
        firms = params.shape[0]
        for column in range(cuda.grid(1), market_outputs.shape[1], cuda.gridsize(1)):
            simulate_portfolio_path(
                params,
                firms,
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
                draws,
                dtype,
            )

    return simulate_portfolios


def _compile_draws_kernel(dtype, source_digest):
    @cuda.jit(cache=True)
    def draw_paths(params, horizon, seed, stream, path_start, checksums):
        source_digest  # noqa: B018
        params = _block_copy(params, cuda.shared.array(PARAMETER_COUNT, dtype))
        draws = cuda.local.array((DRAW_COUNT, 1), dtype)
        for column in range(cuda.grid(1), checksums.shape[0], cuda.gridsize(1)):
            checksums[column] = draw_path(params, horizon, seed, stream, path_start + column, draws, dtype)

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


def _chunk(launch):
    return launch.horizon, np.uint64(launch.seed), launch.stream, launch.path_start


def simulate_paths(launch, parameters, outputs, blocks):
    """Launch the path kernel for ``launch`` (a ``Launch``) on ``blocks`` x THREADS_PER_BLOCK threads (grid-stride).

    ``parameters``: on the device, in the launch's dtype; ``outputs``: (outputs_float,
    outputs_int, tracks, statement) to fill.
    """
    path_kernel(launch.dtype)[blocks, THREADS_PER_BLOCK](parameters, *_chunk(launch), *outputs, launch.statement_path)


def simulate_portfolios(launch, parameters, outputs, blocks):
    """Launch the portfolio kernel (``parameters``: firm x parameter, at most MAX_FIRMS rows).

    ``outputs``: (outputs_float, outputs_int, market_outputs) to fill.
    """
    portfolio_kernel(launch.dtype)[blocks, THREADS_PER_BLOCK](parameters, *_chunk(launch), *outputs)


def draw_paths(launch, parameters, checksums, blocks):
    """Launch the draws-only kernel."""
    draws_kernel(launch.dtype)[blocks, THREADS_PER_BLOCK](parameters, *_chunk(launch), checksums)

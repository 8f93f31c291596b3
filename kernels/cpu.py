"""CPU launchers: the path model (and the draws-only roofline) in parallel over paths."""

import warnings

import numba
import numpy as np
from numba.core.errors import NumbaIRAssumptionWarning

from .device import SOURCE_DIGEST
from .draws_only import draw_path
from .layout import STATE_SIZE
from .path import simulate_path
from .portfolio import simulate_portfolio_path

# Paths per parallel task; each task allocates its scratch state once.
PATHS_PER_TASK = 64

# Inlining the model's loops trips a pedantic SSA check in numba ("variable ... is not in
# scope"); the compiled code is right (the oracle tests say so), the warning is noise.
warnings.filterwarnings("ignore", message="variable .* is not in scope", category=NumbaIRAssumptionWarning)


def _compile(source_digest):
    @numba.njit(parallel=True, cache=True, nogil=True)
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
    ):
        """Paths path_start .. path_start + n - 1 into the n columns of the outputs.

        Column ``statement_column`` (-1: none) also writes its monthly statement.
        """
        source_digest  # noqa: B018  (in the cache key: a model edit recompiles)
        paths = outputs_float.shape[1]
        tracked = tracks.shape[0]
        tasks = (paths + PATHS_PER_TASK - 1) // PATHS_PER_TASK
        for task in numba.prange(tasks):
            state = np.empty(STATE_SIZE, dtype)
            first = np.int64(task) * PATHS_PER_TASK
            for column in range(first, min(first + PATHS_PER_TASK, paths)):
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

    @numba.njit(parallel=True, cache=True, nogil=True)
    def draw_paths(params, horizon, seed, stream, path_start, checksums, dtype):
        """The draws of paths path_start .. + n - 1, summed per path (no model)."""
        source_digest  # noqa: B018
        for index in numba.prange(checksums.shape[0]):
            column = np.int64(index)
            checksums[column] = draw_path(params, horizon, seed, stream, path_start + column, dtype)

    @numba.njit(parallel=True, cache=True, nogil=True)
    def simulate_portfolios(
        params, impact, retention, horizon, seed, stream, path_start, outputs_float, outputs_int, market_outputs, dtype
    ):
        """Portfolio paths path_start .. + n - 1 of the firms (rows of ``params``) into the n columns of the outputs."""
        source_digest  # noqa: B018
        firms = params.shape[0]
        paths = market_outputs.shape[1]
        tasks = (paths + PATHS_PER_TASK - 1) // PATHS_PER_TASK
        for task in numba.prange(tasks):
            states = np.empty((firms, STATE_SIZE), dtype)
            month_start = np.empty((firms, STATE_SIZE), dtype)
            first = np.int64(task) * PATHS_PER_TASK
            for column in range(first, min(first + PATHS_PER_TASK, paths)):
                simulate_portfolio_path(
                    params,
                    firms,
                    dtype(impact),
                    dtype(retention),
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

    return simulate_paths, draw_paths, simulate_portfolios


simulate_paths, draw_paths, simulate_portfolios = _compile(SOURCE_DIGEST)

"""CPU launchers: the path model (and the draws-only roofline) in parallel over paths.

Each kernel here is a plain ``numba.njit`` function over a range of paths that
releases the GIL; ``in_parallel`` splits a chunk's paths into ranges and runs
them on a pool of threads (numba's thread count: NUMBA_NUM_THREADS,
``numba.set_num_threads``). Not ``parallel=True``: numba's parfor pass types
and compiles the whole model a second time for the loop body, which doubled the
first run's compilation for nothing the thread pool does not do as well.

numpy's error model, as on CUDA: a division has no zero test, which would be
a branch in every loop of the draws and stop it vectorizing.

LLVM's inliner. numba compiles each model function on its own and links them;
LLVM then inlines a callee only if it looks cheap (a cost threshold of about
250), so the firm step's parts and the random numbers stayed calls: each
passed its arrays with a reference-count increment and decrement, and no loop
of the draws could vectorize. Raising the threshold lets LLVM inline them (on a
2-core EPYC the path kernel went from 2.2 to 3.2 M path-steps/s; numba's own IR
inlining gave less, 2.7, for five times the compile time). The option is LLVM's
and global: it applies to every function numba compiles for the CPU in this
process.
"""

import concurrent.futures
import os
import threading

import llvmlite.binding
import numba
import numpy as np

from .device import SOURCE_DIGEST
from .draws_only import draw_path
from .layout import DRAW_COUNT, STATE_SIZE
from .path import simulate_path
from .portfolio import simulate_portfolio_path

LLVM_INLINE_THRESHOLD = 10_000
llvmlite.binding.set_option("gpu-stress", f"-inline-threshold={LLVM_INLINE_THRESHOLD}")

# Paths per task, at most: few enough that a task's scratch and dispatch cost nothing against its
# paths; a chunk gets at least TASKS_PER_THREAD tasks a thread (down to MIN_PATHS_PER_TASK paths
# each), so that threads balance paths that stop early.
PATHS_PER_TASK = 2048
MIN_PATHS_PER_TASK = 64
TASKS_PER_THREAD = 8
# Months of a path's draws made at once (``draws.draws_column``): each of their loops runs over this
# many consecutive months in vector lanes (2 x 8 float64 with AVX-512, 4 x 4 with AVX2), and a path
# that defaults early wastes at most this many months of draws.
DRAW_MONTHS_PER_FILL = 16

_pools = {}  # numba's thread count -> a pool of that many threads; never shut down while a call may use it
_pools_lock = threading.Lock()


def _executor(threads):
    """The pool of ``threads`` threads (numba's thread count is per calling thread, so there may be several)."""
    with _pools_lock:
        if threads not in _pools:
            _pools[threads] = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="gpu-stress")
        return _pools[threads]


def _forget_pools():
    """A forked child has none of its parent's threads: it makes its own pools."""
    _pools.clear()


os.register_at_fork(after_in_child=_forget_pools)


def in_parallel(kernel, paths, *arguments):
    """``kernel(*arguments, first, stop)`` over ranges covering paths 0 .. paths - 1, on numba's thread count."""
    threads = numba.get_num_threads()
    size = min(PATHS_PER_TASK, max(MIN_PATHS_PER_TASK, -(-paths // (threads * TASKS_PER_THREAD))))
    ranges = [(first, min(first + size, paths)) for first in range(0, paths, size)]
    if threads == 1 or len(ranges) == 1:
        for first, stop in ranges:
            kernel(*arguments, first, stop)
        return
    pool = _executor(threads)
    futures = [pool.submit(kernel, *arguments, first, stop) for first, stop in ranges]
    try:
        for future in futures:
            future.result()  # re-raises a task's error
    except BaseException:  # an error or Ctrl-C: the other tasks would write into arrays no one reads
        for future in futures:
            future.cancel()
        raise


def _compile(source_digest):
    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def simulate_path_range(
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
        first,
        stop,
    ):
        """Paths path_start + first .. path_start + stop - 1 into those columns of the outputs.

        Column ``statement_column`` (-1: none) also writes its monthly statement.
        """
        source_digest  # noqa: B018  (in the cache key: a model edit recompiles)
        tracked = tracks.shape[0]
        state = np.empty(STATE_SIZE, dtype)
        draws = np.empty((DRAW_COUNT, DRAW_MONTHS_PER_FILL), dtype)
        for column in range(first, stop):
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

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def draw_path_range(params, horizon, seed, stream, path_start, checksums, dtype, first, stop):
        """The draws of paths path_start + first .. + stop - 1, summed per path (no model)."""
        source_digest  # noqa: B018
        draws = np.empty((DRAW_COUNT, DRAW_MONTHS_PER_FILL), dtype)
        for column in range(first, stop):
            checksums[column] = draw_path(params, horizon, seed, stream, path_start + column, draws, dtype)

    @numba.njit(cache=True, nogil=True, error_model="numpy")
    def simulate_portfolio_range(
        params,
        horizon,
        seed,
        stream,
        path_start,
        outputs_float,
        outputs_int,
        market_outputs,
        dtype,
        first,
        stop,
    ):
        """Portfolio paths path_start + first .. + stop - 1 of the firms (rows of ``params``)."""
        source_digest  # noqa: B018
        firms = params.shape[0]
        states = np.empty((firms, STATE_SIZE), dtype)
        month_start = np.empty((firms, STATE_SIZE), dtype)
        draws = np.empty((DRAW_COUNT, 1), dtype)  # a month at a time: every firm draws from its own blocks
        for column in range(first, stop):
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

    return simulate_path_range, draw_path_range, simulate_portfolio_range


simulate_path_range, draw_path_range, simulate_portfolio_range = _compile(SOURCE_DIGEST)


def range_arguments(launch, parameters, outputs):
    """A range kernel's arguments before (first, stop) for ``launch`` (a ``Launch``), the path kernel's last
    two excepted: ``parameters`` as the kernel reads them (``launch.parameters_as()``), then ``outputs``."""
    return (parameters, launch.horizon, np.uint64(launch.seed), launch.stream, launch.path_start, *outputs)


def path_arguments(launch, parameters, outputs):
    """The path kernel's arguments before (first, stop): ``outputs`` = (outputs_float, outputs_int, tracks,
    statement), then the statement's column and the dtype."""
    return (*range_arguments(launch, parameters, outputs), launch.statement_path, launch.dtype)


def simulate_paths(launch, parameters, outputs):
    """A firm's launch into ``outputs`` = (outputs_float, outputs_int, tracks, statement), one column a path."""
    in_parallel(simulate_path_range, launch.paths, *path_arguments(launch, parameters, outputs))


def draw_paths(launch, parameters, checksums):
    """The draws of the launch's paths, summed per path into ``checksums`` (no model)."""
    in_parallel(draw_path_range, launch.paths, *range_arguments(launch, parameters, (checksums,)), launch.dtype)


def simulate_portfolios(launch, parameters, outputs):
    """A portfolio's launch into ``outputs`` = (outputs_float, outputs_int, market_outputs) (firm x output x path)."""
    in_parallel(simulate_portfolio_range, launch.paths, *range_arguments(launch, parameters, outputs), launch.dtype)

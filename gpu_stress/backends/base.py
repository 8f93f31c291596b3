"""What every backend offers on top of its one ``_simulate``: a chunk's outputs, or one path's statement too."""

import os

from ..arrays import to_host


def kernel_ready(dispatcher, argument_types):
    """Whether a numba ``dispatcher`` (``njit`` or ``cuda.jit``, ``cache=True``) called with arguments of
    these numba types runs without compiling: compiled in this process, or in numba's on-disk cache
    (NUMBA_CACHE_DIR, else ``__pycache__`` beside the source) for this source, numba version and target.

    It reads the cache's index as the call would (numba's ``Cache._index_key`` and index file; the
    index of a changed source file or another numba version reads as empty) and loads nothing.
    """
    argument_types = tuple(argument_types)
    if argument_types in dispatcher.overloads:
        return True
    cache = getattr(dispatcher, "_cache", None)
    if not hasattr(cache, "_index_key") or not getattr(cache, "_enabled", False):
        return False  # no disk cache (a NullCache): the first call compiles
    key = cache._index_key(argument_types, dispatcher.targetctx.codegen())
    index = cache._cache_file._load_index()
    # (signature, target, code hashes); numba-cuda may add a launch configuration: any will do.
    names = [name for entry, name in index.items() if entry[:3] == key[:3]]
    return any(os.path.exists(os.path.join(cache.cache_path, name)) for name in names)


class PathBackend:
    """A backend implements ``_simulate(params, horizon, seed, stream, path_start, paths, tracked,
    statement_column, dtype)`` -> (outputs_float, outputs_int, tracks, statement), and
    ``simulate_portfolio(params, impact, retention, horizon, seed, stream, path_start, paths, dtype)``
    -> (outputs_float, outputs_int, market_outputs): ``params`` is firm x parameter, the outputs
    firm x output x path and output x path (``kernels.portfolio``)."""

    def simulate(self, params, horizon, seed, stream, path_start, paths, tracked, dtype):
        """(outputs_float, outputs_int, tracks) of paths path_start .. path_start + paths - 1."""
        outputs_float, outputs_int, tracks, _ = self._simulate(
            params, horizon, seed, stream, path_start, paths, tracked, -1, dtype
        )
        return outputs_float, outputs_int, tracks

    def trace(self, params, horizon, seed, stream, path_start, paths, column, dtype):
        """(outputs_float, outputs_int, statement): the chunk again, and column ``column``'s monthly statement.

        The chunk is the one the run simulated, so the path's outputs are those
        of the run to the last bit, whatever the backend.
        """
        outputs_float, outputs_int, _, statement = self._simulate(
            params, horizon, seed, stream, path_start, paths, 0, column, dtype
        )
        return to_host(outputs_float), to_host(outputs_int), to_host(statement)

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
    """A backend implements ``_simulate(launch)`` -> (outputs_float, outputs_int, tracks, statement) of a
    firm's :class:`~gpu_stress.backends.launch.Launch`, and ``simulate_portfolio(launch)`` ->
    (outputs_float, outputs_int, market_outputs) of a portfolio's (its parameters firm x parameter, the
    outputs firm x output x path and output x path, as ``kernels.portfolio`` writes them)."""

    def simulate(self, launch):
        """(outputs_float, outputs_int, tracks) of the launch's paths, in the backend's array module."""
        outputs_float, outputs_int, tracks, _ = self._simulate(launch.but(statement_path=-1))
        return outputs_float, outputs_int, tracks

    def trace(self, launch):
        """(outputs_float, outputs_int, statement) on the host: the chunk again, and the launch's statement path's.

        The chunk is the one the run simulated, so the path's outputs are those
        of the run to the last bit, whatever the backend.
        """
        if not 0 <= launch.statement_path < launch.paths:
            raise ValueError(f"statement_path {launch.statement_path} is no path of a chunk of {launch.paths}")
        outputs_float, outputs_int, _, statement = self._simulate(launch.but(tracked=0))
        return to_host(outputs_float), to_host(outputs_int), to_host(statement)

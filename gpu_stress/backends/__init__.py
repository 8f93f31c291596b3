"""Backends run chunks of paths: ``numpy`` (the oracle), ``cpu`` (numba) and ``cuda``.

Each has ``name``, ``xp`` (the array module its outputs live in),
``default_chunk_paths(horizon, dtype)``, ``device()``, and takes a
:class:`~gpu_stress.backends.launch.Launch` (the chunk, its parameters, its
random numbers, what to record): ``simulate(launch)`` returns (outputs_float,
outputs_int, tracks) laid out as in ``gpu_stress.kernels.layout``,
``trace(launch)`` a path's monthly statement too, ``simulate_portfolio(launch)``
a portfolio's outputs.
"""

import functools

from ..errors import UserError

BACKENDS = ("numpy", "cpu", "cuda")


class BackendError(UserError, RuntimeError):
    """A backend that cannot run here; ``str()`` says why in one line."""


def cuda_status():
    """(usable, reason): whether the cuda backend can run on a real GPU here, and why (not)."""
    try:
        from numba import config

        if config.ENABLE_CUDASIM:
            return False, "NUMBA_ENABLE_CUDASIM=1 (simulator only)"
        from numba import cuda
    except ImportError as error:
        return False, f"numba-cuda is not installed ({error.name}); pip install 'gpu-stress[cuda13]'"
    try:
        if not cuda.is_available():
            return False, "no CUDA GPU or driver found"
        import cupy  # noqa: F401
    except ImportError:
        return False, "CuPy is not installed; pip install 'gpu-stress[cuda13]'"
    except Exception as error:  # a broken driver or toolkit: say so, do not crash
        text = str(error).strip()
        return False, f"CUDA is not usable: {text.splitlines()[0] if text else type(error).__name__}"
    return True, "a CUDA GPU is present"


def choose_backend(requested="auto"):
    """(backend name, reason) for ``requested`` in auto | numpy | cpu | cuda."""
    if requested != "auto":
        if requested not in BACKENDS:
            raise BackendError(f"backend: unknown backend {requested!r} (choose from auto, {', '.join(BACKENDS)})")
        return requested, "requested"
    usable, reason = cuda_status()
    if usable:
        return "cuda", reason
    return "cpu", f"no usable GPU: {reason}"


def compile_notice(backend_name, dtype, portfolio=False):
    """True when a run on backend ``backend_name`` in ``dtype`` ("float64", numpy.float32, ...) will
    compile its kernel on its first chunk, numba finding it neither compiled in this process nor in
    its on-disk cache: the moment to say "compiling kernels (first run only)" on stderr.

    ``portfolio``: a portfolio run's kernel (several firms a path). False for numpy, for the CUDA
    simulator, and whenever it cannot tell (it never raises). Chunks run on Dask workers compile
    there: for a local cluster they share this machine's cache, so the answer holds.
    """
    try:
        if backend_name == "cpu":
            from .cpu import needs_compiling
        elif backend_name == "cuda":
            from .cuda import needs_compiling
        else:
            return False
        import numpy as np

        return bool(needs_compiling(np.dtype(dtype).type, portfolio))
    except Exception:  # a notice only: never in the way of the run
        return False


@functools.cache
def get_backend(name):
    """The backend object for ``name`` (created once per process)."""
    if name == "numpy":
        from .numpy_backend import NumpyBackend

        return NumpyBackend()
    if name == "cpu":
        from .cpu import CpuBackend

        return CpuBackend()
    if name == "cuda":
        from .cuda import simulator_enabled

        if not simulator_enabled():
            usable, reason = cuda_status()
            if not usable:
                raise BackendError(f"backend: cuda is not available: {reason}")
        try:
            from .cuda import CudaBackend

            return CudaBackend()
        except ImportError as error:
            raise BackendError(f"backend: cuda needs numba-cuda and CuPy ({error})") from None
    raise BackendError(f"backend: unknown backend {name!r} (choose from {', '.join(BACKENDS)})")

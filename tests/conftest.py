import sys
from pathlib import Path

import numpy as np
import pytest

# helpers.py sits beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

from gpu_stress.backends import cuda_status

CUDA_USABLE, CUDA_REASON = cuda_status()
requires_gpu = pytest.mark.skipif(not CUDA_USABLE, reason=f"needs a CUDA GPU: {CUDA_REASON}")


def kernel_toolchain_problem():
    """Why `gpu-stress kernels` cannot compile the CUDA kernels here (no numba-cuda, NVVM or ptxas), or None.

    The `kernels` extra brings all three (``pip install -e ".[test,kernels]"``, as CI does); a CPU-only
    ``.[test]`` install has none, and the kernel-report tests skip, saying so. (numba's own deprecated
    CUDA target, which numba-cuda replaces, cannot compile them.)
    """
    import importlib.util

    from gpu_stress.kernel_report import KernelReportError, find_ptxas

    if importlib.util.find_spec("numba_cuda") is None:
        return "numba-cuda is not installed; pip install -e '.[kernels]'"
    try:
        from numba.cuda.cudadrv.nvvm import NVVM

        NVVM()
    except Exception as error:
        text = " ".join(str(error).split())[:200] or type(error).__name__
        return f"NVVM is not installed ({text}); pip install -e '.[kernels]'"
    try:
        find_ptxas()
    except KernelReportError as error:
        return str(error)
    return None


# Backends and precisions are parameterised here and nowhere else (as warp parameterises its tests per
# device): a test takes HOST_BACKENDS (every machine has them), BACKENDS (cuda too, skipped cleanly without
# a GPU) or DTYPES. The fast lane (-m "not slow") runs numpy and cpu only.
HOST_BACKENDS = ["numpy", "cpu"]
BACKENDS = [*HOST_BACKENDS, pytest.param("cuda", marks=[pytest.mark.gpu, requires_gpu])]
DTYPES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]


def pytest_configure(config):
    """Compile the cpu kernels into numba's on-disk cache once per precision, before any xdist worker
    starts, so the workers load them instead of each compiling (and racing to write) the same kernels."""
    if hasattr(config, "workerinput"):  # a worker: the controller warmed the cache already
        return
    if config.getoption("numprocesses", None):  # -n: several workers would compile at once
        warm_cpu_kernels()


def warm_cpu_kernels():
    """Run each cpu kernel (a firm's path, a portfolio's, the draws) for a few paths in each precision, with the
    argument types of a real chunk; nothing happens where the cache already holds them."""
    from gpu_stress.backends import compile_notice, get_backend
    from gpu_stress.backends.launch import Launch
    from gpu_stress.params import parameter_vector
    from helpers import preset_config, with_fire_sales

    backend = get_backend("cpu")
    for dtype in (np.float64, np.float32):
        if not (compile_notice("cpu", dtype) or compile_notice("cpu", dtype, portfolio=True)):
            continue
        params = parameter_vector(preset_config("lambda"))
        backend.simulate(Launch(params, 3, 1, 0, 0, 8, 2, dtype=dtype))
        book = np.stack([params, parameter_vector(preset_config("crusoe"))])
        backend.simulate_portfolio(Launch(with_fire_sales(book, 1e-5, 0.9), 3, 1, 0, 0, 8, dtype=dtype))

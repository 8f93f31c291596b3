import sys
from pathlib import Path

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


# Backends every cross-backend test runs on; cuda skips cleanly without a GPU.
BACKENDS = ["numpy", "cpu", pytest.param("cuda", marks=[pytest.mark.gpu, requires_gpu])]

import sys
from pathlib import Path

import pytest

# helpers.py sits beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

from gpu_stress.backends import cuda_status

CUDA_USABLE, CUDA_REASON = cuda_status()
requires_gpu = pytest.mark.skipif(not CUDA_USABLE, reason=f"needs a CUDA GPU: {CUDA_REASON}")

# Backends every cross-backend test runs on; cuda skips cleanly without a GPU.
BACKENDS = ["numpy", "cpu", pytest.param("cuda", marks=[pytest.mark.gpu, requires_gpu])]

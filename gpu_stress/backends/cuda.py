"""The cuda backend: the path kernel on an NVIDIA GPU, outputs and reductions in CuPy.

Under numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1) the very same launch
runs on the CPU; only the arrays differ (numpy instead of CuPy), so CI
exercises this code path without a GPU.
"""

import numpy as np

from ..arrays import output_arrays, portfolio_arrays, statement_array
from ..kernels import layout as L
from .base import PathBackend, kernel_ready

# Device memory a path needs while its chunk is live: outputs plus the
# temporaries of the on-device reductions (histogram indices, masks).
_DEVICE_BYTES_PER_PATH_EXTRA = 64
_MEMORY_SHARE = 0.5  # of free memory, leaving room for CuPy's pool and other users
_MAX_CHUNK = 1 << 24
_SIMULATOR_CHUNK = 256


def simulator_enabled():
    from numba import config

    return bool(config.ENABLE_CUDASIM)


def needs_compiling(dtype, portfolio=False):
    """True if the first launch in ``dtype`` will compile the path kernel (``portfolio``: the portfolio
    kernel) for this GPU: it is neither compiled in this process nor in numba-cuda's cache. Never on
    the simulator, which compiles nothing."""
    if simulator_enabled():
        return False
    import numba

    from ..kernels import cuda as kernels

    factory, signature = kernels.SIGNATURES["simulate_portfolios" if portfolio else "simulate_paths"]
    # The argument types of a launch (kernels.cuda.simulate_paths / simulate_portfolios) are these.
    return not kernel_ready(factory(dtype), signature(numba.from_dtype(np.dtype(dtype))))


class CudaBackend(PathBackend):
    name = "cuda"

    def __init__(self):
        from numba import cuda

        from ..kernels import cuda as cuda_kernels

        self._launch = cuda_kernels.simulate_paths
        self._launch_portfolio = cuda_kernels.simulate_portfolios
        self._threads_per_block = cuda_kernels.THREADS_PER_BLOCK
        self.simulator = simulator_enabled()
        if self.simulator:
            self.xp = np
            self._max_blocks = 1
        else:
            import cupy

            self.xp = cupy
            self._max_blocks = cuda.get_current_device().MULTIPROCESSOR_COUNT * 32
        self._cuda = cuda

    def default_chunk_paths(self, horizon, dtype):
        if self.simulator:
            return _SIMULATOR_CHUNK
        free_bytes, _ = self.xp.cuda.runtime.memGetInfo()
        itemsize = np.dtype(dtype).itemsize
        per_path = L.FLOAT_OUTPUT_COUNT * itemsize + L.INT_OUTPUT_COUNT * 4 + _DEVICE_BYTES_PER_PATH_EXTRA
        fitting = int(free_bytes * _MEMORY_SHARE // per_path)
        return max(1 << 16, min(_MAX_CHUNK, 1 << (fitting.bit_length() - 1)))

    def device(self):
        if self.simulator:
            return "numba CUDA simulator"
        device = self._cuda.get_current_device()
        name = device.name.decode() if isinstance(device.name, bytes) else device.name
        major, minor = device.compute_capability
        return f"{name} (sm_{major}{minor}, {device.MULTIPROCESSOR_COUNT} SMs)"

    def _blocks(self, launch):
        return max(1, min(-(-launch.paths // self._threads_per_block), self._max_blocks))

    def _simulate(self, launch):
        xp, dtype = self.xp, launch.dtype
        outputs = output_arrays(xp, launch.paths, launch.horizon, launch.tracked, dtype)
        outputs = (*outputs, statement_array(xp, launch.horizon, launch.statement_path >= 0, dtype))
        self._launch(launch, launch.parameters_as(xp), outputs, self._blocks(launch))
        return outputs

    def simulate_portfolio(self, launch):
        firms = launch.parameters.shape[0]
        if firms > L.MAX_FIRMS:
            raise ValueError(f"a portfolio holds at most {L.MAX_FIRMS} firms on the GPU, not {firms}")
        outputs = portfolio_arrays(self.xp, firms, launch.paths, launch.dtype)
        self._launch_portfolio(launch, launch.parameters_as(self.xp), outputs, self._blocks(launch))
        return outputs

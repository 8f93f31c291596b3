"""The cpu backend: the compiled path kernel, ranges of paths on a pool of threads (``kernels.cpu``)."""

import numpy as np

from ..arrays import output_arrays, portfolio_arrays, statement_array
from ..machine import cpu_description
from .base import PathBackend, kernel_ready
from .launch import Launch


def needs_compiling(dtype, portfolio=False):
    """True if the first chunk in ``dtype`` (numpy.float32 or float64) will compile the path kernel
    (``portfolio``: the portfolio kernel): it is neither compiled in this process nor in numba's cache."""
    from ..kernels import cpu as kernels

    launch = Launch(np.zeros((1, 1) if portfolio else 1), horizon=1, seed=0, dtype=dtype)
    dispatcher = kernels.simulate_portfolio_range if portfolio else kernels.simulate_path_range
    if portfolio:
        arguments = (*kernels.range_arguments(launch, launch.parameters_as(), _outputs(launch)), launch.dtype)
    else:
        arguments = kernels.path_arguments(launch, launch.parameters_as(), _outputs(launch))
    path_range = (0, 1)  # first, stop: see kernels.cpu.in_parallel
    return not kernel_ready(dispatcher, [dispatcher.typeof_pyval(argument) for argument in (*arguments, *path_range)])


def _outputs(launch):
    """The arrays the launch's kernel fills, allocated: a firm's four, or a portfolio's three."""
    if launch.portfolio:
        return portfolio_arrays(np, launch.parameters.shape[0], launch.paths, launch.dtype)
    outputs = output_arrays(np, launch.paths, launch.horizon, launch.tracked, launch.dtype)
    return (*outputs, statement_array(np, launch.horizon, launch.statement_path >= 0, launch.dtype))


class CpuBackend(PathBackend):
    name = "cpu"
    xp = np

    def __init__(self):
        from ..kernels import cpu  # compiles (or loads from numba's cache) on first use

        self._kernels = cpu

    def default_chunk_paths(self, horizon, dtype):
        return 1 << 17

    def device(self):
        return cpu_description()

    def _simulate(self, launch):
        outputs = _outputs(launch)
        self._kernels.simulate_paths(launch, launch.parameters_as(), outputs)
        return outputs

    def simulate_portfolio(self, launch):
        outputs = _outputs(launch)
        self._kernels.simulate_portfolios(launch, launch.parameters_as(), outputs)
        return outputs

"""The description of one launch, the same for every backend: the contract from engine to backend to launcher.

Example::

    from gpu_stress.backends import get_backend
    from gpu_stress.backends.launch import Launch

    launch = Launch(parameter_vector(config), horizon=60, seed=1, paths=10_000)
    outputs_float, outputs_int, tracks = get_backend("cpu").simulate(launch)
"""

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True, eq=False)
class Launch:
    """A chunk of paths of one scenario: its parameters, its random numbers, which paths, what to record.

    Attributes:
      parameters: every model number (``params.parameter_vector``: one firm), or one row per firm
        (``params.portfolio_matrix``: a portfolio, its secondary market in each row), float64.
      horizon: months to simulate.
      seed, stream: the random numbers (counter-based: a path's draws depend on seed, stream, path id,
        month and block only; ``stream`` is the scenario's under independent scenarios, else 0).
      path_start, paths: the chunk, paths ``path_start`` .. ``path_start + paths - 1``.
      tracked: the chunk's first ``tracked`` paths keep their monthly tracks (fan charts).
      statement_path: the chunk's column whose monthly statement is recorded (-1: none).
      dtype: ``numpy.float64`` or ``numpy.float32``, the kernels' arithmetic.
    """

    parameters: np.ndarray
    horizon: int
    seed: int
    stream: int = 0
    path_start: int = 0
    paths: int = 1
    tracked: int = 0
    statement_path: int = -1
    dtype: type = np.float64

    @property
    def portfolio(self):
        """True for a portfolio (a matrix of firms), False for one firm."""
        return np.ndim(self.parameters) == 2

    def parameters_as(self, xp=np):
        """The parameters as the kernels read them: contiguous, in ``dtype``, in the array module ``xp``."""
        return xp.asarray(np.ascontiguousarray(self.parameters, dtype=self.dtype))

    def but(self, **changes):
        """This launch with ``changes`` (``launch.but(paths=1, statement_path=0)``)."""
        return replace(self, **changes)

"""What every backend offers on top of its one ``_simulate``: a chunk's outputs, or one path's statement too."""

from ..arrays import to_host


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

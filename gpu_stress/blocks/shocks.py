"""The market's correlated shocks: the correlation of price, utilization and rate shocks, and which are on.

The Cholesky factor of the (price, rate, utilization) correlation builds the market's two
shocks from its two normals, and a firm's utilization shock from those and its own.
"""

import math

import numpy as np
from pydantic import model_validator

from ..config.types import Correlation, Section
from ..kernels import layout as L
from .slots import Slot
from .view import BASE_CASE_REASON, slot_indices

# --- the config sections (schema) ---


class CorrelationMatrix(Section):
    price_utilization: Correlation = 0.0
    price_rates: Correlation = 0.0
    utilization_rates: Correlation = 0.0

    def matrix(self):
        rho_pu, rho_pr, rho_ur = self.price_utilization, self.price_rates, self.utilization_rates
        return np.array([[1.0, rho_pu, rho_pr], [rho_pu, 1.0, rho_ur], [rho_pr, rho_ur, 1.0]])

    @model_validator(mode="after")
    def _positive_semidefinite(self):
        smallest = np.linalg.eigvalsh(self.matrix()).min()
        if smallest < -1e-10:
            raise ValueError(f"correlation matrix is not positive semi-definite (smallest eigenvalue {smallest:.4g})")
        return self


def correlation_factor(matrix):
    """Lower-triangular L with L L^T = matrix, for positive semi-definite matrices.

    A plain Cholesky that sets a column to zero when its pivot vanishes, so
    perfectly correlated shocks (rho = +-1) work too.
    """
    size = len(matrix)
    factor = np.zeros((size, size))
    for column in range(size):
        pivot = matrix[column, column] - factor[column, :column] @ factor[column, :column]
        if pivot <= 1e-12:
            continue
        factor[column, column] = math.sqrt(pivot)
        for row in range(column + 1, size):
            off_diagonal = matrix[row, column] - factor[row, :column] @ factor[column, :column]
            factor[row, column] = off_diagonal / factor[column, column]
    return factor


def _market_first(matrix):
    """The (price, utilization, rate) correlation matrix reordered (price, rate, utilization).

    Its Cholesky factor then builds the market's shocks from the market's two
    normals alone, and a firm's utilization shock from those and its own.
    """
    order = [0, 2, 1]
    return matrix[np.ix_(order, order)]


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "market.correlation": CorrelationMatrix,
}
KERNEL = (
    "market.market_step",
    "operations.utilization_step",
)


SLOTS = (
    Slot(
        L.CHOLESKY,
        "",
        (
            "market.correlation.price_utilization",
            "market.correlation.price_rates",
            "market.correlation.utilization_rates",
        ),
        lambda c: list(correlation_factor(_market_first(c.market.correlation.matrix()))[np.tril_indices(3)]),
        6,
    ),
)


def shocks_rule(f):
    v = f.v
    market = f.config.market
    means = {v[L.UTILIZATION_LOGIT_MEAN + r] for r in f.regimes}
    if (f.base_case or v[L.UTILIZATION_SHOCK] == 0) and means == {v[L.UTILIZATION_LOGIT_INITIAL]}:
        reason = "utilization starts at its long-run mean and has no shock (it never moves)"
        yield slot_indices("UTILIZATION_DECAY", "UTILIZATION_SHOCK"), reason
    if f.base_case:
        shocks = ["LOG_VOLATILITY", "CHOLESKY", "RATE_SHOCK", "UTILIZATION_SHOCK", "BASIS_SHOCK", "BASIS_DECAY"]
        yield (
            slot_indices(*shocks[:1], size=2) + slot_indices("CHOLESKY", size=6) + slot_indices(*shocks[2:]),
            BASE_CASE_REASON,
        )
        return
    if v[L.RATE_SHOCK] == 0:
        off = "market.rates.enabled is false" if not market.rates.enabled else "market.rates.volatility is 0"
        yield [L.CHOLESKY + 1, L.CHOLESKY + 2], f"{off} (no rate shocks)"
    if v[L.UTILIZATION_SHOCK] == 0:
        on = market.utilization.enabled
        off = "market.utilization.volatility is 0" if on else "market.utilization.enabled is false"
        yield [L.CHOLESKY + 3, L.CHOLESKY + 4, L.CHOLESKY + 5], f"{off} (no utilization shocks)"
    if v[L.BASIS_SHOCK] == 0:
        yield [L.BASIS_DECAY], "price_basis.volatility is 0 (the firm has no price basis of its own)"


RULES = (("shocks", shocks_rule),)  # correlations of a shock that is off; reversion with nothing to revert


EVENTS = ()  # no dated event of its own in a scenario's config


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {}
STATEMENT_LINES = ()

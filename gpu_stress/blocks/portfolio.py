"""Portfolio and fire sales: each firm's place in a portfolio and the secondary market its lenders sell GPUs into.

A firm alone has none: its slots hold 0, and a portfolio sets them for each of its
firms (:func:`fill_portfolio_slots`, from ``params.portfolio_matrix``).
"""

import math

import numpy as np

from ..config.types import Section, between
from ..kernels import layout as L
from .slots import Slot

# --- the config section (schema): [fire_sales] of a portfolio ---


class FireSales(Section):
    """The secondary market for GPUs sold by lenders: resale index exp(-impact x overhang / depth)."""

    depth_gpus: between(1, 1e9) = 100_000.0  # GPUs: an overhang this large cuts resale values by 1 - e^-impact
    impact: between(0, 20) = 0.0  # 0: no price impact (every firm as if alone)
    half_life_months: between(0.1, 1200) = 6.0  # the market absorbs half of the overhang in this time

    @property
    def impact_per_gpu(self):
        return self.impact / self.depth_gpus

    @property
    def retention(self):
        """Share of the overhang left after a month."""
        return math.exp(-math.log(2.0) / self.half_life_months)


# --- its home in the config, and the kernel functions that read its slots (kernels/<module>.py) ---
SECTIONS = {
    "fire_sales": FireSales,
}
KERNEL = (
    "draws.fill_firm_draws",
    "portfolio.simulate_portfolio_path",
)


SLOTS = (
    Slot(L.FIRM_STREAM, "firm index", (), lambda c: 0.0),
    # A firm alone sells into no secondary market; a portfolio sets its [fire_sales] (portfolio_matrix).
    Slot(L.FIRE_SALE_IMPACT, "per GPU", (), lambda c: 0.0),
    Slot(L.FIRE_SALE_RETENTION, "per month", (), lambda c: 0.0),
)

# Slots a portfolio sets for each firm rather than any setting of the firm.
PORTFOLIO_SLOTS = (L.FIRM_STREAM, L.FIRE_SALE_IMPACT, L.FIRE_SALE_RETENTION)


def fill_portfolio_slots(rows, portfolio):
    """Set the portfolio's slots of its matrix ``rows`` (firm x parameter): each firm's place, the secondary market.

    Firm f draws its own random blocks (entity 1 + f); every row holds the [fire_sales] market:
    impact per GPU of overhang (``impact / depth_gpus``) and the overhang's monthly retention.
    """
    rows[:, L.FIRM_STREAM] = np.arange(len(rows))
    rows[:, L.FIRE_SALE_IMPACT] = portfolio.fire_sales.impact_per_gpu
    rows[:, L.FIRE_SALE_RETENTION] = portfolio.fire_sales.retention


def fire_sales_rule(portfolio):
    """A secondary market with no price impact: how long an overhang lasts changes nothing."""
    if portfolio.fire_sales.impact == 0:
        yield [L.FIRE_SALE_RETENTION], "fire_sales.impact is 0 (no price impact)"


RULES = ()  # a firm alone reads none of its slots
PORTFOLIO_RULES = (("fire sales", fire_sales_rule),)  # rule(portfolio config): what no firm of it reads


EVENTS = ()  # no dated event of its own in a scenario's config


# --- the per-path outputs it writes (name: (unit, description[, values])) and its statement lines ---
FIELDS = {
    "min_resale_index": ("index", "the lowest monthly resale-value index of the path's fire sales (1: no discount)"),
    "gpus_sold": ("GPU", "GPUs the lenders of defaulted firms sold on the path, in all"),
}
STATEMENT_LINES = ()

"""Portfolio configurations: several firms in one market, the secondary market for GPUs, a lender's book.

A portfolio table has ``[[firms]]`` (each a built-in ``preset`` and/or an
inline ``config`` table of firm settings merged over it), one ``[simulation]``
and ``[market]`` for all (the market table is merged over every firm's, so
every firm sees one market path), ``[fire_sales]`` (the secondary market's
depth and price impact) and ``[[book]]`` (the lender's exposures: an amount
of one firm's tranche, or pro rata of all its debt) and ``[[obligors]]`` (named credits
for every firm: a firm's obligor of the same name is this one, so its default is one event).

Example::

    [[firms]]
    preset = "coreweave"
    [firms.config.price_basis]
    volatility = 0.10

    [[book]]
    firm = "coreweave"
    tranche = "2030 senior notes"
    amount = 250e6
"""

from typing import Annotated

from pydantic import Field, PrivateAttr

from ..blocks.portfolio import FireSales
from ..kernels.layout import MAX_FIRMS
from .schema import About, Dollars, Name, Section, Simulation, Stress

# Tables a portfolio sets for all its firms: a firm's config may not (its preset's are the portfolio's).
PORTFOLIO_WIDE = ("simulation", "sweep", "firms", "overlay", "stress")


class FirmEntry(Section):
    name: Name | None = None  # default: the preset's name, else config.firm.name
    preset: Name | None = None  # a built-in preset (gpu-stress presets)
    config: dict = Field(default_factory=dict)  # firm settings (as in a firm's TOML) merged over the preset


class Exposure(Section):
    firm: str  # a firm's name
    tranche: Name | None = None  # a tranche of its [[debt]] by name; none: pro rata of all its debt
    amount: Dollars  # $ of the tranche's commitment (principal + undrawn at month 0) the lender holds


class PortfolioConfig(Section):
    about: About = About()
    simulation: Simulation = Simulation()
    market: dict = Field(default_factory=dict)  # market settings for every firm (as in a firm's [market])
    fire_sales: FireSales = FireSales()
    firms: Annotated[list[FirmEntry], Field(min_length=1, max_length=MAX_FIRMS)]
    book: list[Exposure] = Field(default_factory=list)
    obligors: list[dict] = Field(default_factory=list)  # obligors for every firm (as a firm's [[obligors]]), by name
    overlay: dict = Field(default_factory=dict)  # the stress overlay in effect, for every firm (as a firm's [overlay])
    stress: list[Stress] = Field(default_factory=list)  # named stress scenarios, each run beside the baseline
    sweep: dict[str, list[bool | int | float | str]] = Field(default_factory=dict)

    # Filled by ``load.validate``: each firm's validated Config, in the order of [[firms]].
    _firm_configs: list = PrivateAttr(default_factory=list)

    @property
    def firm_configs(self):
        return self._firm_configs

    def firm_names(self):
        return [config.firm.name for config in self._firm_configs]

    def exposure_shares(self):
        """(firm index, tranche index or -1, share) of each exposure: amount / what it is a share of."""
        names = self.firm_names()
        shares = []
        for exposure in self.book:
            firm = names.index(exposure.firm)
            tranche, commitment = held_against(self._firm_configs[firm].debt, exposure.tranche)
            shares.append((firm, tranche, exposure.amount / commitment))
        return shares


def held_against(debt, tranche_name):
    """(tranche index, or -1 for all the debt pro rata; its commitment at month 0, $) an exposure holds a share of."""
    commitments = [tranche.principal + tranche.commitment for tranche in debt]
    if tranche_name is None:
        return -1, sum(commitments)
    index = [tranche.name for tranche in debt].index(tranche_name)
    return index, commitments[index]


def is_portfolio(table):
    """True for a portfolio table (it lists [[firms]])."""
    return isinstance(table, dict) and "firms" in table

"""Sweeps: a cartesian grid of scenarios over dotted config keys.

``[sweep]`` in the config (or ``--sweep key=v1,v2,...``) maps keys to lists of
values; scenario ids number the grid with the last key varying fastest.
Each scenario is the base table with its values set, validated on its own so
that an error names the swept key and value that caused it.
"""

import copy
import itertools
from dataclasses import dataclass

import numpy as np

from .config.load import ConfigError, parse_value, set_dotted, split_assignment, validate
from .config.portfolio import PortfolioConfig
from .params import initial_debt, parameter_vector, portfolio_matrix

RUN_LEVEL = "simulation."  # one value per run: paths, horizon, seed, precision ...


@dataclass(frozen=True)
class Scenario:
    scenario_id: int
    values: dict  # swept key -> value
    config: object  # validated Config

    @property
    def portfolio(self):
        return isinstance(self.config, PortfolioConfig)

    @property
    def firm_configs(self):
        """Its firms' configs: the portfolio's, or the one firm's."""
        return self.config.firm_configs if self.portfolio else [self.config]

    @property
    def initial_debt(self):
        """$ at stake at month 0: the firm's committed debt, or the book's exposures of a portfolio."""
        if self.portfolio:
            return sum(exposure.amount for exposure in self.config.book)
        return initial_debt(self.config)


def parse_sweep_option(assignment):
    """``key=v1,v2,...`` from the command line -> (key, [values])."""
    key, text = split_assignment(assignment, option="--sweep")
    values = [parse_value(part.strip()) for part in text.split(",") if part.strip()]
    if not values:
        raise ConfigError(f"--sweep {key}: no values given")
    return key, values


def expand(table, extra_sweeps=()):
    """All scenarios of the table's ``[sweep]`` plus ``extra_sweeps`` (later keys win)."""
    base = validate(table)
    sweep = dict(base.sweep)
    sweep.update(extra_sweeps)
    base_table = {key: value for key, value in table.items() if key != "sweep"}
    for key, values in sweep.items():
        if key.startswith(RUN_LEVEL) or key == "sweep" or key.startswith("sweep."):
            raise ConfigError(f"sweep.{key}: run-level settings cannot be swept")
        if not values:
            raise ConfigError(f"sweep.{key}: no values given")
    keys = list(sweep)
    scenarios = []
    for scenario_id, combination in enumerate(itertools.product(*(sweep[key] for key in keys))):
        scenario_table = copy.deepcopy(base_table)
        for key, value in zip(keys, combination, strict=True):
            set_dotted(scenario_table, key, value)
        values = dict(zip(keys, combination, strict=True))
        try:
            config = validate(scenario_table)
        except ConfigError as error:
            named = ", ".join(f"{key}={value!r}" for key, value in values.items())
            raise ConfigError(f"sweep ({named}): {error}") from None
        scenarios.append(Scenario(scenario_id, values, config))
    return base, scenarios


def parameter_matrix(scenarios):
    """float64 (scenario, parameter), or (scenario, firm, parameter) for a portfolio."""
    if scenarios[0].portfolio:
        return np.stack([portfolio_matrix(scenario.config) for scenario in scenarios])
    return np.stack([parameter_vector(scenario.config) for scenario in scenarios])

"""Sweeps: a cartesian grid of scenarios over dotted config keys.

``[sweep]`` in the config (or ``--sweep key=v1,v2,...``) maps keys to lists of
values; scenario ids number the grid with the last key varying fastest.
Each scenario is the base table with its values set, validated on its own so
that an error names the swept key and value that caused it.

Named stress scenarios (``[[stress]]``) are one more dimension, the slowest:
``stress`` = "baseline" (the table as it is), then each stress laid over
``[overlay]``; the swept values are set after it, so a sweep of an
``overlay.*`` key sizes every stress.
"""

import copy
import itertools
import math
from dataclasses import dataclass

import numpy as np

from .blocks.facilities import initial_debt
from .config.load import (
    ConfigError,
    apply_layer,
    merge,
    parse_value,
    pin_horizon,
    set_dotted,
    split_assignment,
    validate,
)
from .config.portfolio import PortfolioConfig
from .config.schema import BASELINE
from .errors import excerpt
from .params import parameter_vector, portfolio_matrix

RUN_LEVEL = "simulation."  # one value per run: paths, horizon, seed, precision ...
STRESS_KEY = "stress"  # the scenario's stress: its column in the results


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


def _same(value, other):
    """Two swept values that make the same scenario (1e9 and 1000000000 do; True and 1 do not)."""
    return (type(value) is type(other) and value == other) or (
        isinstance(value, int | float)
        and isinstance(other, int | float)
        and not isinstance(value, bool)
        and not isinstance(other, bool)
        and value == other
    )


def parse_sweep_option(assignment):
    """``key=v1,v2,...`` from the command line -> (key, [values])."""
    key, text = split_assignment(assignment, option="--sweep")
    values = [parse_value(part.strip()) for part in text.split(",") if part.strip()]
    if not values:
        raise ConfigError(f"--sweep {key}: no values given")
    return key, values


MAX_SCENARIOS = 10_000  # a grid beyond it is refused before any work (run --max-scenarios raises it)


def expand(table, extra_sweeps=(), layered=True, max_scenarios=MAX_SCENARIOS):
    """All scenarios of the table's ``[sweep]`` plus ``extra_sweeps`` (later keys win).

    ``layered``: swept values are a later layer (``config.load.apply_layer``); False sets them
    plainly, as gpu-stress before 0.7 did (:func:`expand_recorded` replays such runs).
    """
    base = validate(table)
    sweep = dict(base.sweep)
    sweep.update(extra_sweeps)
    # every scenario runs the base's months, whatever it sets
    base_table = pin_horizon({key: value for key, value in table.items() if key not in ("sweep", STRESS_KEY)}, base)
    for key, values in sweep.items():
        if key.startswith(RUN_LEVEL) or key == "sweep" or key.startswith("sweep."):
            raise ConfigError(f"sweep.{key}: run-level settings cannot be swept")
        if not values:
            raise ConfigError(f"sweep.{key}: no values given")
        for index, value in enumerate(values):
            if any(_same(value, earlier) for earlier in values[:index]):
                raise ConfigError(f"sweep.{key}: {excerpt(value)} is given twice (each value makes one scenario)")
    keys = list(sweep)
    stresses = [None, *base.stress] if base.stress else [None]
    count = math.prod(len(values) for values in sweep.values()) * len(stresses)
    if max_scenarios is not None and count > max_scenarios:
        raise ConfigError(
            f"sweep: {count:,} scenarios, more than the limit of {max_scenarios:,} (raise it with --max-scenarios)"
        )
    scenarios = []
    grid = itertools.product(stresses, *(sweep[key] for key in keys))
    for scenario_id, (stress, *combination) in enumerate(grid):
        scenario_table = copy.deepcopy(base_table)
        if stress is not None:
            laid = stress.model_dump(exclude_unset=True) | {"name": stress.name}
            scenario_table["overlay"] = merge(scenario_table.get("overlay", {}), laid)
        if layered:
            apply_layer(scenario_table, zip(keys, combination, strict=True))  # a later layer than the table
        else:
            for key, value in zip(keys, combination, strict=True):
                set_dotted(scenario_table, key, value)
        values = dict(zip(keys, combination, strict=True))
        if base.stress:
            values = {STRESS_KEY: BASELINE if stress is None else stress.name} | values
        try:
            config = validate(scenario_table)
        except ConfigError as error:
            named = ", ".join(f"{key}={value!r}" for key, value in values.items())
            raise ConfigError(f"sweep ({named}): {error}") from None
        if base.stress and stress is None:
            values[STRESS_KEY] = _overlay_label(config)  # "baseline", or the [overlay] every scenario has
        scenarios.append(Scenario(scenario_id, values, config))
    return base, scenarios


def expand_recorded(record):
    """(base, scenarios) of a results directory's run record, expanded as the gpu-stress that ran it did."""
    version = record.gpu_stress_version.split(".")[:2]
    written_by = tuple(int(part) for part in version if part.isdigit())
    # No scenario limit: the run was planned under its own (run --max-scenarios).
    return expand(record.table, record.sweeps, layered=written_by >= LAYERED_SINCE, max_scenarios=None)


LAYERED_SINCE = (0, 7)  # the version whose swept base values replace the regimes' own (apply_layer)


def _overlay_label(config):
    overlay = config.firm_configs[0].overlay if isinstance(config, PortfolioConfig) else config.overlay
    return overlay.label


def scenario_keys(base, sweeps=()):
    """The keys that tell a run's scenarios apart: ``stress`` if it has stresses, then the swept keys."""
    return ([STRESS_KEY] if base.stress else []) + list(dict(base.sweep) | dict(sweeps))


def parameter_matrix(scenarios):
    """float64 (scenario, parameter), or (scenario, firm, parameter) for a portfolio."""
    if scenarios[0].portfolio:
        return np.stack([portfolio_matrix(scenario.config) for scenario in scenarios])
    return np.stack([parameter_vector(scenario.config) for scenario in scenarios])

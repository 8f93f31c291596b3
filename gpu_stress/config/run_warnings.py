"""The run's warnings: overrides, swept keys and keys of a user's config that change nothing, and sweeps whose
scenarios are the same model (``config.effects`` judges each key; this module words the run's verdicts)."""

import copy
import itertools
import typing
from collections.abc import Mapping

from .effects import GENERIC, current_value, field_of, judged, literal_choices, no_effect_reason, resolve
from .load import (
    ConfigError,
    _field_model,
    apply_layer,
    leaf_keys,
    merge,
    parse_value,
    shadowed_keys,
    split_assignment,
    validate,
)
from .portfolio import PortfolioConfig, is_portfolio
from .schema import Config, Market, numeric_range

SCENARIO_CAP = 64  # sweeps of more scenarios are judged on the combinations of the first values of the others


def _literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    return repr(value)


def _assignments(overrides):
    """[(key, value, text)] of ``--set`` overrides given as ``"key=value"`` strings or (key, value) pairs."""
    found = []
    for override in overrides:
        if isinstance(override, str):
            key, text = split_assignment(override)
            found.append((key, parse_value(text), f"{key}={text}"))
        else:
            key, value = override
            found.append((key, value, f"{key}={_literal(value)}"))
    return found


def _resolved_or_none(table):
    try:
        return resolve(validate(table))
    except ConfigError:
        return None


_MISSING = object()


def _same(a, b):
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def override_warnings(base_table, overrides=(), sweeps=(), config_keys=()):
    """One-line warnings (``warning: --set KEY=VALUE has no effect: ...``) for what changes nothing.

    ``base_table``: the table before the overrides (preset and file); ``overrides``: the ``--set``
    assignments (``"key=value"`` or (key, value)), one layer; ``sweeps``: (key, values) of ``--sweep``
    (the table's own ``[sweep]`` too); ``config_keys``: dotted leaf keys of the user's config file
    (:func:`load.table_leaf_keys`), each warned about if it has no effect in every scenario. A key a
    later layer sets again or replaces is not warned about as a config key (that is what overrides do).
    """
    warnings = []
    assignments = _assignments(overrides)
    pairs = [(key, value) for key, value, _ in assignments]
    table = apply_layer(copy.deepcopy(base_table), pairs)
    resolved = _resolved_or_none(table)
    if resolved is None:
        return []  # the run itself reports the invalid configuration
    sweep = {**dict(table.get("sweep", {})), **dict(sweeps)}
    cli_sweeps = dict(sweeps)
    swept_leaves = {leaf for key, values in sweep.items() for value in values for leaf in leaf_keys(key, value)}
    scenarios = _scenarios(table, sweep)
    for index, (key, value, text) in enumerate(assignments):
        if not judged(key):
            continue  # run settings, free text and stress overlays are the run's, not the model's parameters
        option = f"--set {text}"
        later = [
            other for other, _, other_text in assignments[index + 1 :] if key == other or key.startswith(other + ".")
        ]
        later = [other_text for other, _, other_text in assignments[index + 1 :] if other in later]
        if later:
            warnings.append(f"warning: {option} has no effect: --set {later[-1]} replaces it")
            continue
        if key in sweep:
            reason = f"{_sweep_option(key, cli_sweeps)} sets it in every scenario"
            warnings.append(f"warning: {option} has no effect: {reason}")
            continue
        without = apply_layer(copy.deepcopy(base_table), pairs[:index] + pairs[index + 1 :])
        other = _resolved_or_none(without)
        if other is None or not other.same_as(resolved):
            continue
        if not _same_scenarios(scenarios, _scenarios(without, sweep)):
            continue  # it matters in some stress or swept scenario
        try:
            before = current_value(without, key, other.config)
        except (KeyError, IndexError, TypeError, AttributeError):
            before = _MISSING
        if before is not _MISSING and _same(before, value):
            reason = f"{key} already has this value"
        elif _verdict_kind(key, resolved):
            reason = no_effect_reason(table, key, resolved) or GENERIC
        else:
            continue  # a name or a list that changes no parameter (a label): not the model's
        warnings.append(f"warning: {option} has no effect: {reason}")
    for key, values in sweep.items():
        option = f"{_sweep_option(key, cli_sweeps)}={','.join(_literal(value) for value in values)}"
        if judged(key) and len(values) > 1 and _sweep_is_inert(scenarios, key):
            first = next((item for item in scenarios if item[2] is not None), None)
            reason = (no_effect_reason(first[1], key, first[2]) if first else None) or (
                "its values give the same parameters in every scenario"
            )
            warnings.append(f"warning: {option} has no effect: {reason}")
    set_leaves = {leaf for key, value in pairs for leaf in leaf_keys(key, value)}
    replaced = set(shadowed_keys(set_leaves)) | set(shadowed_keys(swept_leaves))
    for key in config_keys:
        if not judged(key) or any(
            key == other or key.startswith(other + ".") for other in set_leaves | set(sweep) | replaced
        ):
            continue
        reason = _dead_everywhere(key, table, resolved, scenarios)
        if reason:
            warnings.append(f"warning: config key {key} has no effect: {reason}")
    return warnings


def _verdict_kind(key, resolved):
    """True for a setting that gets a verdict: a number of a range, a boolean, a choice."""
    field = field_of(key, isinstance(resolved.config, PortfolioConfig))
    return field is not None and bool(
        numeric_range(field) or field.annotation is bool or literal_choices(field.annotation)
    )


def _sweep_option(key, cli_sweeps):
    return f"--sweep {key}" if key in cli_sweeps else f"sweep.{key}"


def _scenarios(table, sweep):
    """[(values, scenario table, resolved or None)] of the run's scenarios (``scenarios.expand``: each
    ``[[stress]]`` beside the baseline, times the sweep's grid; at most SCENARIO_CAP of the grid)."""
    stresses = [None, *table.get("stress", [])]
    if not sweep and len(stresses) == 1:
        return []
    base = {key: value for key, value in table.items() if key not in ("sweep", "stress")}
    keys = list(sweep)
    grid = list(itertools.product(*(sweep[key] for key in keys)))
    if len(grid) > SCENARIO_CAP:  # each key's values, the others at their first
        grid = [
            tuple(value if key == varied else sweep[key][0] for key in keys)
            for varied in keys
            for value in sweep[varied]
        ]
    found = []
    for stress in stresses:
        for combination in grid:
            values = dict(zip(keys, combination, strict=True))
            scenario_table = copy.deepcopy(base)
            if stress is not None:
                scenario_table["overlay"] = merge(scenario_table.get("overlay", {}), stress)
                values = {"stress": stress.get("name")} | values
            try:
                apply_layer(scenario_table, [(key, value) for key, value in values.items() if key != "stress"])
            except ConfigError:
                continue
            found.append((values, scenario_table, _resolved_or_none(scenario_table)))
    return found


def _same_scenarios(first, second):
    """True if two lists of ``_scenarios`` resolve alike, scenario by scenario."""
    return len(first) == len(second) and all(
        a is not None and b is not None and a.same_as(b) for (_, _, a), (_, _, b) in zip(first, second, strict=True)
    )


def _sweep_is_inert(scenarios, key):
    """True if, whatever the other swept keys, every value of ``key`` gives the same canonical parameters."""
    groups = {}
    for values, _, resolved in scenarios:
        if resolved is None:
            return False
        others = tuple((other, _literal(value)) for other, value in values.items() if other != key)
        groups.setdefault(others, []).append(resolved)
    return bool(groups) and all(all(item.same_as(group[0]) for item in group[1:]) for group in groups.values())


def _dead_everywhere(key, table, resolved, scenarios):
    """The reason config key ``key`` has no effect in the run's table and in each scenario, or None."""
    reason = no_effect_reason(table, key, resolved)
    if reason is None:
        return None
    for _, scenario_table, scenario in scenarios:
        if scenario is not None and no_effect_reason(scenario_table, key, scenario) is None:
            return None
    return reason


def identical_scenarios(configs):
    """Warnings naming the scenarios whose canonical parameters are identical.

    ``configs``: (scenario id, {swept key: value}, validated config) per scenario, or scenarios.Scenario
    objects. Each group of two or more is one line: ``warning: scenarios 0 and 2 have identical parameters
    (market.price.drift=0.05 vs market.price.drift=0.1)``, the values shown those in which they differ.
    """
    groups = {}  # by what the kernels read: one pass, however many scenarios
    for item in configs:
        scenario_id, values, config = (
            (item.scenario_id, item.values, item.config) if hasattr(item, "scenario_id") else item
        )
        resolved = resolve(config)
        key = ((resolved.canonical + 0.0).tobytes(), resolved.canonical.shape, repr(resolved.extra))  # (-0.0 is 0.0)
        groups.setdefault(key, []).append((scenario_id, values, resolved))
    warnings = []
    for group in groups.values():
        if len(group) < 2:
            continue
        ids = [str(scenario_id) for scenario_id, _, _ in group]
        named = ", ".join(ids[:-1]) + f" and {ids[-1]}"
        keys = [key for key in group[0][1] if len({_literal(values.get(key)) for _, values, _ in group}) > 1]
        keys = keys or list(group[0][1])
        shown = " vs ".join(", ".join(f"{key}={_literal(values[key])}" for key in keys) for _, values, _ in group)
        detail = f" ({shown})" if shown else ""
        warnings.append(f"warning: scenarios {named} have identical parameters{detail}")
    return warnings


def setting_keys(table):
    """Every key of the schema that can be set in ``table``: its sections' settings and those of each entry of
    its lists (``debt.3.principal``); for a portfolio its own (``fire_sales.impact``, ``book.0.amount``), its
    market's (``market.price.drift``) and each firm entry's section settings (``firms.0.config.firm.cash``)."""
    if not is_portfolio(table):
        return list(_model_keys(Config, table))
    keys = [key for key in _model_keys(PortfolioConfig, table) if not key.startswith(("market", "firms"))]
    keys += ["market." + key for key in _model_keys(Market, {})]
    for index in range(len(table["firms"])):
        keys += [f"firms.{index}.config.{key}" for key in _model_keys(Config, {}) if not key.startswith("market.")]
    return keys


def _model_keys(model, table, prefix=""):
    for name, field in model.model_fields.items():
        inner = _field_model(field)
        value = table.get(name) if isinstance(table, Mapping) else None
        if inner is None:
            if field.annotation is not dict:
                yield prefix + name
        elif typing.get_origin(field.annotation) is list or isinstance(value, list):
            for index, entry in enumerate(value or []):
                yield from _model_keys(inner, entry, f"{prefix}{name}.{index}.")
        else:
            yield from _model_keys(inner, value or {}, f"{prefix}{name}.")

"""The numeric settings of a configuration, their groups and ranges, and the values a bump sets them to.

A *setting* is a dotted config key with a number the model reads: ``firm.cash``,
``market.regime.glut.drift``, ``debt.0.principal`` (list entries by their index, as
``--set`` writes them). :func:`numeric_settings` walks the schema
(``gpu_stress.config.schema``) over a validated configuration, so it lists every
numeric key of the model with its value, its type and its allowed range
(``schema.numeric_range``), whatever the schema holds when it runs. It leaves out
the run-level keys (``simulation.*``), text, booleans and choices.

An optional key left unset inherits another setting (``market.regime.glut.drift``
falls back to ``market.price.drift``, ``glut_*`` probabilities to their shortage
counterpart, a cohort's ``age_decay`` to its generation's, else ``collateral.age_decay``): its base value is
the inherited one, so setting it explicitly to that value changes nothing, and a bump
moves it alone. An unset key with nothing to inherit (a contract's ``end_month``) has
no value to bump and is skipped.
"""

import math
import re
from dataclasses import dataclass

from pydantic import BaseModel

from ..config.load import ConfigError, closest, did_you_mean, validate, with_value
from ..config.portfolio import PortfolioConfig
from ..config.schema import numeric_range

RUN_LEVEL = ("simulation.",)
# Stress overlays are scenarios laid over the model, not parameters of it: sensitivity leaves them out
# unless asked for by --param or --group; reverse searches their size like any other number.
OVERLAY_PREFIXES = ("overlay.", "stress.")
TWO_LEVEL_SECTIONS = ("market",)  # grouped by their sub-section: market.price, market.regime, ...


@dataclass(frozen=True)
class Setting:
    """A numeric config key of one configuration: its value (or the one it inherits), type and range."""

    key: str
    kind: type  # int or float
    low: float  # the allowed range, both ends included
    high: float
    value: float | None  # None: unset with nothing to inherit
    inherits: str | None = None  # the key it falls back to while unset

    @property
    def group(self):
        return group_of(self.key)

    @property
    def overlay(self):
        return self.key.startswith(OVERLAY_PREFIXES)


def group_of(key):
    """``market.price.drift`` -> ``market.price``; ``debt.0.principal`` -> ``debt``; ``firm.cash`` -> ``firm``."""
    parts = key.split(".")
    if parts[0] in TWO_LEVEL_SECTIONS and len(parts) > 2:
        return ".".join(parts[:2])
    return parts[0]


def validated(table):
    """The validated single-firm :class:`Config` of a raw table (a portfolio is refused in one line)."""
    config = validate(table)
    if isinstance(config, PortfolioConfig):
        raise ConfigError("config: a portfolio ([[firms]]): sensitivity and reverse bump one firm's configuration")
    return config


def numeric_settings(config):
    """Every numeric :class:`Setting` of a validated config, in schema order (run-level keys left out)."""
    document = config.model_dump()
    found = []
    for key, field in _numeric_fields(config, ""):
        if key.startswith(RUN_LEVEL):
            continue
        kind, low, high = numeric_range(field)
        value = _value_at(document, key)
        inherits = None
        if value is None:
            inherits = inherited_key(key, document)
            value = None if inherits is None else _value_at(document, inherits)
        found.append(Setting(key, kind, low, high, value, inherits))
    return found


def _numeric_fields(model, prefix):
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = prefix + name
        if isinstance(value, BaseModel):
            yield from _numeric_fields(value, key + ".")
        elif isinstance(value, list) and value and all(isinstance(entry, BaseModel) for entry in value):
            for index, entry in enumerate(value):
                yield from _numeric_fields(entry, f"{key}.{index}.")
        elif numeric_range(field) is not None:
            yield key, field


_REGIME_FALLBACK = {"drift": "market.price.drift", "volatility": "market.price.volatility"}
_REGIME_FALLBACK["utilization"] = "market.utilization.mean"


def _generation_curve(cohort_key, document):
    """The key of the used-value curve of a cohort's generation, if [[generations]] sets one."""
    cohort = int(cohort_key.split(".")[1])
    try:
        generation = _value_at(document, f"cohorts.{cohort}.generation")
    except (KeyError, IndexError, TypeError):
        generation = "H100"
    for k, entry in enumerate(document.get("generations", [])):
        if entry.get("name") == generation and entry.get("age_decay") is not None:
            return f"generations.{k}.age_decay"
    return None


def inherited_key(key, document):
    """The key an unset optional ``key`` falls back to (see the module docstring), or None."""
    parts = key.split(".")
    match = re.fullmatch(r"market\.regime\.(shortage|glut)\.(\w+)", key)
    if match:
        return _REGIME_FALLBACK.get(match.group(2))
    if re.fullmatch(r"cohorts\.\d+\.age_decay", key):
        return _generation_curve(key, document) or "collateral.age_decay"
    if re.fullmatch(r"generations\.\d+\.age_decay", key):
        return "collateral.age_decay"
    if parts[-1].startswith("glut_"):
        sibling = ".".join([*parts[:-1], parts[-1].removeprefix("glut_")])
        try:
            _value_at(document, sibling)
        except (KeyError, IndexError, TypeError):
            return None
        return sibling
    return None


def _value_at(document, key):
    for part in key.split("."):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


def find_setting(settings, key, option, config=None):
    """The :class:`Setting` of ``key``; else a one-line ConfigError naming ``option`` and the closest key.

    ``config``: the validated config, to tell a key that is not a number (text, a switch, a choice) from a typo.
    """
    by_key = {setting.key: setting for setting in settings}
    if key in by_key:
        return by_key[key]
    if key.startswith(RUN_LEVEL):
        raise ConfigError(f"{option}: {key} is a run-level setting (use --paths, --seed or --horizon)")
    if config is not None:
        try:
            value = _value_at(config.model_dump(), key)
        except (KeyError, IndexError, TypeError, ValueError):
            pass
        else:
            what = "a table" if isinstance(value, dict | list) else f"{type(value).__name__} {value!r}"
            raise ConfigError(f"{option}: {key} is not a number the model reads ({what})")
    hint = did_you_mean(key, by_key)
    raise ConfigError(f"{option}: {key}: not a numeric setting of this configuration{hint}")


def choose_groups(settings, groups):
    """The settings of ``groups`` (a group's name, or a dotted prefix such as ``market``); errors name --group."""
    names = sorted({setting.group for setting in settings})
    chosen = []
    for group in groups:
        members = [s for s in settings if s.group == group or s.key.startswith(group.rstrip(".") + ".")]
        if not members:
            match = closest(group, names)
            hint = f" (did you mean {match!r}?)" if match else ""
            raise ConfigError(f"--group: no numeric setting in {group!r}{hint} (groups: {', '.join(names)})")
        chosen += [member for member in members if member not in chosen]
    return chosen


def typed(setting, value):
    """``value`` as the setting's type: an int key gets a whole number, a float 12 significant digits (0.33,
    not 0.32999999999999996)."""
    return round(value) if setting.kind is int else float(f"{value:.12g}")


def bump_values(setting, bump):
    """(low, high) values of a relative ``bump`` of ``setting``, each None where it would not move it.

    The step is ``bump`` x |value|, or ``bump`` x the width of the allowed range for a value
    of 0; values are clipped to the range, and an int key moves by at least 1. A direction
    that clipping brings back to the base value (a key at an end of its range) is None.
    """
    base = setting.value
    step = bump * abs(base) if base != 0 else bump * (setting.high - setting.low)
    low, high = base - step, base + step
    if setting.kind is int:
        low, high = min(math.floor(low + 0.5), base - 1), max(math.floor(high + 0.5), base + 1)
    low, high = max(low, setting.low), min(high, setting.high)
    return (typed(setting, low) if low < base else None), (typed(setting, high) if high > base else None)


def check_value(table, key, value, option):
    """The validated config of ``table`` with ``key`` = ``value``; a ConfigError names ``option`` and the key."""
    try:
        return validated(with_value(table, key, value))
    except ConfigError as error:
        raise ConfigError(f"{option}: {key}={value!r}: {error}") from None

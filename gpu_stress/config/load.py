"""Reading configurations: presets, TOML files and ``--set dotted.key=value`` overrides.

Layers, later ones winning: a preset (``coreweave`` if neither a preset nor a
file is given), a TOML file, then overrides (all ``--set`` together are one
layer, each scenario's swept values a later one). Within a layer a regime's own
drift, volatility or utilization wins over the base value; a layer that sets
the base value (``market.price.drift`` ...) clears the regime values earlier
layers set (:func:`apply_layer`). Every failure becomes a :class:`ConfigError`
whose message is one line naming the offending field.
"""

import copy
import difflib
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal, get_args, get_origin

import pydantic

from ..blocks.obligors import Obligor
from ..blocks.regimes import REGIME_SHADOWS
from ..blocks.run import TO_LAST_MATURITY, horizon_to_maturity
from ..errors import UserError, excerpt
from .portfolio import PORTFOLIO_WIDE, PortfolioConfig, held_against, is_portfolio
from .schema import Config, Market, Overlay, numeric_range

DEFAULT_PRESET = "coreweave"


class ConfigError(UserError, ValueError):
    """Invalid configuration; ``str()`` is a one-line message naming the field."""


def preset_names():
    folder = resources.files("gpu_stress.config") / "presets"
    return sorted(entry.name.removesuffix(".toml") for entry in folder.iterdir() if entry.name.endswith(".toml"))


def firm_preset_names():
    """The presets of one firm (the others are portfolios of them)."""
    return [name for name in preset_names() if not is_portfolio(read_preset(name))]


def preset_text(name):
    """The TOML file of preset ``name`` as written (its comments document its figures)."""
    names = preset_names()
    if name not in names:
        hint = did_you_mean(name, names)
        raise ConfigError(f"preset: unknown preset {name!r}{hint} (choose from {', '.join(names)})")
    return (resources.files("gpu_stress.config") / "presets" / f"{name}.toml").read_text()


def read_preset(name):
    """The raw table of preset ``name``."""
    return _parse_toml(preset_text(name), f"preset {name}")


def closest(word, choices):
    """The one of ``choices`` closest to ``word`` (a typo, another case), or None when none is close."""
    by_case = {}
    for choice in choices:
        by_case.setdefault(choice.lower(), choice)
    matches = difflib.get_close_matches(word.lower(), by_case, n=1)
    return by_case[matches[0]] if matches else None


def did_you_mean(word, choices):
    """`` (did you mean 'cash'?)`` for the closest of ``choices`` to ``word``, or "" when none is close."""
    match = closest(word, choices)
    return "" if match is None else f" (did you mean {match!r}?)"


MAX_CONFIG_BYTES = 16 * 1024 * 1024  # a config file larger than this is refused before it is read
MAX_NESTING = 16  # tables and lists inside one another, deeper than any config needs


def read_toml(path):
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"config: {path} is {size:,} bytes, over the limit of {MAX_CONFIG_BYTES:,}")
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"config: no such file: {path}") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ConfigError(f"config: cannot read {excerpt(str(path))}: {error}") from None
    return _parse_toml(text, str(path))


def _parse_toml(text, source):
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config: {source} is not valid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"config: {source} nests tables or lists deeper than {MAX_NESTING} levels") from None
    check_nesting(table, "config")
    return table


def check_nesting(value, where, depth=0):
    """A :class:`ConfigError` naming the first place ``value`` nests deeper than :data:`MAX_NESTING`."""
    if depth > MAX_NESTING:
        raise ConfigError(f"{where}: nests tables or lists deeper than {MAX_NESTING} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            check_nesting(item, f"{where}.{str(key)[:40]}" if where != "config" else str(key)[:40], depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_nesting(item, f"{where}.{index}", depth + 1)


def parse_value(text):
    """A TOML value from the command line; bare words are strings (``--set firm.name=Acme``)."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def whole_count(text):
    """``"1e6"``, ``"2.5e4"``, ``"100_000"`` -> an int; ValueError if it is not a whole number."""
    if isinstance(text, int):
        return text
    number = float(str(text).replace("_", ""))
    if not number.is_integer():
        raise ValueError(f"{text!r} is not a whole number")
    return int(number)


def split_assignment(assignment, option="--set"):
    key, separator, value = assignment.partition("=")
    if not separator or not key.strip():
        raise ConfigError(f"{option}: expected dotted.key=value, got {assignment!r}")
    return key.strip(), value.strip()


def set_dotted(table, key, value):
    """Set ``key`` (``firm.gpus``, ``debt.0.principal``) in nested dicts and lists."""
    parts = key.split(".")
    node = table
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"{'.'.join(parts[: depth + 1])}: no such entry (the list has {len(node)})")
            part = int(part)
        elif not isinstance(node, dict):
            raise ConfigError(f"{'.'.join(parts[:depth])}: is a value, not a table")
        if last:
            node[part] = value
        else:
            if isinstance(node, dict) and part not in node:
                node[part] = {}
            node = node[part]


def with_value(table, key, value):
    """A deep copy of the table ``table`` with ``key`` set to ``value`` (see ``set_dotted``)."""
    changed = copy.deepcopy(table)
    set_dotted(changed, key, value)
    return changed


def merge(base, layer):
    """Deep merge of TOML tables: tables merge, everything else (lists included) is replaced."""
    merged = copy.deepcopy(base)
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


_LAYER_PREFIX = re.compile(r"(firms\.\d+\.config\.)?")  # a portfolio's firm entries hold firm tables


def leaf_keys(key, value):
    """The dotted keys that assigning ``value`` to ``key`` sets: ``key``, or each leaf of a table value."""
    if isinstance(value, dict) and value:
        for name, inner in value.items():
            yield from leaf_keys(f"{key}.{name}", inner)
    else:
        yield key


def table_leaf_keys(table, prefix=""):
    """Every dotted leaf key of a TOML table, list entries by index (``debt.0.principal``)."""
    for key, value in table.items():
        if isinstance(value, dict) and value:
            yield from table_leaf_keys(value, f"{prefix}{key}.")
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            for index, item in enumerate(value):
                yield from table_leaf_keys(item, f"{prefix}{key}.{index}.")
        else:
            yield prefix + key


def shadowed_keys(keys):
    """The regime keys that a layer setting ``keys`` (dotted leaves) clears: for each base key it sets
    (``market.price.drift``, also in a portfolio's ``firms.N.config``), the regime fields it does not set."""
    keys = set(keys)
    cleared = []
    for key in keys:
        for base, regime_keys in REGIME_SHADOWS.items():
            prefix = key.removesuffix(base)
            if prefix != key and _LAYER_PREFIX.fullmatch(prefix):
                cleared += [prefix + regime_key for regime_key in regime_keys if prefix + regime_key not in keys]
    return cleared


def remove_dotted(table, key):
    """Remove ``key`` from nested dicts and lists if it is there; True if it was."""
    *parents, last = key.split(".")
    node = table
    for part in parents:
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return False
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    return False


def apply_layer(table, assignments):
    """Apply ``assignments`` ((dotted key, value) pairs) to ``table`` as one layer over it; returns ``table``.

    A later layer wins: where the layer sets a base value (``market.price.drift``,
    ``market.price.volatility``, ``market.utilization.mean``) the regime values set
    by earlier layers (``market.regime.shortage.drift`` and ``...glut.drift`` ...)
    are removed first, unless the layer sets them too; within the layer a
    regime's own value still wins over the base. Then each key is set with
    :func:`set_dotted`.
    """
    assignments = list(assignments)
    for cleared in shadowed_keys(leaf for key, value in assignments for leaf in leaf_keys(key, value)):
        remove_dotted(table, cleared)
    for key, value in assignments:
        set_dotted(table, key, value)
    return table


def merge_layer(base, layer):
    """``merge(base, layer)`` with ``layer`` (a table) a later layer: the regime values of ``base`` that its
    base values replace are removed first (see :func:`apply_layer`)."""
    cleared = copy.deepcopy(base)
    for key in shadowed_keys(table_leaf_keys(layer)):
        remove_dotted(cleared, key)
    return merge(cleared, layer)


SCALAR_TAGS = ("bool", "int", "float", "str")  # how pydantic names the members of a union in a location


def _union_tag(part):
    """Is ``part`` of a location pydantic's name of a union member (``int``, ``constrained-int``, ``literal[...]``)?"""
    return isinstance(part, str) and (part in SCALAR_TAGS or part.startswith(("constrained-", "literal[")))


def describe_error(error: pydantic.ValidationError, prefix="", model=Config):
    """One line for the first problem pydantic found.

    A bad number (out of range, not finite, of the wrong type) names the field's
    allowed range, read from the schema: ``firm.gpus: must be an integer between
    1 and 100,000,000 (got -5)``.
    """
    problems = error.errors()
    first = problems[0]
    loc = first["loc"]
    if len(loc) > 1 and _union_tag(loc[-1]):  # a sweep value fails each of bool | int | float | str
        loc = loc[:-1]
        same = [problem for problem in problems if problem["loc"][:-1] == loc]
        first = next((problem for problem in same if problem["type"] == "finite_number"), first)
        problems = [first, *(problem for problem in problems if problem["loc"][:-1] != loc)]
    field = prefix + (_dotted(loc) or "config")
    field = field if len(field) <= 120 else f"{field[:100]}...{field[-15:]}"
    message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    if first["type"] == "extra_forbidden":
        message += _unknown_key_hint(loc, first.get("input"), model, prefix)
    message = message.removeprefix("Value error, ")
    allowed = _allowed_range(loc, model)
    if allowed and first["type"] not in ("missing", "reference"):  # a reference error's message is its own
        message = f"must be {allowed}"
    if first["type"] not in ("extra_forbidden", "missing") and not isinstance(first.get("input"), dict | list):
        message += f" (got {excerpt(first['input'])})"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{field}: {message}{more}"


def _dotted(loc):
    """``debt[0].principal`` for the location ("debt", 0, "principal")."""
    field = ""
    for part in loc:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return field


def _unknown_key_hint(loc, value, model, prefix):
    """`` (did you mean 'firm.cash'?)`` for an unknown key at ``loc`` close to a key of its table, else ""."""
    parent = _model_at(loc[:-1], model)
    if parent is None or not loc or not isinstance(loc[-1], str):
        return ""
    match = closest(loc[-1], parent.model_fields)
    if match is None:
        return ""
    path = [*loc[:-1], match]
    inner_model = _field_model(parent.model_fields[match])
    # A mistyped table (``--set frim.cash=1``): name the key inside it too, where it is one.
    while inner_model is not None and isinstance(value, dict) and len(value) == 1:
        ((key, value),) = value.items()
        if key not in inner_model.model_fields:
            break
        path.append(key)
        inner_model = _field_model(inner_model.model_fields[key])
    return f" (did you mean {prefix + _dotted(path)!r}?)"


def _model_at(loc, model):
    """The model of the table at location ``loc`` (list indices skipped) below ``model``, or None."""
    for part in loc:
        if isinstance(part, int):  # an entry of a list of tables
            continue
        if model is None or part not in model.model_fields:
            return None
        model = _field_model(model.model_fields[part])
    return model


def _field_model(field):
    """The model a field holds (itself, in a list or optional), or None for a value."""
    annotation = field.annotation
    candidates = [annotation, *get_args(annotation)]
    candidates += [inner for arg in get_args(annotation) for inner in get_args(arg)]
    return next((arg for arg in candidates if _is_model(arg)), None)


def describe_range(kind, low, high):
    """``an integer between 1 and 100,000,000``, ``a finite number between -1 and 1``."""
    what = "an integer" if kind is int else "a finite number"
    return f"{what} between {format_number(low)} and {format_number(high)}"


def format_number(value):
    """Integers with thousands separators (1e13 too), other numbers as Python writes them."""
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e16):
        return f"{int(value):,}"
    return str(value)


def _allowed_range(loc, model=Config):
    """The allowed range of the numeric field at an error location of ``model``, or None."""
    field = None
    for part in loc:
        if isinstance(part, int) and field is not None:  # an entry of a list of tables
            continue
        if model is None or part not in model.model_fields:
            return None
        field = model.model_fields[part]
        model = next((arg for arg in (field.annotation, *get_args(field.annotation)) if _is_model(arg)), None)
    numeric = numeric_range(field) if field is not None else None
    if not numeric:
        return None
    words = [repr(word) for arg in get_args(field.annotation) if get_origin(arg) is Literal for word in get_args(arg)]
    return describe_range(*numeric) + "".join(f" or {word}" for word in words)  # "to-last-maturity" too


def _is_model(annotation):
    return isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)


def pin_horizon(table, config=None):
    """``table`` with ``simulation.horizon_months = "to-last-maturity"`` as the months it resolves to (``config``: the
    table validated, if at hand), so that a setting changed on it (a swept or bumped maturity) leaves the horizon
    where it was; any other table as it is."""
    simulation = table.get("simulation", {})
    if simulation.get("horizon_months") != TO_LAST_MATURITY:
        return table
    months = (config or validate(table)).simulation.horizon_months
    return {**table, "simulation": {**simulation, "horizon_months": months}}


def validate(table, prefix=""):
    """A :class:`Config`, or a :class:`PortfolioConfig` for a table with ``[[firms]]``."""
    if is_portfolio(table):
        return validate_portfolio(table, prefix)
    return _validated(Config, table, prefix)


def validate_portfolio(table, prefix=""):
    """The portfolio, with each firm's Config: its preset, its config table, the portfolio's market and simulation."""
    portfolio = _validated(PortfolioConfig, table, prefix)
    _validated(Market, portfolio.market, f"{prefix}market.")  # its own errors name its own keys
    _validated(Overlay, portfolio.overlay, f"{prefix}overlay.")
    firms = range(len(portfolio.firms))
    tables = [_firm_table(table, portfolio, index, f"{prefix}firms[{index}]") for index in firms]
    obligors = _shared_obligors(portfolio, tables, prefix)
    configs = [
        validate(
            {**firm_table, **({"obligors": obligors} if obligors else {})}, prefix=f"{prefix}firms[{index}].config."
        )
        for index, firm_table in enumerate(tables)
    ]
    if portfolio.simulation.horizon_months == TO_LAST_MATURITY:  # one horizon: the last maturity of any firm's
        portfolio.simulation.horizon_months = horizon_to_maturity(configs)
        for config in configs:
            config.simulation.horizon_months = portfolio.simulation.horizon_months
    names = [config.firm.name for config in configs]
    for index, name in enumerate(names):
        if names.index(name) != index:
            raise ConfigError(f"{prefix}firms[{index}].name: firm {name!r} is listed twice (give each a name)")
    for index, config in enumerate(configs[1:], start=1):
        differs = _market_difference(configs[0].market, config.market)
        if differs:
            raise ConfigError(
                f"{prefix}firms[{index}].config.market.{differs}: differs from the first firm's; every firm steps in "
                "one market (set it in the portfolio's [market])"
            )
    _check_book(portfolio, configs, names, prefix)
    _overlays_resolve(portfolio, configs, prefix)
    portfolio._firm_configs = configs
    return portfolio


def _validated(model, table, prefix):
    try:
        return model.model_validate(table)
    except pydantic.ValidationError as error:
        raise ConfigError(describe_error(error, prefix, model)) from None


def _shared_obligors(portfolio, tables, prefix):
    """The run's obligors, one list for every firm: the portfolio's [[obligors]], then each firm's by name (one
    default time each; defined apart, the portfolio's definition is the one, else the definitions must agree)."""
    shared = {}
    lists = [("", "portfolio", portfolio.obligors)]
    lists += [(f"firms[{i}].config.", f"firms[{i}]", table.get("obligors") or []) for i, table in enumerate(tables)]
    for where, owner, obligors in lists:
        names = []
        for k, obligor in enumerate(obligors):
            name = obligor.get("name") if isinstance(obligor, dict) else None
            if name in names:
                raise ConfigError(f"{prefix}{where}obligors[{k}].name: obligor {name!r} is listed twice")
            names.append(name)
            first_owner, first = shared.setdefault(name, (owner, obligor))
            if first_owner not in ("portfolio", owner) and _as_obligor(first) != _as_obligor(obligor):
                raise ConfigError(
                    f"{prefix}{where}obligors[{k}]: obligor {name!r} differs from {first_owner}'s; a portfolio "
                    f"has one {name!r} (define it once, in the portfolio's [[obligors]])"
                )
    return [obligor for _, obligor in shared.values()]


def _as_obligor(table):
    """An obligor's table as validated (defaults filled), or itself if invalid (its firm's validation says so)."""
    try:
        return Obligor.model_validate(table)
    except pydantic.ValidationError:
        return table


def _firm_table(table, portfolio, index, where):
    """Firm ``index``'s settings before validation: its preset, its config table, the portfolio's market and
    simulation."""
    entry = portfolio.firms[index]
    for key in PORTFOLIO_WIDE:
        if key in entry.config:
            raise ConfigError(f"{where}.config.{key}: set it for the whole portfolio, not per firm")
    try:
        firm_table = merge_layer(read_preset(entry.preset), entry.config) if entry.preset else dict(entry.config)
    except ConfigError as error:
        raise ConfigError(f"{where}.{error}") from None
    if is_portfolio(firm_table):
        raise ConfigError(f"{where}.preset: {entry.preset!r} is a portfolio (firms: {', '.join(firm_preset_names())})")
    firm_table["simulation"] = table.get("simulation", {})
    firm_table = merge_layer(firm_table, {"market": portfolio.market})  # a later layer over every firm's
    firm_table["overlay"] = _firm_overlay(portfolio.overlay, firm_table)
    if entry.name is not None:
        firm_table = merge(firm_table, {"firm": {"name": entry.name}})
    return firm_table


def _firm_overlay(overlay, firm_table):
    """A portfolio's overlay as one firm sees it: a default of a customer it does not have is none of its."""
    default = overlay.get("customer_default", {})
    named = default.get("customer", "largest")
    customers = [customer.get("name", "anchor") for customer in firm_table.get("customers", [])]
    if named != "largest" and named not in customers:
        return {key: value for key, value in overlay.items() if key != "customer_default"}
    return overlay


def _overlays_resolve(portfolio, configs, prefix):
    """A customer the portfolio's overlay (or a stress) makes default is some firm's customer."""
    customers = {customer.name for config in configs for customer in config.customers}
    named = [("overlay.", portfolio.overlay.get("customer_default", {}))]
    named += [(f"stress[{i}].", stress.customer_default.model_dump()) for i, stress in enumerate(portfolio.stress)]
    for where, default in named:
        customer = default.get("customer", "largest")
        if default.get("month", 0) > 0 and customer != "largest" and customer not in customers:
            listed = ", ".join(sorted(customers)) or "none"
            raise ConfigError(
                f"{prefix}{where}customer_default.customer: no firm has a customer named {customer!r} ({listed})"
            )


def _market_difference(first, other):
    """The first market setting (dotted, below ``market``) in which ``other`` differs from ``first``; else None.

    The utilization settings are the firm's own (its level, dynamics and loading on the market's shocks).
    """

    def leaves(document, prefix=""):
        for key, value in document.items():
            if isinstance(value, dict):
                yield from leaves(value, f"{prefix}{key}.")
            elif "utilization" not in prefix + key:
                yield prefix + key, value

    theirs = dict(leaves(other.model_dump()))
    return next((key for key, value in leaves(first.model_dump()) if theirs[key] != value), None)


def _check_book(portfolio, configs, names, prefix):
    """Each exposure names a firm and tranche it can hold, and no tranche is held more than whole."""
    held = {}  # (firm, tranche) -> share of it held, a pro rata exposure counting for every tranche
    for index, exposure in enumerate(portfolio.book):
        where = f"{prefix}book[{index}]"
        if exposure.firm not in names:
            raise ConfigError(f"{where}.firm: no firm named {exposure.firm!r} (firms: {', '.join(names)})")
        firm = names.index(exposure.firm)
        debt = configs[firm].debt
        tranches = [tranche.name for tranche in debt]
        if exposure.tranche is not None and exposure.tranche not in tranches:
            listed = ", ".join(tranches) or "none"
            raise ConfigError(
                f"{where}.tranche: {exposure.firm} has no tranche {exposure.tranche!r} (tranches: {listed})"
            )
        index, commitment = held_against(debt, exposure.tranche)
        if commitment <= 0:
            what = "debt" if index < 0 else f"tranche {exposure.tranche!r}"
            raise ConfigError(f"{where}.amount: {exposure.firm} has no {what} to hold")
        for tranche in range(len(debt)) if index < 0 else [index]:
            held[firm, tranche] = held.get((firm, tranche), 0.0) + exposure.amount / commitment
            if held[firm, tranche] > 1 + 1e-12:
                message = f"the book holds {held[firm, tranche]:.4g} of {exposure.firm}'s {tranches[tranche]!r}"
                raise ConfigError(f"{where}.amount: {message}, more than all of it (1)")


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_json_schema(portfolio=False):
    """The JSON Schema of a configuration file: one firm's (:class:`Config`), or with ``portfolio``
    a portfolio's (:class:`PortfolioConfig`), whose firms' ``config`` tables are firm configurations
    and whose ``[market]`` is a firm's market."""
    firm = Config.model_json_schema()
    if not portfolio:
        return {"$schema": JSON_SCHEMA_DIALECT, **firm}
    document = PortfolioConfig.model_json_schema()
    definitions = document["$defs"]
    for name, definition in firm.pop("$defs").items():
        definitions.setdefault(name, definition)  # the shared sections (About, Simulation) are the same models
    definitions["Config"] = firm
    entry = definitions["FirmEntry"]["properties"]["config"]
    entry.update({"$ref": "#/$defs/Config", "description": "firm settings merged over the preset, as in a firm's file"})
    market = document["properties"]["market"]
    market.update({"$ref": "#/$defs/Market", "description": "the market of every firm, merged over each firm's"})
    for schema in (entry, market):
        schema.pop("type", None)
        schema.pop("additionalProperties", None)
    return {"$schema": JSON_SCHEMA_DIALECT, **document}


def load_table(path=None, preset=None, overrides=()):
    """The raw merged table (preset, file, overrides: each a layer, see :func:`apply_layer`), before validation."""
    if preset is not None and not (isinstance(preset, str) and preset.strip()):
        raise ConfigError(f"preset: {excerpt(preset)} is not a preset name (choose from {', '.join(preset_names())})")
    table = read_preset(preset or DEFAULT_PRESET) if preset or path is None else {}
    if path is not None:
        table = merge_layer(table, read_toml(path))
    pairs = [split_assignment(assignment) for assignment in overrides]
    return apply_layer(table, [(key, parse_value(value)) for key, value in pairs])


def load_config(path=None, preset=None, overrides=()):
    """Validated :class:`Config` from a preset and/or file and ``key=value`` overrides.

    >>> load_config(preset="nebius", overrides=["simulation.paths=1000"]).simulation.paths
    1000
    """
    return validate(load_table(path, preset, overrides))

"""Settings that do nothing: the canonical parameters, and warnings for overrides that change nothing.

The kernels read a slot of the parameter vector (``params.SLOTS``) only where the
model can use it: a launch's cut (``market.price.jump_size``) only if a launch can
happen, the covenant test interval only if some covenant is on, a regime's drift
only if the market can be in that regime. :func:`canonical_parameters` is the
vector (a portfolio: the matrix) with every slot that the kernels cannot read
under the configuration set to one fixed value, by the rules of :data:`RULES`,
each with the reason it gives. Two configurations with the same canonical
parameters simulate the same paths, bit for bit (tests/test_no_op_overrides.py
checks it against the simulation for every setting of every preset); a slot that
no rule names (a new one included) counts as read.

:func:`key_effect` says whether a setting matters in a table: it sets the key to
other values of its range (both ends first; a boolean flips, a choice tries the
others; text, names and lists get no verdict) and reports "no effect", naming
what overrides the key, when every valid probe leaves the canonical parameters
unchanged. :func:`override_warnings` turns that into the run's warnings for
``--set``, ``--sweep`` and the keys of a user's config file, and
:func:`identical_scenarios` names the scenarios of a sweep that are the same model.
"""

import itertools
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..blocks import all_rules
from ..blocks import portfolio as portfolio_block
from ..blocks.regimes import REGIME_SHADOWS
from ..blocks.view import FirmView
from ..kernels import layout as L
from ..params import SLOTS, parameter_vector, portfolio_matrix
from .load import (
    ConfigError,
    _field_model,
    table_leaf_keys,
    validate,
    with_value,
)
from .portfolio import PortfolioConfig
from .schema import Config, Market, numeric_range

CANONICAL = math.nan  # the value of every slot the kernels do not read: no slot the kernels read holds it
MC, MT, MP, MK = L.MAX_CUSTOMERS, L.MAX_TRANCHES, L.MAX_POOLS, L.MAX_COHORTS
GENERIC = "changing it leaves every parameter the model reads unchanged"

# Keys that get no verdict: run settings, free text, and the named stresses (each is judged as a scenario).
UNJUDGED_PREFIXES = ("about.", "simulation.", "sweep", "overlay.name", "overlay.description", "stress")


RULES = all_rules()  # (name, rule) of every block, in the order they run


def unread_slots(config, vector):
    """{slot index: [reasons]} of the slots the kernels cannot read under ``config`` (one firm) with ``vector``."""
    firm = FirmView(config, vector)
    unread = {}
    for _, rule in RULES:
        for slots, reason in rule(firm):
            for index in slots:
                reasons = unread.setdefault(int(index), [])
                if reason not in reasons:
                    reasons.append(reason)
    return unread


def unread_parameters(config):
    """{parameter name: reason} of the slots the kernels cannot read under one firm's ``config``."""
    unread = unread_slots(config, parameter_vector(config))
    return {L.PARAMETER_NAMES[slot]: reasons[0] for slot, reasons in sorted(unread.items())}


@dataclass
class Resolved:
    """A validated configuration, its raw and canonical parameters, and why the canonical ones were set.

    ``canonical``: the vector (a portfolio: the matrix, firm x parameter); ``unread``: one {slot: reasons}
    per firm; ``extra``: what a portfolio's paths read beside the matrix (its secondary market and book).
    """

    config: object
    raw: np.ndarray
    canonical: np.ndarray
    unread: list
    extra: tuple = ()

    def same_as(self, other):
        return (
            self.canonical.shape == other.canonical.shape
            and np.array_equal(self.canonical, other.canonical, equal_nan=True)
            and self.extra == other.extra
        )


def _canonical(vector, unread):
    canonical = np.array(vector, dtype=np.float64)
    if unread:
        canonical[list(unread)] = CANONICAL
    return canonical


def resolve(config):
    """The :class:`Resolved` form of a validated Config or PortfolioConfig."""
    if isinstance(config, PortfolioConfig):
        raw = portfolio_matrix(config)
        unread = [unread_slots(firm, row) for firm, row in zip(config.firm_configs, raw, strict=True)]
        canonical = np.stack([_canonical(row, firm_unread) for row, firm_unread in zip(raw, unread, strict=True)])
        start, end = L.MARKET_PARAMETERS
        canonical[:, start:end] = canonical[0, start:end]  # every firm steps in the first firm's market
        for _, rule in portfolio_block.PORTFOLIO_RULES:
            for slots, _ in rule(config):
                canonical[:, slots] = CANONICAL
        extra = tuple(config.exposure_shares())
        return Resolved(config, raw, canonical, unread, extra)
    raw = parameter_vector(config)
    unread = unread_slots(config, raw)
    return Resolved(config, raw, _canonical(raw, unread), [unread])


def canonical_parameters(config):
    """The parameter vector of a validated Config (a portfolio: its matrix, firm x parameter) with every slot
    the kernels cannot read under it set to CANONICAL. A portfolio's secondary market and book are in
    :func:`resolve`'s ``extra``; compare whole configurations with ``resolve(a).same_as(resolve(b))``."""
    return resolve(config).canonical


# --- keys, their fields and values --------------------------------------------------------------------


def judged(key):
    """False for a key that gets no verdict by its name: run settings, free text, stress overlays."""
    local = _firm_key(key)[1]
    return local == "simulation.base_case" or not local.startswith(UNJUDGED_PREFIXES)


def _firm_key(key):
    """(firm index or None, the key within a firm's table) of a portfolio key ``firms.N.config.KEY``."""
    parts = key.split(".")
    if len(parts) > 3 and parts[0] == "firms" and parts[1].isdigit() and parts[2] == "config":
        return int(parts[1]), ".".join(parts[3:])
    return None, key


def field_of(key, portfolio=False):
    """The pydantic field that ``key`` sets (list entries by index), or None."""
    parts = key.split(".")
    model = PortfolioConfig if portfolio else Config
    firm, local = _firm_key(key)
    if portfolio and firm is not None:
        model, parts = Config, local.split(".")
    elif portfolio and parts[0] == "market":
        model, parts = Market, parts[1:]
    field = None
    for part in parts:
        if part.isdigit():
            if field is None:
                return None
            continue
        if model is None or part not in model.model_fields:
            return None
        field = model.model_fields[part]
        model = _field_model(field)
    return field if model is None else None  # a table is not a setting


def _get(node, parts):
    for part in parts:
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise KeyError(part)
            node = node[int(part)]
        elif isinstance(node, Mapping):
            node = node[part]
        else:
            node = getattr(node, part)
    return node


def current_value(table, key, config):
    """``key``'s value in ``table``, else what the validated ``config`` holds (its default, a preset's)."""
    parts = key.split(".")
    try:
        return _get(table, parts)
    except (KeyError, IndexError, TypeError):
        pass
    if isinstance(config, PortfolioConfig):
        firm, local = _firm_key(key)
        if firm is not None:
            return _get(config.firm_configs[firm], local.split("."))
        if parts[0] == "market":
            return _get(config.firm_configs[0].market, parts[1:])
    return _get(config, parts)


def literal_choices(annotation):
    for candidate in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(candidate) is typing.Literal:
            return typing.get_args(candidate)
    return ()


def candidates(field, current):
    """Values to probe a setting with, best first: both ends of its range (next to the end it is at, if it is at
    one), then midpoints; a boolean flipped; the other choices of a literal; none for text, names and lists."""
    numeric = numeric_range(field)
    if numeric:
        kind, low, high = numeric
        here = (low + high) / 2 if current is None else current
        step = 1 if kind is int else (high - low) * 1e-6  # next to an end: a threshold at an end can be inert
        near = [high - step, low + step] if current == high else [low + step, high - step]
        inside = [low + (high - low) * share for share in (0.01, 0.05, 0.25, 0.5)]  # if the ends are not valid
        values = [low, high, *near, (low + here) / 2, (here + high) / 2, *inside]
        values = [round(value) if kind is int else float(value) for value in values]
        found = []
        for value in values:
            if (current is None or value != current) and value not in found:
                found.append(value)
        return found
    if field.annotation is bool:
        return [] if current is None else [not current]
    return [choice for choice in literal_choices(field.annotation) if choice != current]


@dataclass
class Probe:
    """A valid value of a key other than its own, the table with it and its resolved form."""

    value: object
    table: dict
    resolved: Resolved


PROBES = 3  # valid probes tried before a verdict of "no effect" (which needs at least one): both ends, and
# next to one (a threshold that is off at 0 bites only just above it, not at either end)


# Settings no validator reads beyond their own range (no model validator of their table, none of Config's):
# a value in range is a valid probe, set on the validated Config without validating the whole table again.
UNCHECKED = (
    "market.price.",
    "market.regime.",
    "market.utilization.",
    "market.rates.",
    "firm.",
    "price_basis.",
    "collateral.",
    "covenants.",
    # refinancing's but window_months and term_months, which its validator reads together
    *(f"refinancing.{name}" for name in ("enabled", "max_ltv", "spread", "glut_spread", "open_in_glut", "partial")),
    *(f"refinancing.{name}" for name in ("leverage_spread", "tests", "max_debt_to_ebitda", "min_interest_cover")),
    "refinancing.glut_capacity",
    # equity's but shares, which a convertible's validator reads
    *(f"equity.{name}" for name in ("enabled", "max_raise_per_year", "cost", "open_in_glut", "basis")),
    "equity.ebitda_multiple",
    "equity.glut_ebitda_multiple",
    "backstop.",  # but CHECKED
    "vendor.",
    "delivery_delays.",
    # a tranche's but those its validators read together (a revolver is a bullet line funding no cohort; an
    # unsigned facility closes by the end of its draw window; at most four are unsigned)
    *(f"debt[].{name}" for name in ("name", "rate_type", "rate", "spread", "maturity_month")),
    *(f"debt[].{name}" for name in ("advance_rate", "undrawn_fee", "pool", "rank")),
    *(f"debt[].{name}" for name in ("cash_sweep", "sweep_dscr", "borrowing_base", "vendor")),
    "obligations[].",
    "generations[].relative_price",
    "generations[].newest_at_delivery",
)


def _updated(node, parts, value):
    """A copy of a validated model (or list of them) with the setting at ``parts`` replaced, unvalidated."""
    head, *rest = parts
    if isinstance(node, list):
        items = list(node)
        items[int(head)] = _updated(items[int(head)], rest, value) if rest else value
        return items
    return node.model_copy(update={head: _updated(getattr(node, head), rest, value) if rest else value})


# ... but a counterparty's own default probability and its obligor, which Config's obligor check reads together.
CHECKED = ("annual_default_probability", ".obligor")


def _probe_config(table, key, value, base, probe_table):
    """The validated config of ``probe_table`` (``key`` set to ``value``), or None if it is not valid."""
    pattern = _pattern(key)[0]
    if not isinstance(base.config, PortfolioConfig) and pattern.startswith(UNCHECKED) and not pattern.endswith(CHECKED):
        return _updated(base.config, key.split("."), value)
    try:
        return validate(probe_table)
    except ConfigError:
        return None


def iter_probes(table, key, base):
    """The valid probes of ``key`` in ``table`` (``base``: the table's :func:`resolve`), best first, made lazily."""
    field = field_of(key, isinstance(base.config, PortfolioConfig))
    if field is None or not judged(key):
        return
    try:
        current = current_value(table, key, base.config)
    except (KeyError, IndexError, TypeError, AttributeError):
        return
    for value in candidates(field, current):
        probe_table = with_value(table, key, value)
        config = _probe_config(table, key, value, base, probe_table)
        if config is not None:
            yield Probe(value, probe_table, resolve(config))


def probes(table, key, base=None, limit=PROBES):
    """The first ``limit`` valid probes of ``key`` in ``table`` (``base``: the table's :func:`resolve`)."""
    return list(itertools.islice(iter_probes(table, key, base or resolve(validate(table))), limit))


# --- verdicts -----------------------------------------------------------------------------------------


def _pattern(local_key):
    """``cohorts[].gpus`` for ``cohorts.1.gpus``: a key as params.SLOTS names its sources; and its entry index."""
    parts, entry = [], None
    for part in local_key.split("."):
        if part.isdigit() and parts:
            parts[-1] += "[]"
            entry = int(part)
        else:
            parts.append(part)
    return ".".join(parts), entry


def _matches(pattern, source):
    return pattern == source or pattern.startswith((source + ".", source + "[]")) or source.startswith(pattern + ".")


def fed_slots(local_key):
    """Slot indices a setting feeds by the sources params.SLOTS declares (an entry: its own, where the block
    is one per entry; a block per regime and entry: both)."""
    pattern, entry = _pattern(local_key)
    sizes = {"cohorts": MK, "customers": MC, "debt": MT, "pools": MP}
    table = pattern.split("[]")[0]
    found = []
    for slot in SLOTS:
        if not any(_matches(pattern, source) for source in slot.sources):
            continue
        block = range(slot.index, slot.index + slot.size)
        per = sizes.get(table)
        if entry is not None and per and slot.size in (per, 2 * per):
            offset = entry + (1 if table == "cohorts" else 0)  # the installed fleet is cohort 0
            block = [slot.index + offset + k * per for k in range(slot.size // per)]
        found += block
    return found


def _shadow_reason(local_key, config):
    """Why ``local_key`` (of one firm) is not used by the derivation of its slots, or None."""
    market = config.market
    regime = market.regime
    pattern, entry = _pattern(local_key)
    if local_key in REGIME_SHADOWS and regime.enabled:
        own = [key for key in REGIME_SHADOWS[local_key] if _get(config, key.split(".")) is not None]
        if own:
            what = own[0].rsplit(".", 1)[1]
            return f"{' and '.join(own)} set {'every' if len(own) == 2 else 'its'} regime's own {what}"
    if local_key.startswith("market.regime.") and local_key != "market.regime.enabled" and not regime.enabled:
        return "market.regime.enabled is false"
    for block in ("utilization", "rates"):
        section = getattr(market, block)
        if local_key in (f"market.{block}.mean_reversion", f"market.{block}.volatility") and not section.enabled:
            return f"market.{block}.enabled is false"
    if entry is not None and pattern.startswith("debt[]."):
        tranche = config.debt[entry]
        if pattern == "debt[].spread" and tranche.rate_type == "fixed":
            return f"debt.{entry}.rate_type is fixed (it pays debt.{entry}.rate)"
        if pattern == "debt[].rate" and tranche.rate_type == "floating":
            return f"debt.{entry}.rate_type is floating (it pays the short rate plus debt.{entry}.spread)"
    if pattern.startswith("vendor.") and not any(tranche.vendor for tranche in config.debt):
        return "no [[debt]] tranche has vendor = true"
    if pattern == "cohorts[].deposit_months_ahead" and entry is not None and config.cohorts[entry].deposit == 0:
        return f"cohorts.{entry}.deposit is 0"
    if pattern.startswith("generations[].") and entry is not None:
        name = config.generations[entry].name
        if name not in [config.firm.generation] + [cohort.generation for cohort in config.cohorts]:
            return f"no cohort is of generation {name!r}"
    return None


def _explain(key, base, probe_list):
    """The reason ``key`` has no effect: what overrides it (from the derivation or the rules), else GENERIC."""
    firm, local = _firm_key(key)
    portfolio = isinstance(base.config, PortfolioConfig)
    if portfolio and local.startswith("fire_sales."):  # the secondary market's own rule says why, if it does
        for _, rule in portfolio_block.PORTFOLIO_RULES:
            for _, reason in rule(base.config):
                return reason
    firms = [firm] if firm is not None else list(range(len(base.unread)))
    configs = base.config.firm_configs if portfolio else [base.config]
    for index in firms:
        shadow = _shadow_reason(local, configs[index])
        if shadow:
            return shadow
    reasons = []  # what keeps the slots it feeds unread, with its other values first (not its own value)
    slots = fed_slots(local)
    for resolved in [*(probe.resolved for probe in probe_list), base]:
        for index in firms:
            for slot in slots:
                reasons += [reason for reason in resolved.unread[index].get(slot, ()) if reason not in reasons]
    others = [reason for reason in reasons if not reason.startswith(local + " ")]
    return (others or reasons or [GENERIC])[0]


# Sources params.SLOTS leaves out (a derivation that also reads them): for the quick check only.
EXTRA_SOURCES = {
    "COHORT_COST": ("firm.gpus", "cohorts[].gpus"),
    "COHORT_POWER_FULL": ("firm.gpus", "cohorts[].gpus"),
    "COHORT_DEPOSIT": ("cohorts[].gpus", "cohorts[].gpu_cost"),
    "FLOOR_ENABLED": ("firm",),
    "LOG_PRICE_FLOOR": ("firm",),
    "REFERENCE_LOG_DRIFT": ("market.price.volatility", "market.regime.initial"),
    "CUSTOMER_DEFAULT_MONTH": ("customers", "cohorts", "firm.gpus", "firm.gpu_age_months"),
}


def _quick_change(table, key, base):
    """True if ``key``'s first probe, set on the validated Config and only the slots it feeds recomputed,
    already changes the canonical parameters: most settings matter, and this is 10 times quicker to tell.
    False says nothing (the full probes decide)."""
    if isinstance(base.config, PortfolioConfig) or not _pattern(key)[0].startswith(UNCHECKED):
        return False
    field = field_of(key)
    try:
        value = next(iter(candidates(field, current_value(table, key, base.config))), None) if field else None
    except (KeyError, IndexError, TypeError, AttributeError):
        return False
    if value is None:
        return False
    pattern = _pattern(key)[0]
    extra = {
        getattr(L, name)
        for name, sources in EXTRA_SOURCES.items()
        if hasattr(L, name) and any(_matches(pattern, source) for source in sources)
    }
    slots = [slot for slot in SLOTS if slot.index in extra or any(_matches(pattern, s) for s in slot.sources)]
    if not slots:
        return False
    config = _updated(base.config, key.split("."), value)
    vector = base.raw.copy()
    try:
        for slot in slots:
            vector[slot.index : slot.index + slot.size] = slot.value(config)
        canonical = _canonical(vector, unread_slots(config, vector))
    except Exception:  # a derivation that needs more than this value: the full probes decide
        return False
    return not np.array_equal(canonical, base.canonical, equal_nan=True)


def judge(table, key, base=None, quick=False):
    """(reason, probes): why ``key`` has no effect in ``table`` (None if it has one, or gets no verdict), and the
    probes that decided it: up to PROBES, or the first that changed the canonical parameters.
    ``base``: the table's :func:`resolve`, if known; ``quick``: try :func:`_quick_change` first (then a
    setting that matters may come back with no probes)."""
    base = base or resolve(validate(table))
    if quick and judged(key) and _quick_change(table, key, base):
        return None, []
    found = []
    for probe in itertools.islice(iter_probes(table, key, base), PROBES):
        found.append(probe)
        if not probe.resolved.same_as(base):
            return None, found
    return (_explain(key, base, found) if found else None), found


def no_effect_reason(table, key, base):
    return judge(table, key, base, quick=True)[0]


def key_effect(table, key):
    """None if changing ``key`` changes the canonical parameters of ``table`` (or it gets no verdict), else
    one line: ``market.price.jump_size has no effect: market.price.jump_intensity is 0 (no launches)``."""
    reason = no_effect_reason(table, key, resolve(validate(table)))
    return None if reason is None else f"{key} has no effect: {reason}"


__all__ = [
    "CANONICAL",
    "RULES",
    "canonical_parameters",
    "judge",
    "key_effect",
    "probes",
    "resolve",
    "table_leaf_keys",
    "unread_parameters",
]

"""Self-describing tables: the unit and a one-line description of every column a run writes.

Every field of every results table carries Arrow field metadata::

    unit          what its numbers are in (one of UNITS)
    description   one line: what it is
    values        (categories only) the JSON list of the values it can take

so ``schema.field("loss").metadata[b"unit"] == b"USD"``. :func:`describe` sets
them from the catalogue below: exact names first (those of one table in
``TABLE_FIELDS``, then ``FIELDS``), then the families of names in
``PATTERNS`` (``loss_var_99``, ``defaults_liquidity``, ``exposure_3_loss``, ...),
so that a new tail level, cause or exposure needs no new entry. A column the
catalogue does not know keeps the metadata it had (none) rather than failing:
the caller passes the units of columns only it knows (the swept values of a
scenarios table) as ``extra``.
"""

import json
import re
from pathlib import Path

import pyarrow as pa

from ..blocks import all_fields
from ..kernels import layout as L

UNIT_KEY = b"unit"
DESCRIPTION_KEY = b"description"
VALUES_KEY = b"values"

# The units used; "1" is a dimensionless ratio, "share" a fraction or probability in [0, 1].
UNITS = (
    "USD",
    "USD/GPU-hour",
    "GPU",
    "month",
    "count",
    "share",
    "1",
    "annual rate",
    "index",
    "rank",
    "id",
    "category",
    "text",
    "JSON",
    "of variable",  # bands.arrow: in the unit of the row's variable (UNIT_BY_VARIABLE)
    "config",  # a swept value: in the unit of its config key (b"config_key"; docs/model.md lists them)
)

# bands.arrow: the unit of each tracked variable (kernels.layout.TRACK_NAMES).
UNIT_BY_VARIABLE = {
    "price": "USD/GPU-hour",
    "utilization": "share",
    "rate": "annual rate",
    "glut": "share",
    "cash": "USD",
    "ltv": "1",
}

_ROW = "of the row's firm, tranche, exposure or (a portfolio's scenarios.arrow) book"

# Name -> (unit, description[, values]) wherever the name appears (unless TABLE_FIELDS says otherwise).
FIELDS = {
    # identifiers and labels
    "scenario_id": ("id", "scenario index, 0-based: its row of scenarios.arrow (the sweep grid, last key fastest)"),
    "path_id": ("id", "Monte Carlo path index within the scenario, 0-based"),
    "firm": ("id", "the firm's index in the portfolio's [[firms]], 0-based (0 for a firm alone)"),
    "firm_name": ("text", "the firm's name ([firm] name)"),
    "name": ("text", "the firm's name ([firm] name)"),
    "tranche": ("id", "the tranche's index in its firm's [[debt]], 0-based"),
    "tranche_name": ("text", "the tranche's name in [[debt]]; null: the exposure holds all the firm's debt"),
    "exposure_id": ("id", "the exposure's index in the portfolio's [[book]], 0-based"),
    "pool": ("text", "the name of the tranche's pool ([[pools]]); null: unsecured at the parent"),
    "rank": ("rank", "the tranche's seniority rank, 1 (most senior) to 4"),
    "config": ("JSON", "the scenario's validated configuration (a firm's own in firms.arrow), as JSON"),
    # per path (paths/part-*.arrow, tranches/, portfolio/): each block's own
    **all_fields(),
    # per scenario, firm, tranche or exposure
    "paths": ("count", "paths simulated"),
    "defaults": ("count", "paths with a credit default within the horizon (the numerator of PD)"),
    "pd": ("share", "probability of the firm's credit default within the horizon, defaults / paths"),
    "pd_ci_low": ("share", "lower end of the 95 % Wilson score interval of pd"),
    "pd_ci_high": ("share", "upper end of the 95 % Wilson score interval of pd"),
    "pd_by_year": ("share", "cumulative PD at the end of each year of the horizon (list, year 1 first)"),
    "defaults_by_month_cause": (
        "count",
        "credit defaults by month and cause: a struct of one list per credit cause (liquidity, ltv, dscr, "
        "refinancing, pool), each the paths defaulting in month 1, 2, ... the horizon (element 0: month 1; "
        "DuckDB's 1-based [m]: month m); each list sums to defaults_<cause>; null: not recorded (a run "
        "resumed from chunks of an older version)",
    ),
    "pd_funded": (
        "share",
        "PD on the paths where every facility closed (or was signed at the cut-off): credit defaults among them / "
        "their number; pd beside it is with the funding risk. Conditional on closing, so where closing depends on "
        "the market it is below the PD of the same firm with every facility signed; null: no such path",
    ),
    "pd_funded_ci_low": ("share", "lower end of the 95 % Wilson score interval of pd_funded"),
    "pd_funded_ci_high": ("share", "upper end of the 95 % Wilson score interval of pd_funded"),
    "funding_failures": ("count", "paths on which some facility not signed at the cut-off failed to close"),
    "terminal_failures": (
        "count",
        "paths that live to the horizon but fail the terminal test: the debt due after it is not covered there "
        "by refinancing, cash and new equity (not counted in PD)",
    ),
    "pd_terminal": ("share", "terminal_failures / paths"),
    "pd_with_terminal": ("share", "PD plus pd_terminal: the defaults within the horizon and the survivors failing it"),
    "mean_terminal_shortfall": ("USD", "mean of terminal_shortfall over the paths"),
    "funding_defaults": (
        "count",
        "credit defaults in or after the month a facility failed to close (the first failed step: funding), a "
        "struct of one count per credit cause (liquidity, ltv, dscr, refinancing, pool)",
    ),
    "expected_loss": (
        "USD",
        f"expected loss, the mean loss over the paths, recoveries at their present value at default, {_ROW}",
    ),
    "expected_loss_undiscounted": ("USD", "expected loss with recoveries not discounted (mean of loss_undiscounted)"),
    "expected_loss_se": ("USD", "standard error of expected_loss"),
    "expected_loss_rate": (
        "share",
        "expected loss over the amount at stake at month 0 (initial_debt, commitment, amount or exposure); "
        "null: nothing at stake",
    ),
    "initial_debt": ("USD", "committed debt at month 0: drawn principal plus undrawn commitments"),
    "commitment": ("USD", "the tranche's commitment at month 0: principal plus undrawn"),
    "mean_ead": ("USD", "mean EAD over the paths with a default; null: no default"),
    "mean_lgd": ("share", "mean of loss / EAD over the defaults with exposure; null: no such default"),
    "obligor_names": ("text", "the named obligors of the config ([[obligors]]), in order (list)"),
    "obligor_pd": (
        "share",
        "each named obligor's PD as realised in the run: the share of paths on which it defaulted within the "
        "horizon (list, in the order of obligor_names; the market runs on after a firm's end)",
    ),
    "mean_lgd_se": ("share", "standard error of mean_lgd (sample sd of loss / EAD over sqrt(count)); null: < 2"),
    "mean_recovery_gpus": ("USD", "mean over the defaults of the recovery from GPUs sold"),
    "mean_recovery_contracts": ("USD", "mean over the defaults of the recovery from contracts sold as going concerns"),
    "mean_recovery_enterprise_value": ("USD", "mean over the defaults of the recovery from going-concern value"),
    "mean_recovery_reserves": ("USD", "mean over the defaults of the recovery from reserves and cash"),
    "loss_max": ("USD", "the largest loss of any path"),
    "loss_var_rel_error": ("1", "relative error bound of the loss VaR estimates (histogram bins), sqrt(1 + 2^-9) - 1"),
    "loss_cvar_rel_error": ("1", "relative error bound of the loss CVaR estimates (histogram bins), 2^-9"),
    "insolvent_no_debt": ("count", "paths on which the firm ran out of cash owing nothing (not a credit default)"),
    "equity_mean": ("USD", "mean of equity_value over the paths"),
    "equity_quantile_rel_error": ("1", "relative error bound of the equity quantiles, sqrt(1 + 2^-9) - 1"),
    "loss_histogram_lower": ("USD", "lower edges of the non-empty bins of the loss histogram (list)"),
    "loss_histogram_upper": ("USD", "upper edges of the non-empty bins of the loss histogram (list)"),
    "loss_histogram_counts": ("count", "paths in each non-empty bin of the loss histogram (list)"),
    "mean_final_price": ("USD/GPU-hour", "mean of final_price over the paths"),
    "mean_utilization": ("share", "mean over the paths of each path's mean utilization while the firm lived"),
    "mean_equity_raised": ("USD", "mean of equity_raised over the paths"),
    "mean_backstop_paid": ("USD", "mean of backstop_paid over the paths"),
    "median_lease_adjusted_debt": ("USD", "median of lease_adjusted_debt over the paths (histogram estimate)"),
    "median_lease_adjusted_leverage": ("1", "median of lease_adjusted_leverage over the paths (histogram estimate)"),
    "mean_lease_claim": ("USD", "mean of lease_claim over the paths: the fixed charges' counterparties' claims"),
    "mean_lease_loss": ("USD", "mean of lease_claim - lease_recovery over the paths: what those claims lost"),
    # a tranche's statistics to its own maturity (tranches.arrow)
    "maturity_month": ("month", "the tranche's scheduled maturity (debt[].maturity_month)"),
    "pd_to_maturity": (
        "share",
        "probability that the tranche goes into default by its own maturity (months 1 .. maturity_month); null: "
        "the run ends before it",
    ),
    "expected_loss_to_maturity": (
        "USD",
        "the tranche's mean loss over the paths from its defaults by its maturity; null: the run ends before it",
    ),
    "mean_lgd_to_maturity": (
        "share",
        "loss / EAD of its defaults by its maturity; null: none with exposure, or the run ends before it",
    ),
    # portfolios: the book (scenarios.arrow), its firms and exposures
    "exposure": ("USD", "the book's exposure: the sum of its [[book]] amounts"),
    "expected_defaults": ("count", "mean number of firms in credit default within the horizon"),
    "pd_any_default": ("share", "probability that at least one firm is in credit default within the horizon"),
    "default_count_distribution": ("share", "share of paths with k = 0, 1, ... firms in credit default (list)"),
    "mean_min_resale_index": ("index", "mean over the paths of min_resale_index, the lowest monthly resale index"),
    "mean_gpus_sold": ("GPU", "mean over the paths of the GPUs sold by the lenders of defaulted firms"),
    "default_correlation": (
        "1",
        "correlation of the firm's default indicator with each firm's, in [[firms]] order (list; null: a firm "
        "that always or never defaults)",
    ),
    "book_amount": ("USD", "the book's exposure to the firm: the sum of the amounts of its exposures"),
    "book_expected_loss": ("USD", "the book's expected loss on the firm: its exposures' expected losses"),
    "share": ("share", "the share of the tranche's (or of all the firm's debt's) commitment the exposure holds"),
    "amount": ("USD", "the exposure's amount: its share of the commitment at month 0"),
    # fan-chart bands (bands.arrow)
    "variable": (
        "category",
        "the tracked variable: price (USD/GPU-hour), utilization (share), rate (annual short rate), glut (regime "
        "indicator, 1 = glut), cash (USD), ltv (1)",
        L.TRACK_NAMES,
    ),
    "month": ("month", "the month, 1 to the horizon"),
    "mean": ("of variable", "mean of the variable over the tracked paths with a value that month"),
    "std": ("of variable", "standard deviation (ddof 1) of the variable over those paths; null: fewer than two"),
}

# Where a name means something else in one table: {table: {name: entry}}; tables are keyed as in _table_key.
TABLE_FIELDS = {
    "tranches/": {
        "default_month": ("month", "the month the tranche went into default; null: not in default within the horizon"),
        "closing_month": (
            "month",
            "the month the facility closed: 0 signed at the cut-off; null: not signed and never closed ([funding])",
        ),
        "closing_failed_month": (
            "month",
            "the month the facility's closing window ended unclosed (the deliveries it funds not yet begun were "
            "cancelled); null: it did not fail",
        ),
        "ead": ("USD", "the tranche's exposure at default, its balance at the default (0: no default)"),
        "recovery": (
            "USD",
            "what the tranche recovered, net of recovery costs, at its value in the month of default (the sale's "
            "proceeds, recovery.workout_months later, discounted at recovery.discount_rate)",
        ),
        "recovery_gpus": ("USD", "of recovery: from the GPUs sold (valued at the sale, at the fire-sale haircut)"),
        "recovery_contracts": (
            "USD",
            "of recovery: from surviving contracts sold as going concerns with their GPUs, above those GPUs' value "
            "(recovery.contract_value)",
        ),
        "recovery_enterprise_value": (
            "USD",
            "of recovery: from the firm's going-concern value above its liquidation value "
            "(recovery.going_concern_multiple)",
        ),
        "recovery_reserves": ("USD", "of recovery: the rest, from reserve accounts, the pool's cash flow and cash"),
        "loss": ("USD", "the tranche's loss, ead - recovery, at its present value in the month of default"),
    },
    "portfolio/": {
        "loss": ("USD", "the book's loss on the path: the sum of its exposures' losses, at default (present value)"),
        "defaults": ("count", "firms in credit default on the path within the horizon"),
    },
    "paths/": all_fields(),  # the blocks' own meaning of their outputs, per path
    "tranches": {
        "name": ("text", "the tranche's name in [[debt]]"),
        "pd": ("share", "probability that the tranche goes into default within the horizon, defaults / paths"),
        "defaults": ("count", "paths on which the tranche went into default within the horizon"),
        "expected_loss_rate": ("share", "expected loss over the tranche's commitment; null: no commitment"),
        "mean_ead": ("USD", "mean EAD over the paths on which the tranche defaulted; null: it never did"),
    },
    "exposures": {
        "tranche": ("id", "the held tranche's index in its firm's [[debt]], 0-based; null: all the firm's debt"),
        "expected_loss_rate": ("share", "expected loss over the exposure's amount; null: amount 0"),
    },
    "bands": {
        "paths": ("count", "tracked paths with a value that month (cash and ltv: the firms still alive)"),
        "date": ("text", "the calendar month of the month, YYYY-MM (about.first_month is month 1); null without it"),
    },
}


def _levels(digits):
    """The level a name's suffix means and the tail beyond it: "95" -> ("95 %", "5 %"), "999" -> ("99.9 %",
    "0.1 %"), "05" -> ("5 %", "95 %"), "99_9" -> ("99.9 %", "0.1 %") (the keys of TAIL_LEVELS, EQUITY_LEVELS, ...)."""
    share = float(digits.replace("_", ".")) / 100 if "_" in digits else float(f"0.{digits}")
    return f"{100 * share:.10g} %", f"{100 * (1 - share):.10g} %"


_LEVEL = r"(?P<level>\d+(?:_\d+)?)"
_CREDIT = "|".join(L.CAUSE_NAMES[cause] for cause in L.CREDIT_CAUSES)

# Families of names: (regular expression, unit, description with {level}, {cause}, {index} or {base}).
PATTERNS = (
    (rf"loss_var_{_LEVEL}", "USD", "loss VaR at {level}: the {level} quantile of the loss over the paths"),
    (rf"loss_cvar_{_LEVEL}", "USD", "loss CVaR at {level}: the mean of the worst {tail} of the losses over the paths"),
    (rf"loss_cvar_{_LEVEL}_se", "USD", "standard error of the book's loss CVaR at {level}"),
    (
        rf"cvar_contribution_{_LEVEL}",
        "USD",
        "the exposure's Euler contribution to the book's CVaR at {level}: its mean loss over the book's "
        "worst {tail} of paths",
    ),
    (
        rf"book_cvar_contribution_{_LEVEL}",
        "USD",
        "the sum of the Euler contributions of the firm's exposures to the book's CVaR at {level}",
    ),
    (rf"equity_q{_LEVEL}", "USD", "the {level} quantile of equity_value over the paths"),
    (rf"defaults_(?P<cause>{_CREDIT})", "count", "paths with a credit default of cause {cause} within the horizon"),
    (
        r"exposure_(?P<index>\d+)_loss",
        "USD",
        "the loss of exposure {index} of [[book]] on the path, recoveries at their present value at default",
    ),
    (
        r"obligor_default_month_(?P<index>\d+)",
        "month",
        "the month named obligor {index} ([[obligors]] order, 0-based; obligor_names in scenarios) defaulted; "
        "null: not within the horizon",
    ),
    (rf"q{_LEVEL}", "of variable", "the {level} quantile of the variable over the tracked paths that month"),
)
_PATTERNS = tuple((re.compile(pattern), unit, text) for pattern, unit, text in PATTERNS)
_CASES = {
    "base_case_": "no-shock case (one path: every shock zero, no random event)",
    "central_case_": "central case (one path: no shock, no random event, the market on its planned path)",
}


def _table_key(table):
    """A per-path folder ("tranches/") as it is, a results file by its stem ("tranches.arrow" -> "tranches")."""
    if table is None or table.endswith("/"):
        return table
    return Path(table).stem


def lookup(name, table=None):
    """(unit, description, values or None) of column ``name`` (of ``table``, see :func:`describe`); None: unknown."""
    entry = TABLE_FIELDS.get(_table_key(table), {}).get(name) or FIELDS.get(name)
    if entry is not None:
        return (*entry, None)[:3]
    for pattern, unit, text in _PATTERNS:
        match = pattern.fullmatch(name)
        if match:
            parts = match.groupdict()
            if parts.get("level"):
                parts["level"], parts["tail"] = _levels(parts["level"])
            return unit, text.format(**parts), None
    for prefix, case in _CASES.items():  # a deterministic path's per-path outputs
        found = lookup(name.removeprefix(prefix), "paths/") if name.startswith(prefix) else None
        if found is not None:
            unit, text, values = found
            return unit, f"{case}: {text}", values
    return None


def field_metadata(unit, description, values=None):
    """The metadata entries of a field: unit, description and, for a category, its values (JSON)."""
    metadata = {UNIT_KEY: str(unit).encode(), DESCRIPTION_KEY: str(description).encode()}
    if values is not None:
        metadata[VALUES_KEY] = json.dumps(list(values)).encode()
    if unit == "of variable":
        metadata[b"unit_by_variable"] = json.dumps(UNIT_BY_VARIABLE).encode()
    return metadata


def describe(schema, extra=None, table=None):
    """``schema`` with every field's unit and description (and a category's values) in its metadata.

    ``extra``: {column: (unit, description[, values])} of columns the caller
    knows best (they win over the catalogue); ``table``: the results file
    (``tranches.arrow``) or per-path folder with a slash (``tranches/``) the
    schema is for, where a name means something else in one table. Names,
    types, nullability and the schema's own metadata stay as they were; a
    field that already has a unit and a description keeps them (unless in
    ``extra``), and one that neither knows keeps its metadata (usually none).
    """
    extra = extra or {}
    fields = []
    for field in schema:
        entry = extra.get(field.name)
        if entry is None and {UNIT_KEY, DESCRIPTION_KEY} <= set(field.metadata or {}):
            fields.append(field)  # described by whoever made it
            continue
        found = (*entry, None)[:3] if entry is not None else lookup(field.name, table)
        if found is not None:
            field = field.with_metadata(dict(field.metadata or {}) | field_metadata(*found))
        fields.append(field)
    return pa.schema(fields, metadata=schema.metadata)


def unit_of(field):
    """A field's unit (str), or None without one."""
    return (field.metadata or {}).get(UNIT_KEY, b"").decode() or None


def values_of(field):
    """A category field's documented values (list), or None."""
    values = (field.metadata or {}).get(VALUES_KEY)
    return None if values is None else json.loads(values)

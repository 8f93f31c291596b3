"""The run's result tables: from the units' summaries to scenarios, tranches, bands, firms and exposures."""

import json

import numpy as np
import pyarrow as pa

from .arrays import to_host
from .backends import get_backend
from .blocks.facilities import initial_debt
from .blocks.run import CASE_OUTPUTS, CASES, case_parameters, final_maturity
from .chunks import firm_summary
from .kernels import layout as L
from .results import aggregates, bands, book, store
from .results.names import RECOVERY_SOURCES


class Totals:
    """The unit summaries of a run combined per scenario, in plan order, and each scenario's band statistics."""

    def __init__(self):
        self.summaries, self.band_stats = {}, {}

    def add(self, unit, summary, band_stats):
        previous = self.summaries.get(unit.scenario_id)
        self.summaries[unit.scenario_id] = summary if previous is None else aggregates.combine([previous, summary])
        if band_stats is not None:
            self.band_stats[unit.scenario_id] = band_stats


def result_tables(spec, scenarios, sweep_keys, totals):
    """The run's tables from its :class:`Totals`: {file name: table}, named as Arrow files (SCENARIOS_FILE,
    BANDS_FILE, TRANCHES_FILE, and a portfolio's FIRMS_FILE and EXPOSURES_FILE)."""
    provenance = spec.provenance
    tables = {}
    if spec.portfolio:
        rows, firm_rows, exposure_rows = _portfolio_rows(scenarios, totals.summaries)
        tables[store.FIRMS_FILE] = rows_table(firm_rows, provenance, store.FIRMS_FILE)
        tables[store.EXPOSURES_FILE] = rows_table(exposure_rows, provenance, store.EXPOSURES_FILE)
    else:
        rows = [
            _with_obligors(
                aggregates.finalize(totals.summaries[scenario.scenario_id], scenario.initial_debt), scenario.config
            )
            | _deterministic_cases(spec, scenario)
            for scenario in scenarios
        ]
    tables[store.SCENARIOS_FILE] = _scenarios_table(spec, scenarios, sweep_keys, rows)
    bands_table = bands.bands_table(totals.band_stats, scenarios[0].config.about.first_month if scenarios else None)
    tables[store.BANDS_FILE] = store.table_with_provenance(bands_table, provenance, name=store.BANDS_FILE)
    tables[store.TRANCHES_FILE] = _tranches_table(scenarios, totals.summaries, provenance)
    return tables


def _with_obligors(row, config):
    """``row`` with the realised PD of each of the config's named obligors (``obligor_pd``, in the order of
    ``obligor_names``): the share of paths on which it defaulted within the horizon."""
    names = [obligor.name for obligor in config.obligors]
    realised = row.get("obligor_pd")
    return row | {"obligor_names": names, "obligor_pd": None if realised is None else realised[: len(names)]}


def _deterministic_cases(spec, scenario):  # single-firm runs only
    """The scenario's deterministic paths (one path each, every shock zero, no random event: CASES), as
    <case>_* columns: its default month and cause, loss, final and minimum cash, equity value."""
    columns = {}
    for case in CASES:
        params = case_parameters(spec.params[scenario.scenario_id], case)
        outputs_float, outputs_int, _ = get_backend(spec.backend).simulate(
            spec.launch(scenario.scenario_id, 0, 1, params=params)
        )
        outputs_float, outputs_int = to_host(outputs_float)[:, 0], to_host(outputs_int)[:, 0]
        month, cause = int(outputs_int[L.OUT_DEFAULT_MONTH]), int(outputs_int[L.OUT_DEFAULT_CAUSE])
        columns[f"{case}_default_month"] = month if month > 0 else None
        columns[f"{case}_default_cause"] = L.CAUSE_NAMES[cause] if month > 0 else None
        for name in CASE_OUTPUTS:
            columns[f"{case}_{name}"] = float(outputs_float[L.FLOAT_OUTPUT_NAMES.index(name)])
    return columns


def _portfolio_rows(scenarios, totals):
    """(scenario rows, firm rows, exposure rows) of a portfolio run: the book, each firm, each exposure."""
    rows, firm_rows, exposure_rows = [], [], []
    for scenario in scenarios:
        total = totals[scenario.scenario_id]
        portfolio = scenario.config
        amounts = [exposure.amount for exposure in portfolio.book]
        row, by_exposure = book.finalize_book(total, amounts)
        rows.append(row)
        shares = portfolio.exposure_shares()
        correlations = book.default_correlations(total["book_joint_defaults"], int(total["book_paths"]))
        for index, (exposure, line) in enumerate(zip(portfolio.book, by_exposure, strict=True)):
            firm, tranche, share = shares[index]
            about = {"scenario_id": scenario.scenario_id, "exposure_id": index, "firm": firm}
            about |= {"firm_name": exposure.firm, "tranche": tranche if tranche >= 0 else None}
            exposure_rows.append(about | {"tranche_name": exposure.tranche, "share": share} | line)
        for firm, config in enumerate(portfolio.firm_configs):
            held = [line for line, (owner, _, _) in zip(by_exposure, shares, strict=True) if owner == firm]
            firm_row = {"scenario_id": scenario.scenario_id, "firm": firm, "name": config.firm.name}
            firm_row["config"] = json.dumps(config.model_dump(exclude={"sweep", "about", "simulation"}))
            firm_row |= _with_obligors(aggregates.finalize(firm_summary(total, firm), initial_debt(config)), config)
            firm_row["default_correlation"] = [None if np.isnan(c) else float(c) for c in correlations[firm]]
            firm_row["book_amount"] = float(sum(line["amount"] for line in held))
            firm_row["book_expected_loss"] = float(sum(line["expected_loss"] for line in held))
            for name in aggregates.TAIL_LEVELS:
                parts = [line[f"cvar_contribution_{name}"] for line in held]
                firm_row[f"book_cvar_contribution_{name}"] = None if None in parts else float(sum(parts))
            firm_rows.append(firm_row)
    return rows, firm_rows, exposure_rows


def _tranches_table(scenarios, totals, provenance):
    """One row per scenario, firm and tranche: its name, pool, rank and aggregates."""
    rows = []
    for scenario in scenarios:
        for firm, config in enumerate(scenario.firm_configs):
            summary = totals[scenario.scenario_id]
            if scenario.portfolio:
                summary = firm_summary(summary, firm)
            debt = config.debt
            commitments = [tranche.principal + tranche.commitment for tranche in debt]
            maturities = [final_maturity(tranche) for tranche in debt]
            for index, row in enumerate(aggregates.finalize_tranches(summary, commitments, maturities)):
                tranche = debt[index]
                about = {"scenario_id": scenario.scenario_id, "firm": firm, "firm_name": config.firm.name}
                about["tranche"] = index
                rows.append(about | {"name": tranche.name, "pool": tranche.pool, "rank": tranche.rank} | row)
    schema = tranches_schema()
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    return store.table_with_provenance(table, provenance, name=store.TRANCHES_FILE)


def _scenarios_table(spec, scenarios, sweep_keys, rows):
    """One row per scenario: its id, swept values (SQL-safe column names), config (JSON) and aggregates."""
    arrays = [pa.array([s.scenario_id for s in scenarios], pa.int32())]
    fields = [pa.field("scenario_id", pa.int32())]
    for index, (field, _) in enumerate(spec.swept_columns[0] if spec.swept_columns else ()):
        fields.append(field)
        arrays.append(pa.array([columns[index][1] for columns in spec.swept_columns], field.type))
    fields.append(pa.field("config", pa.string()))
    arrays.append(pa.array([json.dumps(s.config.model_dump(exclude={"sweep", "about"})) for s in scenarios]))
    for name in rows[0]:
        values = [row[name] for row in rows]
        # No value (None or NaN) is an Arrow null; a column of nothing but nulls is still float64.
        column_type = COLUMN_TYPES.get(name) or (pa.float64() if all(v is None for v in values) else None)
        array = pa.array(values, column_type, from_pandas=True)
        if name in CAUSE_CATEGORIES:  # a category, coded as the per-path default_cause is
            codes = pa.array([None if v is None else L.CAUSE_NAMES.index(v) for v in values], pa.int8())
            array = pa.DictionaryArray.from_arrays(codes, pa.array(L.CAUSE_NAMES, pa.string()))
        fields.append(pa.field(name, array.type))
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=store.with_provenance(pa.schema(fields), spec.provenance))


CAUSE_CATEGORIES = {f"{case}_default_cause" for case in CASES}
COLUMN_TYPES = {
    **{f"{case}_default_month": pa.int32() for case in CASES},
    **{f"{case}_default_cause": pa.string() for case in CASES},
    "pd_by_year": pa.list_(pa.float64()),
    "obligor_names": pa.list_(pa.string()),
    "obligor_pd": pa.list_(pa.float64()),
    # {cause: [credit defaults in month 1, 2, ... the horizon]}, one field per credit cause (null: not recorded)
    "defaults_by_month_cause": pa.struct(
        [pa.field(L.CAUSE_NAMES[cause], pa.list_(pa.int64())) for cause in L.CREDIT_CAUSES]
    ),
    "pd_funded": pa.float64(),
    "median_lease_adjusted_debt": pa.float64(),
    "median_lease_adjusted_leverage": pa.float64(),
    "pd_funded_ci_low": pa.float64(),
    "pd_funded_ci_high": pa.float64(),
    "funding_failures": pa.int64(),
    "terminal_failures": pa.int64(),
    "pd_terminal": pa.float64(),
    "pd_with_terminal": pa.float64(),
    "mean_terminal_shortfall": pa.float64(),
    # {credit cause: defaults that came at or after a facility failed to close} (null: not recorded)
    "funding_defaults": pa.struct([pa.field(L.CAUSE_NAMES[cause], pa.int64()) for cause in L.CREDIT_CAUSES]),
    "loss_histogram_lower": pa.list_(pa.float64()),
    "loss_histogram_upper": pa.list_(pa.float64()),
    "loss_histogram_counts": pa.list_(pa.int64()),
    "scenario_id": pa.int32(),
    "firm": pa.int8(),  # a firm's index in [[firms]] (firm_name: its name)
    "exposure_id": pa.int16(),
    "tranche": pa.int8(),  # a tranche's index in its firm's [[debt]]; null: all its debt
    "firm_name": pa.string(),
    "tranche_name": pa.string(),
    "name": pa.string(),
    "config": pa.string(),
    "default_correlation": pa.list_(pa.float64()),
    "default_count_distribution": pa.list_(pa.float64()),
}


def tranches_schema():
    """The schema of tranches.arrow (one row per scenario and tranche)."""
    money = ["expected_loss", "expected_loss_se", "commitment"]
    money += [f"loss_{kind}_{name}" for name in aggregates.TAIL_LEVELS for kind in ("var", "cvar")]
    fields = [
        pa.field("scenario_id", pa.int32(), nullable=False),
        pa.field("firm", pa.int8(), nullable=False),  # its index in a portfolio's [[firms]]; 0 alone
        pa.field("firm_name", pa.string()),
        pa.field("tranche", pa.int8(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("pool", pa.string()),  # null: unsecured at the parent
        pa.field("rank", pa.int8()),
        pa.field("paths", pa.int64()),
        pa.field("defaults", pa.int64()),
        *(pa.field(name, pa.float64()) for name in ("pd", "pd_ci_low", "pd_ci_high")),
        pa.field("pd_by_year", pa.list_(pa.float64())),
        *(pa.field(name, pa.float64()) for name in money[:3]),
        *(pa.field(name, pa.float64()) for name in ("expected_loss_rate", "mean_ead", "mean_lgd")),
        *(pa.field(name, pa.float64()) for name in money[3:]),
        pa.field("maturity_month", pa.int32()),
        *(pa.field(name, pa.float64()) for name in ("pd_to_maturity", "expected_loss_to_maturity")),
        pa.field("mean_lgd_to_maturity", pa.float64()),
        pa.field("mean_lgd_se", pa.float64()),
        *(pa.field(f"mean_recovery_{source}", pa.float64()) for source in RECOVERY_SOURCES),
    ]
    return pa.schema(fields)


def rows_table(rows, provenance, file_name=None):
    """An Arrow table of ``rows`` (dicts) with the run's provenance (and its fields' units: ``file_name``, its file); a
    column of nothing but nulls is float64."""
    names = list(rows[0]) if rows else []
    columns = {}
    for name in names:
        values = [row[name] for row in rows]
        column_type = COLUMN_TYPES.get(name) or (pa.float64() if all(v is None for v in values) else None)
        columns[name] = pa.array(values, column_type, from_pandas=True)
    table = pa.table(columns) if columns else pa.table({"scenario_id": pa.array([], pa.int32())})
    return store.table_with_provenance(table, provenance, name=file_name)

"""Golden outputs: a digest of every table a run produces, per case and backend, stored before a refactor.

A refactor that is meant to change no number (issue 27's renovation, say) is checked against
``data/golden/outputs.json``: every column of every table (per-path outputs, per-path tranche
outputs, the scenario aggregates, the tranche table, the bands, a portfolio's firms, exposures
and book) of every case below must hash to the same xxh3-128 as when the file was written. A
column's digest is of its type and values alone (no field descriptions), so a reworded description
is not a change of output; a changed value, type or row order is.

Written with ``python tests/golden.py --write`` (only when a change of the model's numbers is
intended and explained); ``python tests/golden.py --cases CASE,...`` prints a case's digests.

Each case runs with the settings of LEGACY, which switch off what came after the file was written
(issue 29: leases and power contracts as claims;
the planned path's expected regime), and what the additions since output (ADDED_COLUMNS,
struct fields ADDED_FIELDS: the claims' outputs, a tranche's statistics to its own maturity) is left
out of the digests: with them off, every output that was there before is bit for bit what it was.
The presets run as they were then (``data/golden/presets``, the presets of issue 28): the golden
file checks the model's code, not the presets' later calibration.
"""

import argparse
import contextlib
import json
import sys
from pathlib import Path
from unittest import mock

import xxhash

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from gpu_stress.blocks.run import CASE_OUTPUTS
from helpers import CAPITAL_STRUCTURE, EVERY_EVENT, FULL_MODEL, table_with

GOLDEN_FILE = Path(__file__).parent / "data" / "golden" / "outputs.json"
FROZEN_PRESETS = GOLDEN_FILE.parent / "presets"  # the presets as the golden file was written with them
TABLES = ("scenarios", "bands", "tranches", "firms", "exposures", "paths", "tranche_paths", "portfolio_paths")
PRESETS = ("coreweave", "crusoe", "lambda", "nebius", "nscale", "neoclouds")
MODELS = {
    "full_model": FULL_MODEL,
    "capital_structure": CAPITAL_STRUCTURE,
    "every_event": table_with(FULL_MODEL, {"overlay": EVERY_EVENT}),
}
# (backend, precision, paths): the CUDA simulator runs a few paths of each case (it is slow).
RUNS = {
    "numpy": ("numpy", "float64", 400),
    "cpu": ("cpu", "float64", 400),
    "cpu_float32": ("cpu", "float32", 400),
    "cuda_simulator": ("cuda", "float64", 24),
}
CASES = PRESETS + tuple(MODELS)
# issue 29's claims off, and its planned path's regime as it was (the initial regime persists)
LEGACY = {"claims": {"fixed_charges": False}, "market": {"regime": {"planned_path": "initial"}}}
CASE_COLUMNS = {f"central_case_{name}" for name in ("default_month", "default_cause", *CASE_OUTPUTS)}
ADDED_COLUMNS = {
    "lease_claim",
    "lease_recovery",
    "lease_adjusted_debt",
    "lease_adjusted_leverage",
    "defaults_lease",
    "mean_lease_claim",
    "mean_lease_loss",
    "median_lease_adjusted_debt",
    "median_lease_adjusted_leverage",
    "maturity_month",
    "pd_to_maturity",
    "expected_loss_to_maturity",
    "mean_lgd_to_maturity",
    "date",  # the bands' calendar month (null: the frozen presets have no about.first_month)
    *CASE_COLUMNS,  # the central case beside the no-shock case
    "terminal_shortfall",  # the terminal test at the horizon, and its aggregates
    "terminal_failures",
    "pd_terminal",
    "pd_with_terminal",
    "mean_terminal_shortfall",
    # issue 30, item 4: losses undiscounted beside those at default (the same with no workout), LGD's standard
    # error, and what each tranche's recovery came from
    "loss_undiscounted",
    "expected_loss_undiscounted",
    "mean_lgd_se",
    "recovery_gpus",
    "recovery_contracts",
    "recovery_enterprise_value",
    "recovery_reserves",
    "mean_recovery_gpus",
    "mean_recovery_contracts",
    "mean_recovery_enterprise_value",
    "mean_recovery_reserves",
    "obligor_names",  # issue 30, item 5: each named obligor's realised PD and, per path, its default month
    "obligor_pd",
    *(f"obligor_default_month_{k}" for k in range(8)),
}
ADDED_FIELDS = {"lease"}  # a credit cause's entry in struct columns (funding_defaults, defaults_by_month_cause)
# Settings in the "config" column's JSON (dotted; "*": every entry of a list) added since.
ADDED_SETTINGS = (
    "claims",
    "obligations.*.kind",
    "obligations.*.claim_share",
    "simulation.central_case",
    "market.regime.planned_path",
    "obligors",  # issue 30: named obligors (none in the frozen presets)
    "customers.*.obligor",
    "backstop.obligor",
    "vendor.obligor",
    "overlay.obligor_default",
    "stress.*.obligor_default",
    "recovery",  # issue 30, item 4: the workout (its defaults are today's recoveries)
    "generations.*.age_decay",  # a generation's own used-value curve (None: the collateral block's)
)


def _drop(config, parts):
    """Remove the setting at dotted path ``parts`` from ``config`` (a dict of dicts and lists), where present,
    and a table that held nothing else (a portfolio firm's LEGACY layer)."""
    head, *rest = parts
    if not rest:
        config.pop(head, None)
        return
    for key, entry in enumerate(config) if head == "*" else [(head, config.get(head))]:
        if isinstance(entry, dict | list) and entry:
            _drop(entry, rest)
            if not entry and isinstance(config, dict):
                config.pop(key)


def without_added_settings(text):
    """A "config" column's JSON as it was: the settings added since left out (``json.dumps`` as tables.py)."""
    config = json.loads(text)
    for firm in [config, *(firm["config"] for firm in config.get("firms", []))]:  # a portfolio's firms too
        for setting in ADDED_SETTINGS:
            _drop(firm, setting.split("."))
    return json.dumps(config)


@contextlib.contextmanager
def frozen_presets():
    """Presets read from FROZEN_PRESETS while in the block (a portfolio's firms name theirs)."""
    from gpu_stress.config import load

    with mock.patch.object(load, "preset_text", lambda name: (FROZEN_PRESETS / f"{name}.toml").read_text()):
        yield


def legacy_source(case):
    """The run's source for ``case`` with the LEGACY settings: a firm's table, or a portfolio's with each firm's."""
    if case not in PRESETS:
        return {"config": table_with(MODELS[case], LEGACY)}
    from gpu_stress.config.load import read_preset

    table = read_preset(case)
    if "firms" in table:
        for firm in table["firms"]:
            firm["config"] = table_with(firm.get("config", {}), LEGACY)
        return {"config": table}
    return {"config": table_with(table, LEGACY)}


def without_added(table):
    """``table`` without the columns and struct fields that came after the golden file."""
    import pyarrow as pa

    keep = [name for name in table.column_names if name not in ADDED_COLUMNS]
    table = table.select(keep)
    if "config" in table.column_names:
        configs = [without_added_settings(text) for text in table["config"].to_pylist()]
        table = table.set_column(table.column_names.index("config"), "config", pa.array(configs, pa.string()))
    for index, name in enumerate(table.column_names):
        column = table[name]
        if pa.types.is_struct(column.type) and any(field.name in ADDED_FIELDS for field in column.type):
            chunks = []
            for chunk in column.chunks:
                fields = [field for field in chunk.type if field.name not in ADDED_FIELDS]
                arrays = [chunk.field(field.name) for field in fields]
                chunks.append(pa.StructArray.from_arrays(arrays, fields=fields, mask=chunk.is_null()))
            table = table.set_column(index, name, pa.chunked_array(chunks))
    return table


def column_digest(column):
    """xxh3-128 of a column's type and values (floats by their shortest exact repr; nulls as null)."""
    text = json.dumps([str(column.type), column.to_pylist()], allow_nan=True)
    return xxhash.xxh3_128(text.encode()).hexdigest()


ORDER = ("scenario_id", "firm", "path_id", "tranche", "variable", "month")


def _sorted(table):
    keys = [key for key in ORDER if key in table.column_names]
    return table.sort_by([(key, "ascending") for key in keys]) if keys else table


def digests(case, run, added=None):
    """{table: {column: digest}} of ``case`` (a preset or a model above) on ``run`` (a key of RUNS), its table
    merged with ``added`` (settings that are to change nothing) if given."""
    import gpu_stress

    backend, precision, paths = RUNS[run]
    with frozen_presets():
        source = legacy_source(case)
        if added:
            source["config"] = table_with(source["config"], added)
        results = gpu_stress.run(**source, paths=paths, seed=7, precision=precision, backend=backend, warn=False)
    found = {}
    for name in TABLES:
        table = getattr(results, name)
        if table is not None:
            table = without_added(_sorted(table))
            found[name] = {column: column_digest(table[column]) for column in table.column_names}
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write data/golden/outputs.json anew")
    parser.add_argument("--runs", default=",".join(RUNS), help="comma-separated keys of RUNS")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    options = parser.parse_args(argv)
    runs, cases = options.runs.split(","), options.cases.split(",")
    found = {run: {case: digests(case, run) for case in cases} for run in runs}
    if options.write:
        stored = json.loads(GOLDEN_FILE.read_text()) if GOLDEN_FILE.exists() else {}
        for run, by_case in found.items():
            stored.setdefault(run, {}).update(by_case)
        GOLDEN_FILE.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN_FILE.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
    else:
        json.dump(found, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()

"""``gpu-stress trace``: one stored path again, month by month, and why it ended as it did.

A path's outputs are a pure function of (config, seed, stream, path id), so a
trace re-simulates the chunk that holds the path, with the run's recorded
configuration, seed and backend, and has the kernel write that one path's
monthly statement as it goes (``layout.STATEMENT_*``). Since it is the very
computation of the run, the path's outputs equal its stored row to the last
bit; :func:`trace_path` checks that against the per-path files when the run
kept them.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from .backends import get_backend
from .backends.launch import Launch
from .blocks.run import CASE_OUTPUTS, CASES, case_parameters
from .chunks import stream_of, unit_holding
from .errors import UserError
from .kernels import layout as L
from .params import parameter_vector
from .results import store
from .results.dates import calendar_month
from .results.verify import open_results
from .scenarios import expand_recorded


def _single_firm_record(directory):
    """The run record of ``directory``; a portfolio run cannot be traced (yet): say so in one line."""
    record = open_results(directory).record
    if record.is_portfolio:
        raise TraceError(
            f"trace: {directory} is a portfolio run, which trace does not follow yet; trace a firm's own run "
            "(firm 0's paths with no price impact are those of its configuration alone)"
        )
    return record


class TraceError(UserError, ValueError):
    """A path that cannot be traced from these results; ``str()`` is one line."""


@dataclass
class Trace:
    scenario_id: int
    path_id: int
    backend: str
    tranche_names: list  # debt tranches, in the order of interest_0, principal_0, ...
    statement: pa.Table  # one row per month the firm lived: month, then the statement's lines
    outputs: dict  # the path's per-path outputs, as stored (null default month and cause if none)
    matches_stored_row: bool | None  # None: the run kept no per-path files (or no stored deterministic case)
    case: str | None = None  # a deterministic path (a key of blocks.run.CASES), or None: a Monte Carlo path
    tranche_outcomes: list = None  # per tranche: name, default_month (None: not in default), ead, recovery, loss

    def debt_service(self):
        """[(interest $, principal $)] of each month of the statement, summed over the tranches."""
        lines = self.statement.to_pydict()
        tranches = range(len(self.tranche_names))
        return [
            (sum(lines[f"interest_{j}"][row] for j in tranches), sum(lines[f"principal_{j}"][row] for j in tranches))
            for row in range(self.statement.num_rows)
        ]

    def document(self):
        """What ``gpu-stress trace --json`` prints (a dict; no NaN: null instead)."""
        from .results.store import without_nan

        document = {
            "scenario_id": self.scenario_id,
            "path_id": self.path_id,
            "backend": self.backend,
            "tranches": self.tranche_names,
            "outputs": self.outputs,
            "tranche_outcomes": self.tranche_outcomes,
            "matches_stored_row": self.matches_stored_row,
            "case": self.case,
            "statement": self.statement.to_pylist(),
        }
        return without_nan(document)

    def write_csv(self, path):
        """Write the statement to ``path`` as CSV, atomically (a temporary name, then a rename)."""
        import pyarrow.csv

        store.write_atomic(path, lambda target: pyarrow.csv.write_csv(self.statement, str(target)))


def trace_path(directory, scenario_id, path_id, backend=None, base_case=False, case=None):
    """The :class:`Trace` of path ``path_id`` of scenario ``scenario_id`` of the results in ``directory``.

    With ``case`` (a key of ``blocks.run.CASES``) it is one of the scenario's
    deterministic paths instead, checked against its <case>_* columns:
    "base_case" the no-shock case (every shock zero, no random event; also
    ``base_case=True``), "central_case" the central case (no shock, no random
    event, the market on its planned path).
    """
    case = "base_case" if base_case and case is None else case
    if case is not None and case not in CASES:
        raise TraceError(f"case: {case!r} is not one of {', '.join(CASES)}")
    record = _single_firm_record(directory)
    _, scenarios = expand_recorded(record)
    simulation = record.simulation
    if not 0 <= scenario_id < len(scenarios):
        raise TraceError(f"--scenario: no scenario {scenario_id} (the run has {len(scenarios)})")
    if case is not None:
        path_id, unit = 0, unit_holding(scenario_id, 0, 1, 1)  # one path, as the engine computes it
    elif not 0 <= path_id < simulation["paths"]:
        raise TraceError(f"--path: no path {path_id} (the run has paths 0 to {simulation['paths'] - 1})")
    else:
        unit = unit_holding(scenario_id, path_id, record.paths, record.chunk_paths)
    config = scenarios[scenario_id].config
    params = parameter_vector(config)
    params = case_parameters(params, case) if case is not None else params
    stream = stream_of(scenario_id, simulation["independent_scenarios"])
    backend = backend or record.backend
    launch = Launch(
        params,
        simulation["horizon_months"],
        simulation["seed"],
        stream,
        unit.path_start,
        unit.paths,
        statement_path=path_id - unit.path_start,
        dtype=np.dtype(simulation["precision"]).type,
    )
    outputs_float, outputs_int, statement = get_backend(backend).trace(launch)
    column = path_id - unit.path_start
    row = store.paths_table(
        scenario_id,
        path_id,
        outputs_float[:, column : column + 1],
        outputs_int[:, column : column + 1],
        store.paths_schema(pa.from_numpy_dtype(outputs_float.dtype), {}, obligors=int(params[L.OBLIGOR_COUNT])),
    )
    if case is not None:
        matches = _matches_case(directory, scenario_id, row.to_pylist()[0], case)
    else:
        stored = _stored_row(directory, record, unit, path_id, row.schema)
        matches = None if stored is None else stored.equals(row)
    tranches = [tranche.get("name", f"tranche {index}") for index, tranche in enumerate(config.model_dump()["debt"])]
    return Trace(
        scenario_id,
        path_id,
        backend,
        tranches,
        _statement_table(statement, len(tranches), config.about.first_month),
        row.to_pylist()[0],
        matches,
        case,
        _tranche_outcomes(outputs_float[:, column], outputs_int[:, column], tranches),
    )


def _tranche_outcomes(outputs_float, outputs_int, names):
    """What each tranche lost on the traced path (one path's output columns)."""
    outcomes = []
    for j, name in enumerate(names):
        month = int(outputs_int[L.OUT_TRANCHE_DEFAULT_MONTH + j])
        ead = float(outputs_float[L.OUT_TRANCHE_EAD + j])
        recovery = float(outputs_float[L.OUT_TRANCHE_RECOVERY + j])
        outcome = {"name": name, "default_month": month if month > 0 else None, "ead": ead, "recovery": recovery}
        outcomes.append(outcome | {"loss": ead - recovery})
    return outcomes


def _matches_case(directory, scenario_id, outputs, case):
    table = open_results(directory).table(store.SCENARIOS_FILE)
    if table is None or f"{case}_final_cash" not in table.column_names:
        return None
    stored = table.filter(pc.equal(table["scenario_id"], scenario_id)).to_pylist()[0]
    names = (*CASE_OUTPUTS, "default_month", "default_cause")
    return all(stored[f"{case}_{name}"] == outputs[name] for name in names)


def _stored_row(directory, record, unit, path_id, schema):
    """The stored row of ``path_id`` as a table of ``schema`` (a Parquet part holds it without scenario_id)."""
    if not record.write_paths:
        return None
    results = open_results(directory)
    relative = store.part_name(store.PATHS_DIR, unit.name, unit.scenario_id, results.format)
    if not results.has(relative):
        raise TraceError(f"{results / relative}: missing (its manifest lists no such file)")
    table = store.read_table(results.file(relative))
    row = table.filter(pc.equal(table["path_id"], path_id))
    if "scenario_id" not in row.column_names:
        row = row.add_column(0, "scenario_id", pa.array([unit.scenario_id] * row.num_rows, pa.int32()))
    return row.select(schema.names).cast(schema)


def _statement_table(statement, tranches, first_month=None):
    """The statement's months lived: month, its calendar month (with ``first_month``: "YYYY-MM"), then its lines."""
    lived = ~np.isnan(statement[:, L.STATEMENT_PRICE])
    months = np.flatnonzero(lived) + 1
    columns = {"month": pa.array(months, pa.int32())}
    if first_month:
        columns["date"] = pa.array([calendar_month(first_month, int(month)) for month in months], pa.string())
    for index, name in enumerate(L.STATEMENT_NAMES):
        kind, _, tranche = name.rpartition("_")
        if kind in ("interest", "principal") and int(tranche) >= tranches:
            continue  # no such tranche
        values = statement[lived, index]
        if name == "event":
            columns[name] = pa.array([L.CAUSE_NAMES[int(code)] if code else None for code in values], pa.string())
        elif name in ("regime", "breaches"):
            columns[name] = pa.array(values.astype(np.int32))
        else:
            columns[name] = pa.array(values.astype(np.float64))
    return pa.table(columns)


def worst_paths(directory, count, scenario_id=None):
    """The ``count`` paths with the largest loss (all scenarios, or one), largest first, as a table."""
    record = _single_firm_record(directory)
    if not record.write_paths:
        raise TraceError(f"--worst: {directory} has no per-path files (the run used --no-paths)")
    dataset = open_results(directory).dataset(store.PATHS_DIR)
    filter_ = None if scenario_id is None else ds.field("scenario_id") == scenario_id
    columns = ["scenario_id", "path_id", "loss", "ead", "default_month", "default_cause"]
    table = dataset.to_table(columns=columns, filter=filter_)
    order = pc.sort_indices(table, [("loss", "descending"), ("scenario_id", "ascending"), ("path_id", "ascending")])
    return table.take(order[:count])

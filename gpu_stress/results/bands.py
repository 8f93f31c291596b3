"""Fan-chart bands: monthly statistics of the tracked paths of each scenario.

The first ``band_paths`` paths of every scenario record their monthly price,
utilization, short rate, regime (1 = glut), cash and LTV. Price, utilization,
rate and regime are unconditional (the market of a defaulted path keeps
going); cash and LTV are over the firms still alive that month (``paths``
says how many). The mean of ``glut`` is the share of paths in the glut regime.
"""

import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..kernels.layout import TRACK_NAMES
from .dates import calendar_month

QUANTILES = {"q05": 0.05, "q25": 0.25, "q50": 0.50, "q75": 0.75, "q95": 0.95}
COLUMNS = ("paths", "mean", "std", *QUANTILES)


def band_statistics(tracks):
    """float64 array (variable, month, column) over tracks shaped (path, month, variable)."""
    tracks = np.asarray(tracks, dtype=np.float64)
    _, horizon, variables = tracks.shape
    result = np.full((variables, horizon, len(COLUMNS)), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # months where every firm has defaulted
        result[..., 0] = np.sum(~np.isnan(tracks), axis=0).T
        result[..., 1] = np.nanmean(tracks, axis=0).T
        result[..., 2] = np.nanstd(tracks, axis=0, ddof=1).T
        levels = list(QUANTILES.values())
        result[..., 3:] = np.nanquantile(tracks, levels, axis=0).transpose(2, 1, 0)
    return result


def bands_table(statistics_by_scenario, first_month=None):
    """Long Arrow table: scenario_id, variable, month, date (its calendar month "YYYY-MM" with ``first_month``, the
    calendar month of month 1; else null), then COLUMNS; null where a month has no value."""
    columns = {"scenario_id": [], "variable": [], "month": []} | {name: [] for name in COLUMNS}
    for scenario_id, statistics in sorted(statistics_by_scenario.items()):
        variables, horizon, _ = statistics.shape
        for variable in range(variables):
            columns["scenario_id"].append(np.full(horizon, scenario_id, np.int32))
            columns["variable"].append(np.full(horizon, TRACK_NAMES[variable], object))
            columns["month"].append(np.arange(1, horizon + 1, dtype=np.int32))
            for index, name in enumerate(COLUMNS):
                columns[name].append(statistics[variable, :, index])
    schema = pa.schema(
        [("scenario_id", pa.int32()), ("variable", pa.string()), ("month", pa.int32()), ("paths", pa.int64())]
        + [(name, pa.float64()) for name in COLUMNS[1:]]
    )
    arrays = []
    for field in schema:
        parts = columns[field.name]
        values = np.concatenate(parts) if parts else np.zeros(0, np.float64)
        if field.name == "paths":
            values = values.astype(np.int64)
        # NaN (no live path that month, or one path's std) becomes null.
        arrays.append(pa.array(values if len(values) else [], field.type, from_pandas=True))
    table = pa.Table.from_arrays(arrays, schema=schema)
    months = table["month"].combine_chunks()
    longest = int(pc.max(months).as_py() or 0)
    by_month = pa.array([calendar_month(first_month, month) for month in range(longest + 1)], pa.string())
    return table.add_column(3, "date", by_month.take(months))  # each month's date once, not each row's

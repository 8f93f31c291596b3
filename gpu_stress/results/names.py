"""The names of a results directory's files, folders and shared columns (for the store, its owner, its readers)."""

from pathlib import Path

from ..kernels import layout as L

RUN_FILE = "run.json"
SCENARIOS_FILE = "scenarios.arrow"
BANDS_FILE = "bands.arrow"
TRANCHES_FILE = "tranches.arrow"
PATHS_DIR = "paths"
TRANCHES_DIR = "tranches"
FIRMS_FILE = "firms.arrow"
EXPOSURES_FILE = "exposures.arrow"
SENSITIVITY_FILE = "sensitivity.arrow"  # gpu-stress sensitivity -o DIR: one row per bumped setting
PORTFOLIO_DIR = "portfolio"
PART_DIRS = (PATHS_DIR, TRANCHES_DIR, PORTFOLIO_DIR)  # the per-chunk files of a run
UNITS_DIR = "units"
# The format of a run's tables: Arrow IPC files, or Parquet with hive-partitioned per-path datasets.
FORMATS = ("arrow", "parquet")
LOCK_FILE = "lock"
STAGING_SUFFIX = ".partial"
TABLES = (SCENARIOS_FILE, BANDS_FILE, TRANCHES_FILE, FIRMS_FILE, EXPOSURES_FILE)


def named(name, format):
    """A table's file name (e.g. ``SCENARIOS_FILE``) in a run's ``format``: scenarios.arrow or scenarios.parquet."""
    return str(Path(name).with_suffix(f".{format}"))


# What a tranche's recovery came from (the tranche table's recovery_<source>): the kernels' rows, then the rest.
RECOVERY_SOURCES = ("gpus", "contracts", "enterprise_value", "reserves")
RECOVERY_ROWS = (L.OUT_TRANCHE_RECOVERY_GPUS, L.OUT_TRANCHE_RECOVERY_CONTRACTS, L.OUT_TRANCHE_RECOVERY_ENTERPRISE_VALUE)

"""The names of a results directory's files and folders (one place, for the store, its owner and its readers)."""

from pathlib import Path

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

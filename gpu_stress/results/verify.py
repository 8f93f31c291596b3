"""Checking a finished results directory end to end (``gpu-stress verify DIR``)."""

from pathlib import Path

from . import store
from .store import ResultsError


class MissingResults(ResultsError):
    """There is no results directory at all (bad input rather than damage)."""


def load_run_record(directory):
    """The run.json of a finished results directory; anything else is a one-line :class:`ResultsError`."""
    directory = Path(directory)
    final = store.final_dir(directory)
    if directory.name.endswith(store.STAGING_SUFFIX):
        raise ResultsError(f"results: {directory} is an unfinished run (finish it: gpu-stress run --resume {final})")
    if not directory.is_dir():
        partial = store.staging_dir(directory)
        hint = f" (an unfinished run is in {partial}: --resume it)" if partial.exists() else ""
        raise MissingResults(f"results: {directory} is not a results directory{hint}")
    if not (directory / store.RUN_FILE).exists():
        raise MissingResults(f"results: {directory} is not a results directory (it has no {store.RUN_FILE})")
    record = store.read_json(directory / store.RUN_FILE)
    if not isinstance(record, dict) or record.get("status") != "complete" or "simulation" not in record:
        raise ResultsError(f"{directory / store.RUN_FILE}: not the record of a finished gpu-stress run")
    return record


def verify(directory):
    """Raise :class:`ResultsError` naming the first damaged, missing or foreign file; else the number checked.

    Checks that run.json is a finished run's record, that every file it lists
    has its recorded size, sha256 and rows, that the directory holds nothing
    else (an extra part file would join every dataset read of ``paths/``), and
    that the per-path files hold exactly paths x scenarios rows.
    """
    directory = Path(directory)
    record = load_run_record(directory)
    files = record.get("files")
    format = store.run_format(record)
    scenarios_file, tranches_file = store.named(store.SCENARIOS_FILE, format), store.named(store.TRANCHES_FILE, format)
    firms_file, exposures_file = store.named(store.FIRMS_FILE, format), store.named(store.EXPOSURES_FILE, format)
    if not isinstance(files, dict) or scenarios_file not in files:
        raise ResultsError(f"{directory / store.RUN_FILE}: records no checksums (written before gpu-stress 0.2?)")
    problem = store.check_files(directory, files)
    if problem:
        raise ResultsError(problem)
    expected = {store.RUN_FILE, store.LOCK_FILE, *store.PART_DIRS, *files}
    expected |= {str(Path(name).parent) for name in files}  # a Parquet run's scenario partitions
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if relative not in expected:
            raise ResultsError(f"{path}: not part of this run")
    before_tranches = _before_tranches(record)
    scenarios = None if before_tranches else _scenarios(directory, record)
    portfolio = scenarios is not None and scenarios[0].portfolio
    firms = len(scenarios[0].firm_configs) if scenarios else 1  # 1, or a portfolio's
    if record.get("write_paths"):
        wanted_by_folder = {store.PATHS_DIR: record["simulation"]["paths"] * len(record["scenarios"]) * firms}
        if portfolio:
            wanted_by_folder[store.PORTFOLIO_DIR] = record["simulation"]["paths"] * len(scenarios)
        for folder, wanted in wanted_by_folder.items():
            rows = sum(entry["rows"] for name, entry in files.items() if name.startswith(f"{folder}/"))
            if rows != wanted:
                raise ResultsError(f"{directory / folder}: {rows} per-path rows, {wanted} expected")
    if portfolio:
        for name in (firms_file, exposures_file):
            if name not in files:
                raise ResultsError(f"{directory / store.RUN_FILE}: records no {name}")
        exposures = sum(len(scenario.config.book) for scenario in scenarios)
        if files[firms_file].get("rows") != len(scenarios) * firms:
            raise ResultsError(f"{directory / firms_file}: not one row per scenario and firm")
        if files[exposures_file].get("rows") != exposures:
            raise ResultsError(f"{directory / exposures_file}: not one row per scenario and exposure")
    if not before_tranches:  # 0.4 on: one row per scenario and tranche, and per path and tranche
        if tranches_file not in files:
            raise ResultsError(f"{directory / store.RUN_FILE}: records no {tranches_file}")
        tranches = sum(len(config.debt) for scenario in scenarios for config in scenario.firm_configs)
        if files[tranches_file].get("rows") != tranches:
            raise ResultsError(f"{directory / tranches_file}: not one row per scenario and tranche")
        if record.get("write_paths"):
            rows = sum(entry["rows"] for name, entry in files.items() if name.startswith(f"{store.TRANCHES_DIR}/"))
            if rows != record["simulation"]["paths"] * tranches:
                wanted = record["simulation"]["paths"] * tranches
                raise ResultsError(f"{directory / store.TRANCHES_DIR}: {rows} rows, {wanted} expected")
    if files[scenarios_file].get("rows") != len(record["scenarios"]):
        raise ResultsError(f"{directory / scenarios_file}: not one row per scenario")
    return len(files)


def _before_tranches(record):
    """True for results of gpu-stress before 0.4, which have no tranche tables."""
    version = str(record.get("gpu_stress_version", "0"))
    return tuple(int(part) for part in version.split(".")[:2] if part.isdigit()) < (0, 4)


def _scenarios(directory, record):
    """The run's scenarios, from its recorded configuration."""
    from ..config.load import ConfigError
    from ..scenarios import expand_recorded

    try:
        _, scenarios = expand_recorded(record)
    except (ConfigError, KeyError) as error:
        raise ResultsError(f"{directory / store.RUN_FILE}: its configuration does not validate ({error})") from None
    return scenarios

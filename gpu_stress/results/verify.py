"""Reading a finished results directory only as it was written, and checking one end to end (``gpu-stress verify``).

Every reader (``summarize``, ``plot``, ``trace``, ``export``, ``gpu_stress.load``)
opens a directory with :func:`open_results`, which checks ``manifest.json``
(its own digest) and ``run.json`` against it, and then reads each file through
the returned :class:`ResultsDirectory`, which checks that file's size and
checksum against the manifest before a byte of it is used. A damaged,
missing, swapped or truncated file is a one-line :class:`ResultsError` naming
it. ``check=False`` (the CLI's ``--no-verify``) skips the checksums, for
users who know what they do; the structure of what is read is checked anyway.
"""

import os
from pathlib import Path

from . import manifest, store
from .names import RUN_FILE, STAGING_SUFFIX
from .ownership import ResultsError, final_dir, staging_dir, unlisted
from .record import RunRecord


class MissingResults(ResultsError):
    """There is no results directory at all (bad input rather than damage)."""


class ResultsDirectory(os.PathLike):
    """A finished results directory opened by :func:`open_results`: its ``record`` (run.json) and its files,
    each checked against the manifest when read (unless opened with ``check=False``).

    It stands for its path wherever one is taken (``Path(results)``, ``str(results)``).
    """

    def __init__(self, path, record, files):
        self.path = Path(path)
        self.record = record  # its RunRecord; None for a directory that is not a run's (a sensitivity's)
        self.files = files  # the manifest's {relative path: entry}; None: opened without checks
        self.format = record.format if record is not None else "arrow"

    def __fspath__(self):
        return str(self.path)

    def __str__(self):
        return str(self.path)

    def __truediv__(self, relative):
        return self.path / relative

    @property
    def checked(self):
        return self.files is not None

    def has(self, relative):
        """True if the run wrote file ``relative`` (a checked directory: if its manifest lists it)."""
        if self.checked:
            return relative in self.files
        return (self.path / relative).is_file()

    def file(self, relative):
        """The path of file ``relative``, once it is shown to be as the run wrote it."""
        if self.checked:
            if relative not in self.files:
                raise ResultsError(f"{self.path / relative}: missing (its manifest lists no such file)")
            problem = manifest.mismatch(self.path, relative, self.files[relative])
            if problem:
                raise ResultsError(problem)
        return self.path / relative

    def table(self, name):
        """Table ``name`` (``SCENARIOS_FILE``, ...) in the run's format, checked; None if the run has none."""
        relative = store.named(name, self.format)
        if not self.has(relative):
            return None
        return store.read_table(self.file(relative))

    def part_names(self, folder):
        """The relative names of the run's per-path files in ``folder`` (PATHS_DIR, ...), in plan order."""
        if self.checked:
            names = [name for name in self.files if name.startswith(f"{folder}/")]
        else:
            names = [p.relative_to(self.path).as_posix() for p in (self.path / folder).rglob("part-*") if p.is_file()]
        return sorted(names, key=_plan_order)

    def parts(self, folder):
        """Every per-path row of ``folder`` as one table in plan order (see :func:`store.read_parts`)."""
        names = self.part_names(folder)
        for name in names:
            self.file(name)
        return store.read_parts(self.path, folder, self.format, self.record.sweep_keys, names)

    def dataset(self, folder):
        """A pyarrow dataset of exactly the run's per-path files in ``folder``, each checked first."""
        names = self.part_names(folder)
        for name in names:
            self.file(name)
        return store.parts_dataset(self.path, folder, self.format, names)


def _plan_order(name):
    """Parts sort by scenario (a Parquet run's partition, as a number), then by name."""
    folder, _, rest = name.partition("/")
    partition, _, _ = rest.rpartition("/")
    number = partition.partition("=")[2]
    scenario = int(number) if partition.startswith("scenario_id=") and number.isdigit() else -1
    return folder, scenario, rest


def open_results(directory, check=True):
    """The :class:`ResultsDirectory` of a finished results directory (returned as it is if already one).

    With ``check`` its manifest and run.json are checked first; every later read checks its own file.
    """
    if isinstance(directory, ResultsDirectory):
        return directory
    directory = Path(directory)
    final = final_dir(directory)
    if directory.name.endswith(STAGING_SUFFIX):
        raise ResultsError(f"results: {directory} is an unfinished run (finish it: gpu-stress run --resume {final})")
    if not directory.is_dir():
        partial = staging_dir(directory)
        hint = f" (an unfinished run is in {partial}: --resume it)" if os.path.lexists(partial) else ""
        raise MissingResults(f"results: {directory} is not a results directory{hint}")
    if not os.path.lexists(directory / RUN_FILE):
        raise MissingResults(f"results: {directory} is not a results directory (it has no {RUN_FILE})")
    files = None
    if check:
        try:
            files = manifest.read(directory)["files"]
        except manifest.ManifestError as error:
            raise ResultsError(_manifest_problem(directory, error)) from None
        if RUN_FILE not in files:
            raise ResultsError(f"{directory / manifest.MANIFEST_FILE}: lists no {RUN_FILE}")
        problem = manifest.mismatch(directory, RUN_FILE, files[RUN_FILE])
        if problem:
            raise ResultsError(problem)
    record = RunRecord.read(directory / RUN_FILE)
    if not record.complete:
        raise ResultsError(f"{directory / RUN_FILE}: not the record of a finished gpu-stress run")
    return ResultsDirectory(directory, record, files)


def checked_file(directory, relative, check=True):
    """The path of file ``relative`` of a directory with a manifest (a run's, an export's, a sensitivity's), once
    the manifest and the file are shown to be as written (``check=False``: at once)."""
    directory = Path(directory)
    if not check:
        return directory / relative
    try:
        files = manifest.read(directory)["files"]
    except manifest.ManifestError as error:
        raise ResultsError(_manifest_problem(directory, error)) from None
    return ResultsDirectory(directory, None, files).file(relative)


def _manifest_problem(directory, error):
    """The line for a directory whose manifest cannot be used: results written before manifests say so."""
    if str(error).endswith(": missing"):
        try:
            version = store.read_json(directory / RUN_FILE).get("gpu_stress_version")
        except (ResultsError, AttributeError):
            version = None
        if isinstance(version, str) and _version(version) < (0, 9):
            return (
                f"{directory / manifest.MANIFEST_FILE}: missing (written by gpu-stress {version}, before results "
                "carried a manifest: its files cannot be checked; read it anyway with --no-verify)"
            )
    return str(error)


def verify(directory):
    """Raise :class:`ResultsError` naming the first damaged, missing or foreign file; else the number checked.

    Checks the manifest (its own digest) and that every file it lists, run.json
    included, has its recorded size and checksum, that the directory holds
    nothing else (an extra part file would join every dataset read of
    ``paths/``), that the tables have their recorded rows, and that the
    per-path files hold exactly paths x scenarios rows.
    """
    results = open_results(directory)
    directory, files = results.path, results.files
    problem = store.check_files(directory, files)
    if problem:
        raise ResultsError(problem)
    foreign = unlisted(directory, files)
    if foreign:
        raise ResultsError(f"{directory / foreign[0]}: not part of this run")
    for relative, entry in files.items():
        rows = store.table_rows(directory / relative) if "rows" in entry else None
        if rows != entry.get("rows"):
            raise ResultsError(f"{directory / relative}: {rows} rows, {entry['rows']} recorded")
    _check_counts(results)
    return len(files)


def _check_counts(results):
    """The tables hold one row per scenario (firm, exposure, tranche) and the parts every path."""
    directory, record, files, format = results.path, results.record, results.files, results.format
    scenarios = _scenarios(directory, record)
    portfolio = scenarios[0].portfolio
    firms = len(scenarios[0].firm_configs)

    def rows_of(name):
        return files.get(store.named(name, format), {}).get("rows")

    def rows_under(folder):
        return sum(entry.get("rows", 0) for name, entry in files.items() if name.startswith(f"{folder}/"))

    paths = record.paths
    tranches = sum(len(config.debt) for scenario in scenarios for config in scenario.firm_configs)
    wanted = {store.SCENARIOS_FILE: len(record.scenarios), store.TRANCHES_FILE: tranches}
    if portfolio:
        wanted[store.FIRMS_FILE] = len(scenarios) * firms
        wanted[store.EXPOSURES_FILE] = sum(len(scenario.config.book) for scenario in scenarios)
    for name, rows in wanted.items():
        if rows_of(name) != rows:
            found = "no such table" if rows_of(name) is None else f"{rows_of(name)} rows"
            raise ResultsError(f"{directory / store.named(name, format)}: {found}, {rows} expected")
    if record.write_paths:
        wanted = {store.PATHS_DIR: paths * len(scenarios) * firms, store.TRANCHES_DIR: paths * tranches}
        if portfolio:
            wanted[store.PORTFOLIO_DIR] = paths * len(scenarios)
        for folder, rows in wanted.items():
            if rows_under(folder) != rows:
                raise ResultsError(f"{directory / folder}: {rows_under(folder)} per-path rows, {rows} expected")


def _version(text):
    return tuple(int(part) for part in str(text).split(".")[:2] if part.isdigit())


def _scenarios(directory, record):
    """The run's scenarios, from its recorded configuration."""
    from ..config.load import ConfigError
    from ..scenarios import expand_recorded

    try:
        _, scenarios = expand_recorded(record)
    except (ConfigError, KeyError, TypeError, ValueError) as error:
        raise ResultsError(f"{directory / RUN_FILE}: its configuration does not validate ({error})") from None
    return scenarios

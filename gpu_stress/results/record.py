"""``run.json``: a run's record (what it was asked, how and where it ran), read and written as a :class:`RunRecord`.

The record is JSON so that any tool can read it; inside gpu-stress it is this
frozen dataclass, so a misspelt key is an ``AttributeError`` where it is
written rather than a ``KeyError`` in a reader months later. ``record_version``
says which keys a record has and what they mean:

- 0: records written before gpu-stress 0.9.1 (no ``record_version`` key);
  read with the defaults below for the keys that were added over time
  (``format``: "arrow" before 0.6, ``stream_layout``: 1 before 0.8).
- 1: the keys of :class:`RunRecord`.

A record of a newer version than this gpu-stress reads is refused by name,
never half-understood. Keys this version does not know (an older
gpu-stress's, or a tool's) are kept in ``extra`` and written back as they were.

An analysis's directory (``gpu-stress sensitivity -o DIR``) has a run.json of
its own kind, an :class:`AnalysisRecord`, versioned the same way.
"""

import dataclasses
import types
import typing
from dataclasses import dataclass, field

from . import store
from .names import FORMATS
from .ownership import ResultsError

RECORD_VERSION = 1


class JsonRecord:
    """What both kinds of record do with their JSON document (``to_json``, ``from_json``)."""

    def but(self, **changes):
        """A copy with ``changes`` (field: value)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def read(cls, path):
        """The record in the file ``path`` (see ``from_json``)."""
        return cls.from_json(store.read_json(path), path)

    def write(self, path):
        """Write the record to ``path`` atomically (a temporary name, then a rename)."""
        store.write_json(path, self.to_json())


@dataclass(frozen=True, kw_only=True)
class RunRecord(JsonRecord):
    """The record of one run: its settings, its scenarios, its backend, and (once complete) its timing.

    Example::

        record = RunRecord.read(directory / "run.json")
        record.paths, record.seed, record.is_portfolio
        record.write(path)            # atomically
        dataclasses.replace(record, status="complete")
    """

    run_id: str  # a uuid4 hex, also in the manifest and the lock: which run wrote the directory
    status: str  # "running" until every chunk is written and checked, then "complete"
    gpu_stress_version: str
    created: str  # ISO 8601, UTC, seconds
    command: str  # the command line (or API call) that started the run
    simulation: dict  # the validated [simulation] section: paths, horizon_months, seed, precision, ...
    scenarios: list  # per scenario: {"scenario_id": k, swept key: value, ...}
    sweep_keys: list  # the swept dotted keys, in column order
    sweeps: list  # [[dotted key, [values]], ...] as given (replayed to expand the scenarios again)
    table: dict  # the resolved configuration (a portfolio's has "firms")
    backend: str
    backend_reason: str
    device: str
    chunk_paths: int  # paths per chunk: a unit of work, of resume, and of the random-number layout
    write_paths: bool  # whether per-path tables were written (--no-paths: False)
    format: str = "arrow"  # the tables' format, one of FORMATS
    stream_layout: int = 1  # the random-number stream layout the chunks drew from
    versions: dict = field(default_factory=dict)  # python, numpy, numba, pyarrow (numba_cuda, cupy)
    overwrite: bool = False  # whether the run may replace an earlier gpu-stress directory
    backends_used: list | None = None  # set when a resume finished the run on another backend
    finished: str | None = None
    elapsed_s: float | None = None  # seconds simulated in the session that finished the run
    paths_simulated: int | None = None
    paths_per_s: float | None = None
    exported: dict | None = None  # set by `gpu-stress export`: {"from", "run_id", "created"}
    record_version: int = RECORD_VERSION
    extra: dict = field(default_factory=dict, compare=False)  # keys this version does not know, kept

    @property
    def paths(self):
        """Paths per scenario."""
        return self.simulation["paths"]

    @property
    def seed(self):
        return self.simulation["seed"]

    @property
    def horizon_months(self):
        return self.simulation["horizon_months"]

    @property
    def precision(self):
        return self.simulation["precision"]

    @property
    def is_portfolio(self):
        """Whether the run simulated a portfolio (several firms, a lender's book)."""
        return "firms" in self.table

    @property
    def complete(self):
        return self.status == "complete"

    def to_json(self):
        """The record as the JSON document run.json holds (every field, ``extra``'s keys at top level)."""
        document = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        return self.extra | document

    @classmethod
    def from_json(cls, document, path="run.json"):
        """The record of ``document`` (run.json's parsed JSON); anything that is not a record of a version this
        gpu-stress reads, with every key of the right type, is a one-line :class:`ResultsError` naming ``path``."""
        if not isinstance(document, dict) or not isinstance(document.get("gpu_stress_version"), str):
            raise ResultsError(f"{path}: not the record of a gpu-stress run")
        values, extra = _checked_fields(cls, document, path, exclude={"extra"})
        for key, kind in SIMULATION_KEYS.items():
            value = values["simulation"].get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ResultsError(f"{path}: its simulation.{key} is missing or not a {kind.__name__}")
        if values.get("format", "arrow") not in FORMATS:
            raise ResultsError(f"{path}: its format {values['format']!r} is not one of {', '.join(FORMATS)}")
        return cls(**values, extra=extra)


@dataclass(frozen=True, kw_only=True)
class AnalysisRecord(JsonRecord):
    """The record of an analysis (sensitivity, reverse stress test): its inputs, the settings and backend of its
    runs, and its own results (``details``: a sensitivity's bump, metric, parameters, skipped directions, ...).

    Its JSON document is flat: the fields below, then ``details``' keys beside them.
    """

    kind: str  # "sensitivity" or "reverse"
    gpu_stress_version: str
    created: str
    command: str
    config: str | None  # the config file, if one was given
    preset: str | None
    overrides: list  # [[dotted key, value], ...]
    simulation: dict  # paths, horizon_months, seed, precision of its runs
    backend: str
    device: str
    versions: dict
    elapsed_s: float
    details: dict = field(default_factory=dict)
    record_version: int = RECORD_VERSION

    def with_details(self, **details):
        """A copy with ``details`` added to its own."""
        return self.but(details=self.details | details)

    def to_json(self):
        document = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "details"}
        return document | self.details

    @classmethod
    def from_json(cls, document, path="run.json"):
        """The record of ``document``; one that is not an analysis's of a version this gpu-stress reads is a
        one-line :class:`ResultsError` naming ``path``."""
        if not isinstance(document, dict) or not isinstance(document.get("kind"), str):
            raise ResultsError(f"{path}: not the record of a gpu-stress analysis")
        values, details = _checked_fields(cls, document, path, exclude={"details"})
        return cls(**values, details=details)


# The simulation settings every reader relies on (the rest of the section is kept as it was validated).
SIMULATION_KEYS = {"paths": int, "seed": int, "horizon_months": int, "precision": str}


def _checked_fields(cls, document, path, exclude):
    """({field: value} of ``document``'s keys that are fields of ``cls``, {key: value} of the others), once its
    record_version is one this gpu-stress reads and every field is there (or has a default) with its type."""
    version = document.get("record_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= RECORD_VERSION:
        raise ResultsError(
            f"{path}: its record_version {version!r} is newer than this gpu-stress reads "
            f"({RECORD_VERSION}): upgrade gpu-stress to read it"
        )
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.name not in exclude]
    values = {f.name: document[f.name] for f in fields if f.name in document}
    for f in fields:
        if f.name in values:
            _check_kind(path, f.name, values[f.name], hints[f.name])
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ResultsError(f"{path}: its {f.name!r} is missing (not a complete record)")
    return values, {key: value for key, value in document.items() if key not in values}


def _check_kind(path, key, value, hint):
    """A :class:`ResultsError` unless ``value`` is of ``hint`` (a type, or ``type | None``)."""
    kinds = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None and type(None) in kinds:
        return
    kinds = tuple(kind for kind in kinds if kind is not type(None))
    if float in kinds:
        kinds = (*kinds, int)  # JSON writes 2.0 as 2
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join(kind.__name__ for kind in kinds)
        raise ResultsError(f"{path}: its {key!r} is a {type(value).__name__}, not a {names} (not a complete record)")

"""Nothing damaged is ever read as whole: every file of a finished single-firm, sweep and portfolio run, damaged
every way, given to every reader.

Damage: truncated to half, one bit flipped (first, middle and last byte), deleted, replaced with another valid
file of the same kind (a table of another run, the other chunk's part, another run's run.json or manifest),
emptied. Readers: ``summarize``, ``plot``, ``trace`` (a path, and the worst paths), ``export``,
``gpu_stress.load`` (every table and the summary), ``verify`` and ``run --resume``. Each either refuses in one
line (exit 2, ``verify`` 1; a :class:`UserError` in Python) or gives exactly the output of the undamaged
directory: never exit 0 with other numbers.
"""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import gpu_stress
from gpu_stress.cli import main
from gpu_stress.errors import UserError
from helpers import error_lines

pytestmark = pytest.mark.slow  # damages every file every way for every reader

COMMON = ["--horizon", "12", "--backend", "numpy", "--set", "simulation.band_paths=10"]
RUNS = {
    "single": ["--preset", "nebius", "--paths", "40", "--set", "simulation.chunk_paths=20", *COMMON],
    "sweep": [
        "--preset",
        "lambda",
        "--paths",
        "20",
        "--set",
        "simulation.chunk_paths=20",
        "--sweep",
        "market.price.drift=-0.1,0.05",
        *COMMON,
    ],
    "portfolio": ["--preset", "neoclouds", "--paths", "40", "--set", "simulation.chunk_paths=20", *COMMON],
}
TABLES = ("paths", "scenarios", "bands", "tranches", "tranche_paths", "firms", "exposures", "portfolio_paths")


def invoke(*arguments):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("damage")
    made = {}
    for name, arguments in RUNS.items():
        result = invoke("run", *arguments, "-o", folder / name)
        assert result.exit_code == 0, result.output
        made[name] = folder / name
    return made


def _plot_kind(run):
    return "term-structure" if run == "portfolio" else "fan"


def readers(directory, run, scratch):
    """{reader: what it gave}: (exit code, stdout, stderr, the bytes or tables it wrote) per command, or the
    tables and summary of ``gpu_stress.load`` (an exception if it raised one)."""
    found = {}
    result = invoke("summarize", directory, "--json")
    found["summarize"] = (result.exit_code, result.stdout, result.stderr, None)
    chart = scratch / "chart.png"
    result = invoke("plot", directory, "-o", chart, "--kind", _plot_kind(run), "--dpi", 20)
    found["plot"] = (result.exit_code, result.stdout.replace(str(chart), "CHART"), result.stderr, _take(chart))
    result = invoke("trace", directory, "--path", 13, "--json")
    found["trace path"] = (result.exit_code, result.stdout, result.stderr, None)
    result = invoke("trace", directory, "--worst", 3, "--json")
    found["trace worst"] = (result.exit_code, result.stdout, result.stderr, None)
    exported = scratch / "exported"
    result = invoke("export", directory, "-o", exported)
    tables = _tables(gpu_stress.load(exported)) if result.exit_code == 0 else None
    shutil.rmtree(exported, ignore_errors=True)
    found["export"] = (result.exit_code, result.stdout.replace(str(exported), "OUT"), result.stderr, tables)
    try:
        found["load"] = _tables(gpu_stress.load(directory))
    except UserError as error:
        found["load"] = error
    result = invoke("verify", directory)
    found["verify"] = (result.exit_code, result.stdout, result.stderr, None)
    before = _snapshot(directory)
    result = invoke("run", "--resume", directory)
    found["resume"] = (result.exit_code, result.stdout, result.stderr, _snapshot(directory) == before)
    return found


def _take(path):
    if not path.exists():
        return None
    data = path.read_bytes()
    path.unlink()
    return data


def _tables(results):
    found = {name: getattr(results, name) for name in TABLES}
    found["summary"] = json.dumps(results.summary(), sort_keys=True)
    return found


def _snapshot(directory):
    return {path: path.read_bytes() for path in sorted(Path(directory).rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def baselines(runs, tmp_path_factory):
    found = {}
    for run, directory in runs.items():
        scratch = tmp_path_factory.mktemp(f"baseline-{run}")
        found[run] = readers(directory, run, scratch)
        for reader, given in found[run].items():
            if reader in ("load",):
                continue
            code, _, stderr, _ = given
            if run == "portfolio" and reader.startswith("trace"):
                assert code == 2, stderr  # trace follows single firms only: a refusal in the baseline too
            elif reader == "resume":
                assert code == 2 and "already complete" in stderr, stderr
            else:
                assert code == 0, (run, reader, stderr)
    return found


def _flip(offset):
    def damage(path, donor):
        data = bytearray(path.read_bytes())
        data[offset(len(data))] ^= 0x01
        path.write_bytes(bytes(data))

    return damage


DAMAGES = {
    "truncated": lambda path, donor: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
    "first bit flipped": _flip(lambda size: 0),
    "middle bit flipped": _flip(lambda size: size // 2),
    "last bit flipped": _flip(lambda size: size - 1),
    "deleted": lambda path, donor: path.unlink(),
    "swapped": lambda path, donor: shutil.copyfile(donor, path),
    "emptied": lambda path, donor: path.write_bytes(b""),
}

# Every file of each run, named as the run names it (a chunk's part by its place in its folder).
FILES = {
    "single": ["run.json", "manifest.json", "scenarios.arrow", "bands.arrow", "tranches.arrow"],
    "sweep": ["run.json", "manifest.json", "scenarios.arrow", "bands.arrow", "tranches.arrow"],
    "portfolio": ["run.json", "manifest.json", "scenarios.arrow", "bands.arrow", "tranches.arrow"],
}
FILES["portfolio"] += ["firms.arrow", "exposures.arrow"]
PART_FOLDERS = {
    "single": ("paths", "tranches"),
    "sweep": ("paths", "tranches"),
    "portfolio": ("paths", "tranches", "portfolio"),
}
for _run, _folders in PART_FOLDERS.items():
    FILES[_run] += [f"{folder}/part-{index}" for folder in _folders for index in (0, 1)]


def resolve(directory, name):
    """The file ``name`` (``paths/part-1``: the second part of paths/) of a results directory."""
    if "/part-" not in name:
        return directory / name
    folder, _, index = name.partition("/part-")
    return sorted((directory / folder).glob("part-*"))[int(index)]


def donor_of(runs, run, name):
    """A valid file of the same kind that is not this one: the other chunk's part, another run's table or record."""
    if "/part-" in name:
        folder, _, index = name.partition("/part-")
        return resolve(runs[run], f"{folder}/part-{1 - int(index)}")
    other = "sweep" if run != "sweep" else "single"
    if name in ("firms.arrow", "exposures.arrow"):
        return runs[run] / ("exposures.arrow" if name == "firms.arrow" else "firms.arrow")
    return runs[other] / name


def refused(given, reader):
    """True if ``given`` is a one-line refusal: exit 2 (verify: 1 or 2), one error line, no traceback."""
    if reader == "load":
        return isinstance(given, UserError) and "\n" not in str(given)
    code, _, stderr, _ = given
    codes = (1, 2) if reader == "verify" else (2,)
    return code in codes and len(error_lines(stderr)) == 1 and "Traceback" not in stderr


def same(given, baseline, reader):
    if reader == "load":
        return isinstance(given, dict) and all(_equal(given[key], baseline[key]) for key in baseline)
    if reader == "export":
        return given[:3] == baseline[:3] and all(_equal(given[3][key], baseline[3][key]) for key in baseline[3])
    return given == baseline


def _equal(first, second):
    if first is None or second is None or isinstance(first, str):
        return first == second
    return first.equals(second)


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("run", RUNS)
def test_every_reader_refuses_damage_in_one_line_or_reads_what_was_written(runs, baselines, tmp_path, run, damage):
    failures = []
    for name in FILES[run]:
        directory = shutil.copytree(runs[run], tmp_path / f"{name.replace('/', '-')}" / run)
        target = resolve(directory, name)
        DAMAGES[damage](target, donor_of(runs, run, name))
        for reader, given in readers(directory, run, target.parent.parent).items():
            baseline = baselines[run][reader]
            if not (refused(given, reader) or same(given, baseline, reader)):
                failures.append(f"{name} {damage}: {reader} gave {str(given)[:300]}")
            if reader == "verify" and given[0] == 0:
                failures.append(f"{name} {damage}: verify passed it")
            if reader == "resume" and given[3] is not True:
                failures.append(f"{name} {damage}: resume changed the directory")
        shutil.rmtree(directory.parent)
    assert not failures, "\n".join(failures)

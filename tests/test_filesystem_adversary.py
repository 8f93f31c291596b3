"""Nothing of the user's is ever touched: files, folders and symbolic links planted at every name a run may use
(the staging directory, its lock and run record, the hidden building and trash names, the manifest, the folders
inside), before ``run``, ``run --overwrite`` and ``run --resume``.

Every case checks that no byte, folder or link of the user's changed (links are compared as links, and their
targets as the files they are) and that the command either succeeded or refused in one line with exit 2.
"""

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gpu_stress import engine
from gpu_stress.cli import main
from helpers import error_lines, interrupt_after

RUN = ["--preset", "nebius", "--paths", "40", "--horizon", "6", "--backend", "numpy"]
CHUNKED = [*RUN, "--set", "simulation.chunk_paths=20", "--set", "simulation.band_paths=10"]


def invoke(*arguments):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def snapshot(*roots):
    """Everything under ``roots`` as lstat sees it: a link's target text, a file's bytes, a folder's name."""
    found = {}
    for root in roots:
        root = Path(root)
        entries = [root, *root.rglob("*")] if root.is_dir() and not root.is_symlink() else [root]
        for path in entries:
            if path.is_symlink():
                found[path] = ("link", os.readlink(path))
            elif path.is_file():
                found[path] = ("file", path.read_bytes())
            elif path.is_dir():
                found[path] = ("folder", None)
            elif not os.path.lexists(path):
                found[path] = ("absent", None)
    return found


def user_folder(path, *names):
    path.mkdir(parents=True)
    for name in names or ("notes.txt",):
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(f"the user's {name}".encode())
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    output = tmp_path_factory.mktemp("finished") / "out"
    assert invoke("run", *CHUNKED, "-o", output).exit_code == 0
    return output


@pytest.fixture
def place(tmp_path):
    """(work folder, the user's own folder elsewhere, holding a file and a folder the run must never touch)."""
    user = user_folder(tmp_path / "user", "data.csv", "nested/model.toml")
    work = tmp_path / "work"
    work.mkdir()
    return work, user


def interrupted(work, monkeypatch):
    real = interrupt_after(1, monkeypatch)
    assert invoke("run", *CHUNKED, "-o", work / "out").exit_code == 130
    monkeypatch.setattr(engine, "run_unit", real)
    return work / "out.partial"


def outcome_is_safe(result, *must_name):
    """Succeeded, or refused in one line (exit 2) naming ``must_name``."""
    if result.exit_code == 0:
        return True
    lines = error_lines(result.stderr)
    assert result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.output, result.output
    for name in must_name:
        assert str(name) in lines[0], lines[0]
    return False


# --- the staging name, DIR.partial ---------------------------------------------------------------------


def _staging_file(work, user):
    (work / "out.partial").write_bytes(b"the user's file")


def _staging_folder(work, user):
    user_folder(work / "out.partial", "thesis.tex", "lock", "run.json")


def _staging_empty_folder(work, user):
    (work / "out.partial").mkdir()


def _staging_link_to_folder(work, user):
    (work / "out.partial").symlink_to(user)


def _staging_link_to_file(work, user):
    (work / "out.partial").symlink_to(user / "data.csv")


def _staging_dangling_link(work, user):
    (work / "out.partial").symlink_to(user / "not-yet")


STAGING = {
    "a file": _staging_file,
    "a folder of the user's (even with a lock and a run.json)": _staging_folder,
    "an empty folder": _staging_empty_folder,
    "a link to a folder": _staging_link_to_folder,
    "a link to a file": _staging_link_to_file,
    "a dangling link": _staging_dangling_link,
}


@pytest.mark.parametrize("command", ["run", "overwrite", "resume"])
@pytest.mark.parametrize("planted", STAGING)
def test_nothing_at_the_staging_name_is_written_to_or_removed(place, planted, command):
    work, user = place
    STAGING[planted](work, user)
    before = snapshot(work, user)
    options = {"run": ["-o", work / "out"], "overwrite": ["-o", work / "out", "--overwrite"]}
    arguments = ["--resume", work / "out"] if command == "resume" else [*RUN, *options[command]]
    result = invoke("run", *arguments)
    assert not outcome_is_safe(result, "out.partial")
    assert snapshot(work, user) == before  # and no results, building or lock appeared beside it


# --- the results name, DIR --------------------------------------------------------------------------------


def _results_link_to_user_folder(work, user, finished):
    (work / "out").symlink_to(user)


def _results_link_to_results(work, user, finished):
    shutil.copytree(finished, user / "results")
    (work / "out").symlink_to(user / "results")


def _results_with_a_user_file(work, user, finished):
    shutil.copytree(finished, work / "out")
    (work / "out" / "my-notes.txt").write_bytes(b"precious")


def _results_with_a_user_file_named_as_a_part(work, user, finished):
    shutil.copytree(finished, work / "out")
    (work / "out" / "paths" / "part-mine.arrow").write_bytes(b"precious")


def _results_with_a_temporary_name(work, user, finished):
    shutil.copytree(finished, work / "out")
    (work / "out" / ".scenarios.arrow.0badc0de.tmp").write_bytes(b"precious")


def _results_with_a_changed_table(work, user, finished):
    shutil.copytree(finished, work / "out")
    data = bytearray((work / "out" / "bands.arrow").read_bytes())
    data[100] ^= 1
    (work / "out" / "bands.arrow").write_bytes(bytes(data))


def _results_with_a_linked_folder(work, user, finished):
    shutil.copytree(finished, work / "out")
    shutil.rmtree(work / "out" / "paths")
    (work / "out" / "paths").symlink_to(user)


def _results_with_a_linked_table(work, user, finished):
    shutil.copytree(finished, work / "out")
    (work / "out" / "scenarios.arrow").unlink()
    (work / "out" / "scenarios.arrow").symlink_to(user / "data.csv")


def _results_without_manifest(work, user, finished):
    shutil.copytree(finished, work / "out")
    (work / "out" / "manifest.json").unlink()


def _user_folder_with_a_manifest(work, user, finished):
    user_folder(work / "out", "manifest.json", "run.json", "paths/part-0.arrow")


def _user_folder_imitating_results(work, user, finished):
    folder = user_folder(work / "out", "run.json", "scenarios.arrow")
    (folder / "run.json").write_text('{"gpu_stress_version": "0.8.0", "run_id": "abc", "status": "complete"}')


RESULTS = {
    "a link to the user's folder": _results_link_to_user_folder,
    "a link to results elsewhere": _results_link_to_results,
    "results with a user's file in them": _results_with_a_user_file,
    "results with a user's file named like a part": _results_with_a_user_file_named_as_a_part,
    "results with a user's file named like a temporary": _results_with_a_temporary_name,
    "results with a table changed since": _results_with_a_changed_table,
    "results whose paths/ is a link": _results_with_a_linked_folder,
    "results whose scenarios.arrow is a link": _results_with_a_linked_table,
    "results without a manifest": _results_without_manifest,
    "a user's folder with a manifest.json of its own": _user_folder_with_a_manifest,
    "a user's folder imitating results of 0.8": _user_folder_imitating_results,
}


@pytest.mark.parametrize("command", ["run", "overwrite", "resume"])
@pytest.mark.parametrize("planted", RESULTS)
def test_overwrite_never_removes_what_the_manifest_does_not_list_as_written(place, finished, planted, command):
    work, user = place
    RESULTS[planted](work, user, finished)
    before = snapshot(work, user)
    options = {"run": ["-o", work / "out"], "overwrite": ["-o", work / "out", "--overwrite"]}
    arguments = ["--resume", work / "out"] if command == "resume" else [*RUN, *options[command]]
    result = invoke("run", *arguments)
    assert not outcome_is_safe(result)
    assert snapshot(work, user) == before


def test_overwrite_replaces_exactly_the_files_an_earlier_run_wrote(place, finished):
    work, user = place
    shutil.copytree(finished, work / "out")
    beside = user_folder(work / "out-notes")  # a neighbour whose name starts like it
    before = snapshot(user, beside)
    result = invoke("run", *RUN, "--seed", 7, "-o", work / "out", "--overwrite")
    assert result.exit_code == 0, result.output
    assert snapshot(user, beside) == before
    assert sorted(path.name for path in work.iterdir()) == ["out", "out-notes"]


# --- hidden names beside it: building and trash -------------------------------------------------------------


def test_hidden_names_like_the_runs_own_are_left_alone(place, finished):
    work, user = place
    shutil.copytree(finished, work / "out")
    planted = [
        user_folder(work / ".out.partial.0badc0de.x.tmp"),  # a building directory's name, not its lock
        work / ".out.partial.cafe.tmp",  # an empty one
        user_folder(work / ".out.0badc0de.old"),  # a trash holder's name
        user_folder(work / ".out.feedface.old" / "out"),  # one holding a folder named like the results
        work / ".out.keep.old",  # an empty one
        shutil.copytree(finished, work / ".out.bak.old" / "out"),  # the user's backup of real results
    ]
    planted[4].mkdir()
    planted[1].mkdir()
    (work / ".out.partial.link.tmp").symlink_to(user)
    before = snapshot(work / ".out.partial.0badc0de.x.tmp", *planted[1:], work / ".out.partial.link.tmp", user)
    result = invoke("run", *RUN, "--seed", 7, "-o", work / "out", "--overwrite")
    assert result.exit_code == 0, result.output
    after = snapshot(work / ".out.partial.0badc0de.x.tmp", *planted[1:], work / ".out.partial.link.tmp", user)
    assert after == before
    assert invoke("verify", work / "out").exit_code == 0


# --- inside an interrupted run's staging directory ------------------------------------------------------------


def _link_its_folder(staging, user):
    shutil.rmtree(staging / "paths")
    (staging / "paths").symlink_to(user)


def _link_its_lock(staging, user):
    (staging / "lock").unlink()
    (staging / "lock").symlink_to(user / "data.csv")


def _link_its_record(staging, user):
    shutil.copyfile(staging / "run.json", user / "run.json")
    (staging / "run.json").unlink()
    (staging / "run.json").symlink_to(user / "run.json")


def _user_file_in_it(staging, user):
    (staging / "my-draft.txt").write_bytes(b"precious")


def _lock_removed(staging, user):
    (staging / "lock").unlink()


def _record_of_the_user(staging, user):
    (staging / "run.json").write_bytes(b"the user's json")


INSIDE = {
    "its paths/ a link to the user's folder": _link_its_folder,
    "its lock a link to the user's file": _link_its_lock,
    "its run.json a link to the user's file": _link_its_record,
    "a user's file in it": _user_file_in_it,
    "no lock": _lock_removed,
    "a run.json that is not a record": _record_of_the_user,
}


@pytest.mark.parametrize("command", ["overwrite", "resume"])
@pytest.mark.parametrize("planted", INSIDE)
def test_resume_and_overwrite_write_into_a_staging_directory_only_if_it_is_wholly_the_runs(
    place, monkeypatch, planted, command
):
    work, user = place
    staging = interrupted(work, monkeypatch)
    INSIDE[planted](staging, user)
    before = snapshot(work, user)
    arguments = ["--resume", work / "out"] if command == "resume" else [*CHUNKED, "-o", work / "out", "--overwrite"]
    result = invoke("run", *arguments)
    assert not outcome_is_safe(result, "out.partial")
    assert snapshot(work, user) == before


def test_an_untouched_interrupted_run_resumes_and_overwrites_as_before(place, monkeypatch):
    work, _ = place
    interrupted(work, monkeypatch)
    assert invoke("run", "--resume", work / "out").exit_code == 0
    assert invoke("verify", work / "out").exit_code == 0
    (work / "again").mkdir()
    interrupted(work / "again", monkeypatch)
    assert invoke("run", *CHUNKED, "-o", work / "again" / "out", "--overwrite").exit_code == 0
    assert sorted(path.name for path in (work / "again").iterdir()) == ["out"]


@pytest.mark.parametrize("output", ["/", "--resume /"])
def test_the_filesystem_root_is_one_line(output):
    arguments = output.split() if output.startswith("--") else [*RUN, "-o", output]
    result = invoke("run", *arguments)
    assert result.exit_code == 2 and len(error_lines(result.stderr)) == 1, result.output


def test_runs_without_per_path_files_verify_and_overwrite_like_any(place):
    work, _ = place
    assert invoke("run", *RUN, "-o", work / "out").exit_code == 0
    for _ in range(2):  # over results with per-path files, then over its own kind
        assert invoke("run", *RUN, "--no-paths", "-o", work / "out", "--overwrite").exit_code == 0
        assert invoke("verify", work / "out").exit_code == 0
        assert sorted(path.name for path in work.iterdir()) == ["out"]


def test_an_output_named_like_a_staging_directory_is_one_line(place):
    work, _ = place
    result = invoke("run", *RUN, "-o", work / "x.partial")
    assert not outcome_is_safe(result, "x.partial")
    assert list(work.iterdir()) == []


def test_resume_of_a_folder_that_is_no_run_says_so(place):
    _, user = place
    before = snapshot(user)
    result = invoke("run", "--resume", user)
    assert not outcome_is_safe(result, "no unfinished run")
    assert snapshot(user) == before


def test_trace_without_checks_reads_a_directory_whose_manifest_is_gone(place, finished):
    work, _ = place
    shutil.copytree(finished, work / "out")
    (work / "out" / "manifest.json").unlink()
    assert not outcome_is_safe(invoke("trace", work / "out", "--path", 3), "manifest.json")
    assert invoke("trace", work / "out", "--path", 3, "--no-verify").exit_code == 0

"""What a run owns, and how it keeps to it: exclusive names, no symbolic links, removal of its own files only.

A results directory is assembled under a fresh hidden name in its parent
(``.DIR.partial.XXXXXXXX.tmp``, created exclusively, like ``mkdtemp``), with
its lock (created with ``O_EXCL``) and its run record, and only then renamed
to ``DIR.partial``, the staging directory a run works in; a finished run is
renamed from there to ``DIR``. The rules:

- a name the run would use that already exists and is not the run's own
  (a user's file or folder, a symbolic link anywhere) is refused in one line
  and left as it is;
- ``--resume`` writes into ``DIR.partial`` only once its lock and run record
  show it is a gpu-stress staging directory of nothing but the results layout;
- ``--overwrite`` removes exactly the files the old directory's manifest lists,
  and only if nothing else is there and none of them changed;
- temporaries carry a random name and are created with ``O_EXCL`` and
  ``O_NOFOLLOW``, so a write never lands on, or through, what was there.
"""

import errno
import fcntl
import glob
import json
import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

from ..errors import UserError
from . import manifest
from .names import LOCK_FILE, RUN_FILE, STAGING_SUFFIX

TEMPORARY_SUFFIX = ".tmp"
TRASH_SUFFIX = ".old"
LOCK_MARK = "gpu-stress run"  # the first words of every lock a run creates


class ResultsError(UserError, ValueError):
    """A results directory (or file) that is not what it should be; ``str()`` is one line naming it."""


class LockedError(UserError, RuntimeError):
    """Another process is writing the directory; ``str()`` names it."""


def staging_dir(final):
    final = Path(final)
    return final.with_name(final.name + STAGING_SUFFIX)


def final_dir(path):
    """The results directory a staging or final path belongs to."""
    path = Path(path)
    if path.name.endswith(STAGING_SUFFIX):
        return path.with_name(path.name.removesuffix(STAGING_SUFFIX))
    return path


def output_path(output):
    """``output`` made absolute without following a link at its own name (the parent's links are the user's
    choice of place; a link at the name itself is refused where the run would write there)."""
    text = os.fspath(output)
    if not text.strip() or "\x00" in text:
        raise ResultsError(f"output: {text!r:.60} is not a directory name (empty, or with a NUL character)")
    path = Path(os.path.abspath(text))
    if not path.name:
        raise ResultsError(f"output: {path} is the root of the filesystem, not a directory a run can create")
    return path.parent.resolve() / path.name


def results_path(output):
    """:func:`output_path` of a directory a run creates: never a staging name, which its run would own."""
    path = output_path(output)
    if path.name.endswith(STAGING_SUFFIX):
        raise ResultsError(f"output: {path} ends in {STAGING_SUFFIX}, the name of an unfinished run's folder")
    return path


def exists(path):
    """True if anything is at ``path``: a file, a folder, or a symbolic link (even a dangling one)."""
    return os.path.lexists(path)


# --- atomic writes -------------------------------------------------------------------------------


def rename(source, target):
    """Every rename in a results directory goes through here (and tests kill a run at each one)."""
    os.replace(source, target)


def remove_tree(directory):
    """Every removal of a directory of the run's own goes through here (and tests kill a run at each one)."""
    directory = Path(directory)
    if directory.is_symlink():
        return  # never through a link
    shutil.rmtree(directory, ignore_errors=True)


def temporary(path):
    """A fresh temporary name beside ``path``, created empty and exclusively (nothing was there, no link)."""
    path = Path(path)
    while True:
        candidate = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TEMPORARY_SUFFIX}")
        try:
            descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        except FileExistsError:
            continue
        os.close(descriptor)
        return candidate


def write_atomic(path, write):
    """Call ``write(temporary_path)`` on a fresh exclusive temporary, then rename it to ``path``."""
    path = Path(path)
    staged = temporary(path)
    try:
        write(staged)
        rename(staged, path)
    except OSError as error:  # a full disk, a vanished folder: named by the file the user knows, not its temporary
        reason = error.strerror or " ".join(str(error).split()) or type(error).__name__
        raise OSError(error.errno, reason, str(path)) from None
    finally:
        if os.path.lexists(staged):
            staged.unlink()


def write_manifest(directory, run_id, files):
    """Write ``directory``'s manifest: ``files`` ({relative path: :func:`manifest.entry`}) and run.json, last."""
    files = dict(files) | {RUN_FILE: manifest.entry(directory, RUN_FILE)}
    text = json.dumps(manifest.document(run_id, files), indent=2)
    write_atomic(Path(directory) / manifest.MANIFEST_FILE, lambda target: Path(target).write_text(text))


def is_temporary(entry):
    return entry.name.startswith(".") and entry.name.endswith(TEMPORARY_SUFFIX)


def remove_temporaries(directory):
    """Delete the temporaries that writes cut short by a killed process left in ``directory`` (the run's own:
    call it only on a directory shown to be gpu-stress's)."""
    for leftover in Path(directory).rglob(f".*{TEMPORARY_SUFFIX}"):
        if leftover.is_file() or leftover.is_symlink():
            leftover.unlink(missing_ok=True)


# --- the writer's lock ----------------------------------------------------------------------------


class Lock:
    """An exclusive ``flock`` on ``DIR.partial/lock``, which names the run, the owner's pid and host.

    The kernel releases it when the process dies, however it dies, so a lock
    is never stale; a second writer learns who holds it. :meth:`create` makes
    the file (it must not exist); :meth:`acquire` takes an existing one, of a run.
    """

    def __init__(self, directory):
        self.path = Path(directory) / LOCK_FILE
        self.handle = None

    def create(self, run_id):
        return self._take(os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, run_id)

    def acquire(self, run_id=""):
        return self._take(os.O_RDWR | os.O_NOFOLLOW, run_id)

    def _take(self, flags, run_id):
        try:
            descriptor = os.open(self.path, flags, 0o666)
        except FileNotFoundError:
            raise ResultsError(f"{self.path}: missing (not a gpu-stress run's lock)") from None
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.EEXIST):
                raise ResultsError(f"{self.path}: already exists and is not this run's lock") from None
            raise
        handle = os.fdopen(descriptor, "r+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            owner = handle.read().strip().partition(": ")[2] or "another process"
            handle.close()
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise LockedError(f"output: {self.path.parent} is being written by {owner}") from None
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(f"{LOCK_MARK} {run_id}: process {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        self.handle = handle
        return self

    def release(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def is_our_lock(path):
    """True if ``path`` is a regular file that a gpu-stress run created as its lock."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with open(path, errors="replace") as handle:
            return handle.read(len(LOCK_MARK)) == LOCK_MARK
    except OSError:
        return False


def held(path):
    """True if a process holds the lock at ``path``."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(descriptor)
    return False


# --- directories of the run's own --------------------------------------------------------------


def create_building(final, run_id):
    """A fresh, exclusively created hidden directory beside ``final`` holding only its new lock, taken; returns
    (its path, the :class:`Lock`). It is published under its name once complete (:func:`publish`)."""
    final = Path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)  # the folders -o names, as mkdir -p makes them
        building = Path(
            tempfile.mkdtemp(
                prefix=f".{staging_dir(final).name}.{run_id[:8]}.", suffix=TEMPORARY_SUFFIX, dir=final.parent
            )
        )
    except OSError as error:
        raise ResultsError(f"output: cannot create a directory in {final.parent}: {error.strerror or error}") from None
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(building, 0o777 & ~umask)  # as mkdir would make it: results are shared like any folder
    try:
        lock = Lock(building).create(run_id)
    except BaseException:
        os.rmdir(building)
        raise
    return building, lock


def building_dirs(final):
    """Hidden directories beside ``final`` named as :func:`create_building` names them."""
    final = Path(final)
    return sorted(final.parent.glob(f".{glob.escape(staging_dir(final).name)}.*{TEMPORARY_SUFFIX}"))


def remove_abandoned_starts(final, foreign_entry):
    """Delete what a killed start left half-assembled beside ``final``: a directory of the building name holding
    a gpu-stress lock no process holds and nothing ``foreign_entry(directory)`` objects to. (An empty one may be
    a user's: it stays.)"""
    for leftover in building_dirs(final):
        if leftover.is_symlink() or not leftover.is_dir():
            continue
        lock = leftover / LOCK_FILE
        if is_our_lock(lock) and not held(lock) and foreign_entry(leftover) is None:
            remove_tree(leftover)


def publish(building, final, overwrite=False):
    """Rename the complete directory ``building`` (a staging directory, or an export's or analysis's building
    directory: it holds its manifest) to ``final``, replacing ``final`` only if :func:`replace_refusal` allows.

    The previous results move into a fresh hidden holder beside ``final`` before the rename and their files
    go after it: at every instant the old or the new results are whole on disk, and a resume (or the next
    run) completes the swap (:func:`tidy`).
    """
    building, final = Path(building), Path(final)
    if exists(final):
        refusal = replace_refusal(final, overwrite)
        if refusal:
            raise ResultsError(refusal)
        holder = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=TRASH_SUFFIX, dir=final.parent))
        _mark(holder)
        rename(final, holder / final.name)
    rename(building, final)
    if is_our_lock(final / LOCK_FILE):  # the publisher's own, held by it: a finished directory needs none
        remove_file(final / LOCK_FILE)
    tidy(final)


def replace_refusal(final, overwrite):
    """Why the existing ``final`` may not be replaced, or None: it must be a directory whose manifest lists every
    file in it (nothing else but a lock of ours), each as gpu-stress wrote it."""
    final = Path(final)
    if not overwrite:
        return f"output: {final} already exists (use --overwrite to replace it)"
    why = results_refusal(final)
    if why:
        return f"output: {final} is not a gpu-stress results directory ({why}); --overwrite replaces only those"
    return None


def results_refusal(directory):
    """Why ``directory`` is not a finished results directory exactly as its manifest lists it, or None."""
    directory = Path(directory)
    if directory.is_symlink():
        return "it is a symbolic link"
    if not directory.is_dir():
        return "it is not a directory"
    try:
        listed = manifest.read(directory)["files"]
    except manifest.ManifestError as error:
        if str(error).endswith(": missing"):
            return f"it has no {manifest.MANIFEST_FILE}, which lists what gpu-stress 0.9 and later wrote"
        return f"its {manifest.MANIFEST_FILE} is damaged: {error.args[0].partition(': ')[2]}"
    foreign = unlisted(directory, listed)
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        return f"it holds {', '.join(foreign[:3])}{more}, which gpu-stress does not write"
    for relative, expected in listed.items():
        problem = manifest.mismatch(directory, relative, expected)
        if problem and not problem.endswith(": missing"):
            return f"it holds {relative}, changed since gpu-stress wrote it ({problem.partition(': ')[2]})"
    return None


def unlisted(directory, listed):
    """Entries of ``directory`` (relative names, sorted) that ``listed`` and the layout of a finished directory
    (its manifest, a lock of ours, the folders of listed files) do not account for; links always count."""
    directory = Path(directory)
    folders = {str(parent) for name in listed for parent in Path(name).parents if str(parent) != "."}
    found = []
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if path.is_symlink():
            found.append(relative)
        elif relative in listed or relative == manifest.MANIFEST_FILE:
            continue
        elif relative in folders and path.is_dir():
            continue
        elif relative == LOCK_FILE and is_our_lock(path):
            continue
        else:
            found.append(relative)
    return found


def remove_listed(directory):
    """Delete a finished directory of ours: the files its manifest lists, the manifest, a lock of ours, then its
    folders if that left them empty; anything else stays where it is."""
    directory = Path(directory)
    try:
        listed = manifest.read(directory)["files"]
    except manifest.ManifestError:
        return
    for relative in listed:
        path = directory / relative
        if path.is_file() and not path.is_symlink():
            remove_file(path)
    if is_our_lock(directory / LOCK_FILE):
        (directory / LOCK_FILE).unlink()
    folders = (path for path in directory.rglob("*") if path.is_dir() and not path.is_symlink())
    for folder in sorted(folders, reverse=True):
        _remove_if_empty(folder)
    remove_file(directory / manifest.MANIFEST_FILE)  # last: until then a kill leaves a directory tidy() knows
    _remove_if_empty(directory)


def remove_file(path):
    """Every removal of a single file of the run's own goes through here (tests kill a run at each)."""
    os.unlink(path)


def _remove_if_empty(folder):
    try:
        folder.rmdir()
    except OSError:
        pass


def tidy(final):
    """Finish what a publish may have left around the complete directory ``final``: the previous results it
    moved into a holder beside it, and its lock."""
    final = Path(final)
    if results_refusal(final) is not None:
        return
    for holder in previous_holders(final):
        inside = holder / final.name
        if results_refusal(inside) is None:
            remove_listed(inside)
        elif inside.is_dir() and not inside.is_symlink():
            _remove_if_empty(inside)  # its manifest went last: nothing else of it is left
        if not os.path.lexists(inside):  # only its mark is left (previous_holders allows nothing else)
            remove_tree(holder)
    if is_our_lock(final / LOCK_FILE) and not held(final / LOCK_FILE):
        (final / LOCK_FILE).unlink()


def _mark(holder):
    """Mark a fresh holder as the run's own (a lock file it creates), so that only it is ever tidied away."""
    descriptor = os.open(holder / LOCK_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(f"{LOCK_MARK} holder of the results replaced by --overwrite\n")


def previous_holders(final):
    """The holders beside ``final`` in which a publish moved earlier results aside: hidden folders of the holder
    name that hold a holder's mark and nothing but it and the results (a user's look-alike does not)."""
    final = Path(final)
    found = []
    for holder in sorted(final.parent.glob(f".{glob.escape(final.name)}.*{TRASH_SUFFIX}")):
        if holder.is_symlink() or not holder.is_dir() or not is_our_lock(holder / LOCK_FILE):
            continue
        if {entry.name for entry in holder.iterdir()} <= {LOCK_FILE, final.name}:
            found.append(holder)
    return found


def previous_results(final):
    """The earlier results an interrupted ``--overwrite`` left in holders beside ``final`` (for tests)."""
    return [holder / Path(final).name for holder in previous_holders(final)]


def staging_refusal(staging, foreign_entry):
    """Why ``staging`` is not a gpu-stress staging directory (checked before anything is written there), or None.

    It is one if it is a real directory (no link), with a lock a run created and a run record of gpu-stress,
    holding nothing ``foreign_entry(staging)`` objects to.
    """
    staging = Path(staging)
    if staging.is_symlink():
        return "it is a symbolic link"
    if not staging.is_dir():
        return "it is not a directory"
    if not is_our_lock(staging / LOCK_FILE):
        return "it has no lock of gpu-stress"
    record_path = staging / RUN_FILE
    try:
        if record_path.is_symlink():
            raise OSError("a symbolic link")
        record = json.loads(record_path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return f"it has no readable {RUN_FILE} of gpu-stress"
    if not isinstance(record, dict) or not {"gpu_stress_version", "run_id"} <= record.keys():
        return f"its {RUN_FILE} is not gpu-stress's"
    return foreign_entry(staging)

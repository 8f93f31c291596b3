"""The manifest of a results directory: every file the run wrote, with its size and checksum.

``manifest.json`` lists each file of a finished directory (``run.json``
included) with its bytes, an xxh3-128 checksum and, for tables, its rows, and
carries a digest of its own content, so that a flipped bit in the manifest is
found as surely as one in a table. The manifest is the authority on what a
directory holds: readers check each file they read against it before they
report a number, ``gpu-stress verify`` checks every file and that nothing
else is there, and ``--overwrite`` removes exactly the files it lists.

Why xxh3-128 and not sha256: the checksum guards against damage (a truncated
copy, a flipped bit, a file swapped for another table), not against someone
who can rewrite the manifest too; at about 27 GB/s against sha256's 1.75 GB/s
on the 2-core EPYC it adds almost nothing to a reader (``benchmarks/verify_cost.py``).
"""

import json
import mmap
import os
from pathlib import Path

import xxhash

MANIFEST_FILE = "manifest.json"
HASH = "xxh3_128"
MANIFEST_VERSION = 1


class ManifestError(ValueError):
    """A manifest that is missing, unreadable or not self-consistent; ``str()`` is one line."""


def file_hash(path):
    """The xxh3-128 hex digest of the file at ``path`` (hashed where the page cache holds it: no copy)."""
    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                digest.update(mapped)
    return digest.hexdigest()


def bytes_hash(data):
    return xxhash.xxh3_128(data).hexdigest()


def entry(directory, relative, rows=None):
    """{bytes, xxh3_128[, rows]} of ``directory/relative``, as the manifest and a chunk's record hold it."""
    path = Path(directory) / relative
    found = {"bytes": path.lstat().st_size, HASH: file_hash(path)}
    if rows is not None:
        found["rows"] = int(rows)
    return found


def mismatch(directory, relative, expected):
    """Why ``directory/relative`` is not the file ``expected`` records (missing, resized, changed), or None.

    A symbolic link is never the file: results hold regular files only.
    """
    path = Path(directory) / relative
    try:
        status = path.lstat()
    except FileNotFoundError:
        return f"{path}: missing"
    except OSError as error:
        return f"{path}: cannot be read ({error.strerror or error})"
    if not path.is_file() or path.is_symlink():
        return f"{path}: not a regular file (a link or a folder where a file was written)"
    if not isinstance(expected, dict) or not isinstance(expected.get("bytes"), int) or HASH not in expected:
        return f"{path}: its record in the manifest is damaged"
    if status.st_size != expected["bytes"]:
        return f"{path}: {status.st_size} bytes, {expected['bytes']} recorded (truncated or overwritten)"
    try:
        found = file_hash(path)
    except OSError as error:
        return f"{path}: cannot be read ({error.strerror or error})"
    if found != expected[HASH]:
        return f"{path}: checksum differs from the one recorded (damaged or overwritten)"
    return None


def _digest(document):
    body = {key: value for key, value in document.items() if key != "digest"}
    return bytes_hash(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())


def document(run_id, files):
    """The manifest of a directory whose files are ``files`` ({relative path: entry}), with its digest."""
    manifest = {"gpu_stress_manifest": MANIFEST_VERSION, "run_id": run_id, "hash": HASH, "files": dict(files)}
    return manifest | {"digest": _digest(manifest)}


def parse(path, text):
    """The manifest in ``text`` (read from ``path``), checked: valid JSON, this format, its own digest."""
    try:
        manifest = json.loads(text)
    except ValueError as error:
        raise ManifestError(f"{path}: not readable JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("gpu_stress_manifest") != MANIFEST_VERSION:
        raise ManifestError(f"{path}: not a gpu-stress manifest")
    files = manifest.get("files")
    if manifest.get("hash") != HASH or not isinstance(files, dict) or not isinstance(manifest.get("run_id"), str):
        raise ManifestError(f"{path}: not a gpu-stress manifest (no file list, run id or {HASH} checksums)")
    if manifest.get("digest") != _digest(manifest):
        raise ManifestError(f"{path}: its digest does not match its content (damaged or edited)")
    for relative in files:
        if not isinstance(relative, str) or relative.startswith("/") or ".." in relative.split("/"):
            raise ManifestError(f"{path}: lists {relative!r}, outside its directory")
    return manifest


def read(directory):
    """The checked manifest of ``directory``; :class:`ManifestError` naming it if there is none or it is damaged."""
    path = Path(directory) / MANIFEST_FILE
    try:
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise ManifestError(f"{path}: not a regular file")
        text = path.read_text()
    except FileNotFoundError:
        raise ManifestError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: cannot be read ({getattr(error, 'strerror', None) or error})") from None
    return parse(path, text)

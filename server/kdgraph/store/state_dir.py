"""The state directory of ``kdgraph serve``: its layout, and writes that no fault leaves half-done.

::

    lock                  held by the serving process (one server per state directory)
    current.json          which build is served (served_data.ServedData); replaced atomically, last
    build-<ns>/           one prepared version of the data, complete only with its manifest:
        store/            the Oxigraph store (opened read-only by every engine process)
        dumps/            the dumps served at /dumps/<name> (store.dumps)
        manifest.json     every file above: what it is, its size and SHA-256; written last

Every file is written to a temporary file in the same directory (``.tmp-*``), flushed to disk,
renamed over the target and the directory flushed too, so a reader sees the old content or
the new, never a part. A build is complete once its manifest exists; ``current.json`` names
only complete builds. Whatever a killed process left behind (``.tmp-*`` files, builds without
a manifest or not current, and what older kdgraph versions kept beside the builds) is removed
at start, and everything is verified against its manifest before it is served again; while
serving, a file is checked against the manifest when it is read (``Manifest``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

CURRENT, MANIFEST, LOCK = "current.json", "manifest.json", "lock"
DUMPS_DIR = "dumps"  # in a build
# beside the builds, left by older kdgraph versions: answer files, dumps and warm-up records of a
# version, stores and ontology pages outside a build, the record of a reload
OLDER_LAYOUT = ("answers-", "dumps-", "warm-", "store-", "docs-", "reload.json")
TEMPORARY_PREFIX = ".tmp-"
TEMPORARY_MARK = ".kdgraph-temporary"  # in a state directory that kdgraph made and removes at exit


class StateError(Exception):
    """A file of the state directory that cannot be trusted or written; the message names it."""


def fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write(path: Path, content: bytes | Callable[[BinaryIO], None]) -> None:
    """Give ``path`` its new content completely or not at all (and leave no temporary file).

    ``content`` is the bytes, or a function that writes them to a binary handle (for dumps
    streamed from the store). An error (a full disk) removes the temporary file and raises.
    """
    descriptor, temporary = tempfile.mkstemp(prefix=f"{TEMPORARY_PREFIX}{path.name}-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    fsync_directory(path.parent)


def file_summary(path: Path, *, sync: bool = False) -> dict[str, int | str]:
    """Size and SHA-256 of a file (flushed to disk first with ``sync``)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        if sync:
            os.fsync(handle.fileno())
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return {"size": size, "sha256": digest.hexdigest()}


def _files_below(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            yield path


class StateDir:
    """The one owner of the state directory's layout: names, builds, manifests, cleaning."""

    def __init__(self, root: Path):
        self.root = root
        self._lock: int | None = None

    # ------------------------------------------------------------------ names
    @property
    def current_file(self) -> Path:
        return self.root / CURRENT

    @staticmethod
    def dumps(build: Path) -> Path:
        """The dumps of a build (written before it is sealed)."""
        return build / DUMPS_DIR

    # ------------------------------------------------------------------ the directory itself
    def create(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StateError(f"{self.root}: cannot create the state directory: {error.strerror}") from None

    def hold_lock(self) -> None:
        """Hold the directory for this process (and its children) until it exits.

        Two servers on one state directory would each clean away the other's builds. On a
        read-only disk nothing can be cleaned or built anyway, so no lock file is needed there.
        """
        path = self.root / LOCK
        try:  # read-only: a lock needs no write access, and the disk can be made read-only under us
            descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError as error:
            if error.errno in (errno.EROFS, errno.ENOSPC):
                return
            raise StateError(f"{path}: {error.strerror}") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise StateError(f"{self.root} is in use by another kdgraph serve (it holds {path})") from None
        self._lock = descriptor

    def mark_temporary(self) -> None:
        (self.root / TEMPORARY_MARK).write_bytes(b"")

    @staticmethod
    def remove_abandoned_temporaries(parent: Path, prefix: str) -> None:
        """Remove temporary state directories of servers that were killed (nobody holds their lock)."""
        for candidate in parent.glob(f"{prefix}*"):
            if not (candidate / TEMPORARY_MARK).is_file():
                continue
            try:
                descriptor = os.open(candidate / LOCK, os.O_RDONLY)
            except OSError:
                shutil.rmtree(candidate, ignore_errors=True)
                continue
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a running server's
            finally:
                os.close(descriptor)
            shutil.rmtree(candidate, ignore_errors=True)

    # ------------------------------------------------------------------ builds
    def new_build(self) -> Path:
        build = self.root / f"build-{time.time_ns()}"
        build.mkdir()
        return build

    def seal(self, build: Path) -> None:
        """Write the build's manifest: it is complete from now on."""
        files = {
            str(path.relative_to(build)): {
                "kind": path.relative_to(build).parts[0],
                **file_summary(path, sync=True),
            }
            for path in _files_below(build)
            if path.name != MANIFEST
        }
        for directory in sorted({p.parent for p in _files_below(build)}, key=lambda p: -len(p.parts)):
            fsync_directory(directory)
        atomic_write(build / MANIFEST, json.dumps({"files": files}, indent=1).encode())

    def verify(self, build: Path) -> None:
        """Raise StateError naming the first file of ``build`` that is missing or not as written."""
        manifest = build / MANIFEST
        try:
            files = json.loads(manifest.read_bytes())["files"]
        except FileNotFoundError:
            raise StateError(f"{manifest}: missing (the build was not completed)") from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise StateError(f"{manifest}: unreadable ({error})") from None
        for name, expected in files.items():
            path = build / name
            try:
                if path.stat().st_size != expected["size"]:
                    raise StateError(
                        f"{path}: {path.stat().st_size} bytes, the manifest says {expected['size']}"
                    )
                if file_summary(path)["sha256"] != expected["sha256"]:
                    raise StateError(f"{path}: content differs from the manifest (SHA-256)")
            except FileNotFoundError:
                raise StateError(f"{path}: missing (named in {manifest})") from None
            except OSError as error:
                raise StateError(f"{path}: {error.strerror}") from None

    @staticmethod
    def discard(path: Path) -> None:
        """Remove a build or derived directory (workers that opened its files keep them: POSIX)."""
        shutil.rmtree(path, ignore_errors=True)

    # ------------------------------------------------------------------ current.json
    def read_current(self) -> dict | None:
        """The served build as written, or None when there is none; StateError if unreadable."""
        try:
            payload = json.loads(self.current_file.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise StateError(f"{self.current_file}: unreadable ({error})") from None
        if not isinstance(payload, dict):
            raise StateError(f"{self.current_file}: not a JSON object")
        return payload

    def write_current(self, payload: dict) -> None:
        atomic_write(self.current_file, json.dumps(payload, indent=2).encode())

    # ------------------------------------------------------------------ cleaning
    def clean(self, keep_build: str | None) -> None:
        """Remove what no served version uses: interrupted builds, temporary files, older layouts."""
        for entry in self.root.iterdir():
            name = entry.name
            if name.startswith(TEMPORARY_PREFIX):
                with contextlib.suppress(OSError):
                    entry.unlink()
            elif (name.startswith("build-") and str(entry) != keep_build) or name.startswith(OLDER_LAYOUT):
                if entry.is_dir():
                    self.discard(entry)
                else:
                    with contextlib.suppress(OSError):
                        entry.unlink()


@dataclass(frozen=True)
class Damage:
    """A file of a served build that is not as its manifest says: which, what is wrong, and since
    when (the file's modification time, or its directory's when the file is gone: when it was
    changed, as far as the file system can tell)."""

    path: str
    problem: str
    since: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem} (since {self.since})"


def _damage(path: Path, problem: str) -> Damage:
    place = path
    while True:
        try:
            changed = place.stat().st_mtime
            break
        except OSError:
            if place.parent == place:
                changed = time.time()
                break
            place = place.parent
    return Damage(str(path), problem, datetime.fromtimestamp(changed, UTC).isoformat(timespec="seconds"))


class BuildCheck:
    """A sealed build checked against its manifest while it is served, without writing anything.

    The manifest is read once (it never changes once sealed). A file's size is compared on every
    check. The SHA-256 of a dump (sent as it is on disk) is computed when it is about to be sent,
    once per file as it is on disk (inode, size, modification time): a dump changed in place is
    hashed again, an intact one not on every request. /health compares sizes and reports the
    content damage found so far, without hashing: hundreds of megabytes at thousands of
    dossiers must not make a load balancer's poll slow.
    """

    def __init__(self, build: Path):
        self.build = build
        self._files: dict[str, dict] | None = None
        self._hashed: dict[tuple[str, int, int, int], bool] = {}
        self._lock = threading.Lock()

    def _manifest(self) -> dict[str, dict] | Damage:
        if self._files is None:
            path = self.build / MANIFEST
            try:
                self._files = dict(json.loads(path.read_bytes())["files"])
            except (OSError, ValueError, KeyError, TypeError) as error:
                return _damage(path, f"unreadable ({error})")  # not remembered: it may come back
        return self._files

    def lists(self, relative: str) -> bool:
        """Whether the manifest names this file (a damaged manifest names none)."""
        files = self._manifest()
        return not isinstance(files, Damage) and relative in files

    def file(self, relative: str, *, hash_now: bool = False) -> Damage | None:
        """What is wrong with one file the manifest names: its size, and its SHA-256 if known
        for the file as it is now (computed first with ``hash_now``)."""
        files = self._manifest()
        if isinstance(files, Damage):
            return files
        expected, path = files[relative], self.build / relative
        try:
            found = path.stat()
        except FileNotFoundError:
            return _damage(path, "missing")
        except OSError as error:
            return _damage(path, error.strerror or str(error))
        if found.st_size != expected["size"]:
            return _damage(path, f"{found.st_size} bytes, the manifest says {expected['size']}")
        identity = (relative, found.st_ino, found.st_size, found.st_mtime_ns)
        with self._lock:
            intact = self._hashed.get(identity)
        if intact is None and hash_now:
            try:
                intact = file_summary(path)["sha256"] == expected["sha256"]
            except OSError as error:
                return _damage(path, error.strerror or str(error))
            with self._lock:
                self._hashed[identity] = intact
        return _damage(path, "content differs from the manifest (SHA-256)") if intact is False else None

    def first_damage(self) -> Damage | None:
        """The first file of the build found damaged (sizes, and the content checked so far)."""
        files = self._manifest()
        if isinstance(files, Damage):
            return files
        return next(filter(None, map(self.file, files)), None)


@functools.lru_cache(maxsize=4)
def build_check(build: str) -> BuildCheck:
    """The check of one build, kept by this process while it serves it (and a few before it)."""
    return BuildCheck(Path(build))

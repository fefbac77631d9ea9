"""The state directory of ``kdgraph serve``: its layout, and writes that no fault leaves half-done.

::

    lock                  held by the serving process (one server per state directory)
    current.json          which build is served (data_state.ServedData); replaced atomically, last
    build-<ns>/           one prepared version of the data, complete only with its manifest:
        store/            the Oxigraph store (opened read-only by every engine process)
        docs/             the ontology's HTML pages (/def/)
        manifest.json     every file above: what it is, its size and SHA-256; written last
    answers-<version>/    answers shared by the workers (each file checks its own SHA-256)
    dumps-<version>/      the dumps, written by the warm-up
    warm-<version>.json   the warm-up of that version is done: the dumps' sizes and SHA-256

Every file is written to a temporary file in the same directory (``.tmp-*``), flushed to disk,
renamed over the target and the directory flushed too, so a reader sees the old content or
the new, never a part. A build is complete once its manifest exists; ``current.json`` names
only complete builds. Whatever a killed process left behind (``.tmp-*`` files, builds without
a manifest or not current, answers and dumps of other versions) is removed at start, and
everything is verified against its manifest before it is served again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

CURRENT, MANIFEST, LOCK = "current.json", "manifest.json", "lock"
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

    def answers(self, version: str) -> Path:
        return self.root / f"answers-{version}"

    def dumps(self, version: str) -> Path:
        return self.root / f"dumps-{version}"

    def warm_marker(self, version: str) -> Path:
        return self.root / f"warm-{version}.json"

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

    def missing_files(self, build: Path) -> str | None:
        """A cheap check (sizes only) while serving: the first file gone or resized, else None."""
        try:
            files = json.loads((build / MANIFEST).read_bytes())["files"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            return f"{build / MANIFEST}: {error}"
        for name, expected in files.items():
            try:
                if (build / name).stat().st_size != expected["size"]:
                    return f"{build / name}: size differs from the manifest"
            except OSError as error:
                return f"{build / name}: {error.strerror}"
        return None

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
    def clean(self, keep_build: str | None, keep_version: str | None) -> None:
        """Remove what no served version uses: interrupted builds, temporary files, old versions."""
        keep = {keep_build} if keep_build else set()
        derived = (
            {
                self.answers(keep_version).name,
                self.dumps(keep_version).name,
                self.warm_marker(keep_version).name,
            }
            if keep_version
            else set()
        )
        for entry in self.root.iterdir():
            name = entry.name
            if name.startswith(TEMPORARY_PREFIX):
                with contextlib.suppress(OSError):
                    entry.unlink()
            elif name.startswith("build-") and str(entry) not in keep:
                self.discard(entry)
            elif name.startswith(("answers-", "dumps-", "warm-")) and name not in derived:
                if entry.is_dir():
                    self.discard(entry)
                else:
                    with contextlib.suppress(OSError):
                        entry.unlink()
            elif name.startswith(("store-", "docs-")) or name == "reload.json":  # left by older kdgraph
                self.discard(entry) if entry.is_dir() else entry.unlink()
        for directory in (self.answers(keep_version), self.dumps(keep_version)) if keep_version else ():
            for leftover in directory.glob(f"{TEMPORARY_PREFIX}*") if directory.is_dir() else ():
                with contextlib.suppress(OSError):
                    leftover.unlink()

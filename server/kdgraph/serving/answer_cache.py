"""One bounded cache of answers: a memory LRU in front of a disk store, behind get/put.

Why both: memory answers a repeated request in microseconds but is private to one process and
lost on restart; disk is shared by every worker and survives a restart on the same data. Why
bounded in bytes, in both places: a handful of unique 19 MB answers must not grow a worker by
gigabytes, nor fill the disk. The disk budget counts the blocks a file really occupies
(``st_blocks * 512``, which for small answers is many times the byte length), kept as a running
total: the directory is scanned once, when the cache is opened, never per write.

Nothing read from disk is trusted: each file starts with a header holding the value's length
and SHA-256, checked on every read; a truncated or corrupt entry is deleted and reported as a
miss (the caller recomputes), never returned. Writes are atomic (a temporary file in the same
directory, fsync, rename), so a reader sees a whole entry or none. A disk that is full or
read-only only makes ``put`` skip the disk, with the reason logged: a cache is a convenience,
never a reason for a request to fail.

The byte bounds hold per instance. Processes that share a directory each keep their own
running total (they see each other's entries on a miss, but not their sizes until they read
them), so give each process its share of the disk budget, or each its own directory.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import struct
import threading
import time
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger("kdgraph.serving.answer_cache")

MAGIC = b"KDA1"
HEADER = struct.Struct(">4sQ32s")  # magic, value length, SHA-256 of the value
TEMPORARY = ".tmp-"
STALE_TEMPORARY_SECONDS = 600  # older temporary files are leftovers of a crash


def _file_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class AnswerCache:
    """``get(key) -> bytes | None`` and ``put(key, value)``; see the module docstring."""

    def __init__(self, directory: Path | None, memory_bytes: int, disk_bytes: int):
        self.memory_bytes, self.disk_bytes = memory_bytes, disk_bytes
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_used = 0
        self._disk: OrderedDict[str, int] = OrderedDict()  # file name -> bytes of blocks, LRU first
        self._disk_used = 0
        self._lock = threading.Lock()
        self._reported: set[str] = set()
        self.directory = directory if disk_bytes > 0 else None
        if self.directory is not None:
            self._open_directory(self.directory)

    # ------------------------------------------------------------------ the interface

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._memory.get(key)
            if value is not None:
                self._memory.move_to_end(key)
                return value
        if self.directory is None:
            return None
        value = self._read(_file_name(key))
        if value is not None:
            self._remember(key, value)
        return value

    def put(self, key: str, value: bytes, *, disk: bool = True) -> None:
        """Keep ``value``; ``disk=False`` keeps it in memory only, for answers cheaper to compute
        again than to write (a durable write, with its fsync, costs milliseconds)."""
        self._remember(key, value)
        if disk and self.directory is not None:
            self._write(_file_name(key), value)

    @property
    def memory_used(self) -> int:
        return self._memory_used

    @property
    def disk_used(self) -> int:
        """Bytes of disk blocks held by the entries this instance knows of."""
        return self._disk_used

    # ------------------------------------------------------------------ memory

    def _remember(self, key: str, value: bytes) -> None:
        if len(value) > self.memory_bytes:
            return
        with self._lock:
            previous = self._memory.pop(key, None)
            if previous is not None:
                self._memory_used -= len(previous)
            self._memory[key] = value
            self._memory_used += len(value)
            while self._memory_used > self.memory_bytes:
                _, evicted = self._memory.popitem(last=False)
                self._memory_used -= len(evicted)

    # ------------------------------------------------------------------ disk

    def _open_directory(self, directory: Path) -> None:
        """Create the directory if needed and rebuild the index from it, oldest entries first."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            entries = []
            now = time.time()
            with os.scandir(directory) as scan:
                for entry in scan:
                    stat = entry.stat(follow_symlinks=False)
                    if entry.name.startswith(TEMPORARY):
                        if now - stat.st_mtime > STALE_TEMPORARY_SECONDS:
                            os.unlink(entry.path)
                    elif len(entry.name) == 64 and entry.is_file(follow_symlinks=False):
                        entries.append((stat.st_mtime, entry.name, stat.st_blocks * 512))
        except OSError as error:
            self._report("cannot use the cache directory; answers are kept in memory only", error)
            self.directory = None
            return
        for _, name, used in sorted(entries):
            self._disk[name] = used
            self._disk_used += used
        self._evict(0)  # the budget may have shrunk since the last run

    def _read(self, name: str) -> bytes | None:
        assert self.directory is not None
        path = self.directory / name
        try:
            with open(path, "rb") as handle:
                data = handle.read()
                used = os.fstat(handle.fileno()).st_blocks * 512
        except FileNotFoundError:
            self._forget(name)  # evicted or removed by another process
            return None
        except OSError as error:
            self._report("cannot read a cache entry; answering without it", error)
            return None
        value = self._checked(data)
        if value is None:
            log.warning("cache entry %s is truncated or corrupt: deleted, the answer is recomputed", path)
            self._delete(name)
            return None
        with self._lock:
            if name in self._disk:
                self._disk.move_to_end(name)
            else:  # written by another process: count it from now on
                self._disk[name] = used
                self._disk_used += used
        return value

    @staticmethod
    def _checked(data: bytes) -> bytes | None:
        if len(data) < HEADER.size:
            return None
        magic, length, digest = HEADER.unpack_from(data)
        value = data[HEADER.size :]
        if magic != MAGIC or length != len(value) or hashlib.sha256(value).digest() != digest:
            return None
        return value

    def _write(self, name: str, value: bytes) -> None:
        assert self.directory is not None
        if HEADER.size + len(value) > self.disk_bytes:
            return  # could never fit
        payload = HEADER.pack(MAGIC, len(value), hashlib.sha256(value).digest()) + value
        temporary = self.directory / f"{TEMPORARY}{name}-{os.getpid()}-{threading.get_ident()}"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as error:
            self._report("cannot write to the cache directory; answers are not kept on disk", error)
            return
        try:
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
                used = os.fstat(fd).st_blocks * 512
            finally:
                os.close(fd)
            with self._lock:  # count it before the rename, so concurrent writers stay in budget
                self._disk_used -= self._disk.pop(name, 0)
                self._evict(used)
                self._disk[name] = used
                self._disk_used += used
            os.replace(temporary, self.directory / name)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            self._forget(name)  # an older file of this name, if any, is counted when next read
            self._report("cannot write a cache entry (disk full?); answers are not kept on disk", error)

    def _evict(self, incoming: int) -> None:
        """Delete least recently used entries until ``incoming`` more bytes fit (lock held)."""
        assert self.directory is not None
        while self._disk and self._disk_used + incoming > self.disk_bytes:
            name, used = self._disk.popitem(last=False)
            self._disk_used -= used
            with contextlib.suppress(OSError):
                os.unlink(self.directory / name)

    def _delete(self, name: str) -> None:
        assert self.directory is not None
        with contextlib.suppress(OSError):
            os.unlink(self.directory / name)
        self._forget(name)

    def _forget(self, name: str) -> None:
        with self._lock:
            self._disk_used -= self._disk.pop(name, 0)

    def _report(self, what: str, error: OSError) -> None:
        """Log each kind of failure once as a warning (a full disk fails every write)."""
        reason = errno.errorcode.get(error.errno or 0, type(error).__name__)
        level = logging.DEBUG if reason in self._reported else logging.WARNING
        self._reported.add(reason)
        log.log(level, "%s: %s (%s)", what, error.strerror or error, self.directory)

"""The bounded answer cache: bounds in bytes, every disk entry checked, faults are misses."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest

from kdgraph.serving import answer_cache
from kdgraph.serving.answer_cache import AnswerCache, _file_name


def entry_path(directory: Path, key: str) -> Path:
    return directory / _file_name(key)


def test_a_value_put_is_got_back_from_memory_and_from_disk(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path, memory_bytes=1000, disk_bytes=1_000_000)
    cache.put("q1", b"answer one")
    assert cache.get("q1") == b"answer one"
    assert cache.get("q2") is None
    reopened = AnswerCache(tmp_path, memory_bytes=1000, disk_bytes=1_000_000)  # memory empty
    assert reopened.get("q1") == b"answer one"


def test_put_in_memory_only_writes_no_file(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path, memory_bytes=1000, disk_bytes=1_000_000)
    cache.put("cheap", b"answer", disk=False)
    assert cache.get("cheap") == b"answer"
    assert list(tmp_path.iterdir()) == [] and cache.disk_used == 0


def test_memory_is_bounded_in_bytes_least_recently_used_first(tmp_path: Path) -> None:
    cache = AnswerCache(None, memory_bytes=250, disk_bytes=0)
    for key in ("a", "b"):
        cache.put(key, bytes(100))
    cache.get("a")  # b is now the least recently used
    cache.put("c", bytes(100))
    assert cache.get("b") is None
    assert cache.get("a") == bytes(100) and cache.get("c") == bytes(100)
    assert cache.memory_used == 200
    cache.put("huge", bytes(251))  # larger than the whole budget: not kept, nothing evicted
    assert cache.get("huge") is None and cache.memory_used == 200


def test_disk_counts_the_blocks_files_really_use(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path, memory_bytes=0, disk_bytes=10_000_000)
    cache.put("small", b"x")
    blocks = os.stat(entry_path(tmp_path, "small")).st_blocks * 512
    assert blocks >= 512  # one byte of answer occupies at least a block
    assert cache.disk_used == blocks


def test_disk_is_bounded_by_blocks_and_evicts_the_least_recently_used(tmp_path: Path) -> None:
    probe = AnswerCache(tmp_path / "probe", memory_bytes=0, disk_bytes=10_000_000)
    probe.put("p", b"x")
    block = probe.disk_used  # what one small entry really occupies on this file system
    cache = AnswerCache(tmp_path / "c", memory_bytes=0, disk_bytes=3 * block)
    for key in ("a", "b", "c"):
        cache.put(key, key.encode() * 10)
    assert cache.get("a") == b"a" * 10  # a is now the most recently used
    cache.put("d", b"d" * 10)
    assert not entry_path(tmp_path / "c", "b").exists()
    assert cache.get("b") is None
    assert [cache.get(k) for k in ("a", "c", "d")] == [b"a" * 10, b"c" * 10, b"d" * 10]
    assert cache.disk_used == 3 * block
    assert len(list((tmp_path / "c").iterdir())) == 3


def test_the_index_is_rebuilt_when_opened_and_a_smaller_budget_applies(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path, memory_bytes=0, disk_bytes=10_000_000)
    for key in ("a", "b", "c", "d"):
        cache.put(key, bytes(10))
    block = os.stat(entry_path(tmp_path, "a")).st_blocks * 512
    reopened = AnswerCache(tmp_path, memory_bytes=0, disk_bytes=2 * block)
    assert reopened.disk_used == 2 * block
    assert len(list(tmp_path.iterdir())) == 2


def test_writes_do_not_scan_the_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = AnswerCache(tmp_path, memory_bytes=0, disk_bytes=10_000_000)

    def no_scan(*args: object) -> None:
        raise AssertionError("the directory was scanned on a write")

    monkeypatch.setattr(os, "scandir", no_scan)
    monkeypatch.setattr(os, "listdir", no_scan)
    for index in range(20):
        cache.put(f"q{index}", b"answer")
    assert cache.get("q7") == b"answer"


def test_truncated_entry_is_deleted_and_a_miss(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000).put("q", b"a whole answer")
    path = entry_path(tmp_path, "q")
    path.write_bytes(path.read_bytes()[:-3])
    cache = AnswerCache(tmp_path, memory_bytes=1000, disk_bytes=1_000_000)
    with caplog.at_level(logging.WARNING, logger="kdgraph.serving.answer_cache"):
        assert cache.get("q") is None
    assert not path.exists()
    assert cache.disk_used == 0
    assert "truncated or corrupt" in caplog.text


def test_flipped_byte_is_deleted_and_a_miss(tmp_path: Path) -> None:
    AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000).put("q", b"a whole answer")
    path = entry_path(tmp_path, "q")
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01  # same length, one bit of the value changed
    path.write_bytes(bytes(data))
    cache = AnswerCache(tmp_path, memory_bytes=1000, disk_bytes=1_000_000)
    assert cache.get("q") is None
    assert not path.exists()
    cache.put("q", b"a whole answer")  # recomputed and stored again
    assert AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000).get("q") == b"a whole answer"


def test_a_file_that_is_no_cache_entry_is_not_returned(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000)
    entry_path(tmp_path, "q").write_bytes(b"short")  # shorter than a header
    assert cache.get("q") is None
    entry_path(tmp_path, "r").write_bytes(b"X" * 200)  # no magic
    assert cache.get("r") is None


def test_deleted_file_is_a_miss_and_leaves_the_count(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000)
    cache.put("q", b"answer")
    assert cache.disk_used > 0
    entry_path(tmp_path, "q").unlink()
    assert cache.get("q") is None
    assert cache.disk_used == 0


def test_entries_written_by_another_process_are_found_and_counted(tmp_path: Path) -> None:
    mine = AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000)
    AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000).put("q", b"from the other worker")
    assert mine.get("q") == b"from the other worker"
    assert mine.disk_used == os.stat(entry_path(tmp_path, "q")).st_blocks * 512


def test_disk_full_makes_put_a_logged_no_op(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cache = AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000)
    cache.put("old", b"kept")

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    logger = "kdgraph.serving.answer_cache"
    with caplog.at_level(logging.WARNING, logger=logger), monkeypatch.context() as patch:
        patch.setattr(answer_cache.os, "write", full)
        cache.put("new", b"not written")
        cache.put("newer", b"not written either")
    assert "No space left on device" in caplog.text
    assert caplog.text.count("disk full?") == 1  # said once, not once per request
    assert sorted(p.name for p in tmp_path.iterdir()) == [_file_name("old")]  # no temporary left
    assert cache.get("new") is None and cache.get("old") == b"kept"


def test_short_writes_are_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.write
    monkeypatch.setattr(answer_cache.os, "write", lambda fd, data: real(fd, bytes(data[:7])))
    cache = AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000)
    cache.put("q", b"an answer longer than seven bytes")
    monkeypatch.undo()
    assert AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000).get("q") == (
        b"an answer longer than seven bytes"
    )


def test_read_only_directory_makes_put_a_logged_no_op(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Tests run as root, which writes through file modes; a read-only mount answers EROFS.
    cache = AnswerCache(tmp_path, memory_bytes=1000, disk_bytes=1_000_000)
    real_open = os.open

    def read_only(path: object, flags: int, *args: object) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(answer_cache.os, "open", read_only)
    with caplog.at_level(logging.WARNING, logger="kdgraph.serving.answer_cache"):
        cache.put("q", b"answer")
    assert "Read-only file system" in caplog.text
    assert list(tmp_path.iterdir()) == []
    assert cache.get("q") == b"answer"  # memory still answers


def test_unusable_directory_leaves_a_memory_only_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="kdgraph.serving.answer_cache"):
        cache = AnswerCache(blocker / "cache", memory_bytes=1000, disk_bytes=1_000_000)
    assert cache.directory is None
    assert "memory only" in caplog.text
    cache.put("q", b"answer")
    assert cache.get("q") == b"answer"


def test_stale_temporary_files_are_removed_when_opened(tmp_path: Path) -> None:
    stale = tmp_path / ".tmp-leftover"
    stale.write_bytes(b"half an answer")
    os.utime(stale, (0, 0))
    fresh = tmp_path / ".tmp-being-written"
    fresh.write_bytes(b"another writer's")
    cache = AnswerCache(tmp_path, memory_bytes=0, disk_bytes=1_000_000)
    assert not stale.exists() and fresh.exists()
    assert cache.disk_used == 0

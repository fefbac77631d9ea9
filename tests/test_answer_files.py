"""Answer files as the workers use them: shared through the directory, found without probing."""

from __future__ import annotations

from pathlib import Path

from kdgraph.query import media
from kdgraph.query.engine import Answer
from kdgraph.serving import answer_files
from kdgraph.serving.answer_files import AnswerFiles

JSON = media.BY_NAME["json"]


def test_an_answer_another_worker_writes_later_is_found(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Found once this worker looks at the directory again (at most once per RECHECK_SECONDS,
    on a fake clock here: a lookup in between costs no system call)."""
    clock = [1000.0]
    monkeypatch.setattr(answer_files.time, "monotonic", lambda: clock[0])
    mine, theirs = AnswerFiles(tmp_path), AnswerFiles(tmp_path)
    assert mine.get("v1-abc-json") is None  # listed now, before the other worker writes
    theirs.put(Answer(b'{"boolean": true}', JSON, "v1-abc-json"), seconds=1.0)
    assert mine.get("v1-abc-json") is None  # the same instant: the directory is not looked at
    clock[0] += answer_files.RECHECK_SECONDS
    found = mine.get("v1-abc-json")
    assert found is not None and found.body == b'{"boolean": true}' and found.fmt is JSON


def test_cheap_answers_are_not_written_and_a_damaged_file_is_not_served(tmp_path: Path) -> None:
    files = AnswerFiles(tmp_path)
    files.put(Answer(b"quick", JSON, "v1-quick-json"), seconds=0.001)
    assert files.get("v1-quick-json") is None
    files.put(Answer(b"slow answer", JSON, "v1-slow-json"), seconds=1.0)
    (written,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    written.write_bytes(written.read_bytes()[:-3])  # cut short, as by a crash
    assert AnswerFiles(tmp_path).get("v1-slow-json") is None

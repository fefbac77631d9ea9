"""The state directory in-process: atomic writes, manifests, a build killed at any step, shared status.

The real-process tests of the same faults are in test_faults.py; here each step of a build is
interrupted on purpose (``os._exit`` in the preparing child: what SIGKILL does, without
cleaning up) and a failing writer stands in for a full disk.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path

import pytest
from flask import Flask

from kdgraph.config import ServerConfig
from kdgraph.query.engine import AskResult, Query
from kdgraph.query.errors import EngineFailure
from kdgraph.serving import worker
from kdgraph.serving.shared_status import SharedStatus
from kdgraph.serving.worker import Runtime
from kdgraph.store import dumps, served_data, state_dir
from kdgraph.store.served_data import DataRejected, prepare, read_current
from kdgraph.store.state_dir import StateDir, StateError, atomic_write

from .conftest import edited_data

LABEL = '"Productietechniek"@nl'


def test_atomic_write_on_a_full_disk_leaves_the_old_content_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "current.json"
    atomic_write(target, b"old")

    def full_disk(handle) -> None:  # type: ignore[no-untyped-def]
        handle.write(b"new, half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, full_disk)
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["current.json"]


def test_verify_names_the_file_that_differs_from_the_manifest(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    build = state.new_build()
    (build / "store").mkdir()
    (build / "store" / "000009.sst").write_bytes(b"x" * 100)
    state.seal(build)
    state.verify(build)
    (build / "store" / "000009.sst").write_bytes(b"y" * 100)
    with pytest.raises(StateError, match=r"000009\.sst: content differs"):
        state.verify(build)
    (build / "store" / "000009.sst").write_bytes(b"y" * 10)
    with pytest.raises(StateError, match=r"000009\.sst: 10 bytes, the manifest says 100"):
        state.verify(build)
    (build / "store" / "000009.sst").unlink()
    with pytest.raises(StateError, match=r"000009\.sst: missing"):
        state.verify(build)
    (build / "manifest.json").write_bytes(b'{"fil')
    with pytest.raises(StateError, match=r"manifest\.json: unreadable"):
        state.verify(build)


# The steps of a build, in order; the preparing child dies right after the named one.
STEPS = ["_build_store", "write_dumps", "seal", "write_current"]


@pytest.mark.parametrize("step", STEPS)
def test_a_build_killed_at_any_step_leaves_the_last_good_version_and_restarts_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    data = edited_data(tmp_path, LABEL, LABEL)
    state = tmp_path / "state"
    first = prepare(state, [data], at_start=True)
    dossier = data / "productietechniek/01-dossier.trig"
    dossier.write_text(dossier.read_text(encoding="utf-8").replace(LABEL, '"Productietechniek (herzien)"@nl'))

    owner = {"seal": StateDir, "write_current": StateDir, "write_dumps": dumps}.get(step, served_data)
    original = getattr(owner, step)

    def then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
        original(*args, **kwargs)
        os._exit(9)  # as SIGKILL: no cleanup, no answer

    monkeypatch.setattr(owner, step, then_die)
    with pytest.raises(DataRejected, match="ended without an answer"):
        prepare(state, [data])
    monkeypatch.setattr(owner, step, original)

    current = read_current(state)
    assert current is not None
    if step == "write_current":  # the new version was complete and current: it is served
        assert current.version != first.version
    else:  # the old one still is, untouched
        assert current == first
    StateDir(state).verify(Path(current.build))
    again = prepare(state, [data], at_start=True)
    assert again.version != first.version
    builds = sorted(p.name for p in state.glob("build-*"))
    assert builds == [Path(again.build).name]  # the interrupted or replaced builds are gone
    assert not list(state.rglob(".tmp-*"))


def test_a_full_disk_while_the_store_is_built_is_a_clear_rejection_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = edited_data(tmp_path, LABEL, '"Productietechniek (herzien)"@nl')
    state = tmp_path / "state"

    def full_disk(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(served_data, "_build_store", full_disk)
    with pytest.raises(DataRejected, match="No space left on device"):
        prepare(state, [data])
    assert read_current(state) is None and not list(state.glob("build-*"))


def test_a_version_is_current_only_with_its_dumps_which_its_manifest_holds(tmp_path: Path) -> None:
    served = prepare(tmp_path / "state", None, at_start=True)
    build = Path(served.build)
    manifest = json.loads((build / "manifest.json").read_text())["files"]
    names = sorted(p.name for p in (build / "dumps").iterdir())
    assert names == ["kdgraph.jsonld", "kdgraph.nq.gz", "kdgraph.nt.gz", "kdgraph.trig", "kdgraph.ttl"]
    for name in names:
        entry = manifest[f"dumps/{name}"]
        assert entry == {"kind": "dumps", **state_dir.file_summary(build / "dumps" / name)}
    for name in ("kdgraph.nt.gz", "kdgraph.nq.gz"):  # no time, and the dump's name, not a temporary one
        header = (build / "dumps" / name).read_bytes()[:32]
        assert header[4:8] == bytes(4) and header[10:].startswith(name.removesuffix(".gz").encode() + b"\0")


def test_a_full_disk_while_the_dumps_are_written_keeps_the_last_version_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    first = prepare(state, None, at_start=True)
    data = edited_data(tmp_path, LABEL, '"Productietechniek (herzien)"@nl')
    real, written = dumps._write_dump, []

    def full_after_two(writer, name, *rest):  # type: ignore[no-untyped-def]
        if len(written) == 2:
            rest[-1].write(b"half a dump")
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(name)
        real(writer, name, *rest)

    monkeypatch.setattr(dumps, "_write_dump", full_after_two)
    with pytest.raises(DataRejected, match="No space left on device"):
        prepare(state, [data])
    assert read_current(state) == first
    assert [p.name for p in state.glob("build-*")] == [Path(first.build).name]
    assert not list(state.rglob(".tmp-*"))


def test_shared_status_is_read_consistently_and_starts_empty() -> None:
    status = SharedStatus()
    assert status.read("served") == (0, None) and status.generation("served") == 0
    status.write("served", {"served": {"version": "a"}})
    status.write("served", {"served": {"version": "b" * 1000}})
    generation, record = status.read("served")
    assert generation == 4 and record == {"served": {"version": "b" * 1000}}
    pid = os.fork()
    if pid == 0:  # a forked child (a worker) reads the same memory, without a copy
        os._exit(0 if status.read("served") == (4, {"served": {"version": "b" * 1000}}) else 1)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def test_etag_and_body_come_from_one_version_regression_etag_of_the_old_version(tmp_path: Path) -> None:
    """A reload published in the middle of a request does not change what that request serves."""
    state = tmp_path / "state"
    first = prepare(state, None, at_start=True)
    status = SharedStatus()
    status.write("served", {"served": json.loads((state / "current.json").read_text()), "reload": None})
    runtime = Runtime(ServerConfig(state_dir=state), status)
    app = Flask(__name__)
    try:
        with app.test_request_context("/sparql"):
            assert runtime.served().version == first.version
            status.write(
                "served",
                {
                    "served": {
                        **json.loads((state / "current.json").read_text()),
                        "version": "0000000000000000",
                    },
                    "reload": None,
                },
            )
            assert runtime.served().version == first.version  # still this request's version
        with app.test_request_context("/sparql"):
            assert runtime.served().version == "0000000000000000"  # the next request switches
    finally:
        runtime.close()


def _served_runtime(tmp_path: Path) -> tuple[Runtime, SharedStatus, dict]:
    """A worker's runtime on the bundled data, as a server publishes it (the shared status),
    with the record of what is served, for a test to publish another version."""
    state = tmp_path / "state"
    prepare(state, None, at_start=True)
    status = SharedStatus()
    served = json.loads((state / "current.json").read_text())
    status.write("served", {"served": served, "reload": None})
    return Runtime(ServerConfig(state_dir=state), status), status, served


def test_a_request_of_the_old_version_is_answered_while_the_new_engines_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a switch stopped the old engines before it made the new ones, and set the
    engine and the data in two steps; a request pinned in between got a stopped engine (503)
    or the new engine with the old version. Now the pair is replaced in one assignment after
    the new engines exist, and the old engines stop only then."""
    runtime, status, served = _served_runtime(tmp_path)
    app = Flask(__name__)
    starting, go_on = threading.Event(), threading.Event()
    real_engine_for = worker.engine_for

    def slow_engine_for(*args, **kwargs):  # type: ignore[no-untyped-def]
        starting.set()
        assert go_on.wait(30)
        return real_engine_for(*args, **kwargs)

    ask = Query("ASK { ?s ?p ?o }")
    try:
        with app.test_request_context("/sparql"):  # a request of the old version, still running
            old = runtime.served().version
            monkeypatch.setattr(worker, "engine_for", slow_engine_for)
            status.write("served", {"served": {**served, "version": "0000000000000000"}, "reload": None})

            def next_request() -> None:
                with app.test_request_context("/sparql"):
                    runtime.served()

            switching = threading.Thread(target=next_request)
            switching.start()
            assert starting.wait(30)  # the next request is making the new version's engines
            assert runtime.engine.run(ask) == AskResult(True)  # the old engines still answer
            assert runtime.engine.version == runtime.served().version == old
            go_on.set()
            switching.join(30)
        with app.test_request_context("/sparql"):
            assert runtime.served().version == runtime.engine.version == "0000000000000000"
    finally:
        go_on.set()
        runtime.close()


def test_clean_removes_what_no_served_version_uses(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    kept = state.new_build()
    dead = state.new_build()
    for name in ("answers-old", "dumps-old", "store-123", "docs-123"):  # older kdgraph's layout
        (tmp_path / name).mkdir()
    for name in (".tmp-current.json-abc", "warm-old.json", "reload.json"):
        (tmp_path / name).write_bytes(b"{}")
    state.clean(str(kept))
    assert sorted(p.name for p in tmp_path.iterdir()) == [kept.name]
    assert not dead.exists()


def test_a_second_server_on_the_same_state_directory_is_refused(tmp_path: Path) -> None:
    first = StateDir(tmp_path)
    first.hold_lock()
    pid = os.fork()
    if pid == 0:
        try:
            StateDir(tmp_path).hold_lock()
            os._exit(1)
        except StateError as error:
            os._exit(0 if "in use by another kdgraph serve" in str(error) else 2)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert state_dir.LOCK == "lock"


def test_a_state_directory_of_an_older_kdgraph_is_prepared_anew_and_its_leftovers_removed(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    (state / "store-123").mkdir(parents=True)
    (state / "docs-abc-123").mkdir()
    (state / "reload.json").write_text('{"ok": false, "error": "from an earlier server"}')
    older = {"version": "0123456789abcdef", "store_path": str(state / "store-123"), "triples": 1,
             "data_triples": 1, "conforms": True, "violations": 0, "warnings": 0, "loaded_at": "",
             "files": [], "graph": "https://w3id.org/kdgraph/graph/kdgraph", "graphs": []}  # fmt: skip
    (state / "current.json").write_text(json.dumps(older))
    served = prepare(state, None, at_start=True)
    assert served.version != older["version"] and served.build
    assert sorted(p.name for p in state.iterdir()) == sorted(["current.json", Path(served.build).name])


def test_a_federated_query_of_a_version_replaced_meanwhile_is_told_to_come_again(tmp_path: Path) -> None:
    """Regression: the engine with network was made for whatever data the request had pinned
    and then kept, so a request of the old version that came to it right after a reload left
    an engine on the old data for every later federated query. Now it belongs to the current
    version only; the old request gets a retryable 503."""
    runtime, status, served = _served_runtime(tmp_path)
    app = Flask(__name__)
    try:
        with app.test_request_context("/sparql"):  # pinned to the first version
            runtime.served()
            status.write("served", {"served": {**served, "version": "0000000000000000"}, "reload": None})
            later: list[str] = []

            def later_request() -> None:  # another thread: a request of its own
                with app.test_request_context("/sparql"):
                    later.append(runtime.served().version)

            switching = threading.Thread(target=later_request)
            switching.start()
            switching.join(30)
            assert later == ["0000000000000000"]  # it switched
            with pytest.raises(EngineFailure) as stale:
                runtime.federating_engine  # noqa: B018 (the property is what is tested)
            assert stale.value.status == 503 and "send it again" in stale.value.message
        with app.test_request_context("/sparql"):
            assert runtime.federating_engine is runtime.federating_engine  # one, kept
    finally:
        runtime.close()

"""The served data: prepared once, shared by all workers, replaced atomically.

Before any worker starts, a short-lived child of the serving process (gunicorn's arbiter) loads
and validates the data, bulk-loads it into an on-disk Oxigraph store in its own directory, and
only then points ``current.json`` at it with an atomic rename. Workers open that store
read-only (the OS page cache shares it between them) and notice a new ``current.json`` on their
next request. A reload that fails (syntax error, SHACL violation) never touches
``current.json``; it is recorded in ``reload.json`` for /health, and the old graph keeps serving.

Doing the preparation in a child keeps the parsed graph (gigabytes at thousands of dossiers)
out of the arbiter, and so out of every worker forked from it. And when ``current.json``
already describes a store made from exactly the same input files, it is served as it is: a
restart on the same data takes seconds, whatever the size of the graph.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from . import DEFAULT_BASE, __version__
from .answer_files import answers_dir
from .cache import fingerprint
from .forking import ChildFailed, run_in_child
from .loading import LoadError, graph_from, input_files, ontology_files, read_inputs
from .ontology_docs import build_docs
from .query_catalogue import catalogue_triples
from .resources import bundled_paths
from .saved_queries import load_saved_queries
from .store import fill_store
from .validation import known_verdict, load_shapes, remember, validate

CURRENT, RELOAD = "current.json", "reload.json"
REMOTE = "remote:"  # store_path prefix of data served from an external store (--sparql-backend)


def dumps_dir(state_dir: Path, version: str) -> Path:
    """The dump files of one version (written by warmup, served by /dumps)."""
    return state_dir / f"dumps-{version}"


def warm_marker(state_dir: Path, version: str) -> Path:
    """Written when the warm-up of one version is done."""
    return state_dir / f"warm-{version}.json"


def queries_graph_iri(base: str) -> str:
    """The named graph holding the saved queries as sparql-examples RDF."""
    return f"{base}graph/queries"


@dataclass(frozen=True)
class ServedData:
    version: str
    store_path: str
    triples: int  # in the default graph: the merge of all graphs
    data_triples: int  # of which from the input files; the rest are the saved queries as RDF
    conforms: bool
    violations: int
    warnings: int
    loaded_at: str
    files: list[str]
    graph: str  # the graph queries see by default: "" is the store's default graph (the merge);
    # an external store's version graph otherwise
    graphs: list[str]  # the named graphs (FROM / GRAPH may name them)
    docs_dir: str = ""  # pyLODE pages for /def/
    inputs: str = ""  # fingerprint of every file this was prepared from (see cache.fingerprint)

    @property
    def backend(self) -> str | None:
        """The external store's root URL, when the data is served from one."""
        return self.store_path[len(REMOTE) :] if self.store_path.startswith(REMOTE) else None


class DataRejected(Exception):
    """New data that must not replace what is served; the message says why."""


def _write_json_atomically(path: Path, payload: dict) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def prepare(
    state_dir: Path, data: Sequence[Path] | None, base: str = DEFAULT_BASE, require_conformance: bool = True
) -> ServedData:
    """Make ``data`` the served graph if it conforms; reuse what is current if made from the same bytes.

    All of it happens in a child process: the files are read there once, and those bytes are
    hashed, validated and loaded into the store.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    return _in_child(_prepare, state_dir, list(data) if data else None, base, require_conformance)


def _prepare(state_dir: Path, data: list[Path] | None, base: str, require_conformance: bool) -> ServedData:
    try:
        inputs = read_inputs(input_files(data), ontology_files())
        shapes = load_shapes()
    except (LoadError, OSError) as error:
        raise DataRejected(str(error)) from None
    catalogue = catalogue_triples(load_saved_queries(bundled_paths().queries).values(), base)
    catalogue_nt = ox.serialize(sorted(catalogue, key=str), format=ox.RdfFormat.N_TRIPLES) or b""
    fingerprint_ = fingerprint(
        [*(source.digest for source in inputs), *shapes.digests, hashlib.sha256(catalogue_nt).hexdigest()],
        "served",
        base,
        __version__,
        str(ox.__version__),
    )
    current = read_current(state_dir)
    if (
        current
        and current.inputs == fingerprint_
        and Path(current.store_path).is_dir()
        and (not current.docs_dir or Path(current.docs_dir).is_dir())
    ):
        return current
    try:
        graph = graph_from(inputs, base)
    except LoadError as error:
        raise DataRejected(str(error)) from None
    verdict = known_verdict(graph, shapes) or remember(graph, validate(graph, shapes), shapes)
    if require_conformance and verdict.violations:
        raise DataRejected(f"{verdict.violations} SHACL violations, e.g. {verdict.example}")
    store_path = state_dir / f"store-{time.time_ns()}"
    queries = ox.NamedNode(queries_graph_iri(base))
    as_quads = [ox.Quad(t.subject, t.predicate, t.object, queries) for t in catalogue]
    try:
        triples = _build_store(store_path, [*graph.quads, *as_quads])
    except BaseException:
        shutil.rmtree(store_path, ignore_errors=True)
        raise
    version = hashlib.sha256(graph.version.encode() + catalogue_nt).hexdigest()[:16]
    docs_dir = state_dir / f"docs-{version}-{time.time_ns()}"
    build_docs(docs_dir)
    served = ServedData(
        version=version,
        store_path=str(store_path),
        triples=triples,
        data_triples=len(graph),
        conforms=verdict.conforms,
        violations=verdict.violations,
        warnings=verdict.warnings,
        loaded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        files=[str(f) for f in graph.files],
        graph="",
        graphs=sorted({*graph.graphs, queries.value}),
        docs_dir=str(docs_dir),
        inputs=fingerprint_,
    )
    _make_current(state_dir, served)
    return served


def _make_current(state_dir: Path, served: ServedData) -> None:
    """Point current.json at ``served``; remove what only the previous version used."""
    previous = read_current(state_dir)
    _write_json_atomically(state_dir / CURRENT, asdict(served))
    if previous is None:
        return
    if previous.store_path != served.store_path and not previous.backend:
        _retire(Path(previous.store_path))
    if previous.docs_dir and previous.docs_dir != served.docs_dir:
        _retire(Path(previous.docs_dir))
    if previous.version != served.version:
        for derived in (answers_dir(state_dir, previous.version), dumps_dir(state_dir, previous.version)):
            _retire(derived)
        warm_marker(state_dir, previous.version).unlink(missing_ok=True)


def _build_store(store_path: Path, quads: list[ox.Quad]) -> int:
    """Write the on-disk store (see store.fill_store); return the number of triples in its default graph."""
    store = ox.Store(str(store_path))
    fill_store(store, quads)
    store.flush()
    solution = next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))  # type: ignore[arg-type]
    return int(solution["n"].value)


def _in_child(function, *args):  # type: ignore[no-untyped-def]
    """Run ``function(*args)`` in a forked child and return its result (or raise its DataRejected).

    Besides keeping the parsed graph out of the arbiter: RocksDB starts background threads, and
    workers forked from a process that had opened a store would inherit its state without its
    threads and hang at exit.
    """
    try:
        kind, value = run_in_child(_outcome, function, args)
    except ChildFailed:
        kind, value = "failed", "the preparing process ended without an answer (out of memory?)"
    if kind == "ok":
        return value
    raise DataRejected(value)


def _outcome(function, args) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    try:
        return ("ok", function(*args))
    except DataRejected as error:
        return ("rejected", str(error))
    except OSError as error:
        return ("failed", f"preparing the data failed: {error}")
    except Exception as error:  # reported to the parent; the traceback goes to stderr
        traceback.print_exc(file=sys.stderr)
        return ("failed", f"preparing the data failed: {type(error).__name__}: {error}")


def _retire(store_path: Path) -> None:
    """Remove an old store once no worker should still be starting on it."""
    # Workers that opened it keep their file handles (POSIX), so removal is safe.
    shutil.rmtree(store_path, ignore_errors=True)


def prepare_backend(state_dir: Path, root: str, base: str = DEFAULT_BASE) -> ServedData:
    """Serve what ``kdgraph publish`` made current in an external store (no local copy)."""
    from .publish import served_from_backend

    state_dir.mkdir(parents=True, exist_ok=True)
    docs_dir = state_dir / f"docs-{time.time_ns()}"
    build_docs(docs_dir)
    try:
        served = served_from_backend(root, base, str(docs_dir))
    except (ValueError, OSError) as error:
        raise DataRejected(str(error)) from None
    _make_current(state_dir, served)
    return served


def reload(
    state_dir: Path, data: Sequence[Path] | None, base: str = DEFAULT_BASE, backend: str | None = None
) -> bool:
    """Try new data aside (or re-read the backend's current version); record the outcome for /health."""
    at = datetime.now(UTC).isoformat()  # microseconds: two reloads never share a timestamp
    try:
        served = prepare_backend(state_dir, backend, base) if backend else prepare(state_dir, data, base)
        outcome = {"ok": True, "at": at, "version": served.version}
    except (DataRejected, OSError) as error:
        outcome = {"ok": False, "at": at, "error": str(error)}
    _write_json_atomically(state_dir / RELOAD, outcome)
    return bool(outcome["ok"])


def read_current(state_dir: Path) -> ServedData | None:
    try:
        return ServedData(**json.loads((state_dir / CURRENT).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


def read_reload(state_dir: Path) -> dict | None:
    try:
        return json.loads((state_dir / RELOAD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None

"""The served data: prepared once, shared by all workers, replaced atomically.

The serving process (gunicorn's arbiter) loads and validates the data, bulk-loads it into an
on-disk Oxigraph store in its own directory, and only then points ``current.json`` at it with
an atomic rename. Workers open that store read-only (the OS page cache shares it between
them) and notice a new ``current.json`` on their next request. A reload that fails (syntax
error, SHACL violation) never touches ``current.json``; it is recorded in ``reload.json``
for /health, and the old graph keeps serving.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from . import DEFAULT_BASE
from .loading import LoadError, load_graph
from .ontology_docs import build_docs
from .query_catalogue import catalogue_triples
from .resources import bundled_paths
from .saved_queries import load_saved_queries
from .validation import validate

CURRENT, RELOAD = "current.json", "reload.json"


def data_graph_iri(base: str) -> str:
    """The named graph holding the data; the default graph is the union of all graphs."""
    return f"{base}graph/kdgraph"


def queries_graph_iri(base: str) -> str:
    """The named graph holding the saved queries as sparql-examples RDF."""
    return f"{base}graph/queries"


@dataclass(frozen=True)
class ServedData:
    version: str
    store_path: str
    triples: int
    data_triples: int  # in the data graph; the rest are the saved queries as RDF
    conforms: bool
    violations: int
    warnings: int
    loaded_at: str
    files: list[str]
    graph: str
    graphs: list[str]
    docs_dir: str = ""  # pyLODE pages for /def/


class DataRejected(Exception):
    """New data that must not replace what is served; the message says why."""


def _write_json_atomically(path: Path, payload: dict) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def prepare(
    state_dir: Path, data: Sequence[Path] | None, base: str = DEFAULT_BASE, require_conformance: bool = True
) -> ServedData:
    """Load, validate and store ``data``; make it current only if it conforms."""
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        graph = load_graph(list(data) if data else None, base=base)
    except LoadError as error:
        raise DataRejected(str(error)) from None
    report = validate(graph)
    violations = report.count("Violation")
    if require_conformance and violations:
        first = next(f for f in report.findings if f.severity == "Violation")
        raise DataRejected(
            f"{violations} SHACL violations, e.g. {first.shape} on {first.focus}: {first.message('en')}"
        )
    catalogue = catalogue_triples(load_saved_queries(bundled_paths().queries).values(), base)
    version = hashlib.sha256((graph.version + "".join(sorted(map(str, catalogue)))).encode()).hexdigest()[:16]
    store_path = state_dir / f"store-{version}-{time.time_ns()}"
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(data_graph_iri(base))) for t in graph.triples
    ]
    quads += [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(queries_graph_iri(base))) for t in catalogue
    ]
    _build_store_in_child(store_path, quads)
    docs_dir = state_dir / f"docs-{version}-{time.time_ns()}"
    build_docs(docs_dir)
    served = ServedData(
        version=version,
        store_path=str(store_path),
        triples=len(graph) + len(catalogue),
        data_triples=len(graph),
        conforms=report.conforms,
        violations=violations,
        warnings=report.count("Warning"),
        loaded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        files=[str(f) for f in graph.files],
        graph=data_graph_iri(base),
        graphs=[data_graph_iri(base), queries_graph_iri(base)],
        docs_dir=str(docs_dir),
    )
    previous = read_current(state_dir)
    _write_json_atomically(state_dir / CURRENT, asdict(served))
    if previous and previous.store_path != served.store_path:
        _retire(Path(previous.store_path))
        if previous.docs_dir:
            _retire(Path(previous.docs_dir))
    return served


def _write_store(store_path: Path, quads: list[ox.Quad]) -> None:
    store = ox.Store(str(store_path))
    store.bulk_extend(quads)
    store.flush()
    store.optimize()


def _build_store_in_child(store_path: Path, quads: list[ox.Quad]) -> None:
    """Write the on-disk store in a short-lived child process.

    RocksDB starts background threads; if the serving process (gunicorn's arbiter) opened a
    store itself, every worker forked from it would inherit RocksDB's state without its
    threads and hang at exit until killed. The child inherits the quads by fork (no copying).
    """
    child = multiprocessing.get_context("fork").Process(target=_write_store, args=(store_path, quads))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise DataRejected(f"writing the store {store_path} failed (exit code {child.exitcode})")


def _retire(store_path: Path) -> None:
    """Remove an old store once no worker should still be starting on it."""
    # Workers that opened it keep their file handles (POSIX), so removal is safe.
    shutil.rmtree(store_path, ignore_errors=True)


def prepare_backend(state_dir: Path, root: str, base: str = DEFAULT_BASE) -> ServedData:
    """Serve what ``kdgraph publish`` made current in an external store (no local copy)."""
    from .remote_engine import served_from_backend

    state_dir.mkdir(parents=True, exist_ok=True)
    docs_dir = state_dir / f"docs-{time.time_ns()}"
    build_docs(docs_dir)
    try:
        served = served_from_backend(root, base, str(docs_dir))
    except (ValueError, OSError) as error:
        raise DataRejected(str(error)) from None
    _write_json_atomically(state_dir / CURRENT, asdict(served))
    return served


def reload(
    state_dir: Path, data: Sequence[Path] | None, base: str = DEFAULT_BASE, backend: str | None = None
) -> None:
    """Try new data aside (or re-read the backend's current version); record the outcome for /health."""
    at = datetime.now(UTC).isoformat()  # microseconds: two reloads never share a timestamp
    try:
        served = prepare_backend(state_dir, backend, base) if backend else prepare(state_dir, data, base)
        outcome = {"ok": True, "at": at, "version": served.version}
    except (DataRejected, OSError) as error:
        outcome = {"ok": False, "at": at, "error": str(error)}
    _write_json_atomically(state_dir / RELOAD, outcome)


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

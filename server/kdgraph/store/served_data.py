"""The served data: prepared once, shared by all workers, replaced atomically, verified before use.

A child process of the serving process (granian's main process) reads every input file once,
hashes, validates and bulk-loads those same bytes into an on-disk Oxigraph store in a new build
of the state directory (see state_dir), writes the dumps from that store beside it (see dumps),
seals the build with its manifest and only then points ``current.json`` at it. Workers open
that store read-only (the OS page cache shares it between them) and learn of a new version from
the server's shared status (see shared_status), not from the disk. A reload that fails (syntax
error, SHACL violation, a full disk) never touches ``current.json``: the old version keeps
serving and /health says why.

Doing the preparation in a child keeps the parsed graph (gigabytes at thousands of dossiers)
out of the main process, and so out of every worker forked from it. And when ``current.json``
names a build made from exactly the same input bytes, and that build still matches its
manifest, it is served as it is: a restart on the same data takes seconds, whatever the size of
the graph. A build that does not match its manifest is rebuilt, never served.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar, cast

import pyoxigraph as ox

from kdgraph import DEFAULT_BASE, __version__
from kdgraph.catalogue.examples import catalogue_triples
from kdgraph.catalogue.saved_queries import load_saved_queries
from kdgraph.checks.validation import known_verdict, load_shapes, remember, validate
from kdgraph.checks.verdicts import fingerprint
from kdgraph.child_processes import ChildFailed, run_in_child
from kdgraph.log_lines import log_event, report_failure
from kdgraph.pages.void import DUMPS
from kdgraph.pipeline.loading import (
    KnowledgeGraph,
    LoadError,
    graph_from,
    input_files,
    ontology_files,
    read_inputs,
)
from kdgraph.query.engine import EmbeddedEngine, Engine
from kdgraph.query.errors import QueryPathError
from kdgraph.query.remote import RemoteEngine
from kdgraph.query.sparql_client import Endpoints, SparqlClient
from kdgraph.resources import bundled_paths
from kdgraph.store import dumps
from kdgraph.store.layout import fill_store
from kdgraph.store.publish import count_triples, published_dataset
from kdgraph.store.state_dir import DUMPS_DIR, StateDir, StateError, build_check

T = TypeVar("T")
REMOTE = "remote:"  # store_path prefix of data served from an external store (--sparql-backend)


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
    inputs: str = ""  # fingerprint of the bytes this was prepared from (see checks.verdicts.fingerprint)
    build: str = ""  # the build directory (state_dir) holding the store

    @property
    def backend(self) -> str | None:
        """The external store's root URL, when the data is served from one."""
        return self.store_path[len(REMOTE) :] if self.store_path.startswith(REMOTE) else None


def direct_engine(served: ServedData) -> Engine:
    """The engine on ``served`` with no process of its own around it, no deadline and no limit on
    an answer's size: for our own queries (the dumps, scripts, tests), never a client's."""
    if served.backend:
        return RemoteEngine(
            SparqlClient(Endpoints.oxigraph(served.backend), timeout=3600), served.graph, 2**62, served.graphs
        )
    return EmbeddedEngine.open(served.store_path)


class DataRejected(Exception):
    """New data that must not replace what is served; the message says why."""


def prepare(
    state_dir: Path,
    data: Sequence[Path] | None,
    base: str = DEFAULT_BASE,
    require_conformance: bool = True,
    *,
    at_start: bool = False,
    retire_previous: bool = True,
) -> ServedData:
    """Make ``data`` the served graph if it conforms; reuse what is current if made from the same bytes.

    All of it happens in a child process: the files are read there once, and those bytes are
    hashed, validated and loaded into the store. ``at_start``: no other process of this server
    uses the state directory yet, so whatever a killed server left behind is removed first.
    ``retire_previous=False``: the caller calls ``retire`` once no worker starts on it any more.
    """
    StateDir(state_dir).create()
    args = (state_dir, list(data) if data else None, base, require_conformance, at_start, retire_previous)
    return _in_child(_prepare, *args)


def served_version(graph: KnowledgeGraph, catalogue_nt: bytes) -> str:
    """The version /health reports: the data's content hash together with the saved queries
    served beside it (``catalogue_nt``: their RDF as sorted N-Triples, see ``_prepare_trusting``).
    ``kdgraph diff`` names versions with this too, so a diff and a server agree on them."""
    return hashlib.sha256(graph.version.encode() + catalogue_nt).hexdigest()[:16]


def saved_queries_rdf(base: str) -> tuple[list[ox.Triple], bytes]:
    """The bundled saved queries as RDF, and as sorted N-Triples (part of what a version is)."""
    catalogue = catalogue_triples(load_saved_queries(bundled_paths().queries).values(), base)
    return catalogue, ox.serialize(sorted(catalogue, key=str), format=ox.RdfFormat.N_TRIPLES) or b""


def _trusted_current(state: StateDir) -> tuple[ServedData | None, str]:
    """The current build if it matches its manifest, else (None, what is wrong with it)."""
    try:
        current = read_current(state.root)
        if current is None:
            return None, ""
        if not current.build:
            raise StateError(f"{state.current_file}: names no build (written by an older kdgraph)")
        build = Path(current.build)
        state.verify(build)
        if not all(build_check(str(build)).lists(f"{DUMPS_DIR}/{name}") for name in DUMPS):
            raise StateError(f"{build}: has no dumps (made by an older kdgraph)")
        return current, ""
    except StateError as error:
        print(f"kdgraph: state: {error}; preparing the data anew", file=sys.stderr)
        return None, str(error)


def _prepare(
    state_dir: Path,
    data: list[Path] | None,
    base: str,
    require_conformance: bool,
    at_start: bool,
    retire_previous: bool,
) -> ServedData:
    state = StateDir(state_dir)
    current, damage = _trusted_current(state)
    if at_start:
        state.clean(current.build if current else None)
    try:
        served = _prepare_trusting(state, current, data, base, require_conformance)
    except DataRejected as error:
        raise DataRejected(f"{damage}; and {error}" if damage else str(error)) from None
    if retire_previous and current is not None:
        retire(state_dir, current, served)
    return served


def _prepare_trusting(
    state: StateDir, current: ServedData | None, data: list[Path] | None, base: str, require_conformance: bool
) -> ServedData:
    try:
        inputs = read_inputs(input_files(data), ontology_files())
        shapes = load_shapes()
    except (LoadError, OSError) as error:
        raise DataRejected(str(error)) from None
    catalogue, catalogue_nt = saved_queries_rdf(base)
    fingerprint_ = fingerprint(
        [*(source.digest for source in inputs), *shapes.digests, hashlib.sha256(catalogue_nt).hexdigest()],
        "served",
        base,
        __version__,
        str(ox.__version__),
    )
    if current and current.inputs == fingerprint_:
        return current
    try:
        graph = graph_from(inputs, base)
    except LoadError as error:
        raise DataRejected(str(error)) from None
    del inputs  # the parsed quads are all that is needed now
    for warning in graph.warnings:  # what an import of SBB XML skipped: logged, never silent
        log_event(warning, "WARNING")
    try:
        verdict = known_verdict(graph, shapes) or remember(
            graph, validate(graph, shapes, locate=False), shapes
        )
    except LoadError as error:  # an ill-typed literal: refused at its file:line, like a syntax error
        raise DataRejected(str(error)) from None
    if require_conformance and verdict.violations:
        raise DataRejected(f"{verdict.violations} SHACL violations, e.g. {verdict.example}")
    queries = ox.NamedNode(queries_graph_iri(base))
    as_quads = [ox.Quad(t.subject, t.predicate, t.object, queries) for t in catalogue]
    build = state.new_build()
    try:
        triples, data_triples = _build_store(build / "store", graph.quads, as_quads)
        served = ServedData(
            version=served_version(graph, catalogue_nt),
            store_path=str(build / "store"),
            triples=triples,
            data_triples=data_triples,
            conforms=verdict.conforms,
            violations=verdict.violations,
            warnings=verdict.warnings,
            loaded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            files=[str(f) for f in graph.files],
            graph="",
            graphs=sorted({*graph.graphs, queries.value}),
            inputs=fingerprint_,
            build=str(build),
        )
        del graph  # the store holds it now; the dumps are streamed from there
        dumps.write(served, direct_engine(served), state.dumps(build), base)
        state.seal(build)
        state.write_current(asdict(served))
    except BaseException:
        state.discard(build)  # an interrupted build is never left half-written (nor named current)
        raise
    return served


def retire(state_dir: Path, previous: ServedData, served: ServedData) -> None:
    """Remove what only ``previous`` used, now that ``served`` replaced it.

    The server calls this after it told its workers about ``served`` (a worker still answering
    from ``previous`` keeps the files it opened: POSIX).
    """
    if previous.build and previous.build != served.build:
        StateDir(state_dir).discard(Path(previous.build))


def _build_store(store_path: Path, data: list[ox.Quad], queries: list[ox.Quad]) -> tuple[int, int]:
    """Write the on-disk store (see layout.fill_store): (triples in its default graph, of which data)."""
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    store = ox.Store(str(store_path))
    fill_store(store, data)
    data_triples = int(next(iter(store.query(count)))["n"].value)  # type: ignore[arg-type]
    fill_store(store, queries)
    store.flush()
    triples = int(next(iter(store.query(count)))["n"].value)  # type: ignore[arg-type]
    del store  # closed before its files are summed up in the manifest
    return triples, data_triples


def _in_child(function: Callable[..., T], *args: object) -> T:
    """Run ``function(*args)`` in a forked child and return its result (or raise its DataRejected).

    Besides keeping the parsed graph out of the main process: RocksDB starts background threads, and
    workers forked from a process that had opened a store would inherit its state without its
    threads and hang at exit.
    """
    try:
        kind, value = run_in_child(_outcome, function, args)
    except ChildFailed:
        kind, value = "failed", "the preparing process ended without an answer (killed, or out of memory?)"
    if kind == "ok":
        return cast(T, value)
    raise DataRejected(value)


def _outcome(function: Callable[..., object], args: tuple[object, ...]) -> tuple[str, object]:
    try:
        return ("ok", function(*args))
    except DataRejected as error:
        return ("rejected", str(error))
    except StateError as error:
        return ("failed", f"the state directory: {error}")
    except OSError as error:
        return ("failed", f"preparing the data failed: {error}")
    except Exception as error:  # reported to the parent; where it happened goes to stderr
        report_failure("preparing the data failed", error)
        return ("failed", f"preparing the data failed: {type(error).__name__}: {error}")


def prepare_backend(
    state_dir: Path, root: str, base: str = DEFAULT_BASE, *, at_start: bool = False
) -> ServedData:
    """Serve what ``kdgraph publish`` made current in an external store (no local copy)."""
    StateDir(state_dir).create()
    return _in_child(_prepare_backend, state_dir, root, base, at_start)


def _prepare_backend(state_dir: Path, root: str, base: str, at_start: bool) -> ServedData:
    state = StateDir(state_dir)
    if at_start:
        state.clean(None)
    build = state.new_build()
    try:
        try:
            served = replace(served_from_backend(root, base), build=str(build))
            dumps.write(served, direct_engine(served), state.dumps(build), base)
        except (ValueError, OSError) as error:
            raise DataRejected(str(error)) from None
        except QueryPathError as error:
            raise DataRejected(f"{root}: {error.message}") from None
        state.seal(build)
        previous, _ = _trusted_current(state)
        state.write_current(asdict(served))
        if previous is not None and at_start:
            retire(state_dir, previous, served)
    except BaseException:
        state.discard(build)
        raise
    return served


def served_from_backend(root: str, base: str) -> ServedData:
    """What ``kdgraph publish`` made current in the store at ``root``, as served data (here, beside
    ``ServedData``, so that publishing needs nothing of what is served: no import cycle)."""
    client = SparqlClient(Endpoints.oxigraph(root))
    try:
        dataset = published_dataset(client, base)
        if dataset is None:
            raise ValueError(f"{root} holds no published version (run kdgraph publish --to {root})")
        graph, named = dataset
        triples = count_triples(client, [graph])[graph]
    except QueryPathError as error:
        raise ValueError(error.message) from None
    finally:
        client.close()
    return ServedData(
        version=graph.rsplit("/", 1)[-1],
        store_path=f"{REMOTE}{root}",
        triples=triples,
        data_triples=triples,
        conforms=True,  # only conforming data is published
        violations=0,
        warnings=0,
        loaded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        files=[],
        graph=graph,
        graphs=named,
    )


def reload(
    state_dir: Path, data: Sequence[Path] | None, base: str = DEFAULT_BASE, backend: str | None = None
) -> tuple[ServedData | None, dict]:
    """Try new data aside (or re-read the backend's current version): (what to serve, the outcome).

    Never raises for bad data or bad luck: the outcome says what went wrong, for /health. The
    previous version is not retired: see ``retire``.
    """
    at = datetime.now(UTC).isoformat()  # microseconds: two reloads never share a timestamp
    try:
        served = (
            prepare_backend(state_dir, backend, base)
            if backend
            else prepare(state_dir, data, base, retire_previous=False)
        )
    except (DataRejected, OSError, StateError) as error:
        return None, {"ok": False, "at": at, "error": str(error)}
    return served, {"ok": True, "at": at, "version": served.version}


def read_current(state_dir: Path) -> ServedData | None:
    """What current.json names, or None; StateError (naming the file) if it cannot be read."""
    state = StateDir(state_dir)
    payload = state.read_current()
    if payload is None:
        return None
    try:
        return ServedData(**payload)
    except TypeError as error:
        raise StateError(f"{state.current_file}: not a description of served data ({error})") from None

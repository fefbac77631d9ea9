"""After new data is ready: write the dumps once, in the background.

At 2000 dossiers a full dump is 700 MB: that should not be paid by the first visitor, nor run
into the query deadline. So a process forked right after the data is prepared (and after every
reload) writes the dumps to files, streamed by Oxigraph without holding the graph in memory.
The server answers meanwhile, and /dumps says when to come back. ``warm-{version}.json`` records
that the work is done, with the size and SHA-256 of each dump: a dump that no longer matches (a
truncated file) is written again by the next warm-up.

It no longer answers the saved queries ahead of time (issue 12): guessing the exact requests
clients would send cost a core for minutes after every load at 200 dossiers, and a request
nobody guessed is answered just as fast, since every query is evaluated at the engine's speed
and a repeated one comes from the answer cache.

Every dump is written atomically (see state_dir.atomic_write): a full disk leaves no partial
dump, and the failure is told to /health through the server's shared status.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kdgraph.config import ServerConfig
from kdgraph.log_lines import report_failure
from kdgraph.namespaces import prefixes
from kdgraph.pages import documents
from kdgraph.pages.void import DUMPS
from kdgraph.query.engine import Engine, Query, SelectResult
from kdgraph.query.errors import EngineFailure
from kdgraph.query.media import Wanted
from kdgraph.serving.child_processes import Child, detach
from kdgraph.serving.shared_status import SharedStatus
from kdgraph.serving.worker import engine_for
from kdgraph.store.served_data import ServedData
from kdgraph.store.state_dir import StateDir, atomic_write, file_summary


def start(config: ServerConfig, served: ServedData, status: SharedStatus | None = None) -> Child:
    """Start the warm-up of ``served`` in the background; it ends when done, or with the server."""
    return detach(_main, config, served, status)


def _main(config: ServerConfig, served: ServedData, status: SharedStatus | None) -> None:
    try:
        warm(config, served)
    except OSError as error:  # a full or read-only disk: the server works without the dumps
        report_failure(f"the warm-up of version {served.version} failed", error)
        if status is not None:
            status.write("warmup", {"version": served.version, "error": str(error)})
    except Exception as error:  # the server works without it; say why in its log and in /health
        report_failure(f"the warm-up of version {served.version} failed (a bug)", error)
        if status is not None:
            status.write("warmup", {"version": served.version, "error": f"{type(error).__name__}: {error}"})


def warm(config: ServerConfig, served: ServedData) -> None:
    state = StateDir(config.state_dir)
    marker = state.warm_marker(served.version)
    if _still_valid(marker, state.dumps(served.version)):
        return
    marker.unlink(missing_ok=True)
    start = time.perf_counter()
    engine = engine_for(served, config, deadline=None)
    terms = engine.run(documents.context_query(config.base))
    if not isinstance(terms, SelectResult):
        raise EngineFailure("the JSON-LD context's SELECT gave something else")
    context = documents.context(config.base, terms.rows)
    dumps = write_dumps(_writer(engine, served), state.dumps(served.version), prefixes(config.base), context)
    engine.close()
    record = {"seconds": round(time.perf_counter() - start, 2), "dumps": dumps}
    atomic_write(marker, json.dumps(record).encode())


def _still_valid(marker: Path, directory: Path) -> bool:
    """The warm-up of this version is done and its dumps are as written (sizes; SHA-256 once)."""
    try:
        dumps = json.loads(marker.read_bytes())["dumps"]
        for name, expected in dumps.items():
            if file_summary(directory / name) != expected:
                (directory / name).unlink(missing_ok=True)
                return False
        return set(dumps) == set(DUMPS)
    except (OSError, ValueError, KeyError, TypeError):
        return False


# writer(handle, format, prefixes) writes the data graph
Writer = Callable[[BinaryIO, ox.RdfFormat, dict[str, str] | None], None]


def _writer(engine: Engine, served: ServedData) -> Writer:
    """The on-disk store is dumped directly, streamed, without holding the graph in memory; an
    external store's version graph (its default graph) and provenance graphs (its named graphs:
    ``publish``) are fetched once and re-serialised, so its quad dumps carry the same quads."""
    if not served.backend:
        return _local_writer(ox.Store.read_only(served.store_path))
    query = Query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")  # the version graph is the default graph
    ntriples = engine.answer(query, Wanted.of("json", "nt")).body
    named = engine.run(Query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"))
    if not isinstance(named, SelectResult):
        raise EngineFailure("the SPARQL store answered a SELECT with something else")
    quads = [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in named.rows]  # type: ignore[arg-type]

    def writer(handle: BinaryIO, fmt: ox.RdfFormat, names: dict[str, str] | None) -> None:
        if fmt == ox.RdfFormat.N_TRIPLES:
            handle.write(ntriples)
            return
        triples = (quad.triple for quad in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES))
        if fmt not in QUAD_FORMATS:
            ox.serialize(triples, handle, format=fmt, prefixes=names or None)
            return
        stated = {quad.triple for quad in quads}  # as locally: the default graph's own triples only
        only_default = (ox.Quad(t.subject, t.predicate, t.object) for t in triples if t not in stated)
        ox.serialize([*quads, *only_default], handle, format=fmt, prefixes=names or None)

    return writer


def _local_writer(store: ox.Store) -> Writer:
    def writer(handle: BinaryIO, fmt: ox.RdfFormat, names: dict[str, str] | None) -> None:
        if fmt not in QUAD_FORMATS:  # the merged graph
            store.dump(handle, format=fmt, from_graph=ox.DefaultGraph(), prefixes=names or None)
            return
        ox.serialize(_stated_quads(store), handle, format=fmt, prefixes=names or None)

    return writer


def _stated_quads(store: ox.Store) -> Iterator[ox.Quad]:
    """The quads as loaded: every named graph, and the default graph's triples that are in none.

    (The store's default graph also holds the merge of all graphs; a quads dump leaves that out,
    so it reads back into the same store.)
    """
    for quad in store.quads_for_pattern(None, None, None, None):
        if isinstance(quad.graph_name, ox.NamedNode):
            yield quad
    only_default = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }"
    for triple in store.query(only_default):  # type: ignore[union-attr]
        yield ox.Quad(triple.subject, triple.predicate, triple.object, ox.DefaultGraph())


QUAD_FORMATS = (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)
# dump file suffix -> (format, gzipped, with prefixes)
_DUMP_FORMATS = {
    ".ttl": (ox.RdfFormat.TURTLE, False, True),
    ".nt.gz": (ox.RdfFormat.N_TRIPLES, True, False),
    ".trig": (ox.RdfFormat.TRIG, False, True),
    ".nq.gz": (ox.RdfFormat.N_QUADS, True, False),
}


def write_dumps(
    writer: Writer, directory: Path, names: dict[str, str], context: dict[str, object]
) -> dict[str, dict]:
    """Turtle, gzipped N-Triples and JSON-LD of the merged graph, TriG and gzipped N-Quads of the quads.

    The JSON-LD is expanded, under the context published at /context.jsonld (its terms change no
    expanded value), so that it reads like the rest of the API.

    Returns each dump's size and SHA-256. A dump already there is kept (its summary is checked
    by the caller against the record of the warm-up that wrote it).
    """
    directory.mkdir(exist_ok=True)  # (not its parent: a state directory removed at exit stays removed)
    written = {}
    for name in DUMPS:
        target = directory / name
        if not target.exists():
            atomic_write(target, lambda handle, name=name: _write_dump(writer, name, handle, names, context))  # type: ignore[misc]
        written[name] = file_summary(target)
    return written


def _write_dump(
    writer: Writer, name: str, handle: BinaryIO, names: dict[str, str], context: dict[str, object]
) -> None:
    suffix = next((s for s in _DUMP_FORMATS if name.endswith(s)), None)
    if suffix is None:  # expanded JSON-LD under our context, to read like the rest of the API
        handle.write(b'{"@context": ' + json.dumps(context).encode() + b',\n"@graph": ')
        writer(handle, ox.RdfFormat.JSON_LD, None)
        handle.write(b"}\n")
        return
    fmt, gzipped, with_prefixes = _DUMP_FORMATS[suffix]
    if gzipped:
        with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as compressed:
            writer(compressed, fmt, None)  # type: ignore[arg-type]
    else:
        writer(handle, fmt, names if with_prefixes else None)

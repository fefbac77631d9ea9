"""The dumps of a version: written by its preparation, into its build, before it is served.

Turtle, gzipped N-Triples, JSON-LD, TriG and gzipped N-Quads, streamed from the store without
holding the graph in memory (at 2000 dossiers the whole is 700 MB), each atomically (a temporary
file renamed: see state_dir.atomic_write) into the build's ``dumps/`` directory. The build is
sealed after them, so the manifest holds their sizes and SHA-256 and a version is never current
without its dumps; /dumps/<name> checks the file against the manifest before it sends it
(state_dir.BuildCheck). A full disk fails the preparation like any other write of the build: the
previous version keeps serving and /health says why.

Nothing else is written ahead of time (issue 12): answering the saved queries in guessed forms
cost a core for minutes after every load at 200 dossiers, and the answer cache answers a
repeated request anyway.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyoxigraph as ox

from kdgraph.namespaces import prefixes
from kdgraph.pages import documents
from kdgraph.pages.void import DUMPS
from kdgraph.query.engine import Engine, Query, SelectResult
from kdgraph.query.errors import EngineFailure
from kdgraph.query.media import Wanted
from kdgraph.store.state_dir import atomic_write

if TYPE_CHECKING:
    from kdgraph.store.served_data import ServedData


def write(served: ServedData, engine: Engine, directory: Path, base: str) -> None:
    """Every dump of ``served`` (asked through ``engine``) into ``directory``, which must not exist."""
    terms = engine.run(documents.context_query(base))
    if not isinstance(terms, SelectResult):
        raise EngineFailure("the JSON-LD context's SELECT gave something else")
    context = documents.context(base, terms.rows)
    directory.mkdir()
    write_dumps(_writer(engine, served), directory, prefixes(base), context)


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


def write_dumps(writer: Writer, directory: Path, names: dict[str, str], context: dict[str, object]) -> None:
    """Turtle, gzipped N-Triples and JSON-LD of the merged graph, TriG and gzipped N-Quads of the quads.

    The JSON-LD is expanded, under the context published at /context.jsonld (its terms change no
    expanded value), so that it reads like the rest of the API.
    """
    for name in DUMPS:
        atomic_write(directory / name, functools.partial(_write_dump, writer, name, names, context))


def _write_dump(
    writer: Writer, name: str, names: dict[str, str], context: dict[str, object], handle: BinaryIO
) -> None:
    suffix = next((s for s in _DUMP_FORMATS if name.endswith(s)), None)
    if suffix is None:  # expanded JSON-LD under our context, to read like the rest of the API
        handle.write(b'{"@context": ' + json.dumps(context).encode() + b',\n"@graph": ')
        writer(handle, ox.RdfFormat.JSON_LD, None)
        handle.write(b"}\n")
        return
    fmt, gzipped, with_prefixes = _DUMP_FORMATS[suffix]
    if gzipped:
        # gzip's own default level: half the time of level 9 for 2 % more bytes (measured on the
        # N-Triples of 200 dossiers), which counts now that a version waits for its dumps; the
        # dump's own name in the header (not the temporary file's) and no time: the same data
        # gives the same bytes
        with gzip.GzipFile(name, mode="wb", compresslevel=6, fileobj=handle, mtime=0) as compressed:
            writer(compressed, fmt, None)  # type: ignore[arg-type]
    else:
        writer(handle, fmt, names if with_prefixes else None)

"""After new data is ready: write the dumps and answer the saved queries once, in the background.

At 2000 dossiers a full dump is 700 MB and the slowest saved query takes several seconds:
neither should be paid by the first visitor, nor run into the query deadline. So a process
forked right after the data is prepared (and after every reload) writes the dumps to files,
streamed by Oxigraph without holding the graph in memory, and evaluates every saved query with
its default and its example parameters, in the forms the API, the UI and /sparql ask for them,
into the shared answer files. The server answers meanwhile; what is not written yet is
evaluated on request as usual, and /dumps says when to come back. ``warm-{version}.json``
records that the work is done, for /health.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .answer_files import AnswerFiles, answers_dir
from .config import ServerConfig
from .data_state import ServedData, dumps_dir, read_current, warm_marker
from .dataset_description import DUMPS
from .forking import detach
from .namespaces import prefixes
from .openapi import DEFAULT_LIMIT
from .query.engine import Answer, EmbeddedEngine, Engine, Query
from .query.errors import QueryPathError
from .query.media import Wanted
from .resources import bundled_paths
from .runtime import engine_for, etag_for
from .saved_queries import ParameterError, load_saved_queries

JSON = Wanted.of("json", "ttl")  # what the API, the UI and the benchmark ask for


def start(config: ServerConfig) -> None:
    """Start the warm-up in the background; it ends when done, or with the server's process group."""
    detach(_main, config)


def _main(config: ServerConfig) -> None:
    try:
        warm(config)
    except Exception:  # the server works without it; say why in its log
        print("kdgraph: warm-up failed:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)


def warm(config: ServerConfig) -> None:
    served = read_current(config.state_dir)
    if served is None or warm_marker(config.state_dir, served.version).exists():
        return
    start = time.perf_counter()
    engine = engine_for(served, config, deadline=None)
    write_dumps(_writer(engine, served), dumps_dir(config.state_dir, served.version), prefixes(config.base))
    files = AnswerFiles(answers_dir(config.state_dir, served.version))
    answered = 0
    for query in warm_queries():
        try:
            answer = engine.answer(query, JSON)
        except QueryPathError:  # a saved query that fails here fails on request too, with its message
            continue
        etag = etag_for(served.version, query, answer.fmt)
        if files.get(etag) is None:
            files.put(Answer(answer.body, answer.fmt, etag), seconds=float("inf"))
            answered += 1
    engine.close()
    record = {"seconds": round(time.perf_counter() - start, 2), "answers": answered}
    warm_marker(config.state_dir, served.version).write_text(json.dumps(record), encoding="utf-8")


# writer(handle, format, prefixes) writes the data graph
Writer = Callable[[BinaryIO, ox.RdfFormat, dict[str, str] | None], None]


def _writer(engine: Engine, served: ServedData) -> Writer:
    """The on-disk store is dumped directly, streamed, without holding the graph in memory; an
    external store's data graph is fetched once as N-Triples and re-serialised as a stream."""
    if isinstance(engine, EmbeddedEngine):
        return lambda handle, fmt, names: engine.dump(handle, fmt, served.graph, names)  # type: ignore[arg-type]
    query = Query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{served.graph}> {{ ?s ?p ?o }} }}")
    ntriples = engine.answer(query, Wanted.of("json", "nt")).body

    def writer(handle: BinaryIO, fmt: ox.RdfFormat, names: dict[str, str] | None) -> None:
        if fmt == ox.RdfFormat.N_TRIPLES:
            handle.write(ntriples)
            return
        triples = (quad.triple for quad in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES))
        ox.serialize(triples, handle, format=fmt, **({"prefixes": names} if names else {}))

    return writer


def write_dumps(writer: Writer, directory: Path, names: dict[str, str]) -> None:
    """The data graph as Turtle, gzipped N-Triples and JSON-LD, streamed to files."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in DUMPS:
        target = directory / name
        if target.exists():
            continue
        temporary = directory / f".{name}.tmp"
        with temporary.open("wb") as handle:
            if name.endswith(".ttl"):
                writer(handle, ox.RdfFormat.TURTLE, names)
            elif name.endswith(".nt.gz"):
                with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as compressed:
                    writer(compressed, ox.RdfFormat.N_TRIPLES, None)  # type: ignore[arg-type]
            else:  # expanded JSON-LD under our context, so that it reads like the rest of the API
                handle.write(b'{"@context": ' + json.dumps(names).encode() + b',\n"@graph": ')
                writer(handle, ox.RdfFormat.JSON_LD, None)
                handle.write(b"}\n")
        temporary.replace(target)


def warm_queries() -> Iterator[Query]:
    """The queries the API, the UI and the benchmark send for each saved query."""
    for saved in load_saved_queries(bundled_paths().queries).values():
        for raw in ({}, saved.example_parameters()):
            try:
                bound = saved.bind(raw)
            except ParameterError:
                continue  # a required parameter without default: nothing to guess
            yield Query(saved.bound_text(raw))  # the UI, /sparql
            yield from filter(None, saved.api_queries(bound, DEFAULT_LIMIT, 0))

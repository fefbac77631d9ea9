"""The layout of every kdgraph store (on disk for the server, in memory for the CLI and tests).

Each quad sits in its named graph (where the statement comes from), and the deduplicated merge
of all of them in the default graph, so that queries see the merged graph by default and the
provenance through ``GRAPH ?g``. Queries go through ``kdgraph.query.engine``, never through here.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox


def fill_store(store: ox.Store, quads: Iterable[ox.Quad]) -> None:
    """The layout of every kdgraph store: each quad in its named graph, the merge in the default graph.

    The default graph holds each triple of any graph once, so a query sees the merged graph and
    asks for provenance with ``GRAPH ?g``. (Oxigraph's ``use_default_graph_as_union`` would
    return a triple once per graph it is in.) Loaded as N-Quads and N-Triples, parsed in Rust;
    the store drops duplicates itself.
    """
    quads = list(quads)
    store.bulk_load(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"", format=ox.RdfFormat.N_QUADS)
    merged = ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES) or b""
    store.bulk_load(merged, format=ox.RdfFormat.N_TRIPLES)

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
    return a triple once per graph it is in.) ``bulk_extend`` is the fastest way in (faster than
    serialising and bulk-loading the text: 8 s instead of 11 s for 900,000 quads); the store
    drops duplicates itself.
    """
    quads = list(quads)
    store.bulk_extend(quads)
    store.bulk_extend(
        ox.Quad(q.subject, q.predicate, q.object) for q in quads if isinstance(q.graph_name, ox.NamedNode)
    )

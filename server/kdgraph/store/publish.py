"""Publishing the graph into an external SPARQL 1.1 store, one set of named graphs per version.

Each version goes in aside first (SPARQL 1.1 Graph Store Protocol PUTs): its merged graph as
``{base}graph/{version}`` (the default graph of queries on it) and a copy of each of its
provenance graphs (one per source location, outside source, interpretation, and the ontology)
under a version-scoped name, ``{base}graph/{version}/`` + the graph IRI's path below ``base``.
Then the store is checked to hold exactly the triples sent, and only then one SPARQL Update
(applied as a whole or not at all) empties the provenance graphs of the version that was current,
copies the new version's into the graphs' own IRIs (``GRAPH ?g`` binds the location IRIs that
the data describes, as on the embedded engine), and switches the pointer graph
``{base}graph/current``, which names the version graph and its provenance graphs. So readers see
the old version or the new one, never a mix.

An older version keeps its merged graph (every query without ``GRAPH`` answers as it did) and its
version-scoped copies, but not the provenance under the graphs' own IRIs, which is the current
version's: queries on an older version get no named graphs (``GRAPH ?g`` finds nothing rather
than the wrong sources). Publishing it again makes it current, whole.

``kdgraph serve --sparql-backend`` reads the pointer graph to know what to serve
(``store.served_data.served_from_backend``, through :func:`published_dataset`). All of it goes
through the one SPARQL client (``query.sparql_client``).
"""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox

from kdgraph.pipeline.loading import KnowledgeGraph
from kdgraph.query.errors import QueryPathError
from kdgraph.query.sparql_client import Endpoints, SparqlClient

__all__ = ["Endpoints", "PublishError", "publish", "published_dataset"]

HAS_VERSION = "http://purl.org/dc/terms/hasVersion"
HAS_PART = "http://purl.org/dc/terms/hasPart"


class PublishError(Exception):
    """The store refused or lost data; what was served before is still current."""


def version_graph(base: str, version: str) -> str:
    return f"{base}graph/{version}"


def pointer_graph(base: str) -> str:
    return f"{base}graph/current"


def version_copy(base: str, version: str, graph: str) -> str:
    """Where ``version`` keeps its copy of the provenance graph ``graph`` (a stable name per version)."""
    tail = graph[len(base) :] if graph.startswith(base) else "iri/" + quote(graph, safe="")
    return f"{version_graph(base, version)}/{tail}"


def count_triples(client: SparqlClient, graphs: list[str]) -> dict[str, int]:
    """The number of triples in each of ``graphs`` (absent or empty graphs: 0), in one query."""
    values = " ".join(f"<{g}>" for g in graphs)
    rows = client.select(
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} "
        "GROUP BY ?g",
        timeout=3600,
    )
    counted = {row["g"].value: int(row["n"].value) for row in rows}
    return {g: counted.get(g, 0) for g in graphs}


def published_dataset(client: SparqlClient, base: str) -> tuple[str, list[str]] | None:
    """(the current version graph, its provenance graphs), from the pointer graph; None: none yet."""
    rows = client.select(
        f"SELECT ?v ?g WHERE {{ GRAPH <{pointer_graph(base)}> {{ <{base}dataset> <{HAS_VERSION}> ?v "
        f"OPTIONAL {{ <{base}dataset> <{HAS_PART}> ?g }} }} }}",
        timeout=120,
    )
    if not rows:
        return None
    return rows[0]["v"].value, sorted({row["g"].value for row in rows if "g" in row})


def named_graphs_of(client: SparqlClient, base: str, graph: str) -> list[str]:
    """The named graphs a query on the version graph ``graph`` sees: its provenance graphs if it
    is current, none if it is an older version (their own IRIs hold the current version's)."""
    dataset = published_dataset(client, base)
    return dataset[1] if dataset is not None and dataset[0] == graph else []


def _ntriples(triples: list[ox.Triple]) -> bytes:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def publish(graph: KnowledgeGraph, endpoints: Endpoints, base: str) -> str:
    """Publish ``graph`` (already validated) and make it current; returns its graph IRI."""
    client = SparqlClient(endpoints)
    target = version_graph(base, graph.version)
    by_graph: dict[str, list[ox.Triple]] = {g: [] for g in graph.graphs}
    for quad in graph.quads:
        if isinstance(quad.graph_name, ox.NamedNode):
            by_graph[quad.graph_name.value].append(quad.triple)
    copies = {g: version_copy(base, graph.version, g) for g in graph.graphs}
    sent = {target: len(graph), **{copies[g]: len(triples) for g, triples in by_graph.items()}}
    try:
        client.put_graph(target, _ntriples(graph.triples), timeout=3600)
        for name, triples in by_graph.items():
            client.put_graph(copies[name], _ntriples(triples), timeout=3600)
        _verify(client, sent, "the current version was not switched")
        pointer = pointer_graph(base)
        parts = "".join(f" ; <{HAS_PART}> <{g}>" for g in graph.graphs)
        client.update(
            # the provenance graphs of the version that was current, whichever they were
            f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{pointer}> {{ <{base}dataset> "
            f"<{HAS_PART}> ?g }} GRAPH ?g {{ ?s ?p ?o }} }} ;\n"
            f"DROP SILENT GRAPH <{pointer}> ;\n"
            + "".join(f"COPY <{copies[g]}> TO <{g}> ;\n" for g in graph.graphs)
            + f"INSERT DATA {{ GRAPH <{pointer}> {{ <{base}dataset> <{HAS_VERSION}> <{target}> ; "
            f'<http://www.w3.org/2002/07/owl#versionInfo> "{graph.version}" ; '
            f"<http://rdfs.org/ns/void#triples> {len(graph)}{parts} }} }}",
            timeout=600,
        )
        if published_dataset(client, base) != (target, graph.graphs):
            raise PublishError("the pointer graph does not name the new version after the switch")
        _verify(client, {g: len(t) for g, t in by_graph.items()}, "the switch did not copy them whole")
    except QueryPathError as error:
        raise PublishError(error.message) from None
    finally:
        client.close()
    return target


def _verify(client: SparqlClient, sent: dict[str, int], consequence: str) -> None:
    stored = count_triples(client, list(sent))
    wrong = [f"{stored[g]} triples in <{g}>, {n} were sent" for g, n in sent.items() if stored[g] != n]
    if wrong:
        more = f" (and {len(wrong) - 3} more graphs)" if len(wrong) > 3 else ""
        raise PublishError(f"the store holds {'; '.join(wrong[:3])}{more}; {consequence}")

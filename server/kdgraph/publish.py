"""Publishing the graph into an external SPARQL 1.1 store, one named graph per version.

Load the new version into its own named graph (SPARQL 1.1 Graph Store Protocol, PUT), check
the store holds exactly the triples sent, then switch the pointer graph to it with one SPARQL
Update request, so readers see either the old version or the new one, never a half-loaded one.
Older versions stay in the store under their own graph names. ``kdgraph serve --sparql-backend``
reads the pointer graph to know what to serve (:func:`served_from_backend`). All of it goes
through the one SPARQL client (``query.sparql_client``).
"""

from __future__ import annotations

import time

import pyoxigraph as ox

from .data_state import REMOTE, ServedData
from .loading import KnowledgeGraph
from .query.errors import QueryPathError
from .query.sparql_client import Endpoints, SparqlClient

__all__ = ["Endpoints", "PublishError", "publish", "served_from_backend"]


class PublishError(Exception):
    """The store refused or lost data; what was served before is still current."""


def version_graph(base: str, version: str) -> str:
    return f"{base}graph/{version}"


def pointer_graph(base: str) -> str:
    return f"{base}graph/current"


def count_triples(client: SparqlClient, graph: str) -> int:
    rows = client.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", timeout=3600)
    return int(rows[0]["n"].value)


def current_version_graph(client: SparqlClient, base: str) -> str | None:
    query = (
        f"SELECT ?g WHERE {{ GRAPH <{pointer_graph(base)}> {{ <{base}dataset> "
        f"<http://purl.org/dc/terms/hasVersion> ?g }} }}"
    )
    rows = client.select(query, timeout=120)
    return rows[0]["g"].value if rows else None


def publish(graph: KnowledgeGraph, endpoints: Endpoints, base: str) -> str:
    """Publish ``graph`` (already validated) and make it current; returns its graph IRI."""
    client = SparqlClient(endpoints)
    target = version_graph(base, graph.version)
    try:
        client.put_graph(
            target, ox.serialize(graph.triples, format=ox.RdfFormat.N_TRIPLES) or b"", timeout=3600
        )
        stored = count_triples(client, target)
        if stored != len(graph):
            raise PublishError(
                f"the store holds {stored} triples in <{target}>, {len(graph)} were sent; "
                "the current version was not switched"
            )
        pointer = pointer_graph(base)
        client.update(
            f"DROP SILENT GRAPH <{pointer}> ;\n"
            f"INSERT DATA {{ GRAPH <{pointer}> {{ <{base}dataset> "
            f"<http://purl.org/dc/terms/hasVersion> <{target}> ; "
            f'<http://www.w3.org/2002/07/owl#versionInfo> "{graph.version}" ; '
            f"<http://rdfs.org/ns/void#triples> {len(graph)} }} }}",
            timeout=60,
        )
        if current_version_graph(client, base) != target:
            raise PublishError("the pointer graph does not name the new version after the switch")
    except QueryPathError as error:
        raise PublishError(error.message) from None
    finally:
        client.close()
    return target


def served_from_backend(root: str, base: str) -> ServedData:
    """What ``kdgraph publish`` made current in the store at ``root``, as served data."""
    client = SparqlClient(Endpoints.oxigraph(root))
    try:
        graph = current_version_graph(client, base)
        if graph is None:
            raise ValueError(f"{root} holds no published version (run kdgraph publish --to {root})")
        triples = count_triples(client, graph)
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
        graphs=[graph],
    )

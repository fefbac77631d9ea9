"""Publishing the graph into an external SPARQL 1.1 store, one named graph per version.

Load the new version into its own named graph (SPARQL 1.1 Graph Store Protocol, PUT), check
the store holds exactly the triples sent, then switch the pointer graph to it with one SPARQL
Update request, so readers see either the old version or the new one, never a half-loaded one.
Older versions stay in the store under their own graph names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyoxigraph as ox
import requests

from .loading import KnowledgeGraph


class PublishError(Exception):
    """The store refused or lost data; what was served before is still current."""


@dataclass(frozen=True)
class Endpoints:
    query: str
    update: str
    store: str

    @classmethod
    def oxigraph(cls, root: str) -> Endpoints:
        """The layout of Oxigraph's server (/query, /update, /store); other stores name theirs."""
        root = root.rstrip("/")
        return cls(f"{root}/query", f"{root}/update", f"{root}/store")


def version_graph(base: str, version: str) -> str:
    return f"{base}graph/{version}"


def pointer_graph(base: str) -> str:
    return f"{base}graph/current"


def select(endpoint: str, query: str, timeout: float = 120) -> list[dict]:
    """Run a SELECT over the SPARQL protocol; the JSON bindings, or a PublishError saying why not."""
    try:
        response = requests.post(
            endpoint,
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=timeout,
        )
    except requests.RequestException as error:
        raise PublishError(f"cannot reach {endpoint}: {error}") from None
    if response.status_code != 200:
        raise PublishError(f"{endpoint} answered {response.status_code}: {response.text[:300]}")
    return json.loads(response.text)["results"]["bindings"]


def count_triples(endpoints: Endpoints, graph: str) -> int:
    rows = select(
        endpoints.query, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", 3600
    )
    return int(rows[0]["n"]["value"])


def current_version_graph(endpoints: Endpoints, base: str) -> str | None:
    query = (
        f"SELECT ?g WHERE {{ GRAPH <{pointer_graph(base)}> {{ <{base}dataset> "
        f"<http://purl.org/dc/terms/hasVersion> ?g }} }}"
    )
    rows = select(endpoints.query, query)
    return rows[0]["g"]["value"] if rows else None


def publish(graph: KnowledgeGraph, endpoints: Endpoints, base: str) -> str:
    """Publish ``graph`` (already validated) and make it current; returns its graph IRI."""
    target = version_graph(base, graph.version)
    body = ox.serialize(graph.triples, format=ox.RdfFormat.N_TRIPLES) or b""
    try:
        response = requests.put(
            endpoints.store,
            params={"graph": target},
            data=body,
            headers={"Content-Type": "application/n-triples"},
            timeout=3600,
        )
    except requests.RequestException as error:
        raise PublishError(f"cannot reach {endpoints.store}: {error}") from None
    if response.status_code not in (200, 201, 204):
        raise PublishError(
            f"{endpoints.store} refused the graph ({response.status_code}): {response.text[:300]}"
        )
    stored = count_triples(endpoints, target)
    if stored != len(graph):
        raise PublishError(
            f"the store holds {stored} triples in <{target}>, {len(graph)} were sent; "
            "the current version was not switched"
        )
    pointer = pointer_graph(base)
    switch = (
        f"DROP SILENT GRAPH <{pointer}> ;\n"
        f"INSERT DATA {{ GRAPH <{pointer}> {{ <{base}dataset> "
        f"<http://purl.org/dc/terms/hasVersion> <{target}> ; "
        f'<http://www.w3.org/2002/07/owl#versionInfo> "{graph.version}" ; '
        f"<http://rdfs.org/ns/void#triples> {len(graph)} }} }}"
    )
    response = requests.post(endpoints.update, data={"update": switch}, timeout=60)
    if response.status_code not in (200, 204):
        raise PublishError(
            f"{endpoints.update} refused the switch ({response.status_code}): {response.text[:300]}"
        )
    if current_version_graph(endpoints, base) != target:
        raise PublishError("the pointer graph does not name the new version after the switch")
    return target

"""Evaluating the server's queries on an external SPARQL store (``kdgraph serve --sparql-backend``).

The same interface as the embedded engine (``run(request, timeout) -> (kind, body)``), so the
API, saved queries, UI and Linked Data pages work unchanged; many stateless replicas can run
behind a load balancer. Parameters are bound with a VALUES block (the remote store has no
substitution); the deadline is the HTTP timeout (the store should have its own as well).
"""

from __future__ import annotations

import requests

from .data_state import REMOTE, ServedData
from .engine import EngineFailure, QueryFailed, QueryRequest, QueryTimeout, ResultTooLarge, parse_term
from .protocol import GRAPH_MEDIA_TYPES, MEDIA_TYPE_OF
from .publish import Endpoints, PublishError, count_triples, current_version_graph
from .saved_queries import with_values


class RemoteEngine:
    def __init__(self, query_endpoint: str, default_graph: str):
        self.query_endpoint, self.default_graph = query_endpoint, default_graph
        self._session = requests.Session()

    def run(self, request: QueryRequest, timeout: float) -> tuple[str, bytes]:
        sparql = with_values(request.sparql, {k: parse_term(v) for k, v in request.bindings.items()})
        # The served version graph is the default graph, and also a named graph, as in the local
        # store (where the default graph is the union): GRAPH <graph> works the same on both.
        params = {
            "default-graph-uri": list(request.default_graphs) or [self.default_graph],
            "named-graph-uri": list(request.named_graphs) or [self.default_graph],
        }
        try:
            response = self._session.post(
                self.query_endpoint,
                params=params,
                data={"query": sparql},
                headers={"Accept": MEDIA_TYPE_OF[request.fmt]},
                timeout=timeout,
            )
        except requests.Timeout:
            raise QueryTimeout(f"the query did not finish within {timeout:g} s at the backend") from None
        except requests.RequestException as error:
            raise EngineFailure(f"the SPARQL backend cannot be reached: {error}") from None
        if response.status_code >= 500:
            raise EngineFailure(f"the SPARQL backend failed ({response.status_code}): {response.text[:300]}")
        if response.status_code >= 400:
            raise QueryFailed(response.text[:500])
        if len(response.content) > request.max_bytes:
            raise ResultTooLarge(f"the result is {len(response.content)} bytes, above {request.max_bytes}")
        kind = "graph" if MEDIA_TYPE_OF[request.fmt] in GRAPH_MEDIA_TYPES else "table"
        return kind, response.content

    def close(self) -> None:
        self._session.close()


def describe_backend(root: str, base: str) -> tuple[str, int]:
    """(current version graph, its triple count) as published by ``kdgraph publish``."""
    endpoints = Endpoints.oxigraph(root)
    graph = current_version_graph(endpoints, base)
    if graph is None:
        raise ValueError(f"{root} holds no published version (run kdgraph publish --to {root})")
    return graph, count_triples(endpoints, graph)


def engine_for(served: ServedData) -> RemoteEngine:
    """The engine on the external store that ``served`` lives in (its version graph as default)."""
    assert served.backend is not None
    return RemoteEngine(Endpoints.oxigraph(served.backend).query, served.graph)


def served_from_backend(root: str, base: str) -> ServedData:
    import time

    try:
        graph, triples = describe_backend(root, base)
    except PublishError as error:
        raise ValueError(str(error)) from None
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

"""The one SPARQL 1.1 client of kdgraph: queries, updates and Graph Store PUTs to an external store.

Used by the remote engine (``kdgraph serve --sparql-backend``, ``kdgraph query --endpoint``)
and by ``kdgraph publish``; plain ``requests`` with one session, so connections are reused.
Failures become errors of the query path's family: an unreachable or failing store is an
``EngineFailure`` (503 when serving), a store that refuses the query a ``QueryFailed`` (400),
a store that does not answer in time a ``QueryTimeout``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox
import requests

from kdgraph.query.errors import EngineFailure, NotAcceptable, QueryFailed, QueryTimeout


@dataclass(frozen=True)
class Endpoints:
    query: str
    update: str | None = None
    store: str | None = None

    @classmethod
    def oxigraph(cls, root: str) -> Endpoints:
        """The layout of Oxigraph's server (/query, /update, /store); other stores name theirs."""
        root = root.rstrip("/")
        return cls(f"{root}/query", f"{root}/update", f"{root}/store")


class SparqlClient:
    def __init__(self, endpoints: Endpoints, timeout: float = 30):
        self.endpoints, self.timeout = endpoints, timeout
        self._session = requests.Session()

    def _send(
        self, method: str, url: str | None, timeout: float | None, **kwargs: object
    ) -> requests.Response:
        if url is None:
            raise EngineFailure("no endpoint for this operation is configured")
        limit = self.timeout if timeout is None else timeout
        try:
            response = self._session.request(method, url, timeout=limit, **kwargs)  # type: ignore[arg-type]
        except requests.Timeout:
            raise QueryTimeout(f"{url} did not answer within {limit:g} s") from None
        except requests.RequestException as error:
            raise EngineFailure(f"cannot reach {url}: {error}") from None
        if response.status_code >= 500:
            raise EngineFailure(f"{url} failed ({response.status_code}): {response.text[:300]}")
        if response.status_code == 406:
            raise NotAcceptable(f"{url} cannot give the result as asked: {response.text[:300]}")
        if response.status_code >= 400:
            raise QueryFailed(f"{url} refused ({response.status_code}): {response.text[:500]}")
        return response

    def query(
        self,
        text: str,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout: float | None = None,
    ) -> tuple[str, bytes]:
        """(media type, body) of a query's answer, POSTed as a form (no length limit of a URL),
        the dataset too: a published version names dozens of provenance graphs."""
        form = {
            "query": text,
            "default-graph-uri": list(default_graphs),
            "named-graph-uri": list(named_graphs),
        }
        response = self._send("POST", self.endpoints.query, timeout, data=form, headers={"Accept": accept})
        return response.headers.get("Content-Type", "").split(";")[0].strip().lower(), response.content

    def select(
        self, text: str, timeout: float | None = None
    ) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        """The rows of a SELECT, as terms."""
        _, body = self.query(text, "application/sparql-results+json", timeout=timeout)
        try:
            solutions = ox.parse_query_results(io.BytesIO(body), format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as error:
            raise EngineFailure(f"{self.endpoints.query} sent results that cannot be read: {error}") from None
        if not isinstance(solutions, ox.QuerySolutions):  # an ASK's boolean, not rows
            raise EngineFailure(f"{self.endpoints.query} answered a SELECT with a boolean")
        names = [v.value for v in solutions.variables]
        return [
            {n: term for n in names if isinstance(term := s[n], ox.NamedNode | ox.BlankNode | ox.Literal)}
            for s in solutions
        ]

    def update(self, text: str, timeout: float | None = None) -> None:
        self._send("POST", self.endpoints.update, timeout, data={"update": text})

    def put_graph(self, graph: str, ntriples: bytes, timeout: float | None = None) -> None:
        """Replace ``graph`` with these N-Triples (SPARQL 1.1 Graph Store Protocol)."""
        self._send(
            "PUT",
            self.endpoints.store,
            timeout,
            params={"graph": graph},
            data=ntriples,
            headers={"Content-Type": "application/n-triples"},
        )

    def close(self) -> None:
        self._session.close()

"""The engine on an external SPARQL store (``serve --sparql-backend``, ``query --endpoint``).

The same interface as the embedded and supervised engines, so the API, saved queries, UI and
Linked Data pages work unchanged, with many stateless replicas behind a load balancer. The
store parses and evaluates; bound variables travel as a VALUES block (a remote store has no
substitution), the deadline is the HTTP timeout (the store should have its own as well). Both
negotiated formats go in the Accept header, so the store answers in the one that fits the
query's form, and the Content-Type says which it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from kdgraph.query import media
from kdgraph.query.engine import TRANSPORT, Answer, Budget, Query, Result, decode
from kdgraph.query.errors import EngineFailure, TooLarge
from kdgraph.query.lexer import with_values
from kdgraph.query.media import Format, Wanted
from kdgraph.query.sparql_client import SparqlClient

_BY_MEDIA_TYPE = {f.media_type: f for f in (*media.RESULT_FORMATS, *media.RDF_FORMATS)}


class RemoteEngine:
    def __init__(
        self,
        client: SparqlClient,
        graph: str | None,
        max_bytes: int = 2**62,
        named_graphs: Sequence[str] = (),
    ):
        """``graph``: the store's graph to serve as default graph, with ``named_graphs`` as the named
        graphs (a published version's provenance graphs: ``publish``); None: the store's own dataset."""
        self.client, self.graph, self.max_bytes = client, graph, max_bytes
        self.named_graphs = tuple(named_graphs)

    def answer(self, query: Query, wanted: Wanted, budget: Budget | None = None) -> Answer:
        # the external store keeps its own deadline (the client's timeout); budget is not sent
        text = with_values(query.text, dict(query.substitutions))
        if query.default_graphs is not None or query.named_graphs is not None:
            defaults, named = query.default_graphs or (), query.named_graphs or ()
        else:
            # as locally: the merged graph by default, the provenance graphs through GRAPH
            defaults, named = ((self.graph,), self.named_graphs) if self.graph else ((), ())
        offered = [f for f in (wanted.results, wanted.rdf) if isinstance(f, Format)]
        # a kind the client refused is still asked for, last, so that the refusal is ours (406)
        fallbacks = [
            default
            for default, f in ((media.RESULT_FORMATS[0], wanted.results), (media.RDF_FORMATS[0], wanted.rdf))
            if not isinstance(f, Format)
        ]
        accept = ", ".join([f.media_type for f in offered] + [f"{f.media_type};q=0.1" for f in fallbacks])
        content_type, body = self.client.query(text, accept, defaults, named)
        answered = _BY_MEDIA_TYPE.get(content_type)
        if answered is None:
            raise EngineFailure(
                f"the SPARQL store answered in {content_type or 'no media type'}, which was not asked for"
            )
        fmt = wanted.for_kind(answered.kind)
        if fmt != answered:
            raise EngineFailure(f"the SPARQL store answered in {content_type}, not in {fmt.media_type}")
        if len(body) > self.max_bytes:
            raise TooLarge(f"the result is {len(body)} bytes, above the limit of {self.max_bytes}")
        return Answer(media.escape_cr(fmt, body), fmt)

    def run(self, query: Query, budget: Budget | None = None) -> Result:
        return decode(self.answer(query, TRANSPORT, budget))

    def close(self) -> None:
        self.client.close()

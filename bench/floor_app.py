"""The floors: what a request costs with the fixed choices (Flask, granian), before our own work.

Three Flask apps, each with one route that reads the form-encoded query as ours does, served by
granian's WSGI server with the settings ``kdgraph serve`` uses (worker count, threads):

  * ``app``: answers a constant. Nothing is parsed or evaluated: every endpoint built on Flask
    does at least this much per request.
  * ``engine_app``: hands the query to kdgraph's engine pool (``EnginePool`` of
    ``SupervisedEngine`` processes on the store named by ``$KDGRAPH_FLOOR_STORE``, as the server
    sizes it) and returns its bytes, with nothing else of ours around it: no pre-check, no
    cache, no logging. The difference to ``app`` is the price of evaluating in a process that
    can be killed at the deadline; the difference to our server is our own work per request.
  * ``inprocess_app``: evaluates the query with pyoxigraph **in the request thread** on the
    store named by ``$KDGRAPH_FLOOR_STORE`` (opened read-only once per worker) and serialises
    the answer there, JSON results or N-Triples: no deadline, no pre-check, no limit, no
    process boundary. This is the floor issue 21 sets its targets against: the difference to
    our server is everything our safety (engine processes, pre-check, limits) costs.

bench/adhoc.py sends both the same new texts it sends both SPARQL servers, interleaved.
"""

from __future__ import annotations

import os
import threading

from flask import Flask, Response, request

SELECT = b'{"head":{"vars":["p","o"]},"results":{"bindings":[]}}'
TRIPLES = b"<urn:floor:s> <urn:floor:p> <urn:floor:o> .\n"

app = Flask(__name__)
engine_app = Flask(__name__)


@app.route("/sparql", methods=["GET", "POST"])
def constant() -> Response:
    if request.values.get("query") is None:
        return Response(SELECT, content_type="application/sparql-results+json")  # the ready check
    if request.accept_mimetypes.best == "application/n-triples":
        return Response(TRIPLES, content_type="application/n-triples")
    return Response(SELECT, content_type="application/sparql-results+json")


_pool = None
_pool_lock = threading.Lock()


def _engines():  # type: ignore[no-untyped-def]
    """The worker's pool, made on its first request (after granian forked the worker)."""
    global _pool
    from kdgraph.config import ENGINE_WAIT, ServerConfig
    from kdgraph.query.supervised import EnginePool, SupervisedEngine

    with _pool_lock:
        if _pool is None:
            store, sizes = os.environ["KDGRAPH_FLOOR_STORE"], ServerConfig(state_dir=None)  # type: ignore[arg-type]
            _pool = EnginePool(
                lambda: SupervisedEngine(store, sizes.query_timeout, sizes.max_result_bytes),
                sizes.engines_per_worker,
                wait=ENGINE_WAIT,
                most=sizes.engines_most,
                per_client=sizes.evaluations_per_client,
            )
        return _pool


@engine_app.route("/sparql", methods=["GET", "POST"])
def evaluated() -> Response:
    from kdgraph.query import media
    from kdgraph.query.engine import Budget, Query

    text = request.values.get("query")
    if text is None:
        return Response(SELECT, content_type="application/sparql-results+json")  # the ready check
    wanted = media.wanted_for_query(request.headers.get("Accept", ""), {})
    answer = _engines().answer(Query(text), wanted, Budget.within(30, request.remote_addr or ""))
    return Response(answer.body, content_type=answer.fmt.content_type)


_store = None


def _read_only_store():  # type: ignore[no-untyped-def]
    """The worker's store, opened on its first request (after granian forked the worker)."""
    global _store
    import pyoxigraph as ox

    with _pool_lock:
        if _store is None:
            _store = ox.Store.read_only(os.environ["KDGRAPH_FLOOR_STORE"])
        return _store


inprocess_app = Flask(__name__)


@inprocess_app.route("/sparql", methods=["GET", "POST"])
def evaluated_here() -> Response:
    """pyoxigraph's query and serialiser, nothing else (the default graph as our engines form
    it: ``UNION_DEFAULT_GRAPH``)."""
    import pyoxigraph as ox

    from kdgraph.query.engine import UNION_DEFAULT_GRAPH

    text = request.values.get("query")
    if text is None:
        return Response(SELECT, content_type="application/sparql-results+json")  # the ready check
    result = _read_only_store().query(text, use_default_graph_as_union=UNION_DEFAULT_GRAPH)
    if isinstance(result, ox.QueryTriples):
        body = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES)
        return Response(body, content_type="application/n-triples")
    body = result.serialize(format=ox.QueryResultsFormat.JSON)
    return Response(body, content_type="application/sparql-results+json")

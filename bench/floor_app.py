"""The floor: what a request costs before any query work, with the fixed choices (Flask, granian).

A Flask app with one route that reads the form-encoded query, as ours does, and answers a
constant, served by granian's WSGI server with the settings ``kdgraph serve`` uses (worker
count, threads, keep-alive). Nothing is parsed or evaluated: every real endpoint built on Flask
does at least this much per request. bench/adhoc.py sends it the same new texts it sends both
SPARQL servers, interleaved, so that the cache-free figures can be read against the smallest
cost any Flask endpoint could have on this machine.
"""

from __future__ import annotations

from flask import Flask, Response, request

SELECT = b'{"head":{"vars":["p","o"]},"results":{"bindings":[]}}'
TRIPLES = b"<urn:floor:s> <urn:floor:p> <urn:floor:o> .\n"

app = Flask(__name__)


@app.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    if request.values.get("query") is None:
        return Response(SELECT, content_type="application/sparql-results+json")  # the ready check
    if request.accept_mimetypes.best == "application/n-triples":
        return Response(TRIPLES, content_type="application/n-triples")
    return Response(SELECT, content_type="application/sparql-results+json")

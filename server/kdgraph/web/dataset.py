"""The dataset: VoID/DCAT description (/dataset, /.well-known/void), dumps and the JSON-LD context."""

from __future__ import annotations

import gzip
import io
import json

import pyoxigraph as ox
import rdflib
from flask import Blueprint, Response, current_app, jsonify, request

from ..dataset_description import CLASSES, COUNTS, DUMPS, ENTITIES, void_triples
from ..engine import QueryRequest
from ..namespaces import prefixes
from ..protocol import RDF_SERIALISATIONS
from .sparql import public_root, runtime

blueprint = Blueprint("dataset", __name__)


def _select(text: str) -> list[dict]:
    rt = runtime()
    answer = rt.answer(QueryRequest(text, "json", max_bytes=rt.config.max_result_bytes))
    return json.loads(answer.body)["results"]["bindings"]


def description_triples() -> list[ox.Triple]:
    rt = runtime()
    served = rt.served()
    base = rt.config.base
    counts = {k: int(v["value"]) for k, v in _select(COUNTS.format(graph=served.graph))[0].items()}
    counts["entities"] = int(
        _select(ENTITIES.format(graph=served.graph, space=f"{base}id/"))[0]["entities"]["value"]
    )
    classes = [
        (r["class"]["value"], int(r["entities"]["value"]))
        for r in _select(CLASSES.format(graph=served.graph, space=f"{base}id/"))
    ]
    return void_triples(base, public_root(), served.version, counts, classes)


@blueprint.route("/dataset")
@blueprint.route("/.well-known/void")
def dataset() -> Response:
    media = request.accept_mimetypes.best_match(list(RDF_SERIALISATIONS)) or "text/turtle"
    body = ox.serialize(
        description_triples(),
        format=RDF_SERIALISATIONS[media],
        **(
            {
                "prefixes": {
                    "void": "http://rdfs.org/ns/void#",
                    "dcat": "http://www.w3.org/ns/dcat#",
                    "dcterms": "http://purl.org/dc/terms/",
                }
            }
            if media == "text/turtle"
            else {}
        ),
    )
    return Response(body, content_type=f"{media}; charset=utf-8", headers={"Vary": "Accept"})


def _data_ntriples() -> bytes:
    rt = runtime()
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{rt.served().graph}> {{ ?s ?p ?o }} }}"
    return rt.answer(QueryRequest(query, "nt", max_bytes=2**62)).body


@blueprint.route("/dumps/<name>")
def dump(name: str) -> Response:
    rt = runtime()
    if name not in DUMPS:
        return Response(
            f"no dump {name!r}; available: {', '.join(DUMPS)}\n", status=404, mimetype="text/plain"
        )
    cache = current_app.extensions.setdefault("kdgraph.dumps", {})
    key = (rt.served().version, name)
    if key not in cache:
        ntriples = _data_ntriples()
        if name == "kdgraph.nt.gz":
            cache[key] = gzip.compress(ntriples, mtime=0)
        elif name == "kdgraph.ttl":
            triples = sorted(
                (q.triple for q in ox.parse(io.BytesIO(ntriples), format=ox.RdfFormat.N_TRIPLES)), key=str
            )
            cache[key] = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes(rt.config.base))
        else:
            graph = rdflib.Graph().parse(data=ntriples.decode("utf-8"), format="nt")
            context = {k: v for k, v in prefixes(rt.config.base).items()}
            cache[key] = graph.serialize(format="json-ld", context=context, auto_compact=True).encode("utf-8")
    media = DUMPS[name]
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "ETag": f'"{key[0]}-{name}"',
        "Cache-Control": "public, max-age=300",
    }
    if name.endswith(".gz"):
        return Response(cache[key], content_type="application/gzip", headers=headers)
    return Response(cache[key], content_type=f"{media}; charset=utf-8", headers=headers)


@blueprint.route("/context.jsonld")
def context() -> Response:
    return jsonify({"@context": prefixes(runtime().config.base)})

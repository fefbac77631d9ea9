"""The dataset: VoID/DCAT description (/dataset, /.well-known/void), dumps and the JSON-LD context."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, request, send_file

from ..data_state import dumps_dir
from ..dataset_description import CLASSES, COUNTS, DUMPS, ENTITIES, void_triples
from ..namespaces import prefixes
from ..query import media
from ..query.engine import Query, SelectResult
from .sparql import public_root, runtime

blueprint = Blueprint("dataset", __name__)


def _select(text: str) -> list[dict]:
    result = runtime().engine.run(Query(text))
    assert isinstance(result, SelectResult)
    return [{name: {"value": term.value} for name, term in row.items()} for row in result.rows]


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
    fmt = media.negotiate(request, media.RDF_FORMATS, "the dataset description", lenient=True)
    names = {
        "void": "http://rdfs.org/ns/void#",
        "dcat": "http://www.w3.org/ns/dcat#",
        "dcterms": "http://purl.org/dc/terms/",
    }
    body = media.serialize_triples(description_triples(), fmt, names)
    return Response(body, content_type=fmt.content_type, headers={"Vary": "Accept"})


@blueprint.route("/dumps/<name>")
def dump(name: str) -> Response:
    """A dump file of the served version, streamed from disk (warmup writes them after a load)."""
    rt = runtime()
    if name not in DUMPS:
        return Response(
            f"no dump {name!r}; available: {', '.join(DUMPS)}\n", status=404, mimetype="text/plain"
        )
    served = rt.served()
    path = dumps_dir(rt.config.state_dir, served.version) / name
    if not path.is_file():
        failure = rt.warmup_failure(served.version)
        if failure:  # a full disk: say so instead of asking to come back forever
            return Response(
                f"the dump {name} of version {served.version} could not be written ({failure}); "
                "the server's /health says so too\n",
                status=503,
                mimetype="text/plain",
            )
        return Response(
            f"the dump {name} of version {served.version} is being written; try again shortly\n",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "10"},
        )
    return send_file(
        path,
        mimetype="application/gzip" if name.endswith(".gz") else f"{DUMPS[name]}; charset=utf-8",
        as_attachment=True,
        download_name=name,
        etag=f"{served.version}-{name}",
        conditional=True,
        max_age=300,  # Cache-Control: public, max-age=300
    )


@blueprint.route("/context.jsonld")
def context() -> Response:
    return jsonify({"@context": prefixes(runtime().config.base)})

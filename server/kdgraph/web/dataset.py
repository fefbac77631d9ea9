"""The dataset: VoID/DCAT description (/dataset, /.well-known/void), dumps and the JSON-LD context."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, redirect, render_template, send_file
from werkzeug.wrappers import Response as BaseResponse

from kdgraph.pages import documents
from kdgraph.pages.void import CLASSES, COUNTS, DUMPS, ENTITIES, void_triples
from kdgraph.query import media
from kdgraph.store.state_dir import DUMPS_DIR, build_check
from kdgraph.web import negotiation
from kdgraph.web.ask import select
from kdgraph.web.linked_data import not_found
from kdgraph.web.page_language import page_language
from kdgraph.web.sparql import public_root, runtime

blueprint = Blueprint("dataset", __name__)


CLASS_LABELS = """
SELECT ?class ?label WHERE {{
  ?class a <http://www.w3.org/2002/07/owl#Class> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label .
  FILTER(LANG(?label) = "{lang}")
}}
"""


def description_triples() -> list[ox.Triple]:
    rt = runtime()
    served = rt.served()
    base = rt.config.base
    counts = {k: int(v.value) for k, v in select(COUNTS.format(graph=served.graph))[0].items()}
    counts["entities"] = int(
        select(ENTITIES.format(graph=served.graph, space=f"{base}id/"))[0]["entities"].value
    )
    classes = [
        (r["class"].value, int(r["entities"].value))
        for r in select(CLASSES.format(graph=served.graph, space=f"{base}id/"))
    ]
    return void_triples(base, public_root(), served.version, counts, classes, served.loaded_at)


@blueprint.route("/dataset")
@blueprint.route("/.well-known/void")
def dataset() -> Response:
    """RDF for machines (Turtle by default), a page for browsers (they prefer text/html)."""
    fmt = negotiation.negotiate((*media.RDF_FORMATS, media.HTML), "the dataset description", lenient=True)
    triples = description_triples()
    if fmt is media.HTML:
        return Response(dataset_page(triples), content_type=fmt.content_type)
    names = {
        "void": "http://rdfs.org/ns/void#",
        "dcat": "http://www.w3.org/ns/dcat#",
        "dcterms": "http://purl.org/dc/terms/",
    }
    body = media.serialize_triples(triples, fmt, names)
    return Response(body, content_type=fmt.content_type)


def dataset_page(triples: list[ox.Triple]) -> str:
    """The VoID/DCAT description as a page: the same triples as the RDF, read in the page's language."""
    lang = page_language()
    base = runtime().config.base
    index = documents.Index(triples)
    dataset_iri = f"{base}dataset"

    def text(key: str) -> str:
        return index.text(dataset_iri, key, lang, "")

    def iris(key: str) -> list[str]:
        return index.iris(dataset_iri, key)

    void, dct = "http://rdfs.org/ns/void#", "http://purl.org/dc/terms/"
    labels = {r["class"].value: r["label"].value for r in select(CLASS_LABELS.format(lang=lang))}
    partitions = []
    for partition in iris(void + "classPartition"):
        klass = index.iris(partition, void + "class")[0]
        count = int(index.text(partition, void + "entities"))
        partitions.append((klass, labels.get(klass, klass.rsplit("#", 1)[-1].rsplit("/", 1)[-1]), count))
    counts = [
        (key, int(text(void + key)))
        for key in ("triples", "entities", "distinctSubjects", "distinctObjects", "properties", "classes")
    ]
    return render_template(
        "dataset.html",
        title=text(dct + "title"),
        description=text(dct + "description"),
        licence=iris(dct + "license"),
        version=text("http://www.w3.org/2002/07/owl#versionInfo"),
        version_iri=iris(dct + "hasVersion"),
        publisher=index.text(f"{base}dataset#publisher", "http://xmlns.com/foaf/0.1/name"),
        modified=text(dct + "modified")[:10],
        endpoint=iris(void + "sparqlEndpoint"),
        examples=iris(void + "exampleResource"),
        dumps=iris(void + "dataDump"),
        counts=counts,
        partitions=sorted(partitions, key=lambda p: -p[2]),
        base=base,
        iri=f"{base}dataset",
    )


@blueprint.route("/dataset/<version>")
def dataset_version(version: str) -> BaseResponse:  # (a redirect is Werkzeug's Response)
    """A data version's IRI (dcterms:hasVersion): the served one is described at /dataset (303);
    another one is not served here, and the 404 says which one is."""
    served = runtime().served()
    if version == served.version:
        negotiation.vary_on("Accept")  # as every 303 from a thing to its description
        return redirect("/dataset", code=303)
    return not_found(f"/dataset/{version}")


@blueprint.route("/dumps/<name>")
def dump(name: str) -> Response:
    """A dump file of the served version, streamed from its build (written by its preparation,
    see store.dumps) once it is found as the manifest says: its size on every request, its
    SHA-256 once per file as it is on disk (issue 22: a truncated dump was served 200 with the
    version's ETag). A damaged one is never sent: 503, saying what is wrong; /health says so too."""
    rt = runtime()
    if name not in DUMPS:
        return Response(
            f"no dump {name!r}; available: {', '.join(DUMPS)}\n", status=404, mimetype="text/plain"
        )
    served = rt.served()
    relative = f"{DUMPS_DIR}/{name}"
    check = build_check(served.build)
    if not served.build or not check.lists(relative):
        return Response(
            f"version {served.version} has no dump {name} (its build has none: it was prepared by an "
            "older kdgraph or its manifest is damaged; see /health)\n",
            status=404,
            mimetype="text/plain",
        )
    damage = check.file(relative, hash_now=True)
    if damage is not None:
        return Response(
            f"the dump {name} of version {served.version} is damaged ({damage}); it is not sent. "
            "A reload (SIGHUP) or a restart of the server prepares the version anew\n",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "60"},
        )
    response = send_file(
        Path(served.build) / relative,
        mimetype="application/gzip" if name.endswith(".gz") else DUMPS[name],
        as_attachment=True,
        download_name=name,
        etag=f"{served.version}-{name}",
        conditional=True,
        max_age=300,  # Cache-Control: public, max-age=300
    )
    response.content_type = media.content_type(response.mimetype or "")  # (Werkzeug adds a charset to text/*)
    return response


@blueprint.route("/context.jsonld")
def context() -> Response:
    """The JSON-LD context of our documents: a term per property of the ontology, and the prefixes."""
    base = runtime().config.base
    rows = select(documents.context_query(base))
    response = jsonify({"@context": documents.context(base, rows)})
    response.content_type = "application/ld+json"
    return response

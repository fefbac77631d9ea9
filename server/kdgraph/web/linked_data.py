"""Dereferenceable URIs: /id/... and /def/... answer for people (HTML) and machines (RDF).

Pattern (documented in the README): a thing's URI ``{base}id/{type}/{slug}`` answers 303 See
Other to its document ``/doc/id/{type}/{slug}``, which serves HTML, Turtle, JSON-LD, N-Triples
or RDF/XML by content negotiation, by extension (``.html .ttl .jsonld .nt .rdf``) or by
``?format=``. Vocabulary concepts under ``{base}def/{scheme}/{notation}`` work the same way;
ontology terms are hash URIs (``{base}def/kd#Term``), so ``/def/kd`` is their document.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, render_template, request
from markupsafe import Markup, escape

from .. import diagram
from ..linked_data import Description, build, describe_query
from ..query import media
from ..query.engine import GraphResult, Query, SelectResult
from ..query.errors import QueryPathError
from ..query.media import Format, Wanted
from .sparql import runtime

blueprint = Blueprint("linked_data", __name__, template_folder="templates")

FORMAT_NAMES = {f.name: f.label for f in media.DOCUMENT_FORMATS if f is not media.HTML}
SAFE_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


def base() -> str:
    return runtime().config.base


def local_href(iri: str) -> str:
    return "/" + iri[len(base()) :] if iri.startswith(base()) else iri


def languages() -> list[str]:
    return [lang.split("-")[0] for lang in request.accept_languages.values()] or ["nl"]


def render_node(node: object, label: str | None = None) -> Markup:
    if isinstance(node, ox.NamedNode):
        text = label or node.value
        external = "" if node.value.startswith(base()) else ' class="external"'
        return Markup(f'<a href="{escape(local_href(node.value))}"{external}>{escape(text)}</a>')
    if isinstance(node, ox.Literal):
        suffix = f' <span class="lang">@{node.language}</span>' if node.language else ""
        if not node.language and not node.datatype.value.endswith("#string"):
            suffix = f' <span class="datatype">{escape(node.datatype.value.rsplit("#", 1)[-1])}</span>'
        return Markup(f'<span class="literal">{escape(node.value)}</span>{suffix}')
    return Markup(escape(str(node)))


@blueprint.app_template_filter("node")
def node_filter(link) -> Markup:  # type: ignore[no-untyped-def]
    return render_node(link.node, link.label)


@blueprint.route("/id/<path:rest>")
def thing(rest: str) -> Response:
    return redirect_to_document("id", rest)


@blueprint.route("/def/")
def ontology_documentation() -> Response:
    """The generated (pyLODE) documentation of the ontology, with links to each scheme's page."""
    return documentation_page("index.html")


def documentation_page(name: str) -> Response:
    docs = Path(runtime().served().docs_dir)
    page = docs / name
    if not re.fullmatch(r"[a-z0-9-]+\.html", name) or not page.is_file():
        return not_found(f"/def/{name}")
    html = page.read_text(encoding="utf-8")
    if name == "index.html":
        schemes = json.loads((docs / "schemes.json").read_text(encoding="utf-8"))
        links = "".join(f'<li><a href="/def/{slug}">{escape(label)}</a></li>' for slug, label in schemes)
        html = html.replace(
            "</body>",
            f'<section id="schemes"><h2>SKOS concept schemes</h2><ul>{links}</ul></section></body>',
            1,
        )
    return Response(html, content_type="text/html; charset=utf-8")


@blueprint.route("/def/<path:rest>")
def vocabulary_term(rest: str) -> Response:
    if rest.endswith(".html") and "/" not in rest:
        return documentation_page(rest)
    if rest == "kd":
        return document("def", "kd")
    return redirect_to_document("def", rest)


def redirect_to_document(kind: str, rest: str) -> Response:
    target = f"/doc/{kind}/{rest}"
    if request.query_string:
        target += "?" + request.query_string.decode()
    response = redirect(target, code=303)
    response.headers["Vary"] = "Accept"
    return response


def choose_format(rest: str) -> tuple[str, Format]:
    """(path without extension, format) from extension, ?format= or Accept."""
    stem, dot, extension = rest.rpartition(".")
    if dot and extension in media.EXTENSIONS and "/" in stem + "/":
        return stem, media.BY_NAME.get(media.EXTENSIONS[extension], media.HTML)
    return rest, media.negotiate(request, media.DOCUMENT_FORMATS, "this resource")


@blueprint.route("/doc/<kind>/<path:rest>")
def document(kind: str, rest: str) -> Response:
    if kind not in ("id", "def"):
        return not_found(f"/doc/{kind}/{rest}")
    path, fmt = choose_format(rest)
    if not SAFE_PATH.match(path):
        return not_found(f"/{kind}/{path}")
    iri = f"{base()}{kind}/{path}"
    engine = runtime().engine
    described = engine.run(describe_query(base(), iri))
    assert isinstance(described, GraphResult)
    description = build(iri, described.triples, languages())
    if description is None:
        return not_found(f"/{kind}/{path}")
    headers = {"Vary": "Accept, Accept-Language", "Link": f'<{iri}>; rel="describes"'}
    terms = ontology_terms() if (kind, path) == ("def", "kd") else []
    if fmt is not media.HTML:
        # hash URIs: the ontology document carries every kd# term
        query = Query(ONTOLOGY.format(kd=f"{base()}def/kd#")) if terms else describe_query(base(), iri)
        answer = engine.answer(query, Wanted(results="no results here", rdf=fmt))
        headers["ETag"] = f'"{answer.etag}"'
        return Response(answer.body, content_type=fmt.content_type, headers=headers)
    html = render_template(
        "resource.html",
        d=description,
        iri=iri,
        kind=kind,
        path=path,
        formats=FORMAT_NAMES,
        local=local_href,
        sparql_link=sparql_link(iri),
        breadcrumbs=breadcrumbs(description),
        diagram=route_diagram(description),
        terms=terms,
    )
    return Response(html, content_type="text/html; charset=utf-8", headers=headers)


ONTOLOGY = """
CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  ?s ?p ?o . FILTER(STRSTARTS(STR(?s), "{kd}") || STR(?s) = SUBSTR("{kd}", 1, STRLEN("{kd}") - 1))
}}
"""
TERMS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT ?term ?kind ?label ?definition WHERE {{
  ?term a ?kind ; rdfs:label ?label ; skos:definition ?definition .
  VALUES ?kind {{ owl:Class owl:ObjectProperty owl:DatatypeProperty }}
  FILTER(STRSTARTS(STR(?term), "{kd}") && LANG(?label) = "{lang}" && LANG(?definition) = "{lang}")
}} ORDER BY ?kind ?term
"""


def ontology_terms() -> list[dict[str, str]]:
    """Every class and property of the ontology with label and definition, for its page."""
    lang = "en" if languages()[0] == "en" else "nl"
    rows = select(Query(TERMS.format(kd=f"{base()}def/kd#", lang=lang)))
    return [
        {
            "iri": r["term"].value,
            "fragment": r["term"].value.rsplit("#", 1)[-1],
            "kind": r["kind"].value.rsplit("#", 1)[-1],
            "label": r["label"].value,
            "definition": r["definition"].value,
        }
        for r in rows
    ]


def select(query: Query) -> list[dict]:
    result = runtime().engine.run(query)
    assert isinstance(result, SelectResult)
    return result.rows


def sparql_link(iri: str) -> str:
    query = (
        f"CONSTRUCT {{ <{iri}> ?p ?o . ?s ?q <{iri}> }} "
        f"WHERE {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?q <{iri}> }} }}"
    )
    return "/sparql?format=ttl&query=" + quote(query)


def breadcrumbs(description: Description) -> list[tuple[str, str]]:
    """Home > dossier > this: the dossier found through the usual links."""
    trail = [("/", "kdgraph")]
    kd = f"{base()}def/kd#"
    dossier_links = {kd + "dossier", kd + "inDossier"}
    for link in description.outgoing:
        if link.predicate in dossier_links and isinstance(link.node, ox.NamedNode):
            trail.append((local_href(link.node.value), link.label or link.node.value))
            break
    return trail


ROUTES = """
PREFIX kd: <{kd}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?this ?from ?to ?fromLabel ?toLabel ?fromLevel ?toLevel ?toKind ?condition WHERE {{
  {{ ?route kd:dossier ?this }} UNION {{ ?route kd:routeFrom ?this }} UNION {{ ?route kd:routeTo ?this }}
  ?route kd:routeFrom ?from ; kd:routeTo ?to ; kd:targetKind ?toKind .
  ?from rdfs:label ?fromLabel . FILTER(LANG(?fromLabel) = "nl")
  ?to rdfs:label ?toLabel . FILTER(LANG(?toLabel) = "nl")
  OPTIONAL {{ ?from kd:mboLevel/kd:levelNumber ?fromLevel }}
  OPTIONAL {{ ?to kd:mboLevel/kd:levelNumber ?toLevel }}
  OPTIONAL {{ ?route kd:condition ?condition }}
}}
"""


def route_diagram(description: Description) -> Markup | None:
    kinds = {t.node.value.rsplit("#", 1)[-1] for t in description.types if isinstance(t.node, ox.NamedNode)}
    if not kinds & {"QualificationDossier", "Qualification"}:
        return None
    routes = Query.bound(ROUTES.format(kd=f"{base()}def/kd#"), {"this": ox.NamedNode(description.iri)})
    rows = [{name: {"value": term.value} for name, term in row.items()} for row in select(routes)]
    if not rows:
        return None
    nodes: dict[str, diagram.DiagramNode] = {}
    edges = []
    lane_of_kind = {"beroep": "beroep of functie", "hbo-opleiding": "hbo-opleiding"}
    for row in rows:
        source, target = row["from"]["value"], row["to"]["value"]
        nodes[source] = diagram.DiagramNode(
            source, row["fromLabel"]["value"], f"mbo {row['fromLevel']['value']}", local_href(source)
        )
        kind = row["toKind"]["value"].rsplit("/", 1)[-1]
        lane = f"mbo {row['toLevel']['value']}" if "toLevel" in row else lane_of_kind.get(kind, kind)
        nodes[target] = diagram.DiagramNode(target, row["toLabel"]["value"], lane, local_href(target))
        edges.append(diagram.RouteEdge(source, target, row.get("condition", {}).get("value")))
    return Markup(diagram.render(list(nodes.values()), edges, f"Ontwikkelmogelijkheden: {description.label}"))


def not_found(path: str) -> Response:
    """A helpful 404: the closest labels and paths we do have."""
    query = Query(
        "SELECT DISTINCT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label>|"
        "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label "
        f'FILTER(STRSTARTS(STR(?s), "{base()}") && (LANG(?label) = "nl" || LANG(?label) = "")) }}'
    )
    try:
        rows = select(query)
    except QueryPathError:  # the 404 stays a 404, without suggestions
        rows = []
    candidates = {local_href(r["s"].value): r["label"].value for r in rows}
    words = path.rsplit("/", 1)[-1].replace("-", " ")
    by_label = {label.lower(): href for href, label in candidates.items()}
    close = difflib.get_close_matches(path, list(candidates), n=5, cutoff=0.5)
    close += [by_label[m] for m in difflib.get_close_matches(words.lower(), list(by_label), n=5, cutoff=0.4)]
    suggestions = [(href, candidates[href]) for href in dict.fromkeys(close)][:8]
    html = render_template("not_found.html", path=path, suggestions=suggestions)
    return Response(html, status=404, content_type="text/html; charset=utf-8")

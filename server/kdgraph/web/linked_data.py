"""Dereferenceable URIs: /id/... and /def/... answer for people (HTML) and machines (RDF).

Pattern (documented in the README): a thing's URI ``{base}id/{type}/{slug}`` answers 303 See
Other to its document ``/doc/id/{type}/{slug}``, which serves HTML, Turtle, JSON-LD, N-Triples
or RDF/XML by content negotiation, by extension (``.html .ttl .jsonld .nt .rdf``) or by
``?format=``. Vocabulary concepts under ``{base}def/{scheme}/{notation}`` work the same way;
ontology terms are hash URIs (``{base}def/kd#Term``), so ``/def/kd`` is their document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, g, redirect, render_template, request
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as BaseResponse

from kdgraph.pages import curated_dossier, documents, ontology, route_diagram
from kdgraph.pages.cite import Citation, cite
from kdgraph.pages.description import Description, Link, build, describe_query, sources_query
from kdgraph.pages.rows import bound
from kdgraph.query import media
from kdgraph.query.errors import QueryPathError
from kdgraph.query.media import Format
from kdgraph.web import dossiers, negotiation
from kdgraph.web.ask import construct, select, tag
from kdgraph.web.page_language import page_language, word
from kdgraph.web.search import closest_hits
from kdgraph.web.sparql import public_root, runtime

blueprint = Blueprint("linked_data", __name__, template_folder="templates")

XSD = "http://www.w3.org/2001/XMLSchema#"
SAFE_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


def base() -> str:
    return runtime().config.base


@blueprint.app_template_global("local")
def local_href(iri: str) -> str:
    """The path of one of our IRIs on this server (others stay as they are); pages link with it."""
    return linker(base())(iri)


def linker(base_iri: str) -> Callable[[str], str]:
    """``local_href`` for one base IRI, without looking the base up again: a dossier page links a
    few thousand times, and each lookup of the app's configuration costs microseconds."""
    size = len(base_iri)

    def local(iri: str) -> str:
        return "/" + iri[size:] if iri.startswith(base_iri) else iri

    return local


def render_node(node: object, label: str | None = None) -> Markup:
    if isinstance(node, ox.NamedNode):
        text = label or node.value
        external = "" if node.value.startswith(base()) else ' class="external"'
        return Markup(f'<a href="{escape(local_href(node.value))}"{external}>{escape(text)}</a>')
    if isinstance(node, ox.Literal):
        lang = f' lang="{escape(node.language)}"' if node.language else ""
        suffix = (
            f' <span class="lang-tag">({escape(node.language)})</span>'
            if node.language and node.language != page_language()
            else ""
        )
        if not node.language and not node.datatype.value.startswith(XSD):  # xsd types read as they are
            suffix = f' <span class="datatype">{escape(node.datatype.value.rsplit("#", 1)[-1])}</span>'
        if node.datatype.value == XSD + "duration" and (words := duration_words(node.value, page_language())):
            return Markup(f'<time class="literal" datetime="{escape(node.value)}">{escape(words)}</time>')
        return Markup(f'<span class="literal"{lang}>{readable(node.value)}</span>{suffix}')
    return Markup(escape(str(node)))


DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
DURATION_WORDS = {  # (one, more) per language
    "nl": (("jaar", "jaar"), ("maand", "maanden"), ("week", "weken"), ("dag", "dagen")),
    "en": (("year", "years"), ("month", "months"), ("week", "weeks"), ("day", "days")),
}


def duration_words(value: str, lang: str) -> str | None:
    """An ISO 8601 duration of whole years, months, weeks and days as people say it ("P4Y" is
    "4 jaar" / "4 years"); None for any other (shown as it is)."""
    found = DURATION.match(value)
    if not found or not any(found.groups()):
        return None
    words = DURATION_WORDS["en" if lang == "en" else "nl"]
    parts = [
        f"{int(n)} {one if int(n) == 1 else more}"
        for n, (one, more) in zip(found.groups(), words, strict=True)
        if n is not None
    ]
    return (" en " if lang != "en" else " and ").join(parts)


KD_TERM = re.compile(r"\bkd:([A-Za-z][A-Za-z0-9]*)\b")
KD_LABELS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term ?label WHERE {{ ?term rdfs:label ?label . FILTER(STRSTARTS(STR(?term), "{kd}")) }}
"""


@blueprint.app_template_filter("readable")
def readable(text: str) -> Markup:
    """A text from the data with our own terms (``kd:summary``, as some interpretation reasons
    name them) replaced by their labels in the page's language, linked to their definition."""
    text = str(text)
    if "kd:" not in text:
        return Markup(escape(text))
    kd = f"{base()}def/kd#"
    labels = _kd_labels(kd)
    out, at = [], 0
    for found in KD_TERM.finditer(text):
        label = labels.get(kd + found.group(1))
        if label is None:
            continue
        out += [
            escape(text[at : found.start()]),
            Markup(f'<a href="/def/kd#{found.group(1)}">{escape(label)}</a>'),
        ]
        at = found.end()
    out.append(escape(text[at:]))
    return Markup("").join(out)


def _kd_labels(kd: str) -> dict[str, str]:
    """Our terms' labels in the page's language, read once per request."""
    if "kd_labels" not in g:
        lang = page_language()
        labels: dict[str, str] = {}
        for row in select(KD_LABELS.format(kd=kd)):
            label, term = row["label"], row["term"].value
            if (isinstance(label, ox.Literal) and label.language == lang) or term not in labels:
                labels[term] = label.value
        g.kd_labels = labels
    found: dict[str, str] = g.kd_labels  # (Flask's g holds Any: the dict set above)
    return found


@blueprint.app_template_global("citation")
def citation(title: str, iri: str) -> Citation:
    """ "Cite this" for a page: its resource in the data version served (pages.cite)."""
    served = runtime().served()
    return cite(str(title), iri, served.version, served.loaded_at, page_language())


@blueprint.app_template_filter("node")
def node_filter(link: Link) -> Markup:
    return render_node(link.node, link.label)


@blueprint.route("/id/<path:rest>")
def thing(rest: str) -> BaseResponse:  # (a redirect is Werkzeug's Response)
    return redirect_to_document("id", rest)


@blueprint.route("/def/")
def ontology_documentation() -> Response:
    """The ontology's documentation, rendered from the served graph (ontology_docs)."""
    return Response(ontology_html(), content_type=media.HTML.content_type)


@blueprint.route("/def/<path:rest>")
def vocabulary_term(rest: str) -> BaseResponse:
    if rest == "kd":
        return document("def", "kd")
    return redirect_to_document("def", rest)


def redirect_to_document(kind: str, rest: str) -> BaseResponse:
    target = f"/doc/{kind}/{rest}"
    if request.query_string:
        target += "?" + request.query_string.decode()
    negotiation.vary_on("Accept")  # the 303 of Linked Data: a description for every Accept
    return redirect(target, code=303)


def choose_format(rest: str) -> tuple[str, Format]:
    """(path without extension, format) from extension, ?format= or Accept."""
    stem, dot, extension = rest.rpartition(".")
    if dot and extension in media.EXTENSIONS and "/" in stem + "/":
        return stem, media.BY_NAME.get(media.EXTENSIONS[extension], media.HTML)
    return rest, negotiation.negotiate(media.DOCUMENT_FORMATS, "this resource")


@blueprint.route("/doc/<kind>/<path:rest>")
def document(kind: str, rest: str) -> Response:
    if kind not in ("id", "def"):
        return not_found(f"/doc/{kind}/{rest}")
    path, fmt = choose_format(rest)
    if not SAFE_PATH.match(path):
        return not_found(f"/{kind}/{path}")
    iri = f"{base()}{kind}/{path}"
    lang = page_language()
    describe = describe_query(base(), iri)
    etag = f"{tag(describe)}-{fmt.name}-{lang}"
    headers = {
        "ETag": f'"{etag}"',
        "Link": f'<{iri}>; rel="describes"',
    }
    # The reader has this very page (only a page that existed in this data version got this tag):
    # nothing to parse or build.
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    triples = construct(describe)
    description = build(iri, triples, lang)
    if description is None:
        return not_found(f"/{kind}/{path}")
    ontology = (kind, path) == ("def", "kd")
    if fmt is not media.HTML:
        if ontology:  # hash URIs: the ontology document carries every kd# term
            triples = construct(ONTOLOGY.format(kd=f"{base()}def/kd#"))
        return machine_document(iri, triples, fmt, headers)
    if ontology:
        return Response(ontology_html(), content_type="text/html; charset=utf-8", headers=headers)
    imported = dossiers.imported_page(iri, description, headers)  # SBB's XML: the structure's pages
    if imported is not None:
        return imported
    kinds = {t.node.value.rsplit("#", 1)[-1] for t in description.types if isinstance(t.node, ox.NamedNode)}
    if "QualificationDossier" in kinds and any(  # a dossier we describe, not one only named
        link.predicate.endswith("#hasQualification") for link in description.outgoing
    ):
        page = built_dossier_page(base(), iri, lang)
        html = render_template(
            "dossier.html",
            p=page,
            local=linker(base()),
            kind=kind,
            path=path,
            sparql_link=sparql_link(iri),
            diagram=dossier_diagram(page, lang),
            seen=[],  # the interpretations whose reason the page has given (not repeated)
        )
        return Response(html, content_type="text/html; charset=utf-8", headers=headers)
    # a resource page cites the source of every statement row
    cited = build(iri, triples, lang, select(sources_query(base(), iri)))
    assert cited is not None  # (built from the same triples as ``description``, which mention iri)
    html = render_template(
        "resource.html",
        d=cited,
        iri=iri,
        kind=kind,
        path=path,
        local=linker(base()),
        sparql_link=sparql_link(iri),
        breadcrumbs=breadcrumbs(cited),
        citable="Qualification" in kinds,
        diagram=diagram_of(cited, lang),
        seen=[],  # the interpretations whose reason the page has given (not repeated)
    )
    return Response(html, content_type="text/html; charset=utf-8", headers=headers)


def built_dossier_page(base_iri: str, iri: str, lang: str) -> curated_dossier.DossierPage:
    """The dossier page's model, built from the engine's triples and rows at every request.

    Nothing of the page is kept: its two answers come from the worker's one answer cache, decoded
    (``serving.worker.CachedEngine.run``). Measured with ``bench/dossier_page.py`` on the bundled
    data (docs/performance.md, "Pages from rows"): about 37 ms of CPU per warm request on a loaded
    machine, of which building the model from 2,464 triples and 1,567 rows is most; a model kept
    per data version (as before) saved about 20 ms more, not worth a second cache.
    """
    return curated_dossier.build(
        iri,
        construct(curated_dossier.bundle_query(base_iri, iri)),
        select(curated_dossier.statements_query(base_iri, iri)),
        base_iri,
        lang,
        linker(base_iri),
    )


def machine_document(iri: str, triples: list[ox.Triple], fmt: Format, headers: dict[str, str]) -> Response:
    """The description's triples serialised here, at the edge, once: N-Triples as the engine
    gave them, Turtle with prefixes and the resource first, JSON-LD compacted with our published
    context, RDF/XML the resource first."""
    if fmt.name == "nt":
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    elif fmt.name == "ttl":
        body = documents.turtle(triples, iri, base())
    elif fmt.name == "jsonld":
        compacted = documents.compact(triples, iri, json_ld_context(), f"{public_root()}/context.jsonld")
        body = json.dumps(compacted, ensure_ascii=False, indent=1).encode()
    else:
        body = ox.serialize(documents.ordered(triples, iri), format=ox.RdfFormat.RDF_XML) or b""
    return Response(body, content_type=fmt.content_type, headers=headers)


def json_ld_context() -> dict[str, object]:
    return documents.context(base(), select(documents.context_query(base())))


def ontology_html() -> str:
    lang = page_language()
    page = ontology.build_page(construct(ontology.ontology_query(base())), base(), lang, local_href)
    return render_template("ontology.html", o=page)


ONTOLOGY = """
CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  ?s ?p ?o . FILTER(STRSTARTS(STR(?s), "{kd}") || STR(?s) = SUBSTR("{kd}", 1, STRLEN("{kd}") - 1))
}}
"""


def sparql_link(iri: str) -> str:
    """The query UI, opened on the SPARQL query that gives this page's statements (a shared
    link, as the UI's own share button makes: the query is in the address after "#")."""
    query = (
        f"# {iri}: its statements and those that point at it\n"
        f"CONSTRUCT {{\n  <{iri}> ?p ?o .\n  ?s ?q <{iri}> .\n}}\n"
        f"WHERE {{\n  {{ <{iri}> ?p ?o }}\n  UNION\n  {{ ?s ?q <{iri}> }}\n}}\n"
    )
    return "/#" + urlencode({"query": query}, quote_via=quote)


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
SELECT ?from ?to ?fromLabel ?toLabel ?fromLevel ?toLevel ?toKind ?condition WHERE {{
  {{ ?route kd:dossier ?this }} UNION {{ ?route kd:routeFrom ?this }} UNION {{ ?route kd:routeTo ?this }}
  ?route kd:routeFrom ?from ; kd:routeTo ?to ; kd:targetKind ?toKind .
  ?from rdfs:label ?fromLabel . FILTER(LANG(?fromLabel) = "{lang}")
  ?to rdfs:label ?toLabel . FILTER(LANG(?toLabel) = "{lang}")
  OPTIONAL {{ ?from kd:mboLevel/kd:levelNumber ?fromLevel }}
  OPTIONAL {{ ?to kd:mboLevel/kd:levelNumber ?toLevel }}
  OPTIONAL {{ ?route kd:condition ?condition }}
}}
ORDER BY ?fromLabel ?toLabel ?condition
"""


def routes_svg(iri: str, label: str, lang: str) -> Markup | None:
    """The routes from, to or of ``iri`` as a diagram; labels in the page's language (Dutch if missing)."""
    rows, wanted = [], lang
    for wanted in dict.fromkeys([lang, "nl"]):
        query = bound(ROUTES.format(kd=f"{base()}def/kd#", lang=wanted), this=ox.NamedNode(iri))
        rows = select(query)
        if rows:
            break
    if not rows:
        return None
    nodes, edges = route_diagram.from_rows(rows, local_href)
    title = f"{word('routes', lang)}: {label}"
    return Markup(route_diagram.render(nodes, edges, title, lang, labels_lang=wanted))


def diagram_of(description: Description, lang: str) -> Markup | None:
    kinds = {t.node.value.rsplit("#", 1)[-1] for t in description.types if isinstance(t.node, ox.NamedNode)}
    if "Qualification" not in kinds:
        return None
    return routes_svg(description.iri, description.label, lang)


def dossier_diagram(page: curated_dossier.DossierPage, lang: str) -> Markup | None:
    return routes_svg(page.route_dossier_iri, page.title, lang)


def not_found(path: str) -> Response:
    """A helpful 404: what the search finds for the words of the path."""
    words = re.sub(r"[-_/.]+", " ", path.rsplit("/", 1)[-1]).strip()
    try:
        hits = closest_hits(words, page_language())[:8] if words else []
    except QueryPathError:  # the 404 stays a 404, without suggestions
        hits = []
    html = render_template("not_found.html", path=path, hits=hits, search_query=words)
    return Response(html, status=404, content_type="text/html; charset=utf-8")

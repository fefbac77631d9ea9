"""The national structure as pages: the index of every dossier, an imported dossier, a
qualification, and a comparison (``/dossiers``, ``/doc/id/dossier/sbb-...``,
``/doc/id/qualification/...``, ``/compare?q=...&q=...``).

The page models are built in ``kdgraph.pages`` from the rows of SELECT queries asked through the
one engine seam (``ask.select``, cached per data version); this module only picks the
queries, renders the templates and answers. ``linked_data.document`` hands a dossier or
qualification that has an SBB number (it was imported from SBB's XML) to ``imported_page``.
"""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from kdgraph.pages import compare, dossier, facts, index
from kdgraph.pages.description import Description
from kdgraph.pages.rows import Text, add_text, pick, text, value
from kdgraph.web import linked_data
from kdgraph.web.ask import select, tag
from kdgraph.web.page_language import WORDS, page_language, word

blueprint = Blueprint("dossiers", __name__, template_folder="templates")
HTML = "text/html; charset=utf-8"


MOST = 12  # items one comparison takes: a page people can read, a query the engine answers quickly


def _html(body: str, status: int = 200, etag: str | None = None) -> Response:
    """The page, with its ETag (data version and language) answered 304 when the client has it."""
    response = Response(body, status=status, content_type=HTML)
    if etag:
        response.set_etag(etag)
        response.make_conditional(request)
    return response


def sparql_href(query: str) -> str:
    """This query run by the endpoint, its results as SPARQL JSON (a browser asks for HTML, which
    the endpoint does not write, so the link names the format)."""
    return "/sparql?format=json&query=" + quote(query)


@blueprint.route("/dossiers")
def dossier_index() -> Response:
    lang = page_language()
    query_text = index.query(linked_data.base())
    groups = index.build(select(query_text), lang)
    count = sum(len(d) for g in groups for _, _, d in g.chambers)
    html = render_template("dossier_index.html", groups=groups, count=count, sparql=sparql_href(query_text))
    return _html(html, etag=f"{tag(query_text)}-{lang}")


def _facts(dossier_iri: str, lang: str) -> facts.Facts:
    base = linked_data.base()
    return facts.Facts(
        base,
        lang,
        select(facts.statements_query(base, dossier_iri)),
        select(facts.linked_query(base, dossier_iri)),
    )


def imported_page(iri: str, description: Description, headers: dict[str, str]) -> Response | None:
    """The page of a dossier or qualification imported from SBB's XML (it has an SBB number);
    ``None`` for anything else, which keeps its usual page."""
    kd = f"{linked_data.base()}def/kd#"
    outgoing = {link.predicate: link.node for link in description.outgoing}
    if kd + "sbbNumber" not in outgoing:
        return None
    kinds = {t.node.value for t in description.types if isinstance(t.node, ox.NamedNode)}
    lang = page_language()
    base = linked_data.base()
    statements = facts.statements_query(base, iri)
    if kd + "QualificationDossier" in kinds:
        html = render_template(
            "imported_dossier.html",
            p=dossier.dossier_page(_facts(iri, lang), base, iri),
            sparql=sparql_href(statements),
        )
        return Response(html, content_type=HTML, headers=headers)
    in_dossier = outgoing.get(kd + "inDossier")
    if kd + "Qualification" in kinds and isinstance(in_dossier, ox.NamedNode):
        of = in_dossier.value
        statements = facts.statements_query(base, of)
        html = render_template(
            "imported_qualification.html",
            p=dossier.qualification_page(_facts(of, lang), base, of, iri),
            sparql=sparql_href(statements),
        )
        return Response(html, content_type=HTML, headers=headers)
    return None


@blueprint.route("/compare")
def comparison() -> Response:
    """``?q=<iri>&q=<iri>...``: the URL is the state. Fewer than two items: the form (with the one
    given already chosen); an IRI that is no qualification or dossier, or more than ``MOST``
    items: 400 and the form, saying what to change."""
    lang = page_language()
    base = linked_data.base()
    asked = list(dict.fromkeys(q.strip() for q in request.args.getlist("q") if q.strip()))
    options = _candidates(lang)
    known = {iri for _, items in options for iri, _ in items}
    unknown = [q for q in asked if q not in known]
    items = [q for q in asked if q in known]
    if unknown or len(items) < 2 or len(items) > MOST:
        message = None
        if unknown:
            message = word("st_compare_unknown", lang).format(items=", ".join(unknown))
        elif len(items) > MOST:
            message = word("st_compare_too_many", lang).format(most=MOST, asked=len(items))
        elif asked:
            message = word("st_compare_too_few", lang)
        html = render_template(
            "compare.html", c=None, options=options, chosen=items, message=message, sparql=None
        )
        return _html(html, status=400 if unknown or len(items) > MOST else 200)
    query_text = compare.query(base, items)
    result = compare.build(select(query_text), items, lang)
    html = render_template(
        "compare.html",
        c=result,
        options=options,
        chosen=items,
        message=None,
        sparql=sparql_href(query_text),
        words=WORDS,
    )
    return _html(html, etag=f"{tag(query_text)}-{lang}")


def _candidates(lang: str) -> list[tuple[Text, list[tuple[str, Text | None]]]]:
    """The select's options: per dossier (its label), the whole dossier (``None``: the page says
    "whole dossier") and its qualifications by label."""
    labels: dict[str, list[Text]] = {}
    groups: dict[str, list[tuple[str, Text]]] = {}
    dossier_of: dict[str, str] = {}
    for row in select(compare.candidates_query(linked_data.base())):
        item, dossier_iri = value(row, "item") or "", value(row, "dossier") or ""
        for key, column in ((item, "label"), (dossier_iri, "dossierLabel")):
            add_text(labels.setdefault(key, []), text(row, column))
        dossier_of[item] = dossier_iri

    def name(iri: str) -> Text:
        return pick(labels.get(iri, []), lang) or Text(iri)

    for item, dossier_iri in dossier_of.items():
        groups.setdefault(dossier_iri, [])
        if item != dossier_iri:
            groups[dossier_iri].append((item, name(item)))
    options: list[tuple[Text, list[tuple[str, Text | None]]]] = []
    for d in sorted(groups, key=lambda d: name(d).value):
        by_label = sorted(groups[d], key=lambda x: x[1].value)
        items: list[tuple[str, Text | None]] = [(d, None), *by_label]
        options.append((name(d), items))
    return options

"""``/id/crebo/{code}``: the crebo codes other systems know, as a way into our URIs.

A crebo code is the identifier schools, DUO and SBB's register use; our URIs add the dossier
edition (``id/qualification/{crebo}-{dossier nr}``), because SBB keeps a code across editions.
So a code answers 303 See Other to the one resource that carries it, and 300 Multiple Choices
listing every edition when several do (HTML for people, JSON for machines, and a ``Link``
header per edition either way); an unknown code is a 404 that says so.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, redirect, render_template
from werkzeug.wrappers import Response as BaseResponse

from kdgraph.pages.rows import bound
from kdgraph.query import media
from kdgraph.web import negotiation
from kdgraph.web.ask import select
from kdgraph.web.linked_data import base, local_href, not_found
from kdgraph.web.page_language import page_language

blueprint = Blueprint("crebo", __name__, template_folder="templates")

CREBO = re.compile(r"\d{5}")
JSON = media.JSON_DOCUMENT

# What carries the code (never the registration, which repeats it), with labels to list editions by.
CARRIERS = """
PREFIX kd: <https://w3id.org/kdgraph/def/kd#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?code ?thing ?label ?dossier ?dossierLabel ?validFrom ?intakeEnds WHERE {
  VALUES ?code { ?asked }
  ?thing kd:crebo ?code .
  FILTER NOT EXISTS { ?thing a kd:CreboRegistration }
  OPTIONAL { ?thing rdfs:label ?label FILTER(LANG(?label) = "nl") }
  OPTIONAL { ?thing kd:inDossier ?dossier .
             OPTIONAL { ?dossier rdfs:label ?dossierLabel FILTER(LANG(?dossierLabel) = "nl") } }
  OPTIONAL { ?thing kd:creboRegistration ?registration . ?registration kd:crebo ?code .
             OPTIONAL { ?registration kd:validFrom ?validFrom }
             OPTIONAL { ?registration kd:intakeEnds ?intakeEnds } }
}
ORDER BY DESC(?validFrom) ?thing
"""


@blueprint.route("/id/crebo/<code>")
def crebo(code: str) -> BaseResponse:  # (a redirect is Werkzeug's Response)
    if not CREBO.fullmatch(code):
        return not_found(f"/id/crebo/{code}")
    query = bound(CARRIERS.replace("https://w3id.org/kdgraph/", base()), asked=ox.Literal(code))
    # one row per carrier (each has one Dutch label)
    found = [{name: term.value for name, term in row.items()} for row in select(query)]
    if not found:
        return not_found(f"/id/crebo/{code}")
    if len(found) == 1:
        negotiation.vary_on("Accept")  # as every 303 from a thing to its description
        return redirect(local_href(found[0]["thing"]).replace("/id/", "/doc/id/", 1), code=303)
    links = ", ".join(f'<{local_href(row["thing"])}>; rel="alternate"' for row in found)
    wanted = negotiation.negotiate((media.HTML, JSON), f"crebo {code}")
    if wanted is JSON:
        response = jsonify({"crebo": code, "editions": found})
    else:
        html = render_template("crebo.html", code=code, editions=found, lang=page_language())
        response = Response(html, content_type="text/html; charset=utf-8")
    response.status_code = 300
    response.headers["Link"] = links
    return response

"""/: the query UI for people, YASGUI served from this package (works offline)."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, render_template

from kdgraph.catalogue.saved_queries import without_header
from kdgraph.namespaces import prefixes
from kdgraph.query import media
from kdgraph.web.page_language import page_language
from kdgraph.web.queries_api import saved_queries
from kdgraph.web.sparql import endpoint_url

blueprint = Blueprint(
    "ui", __name__, template_folder="templates", static_folder="../static", static_url_path="/static"
)


@blueprint.route("/")
def index() -> str:
    config = current_app.extensions["kdgraph"].config
    queries = saved_queries()
    # Each saved query opens ready to run: its example parameters bound with a VALUES block, and
    # without its #+ header (title, parameters...), which the saved-query API serves.
    lang = page_language()
    examples = [
        {"name": q.name, "title": q.title[lang], "query": without_header(q.example_text())}
        for q in queries.values()
    ]
    endpoint = endpoint_url()
    return render_template(
        "index.html",
        endpoint=endpoint,
        base=config.base,
        examples=examples,
        examples_json=json.dumps(examples),
        prefixes_json=json.dumps(prefixes(config.base)),
        formats_json=json.dumps(
            {
                kind: [{"label": f.label, "media_type": f.media_type} for f in formats]
                for kind, formats in (("select", media.RESULT_FORMATS), ("graph", media.RDF_FORMATS))
            }
        ),
    )


@blueprint.route("/favicon.ico")
def favicon() -> tuple[str, int]:
    """No icon; an empty answer instead of a 404 in every browser console."""
    return "", 204

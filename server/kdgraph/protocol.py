"""SPARQL protocol tables as data: media types, short format names, and content negotiation.

Handlers read these tables; nothing else in the code spells a media type.
"""

from __future__ import annotations

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept

# Media type -> short format name understood by the engine, per kind of result.
TABULAR_MEDIA_TYPES: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_MEDIA_TYPES: dict[str, str] = {
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
}
# Media type -> pyoxigraph serialisation, for RDF documents we build ourselves (service
# description, dataset description, sparql-examples), in order of preference.
RDF_SERIALISATIONS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
# Aliases a client may use as Accept (e.g. a browser's JSON viewer) or as ?format=.
TABULAR_ALIASES = {
    "application/json": "json",
    "json": "json",
    "xml": "xml",
    "csv": "csv",
    "tsv": "tsv",
    "srj": "json",
    "srx": "xml",
}
GRAPH_ALIASES = {
    "ttl": "ttl",
    "turtle": "ttl",
    "nt": "nt",
    "ntriples": "nt",
    "n-triples": "nt",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "json": "jsonld",
    "rdfxml": "rdfxml",
    "xml": "rdfxml",
    "application/json": "jsonld",
}
MEDIA_TYPE_OF = {
    **{v: k for k, v in TABULAR_MEDIA_TYPES.items()},
    **{v: k for k, v in GRAPH_MEDIA_TYPES.items()},
}

# Query form -> whether its results are tabular (SELECT/ASK) or a graph (CONSTRUCT/DESCRIBE).
GRAPH_FORMS = frozenset({"CONSTRUCT", "DESCRIBE"})


class NotAcceptable(Exception):
    """No representation the client accepts can be produced; ``str()`` lists what can."""


def content_type(fmt: str) -> str:
    return f"{MEDIA_TYPE_OF[fmt]}; charset=utf-8"


def negotiate(form: str, accept: MIMEAccept, format_param: str | None) -> str:
    """The short format to answer with, from ?format= first, then the Accept header."""
    graph = form in GRAPH_FORMS
    media, aliases = (GRAPH_MEDIA_TYPES, GRAPH_ALIASES) if graph else (TABULAR_MEDIA_TYPES, TABULAR_ALIASES)
    offered = ", ".join(media)
    if format_param:
        key = format_param.strip().lower()
        fmt = media.get(key) or aliases.get(key)
        if fmt is None:
            names = ", ".join(sorted({*media.values()}))
            raise NotAcceptable(f"format={format_param!r} is not available for {form}; use one of: {names}")
        return fmt
    if not accept or accept.best in (None, "*/*"):
        return "ttl" if graph else "json"
    candidates = list(media) + [a for a in aliases if "/" in a]
    best = accept.best_match(candidates)
    if best is None:
        raise NotAcceptable(
            f"none of the accepted media types can be produced for {form}; available: {offered}"
        )
    return media.get(best) or aliases[best]

"""The saved queries as RDF, in the SIB sparql-examples convention, so SPARQL tools can list them.

Each query is a ``sh:SPARQLExecutable`` (and ``sh:SPARQLSelectExecutable`` etc.) with its text
in ``sh:select``/``sh:ask``/``sh:construct``, its title and description in nl and en, and its
tags as ``schema:keywords``. Its IRI, ``{base}queries/{name}``, is also where the web API runs it.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kdgraph.catalogue.saved_queries import SavedQuery

SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "https://schema.org/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
FORM_TERMS = {
    "SELECT": ("SPARQLSelectExecutable", "select"),
    "ASK": ("SPARQLAskExecutable", "ask"),
    "CONSTRUCT": ("SPARQLConstructExecutable", "construct"),
    "DESCRIBE": ("SPARQLDescribeExecutable", "describe"),
}


def query_iri(base: str, name: str) -> str:
    return f"{base}queries/{name}"


def catalogue_triples(queries: Iterable[SavedQuery], base: str) -> list[ox.Triple]:
    triples = []
    for query in queries:
        node = ox.NamedNode(query_iri(base, query.name))
        executable, text_property = FORM_TERMS[query.form]
        triples += [
            ox.Triple(node, RDF_TYPE, ox.NamedNode(SH + "SPARQLExecutable")),
            ox.Triple(node, RDF_TYPE, ox.NamedNode(SH + executable)),
            ox.Triple(node, ox.NamedNode(SH + text_property), ox.Literal(query.sparql)),
            ox.Triple(node, ox.NamedNode(SCHEMA + "target"), ox.NamedNode(f"{base}sparql")),
            ox.Triple(node, ox.NamedNode(SCHEMA + "identifier"), ox.Literal(query.name)),
        ]
        for language in ("nl", "en"):
            triples.append(
                ox.Triple(
                    node, ox.NamedNode(RDFS + "label"), ox.Literal(query.title[language], language=language)
                )
            )
            triples.append(
                ox.Triple(
                    node,
                    ox.NamedNode(RDFS + "comment"),
                    ox.Literal(query.description[language], language=language),
                )
            )
        triples += [ox.Triple(node, ox.NamedNode(SCHEMA + "keywords"), ox.Literal(tag)) for tag in query.tags]
    return triples

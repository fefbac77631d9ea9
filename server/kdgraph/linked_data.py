"""Describing one resource: its outgoing and incoming links, with labels, for pages and formats.

One CONSTRUCT through the engine (cached like any answer) gives the resource's triples, the
triples pointing at it, and the labels of everything it links to; the page model is built
from that in Python.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .engine import QueryRequest

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABELS = (SKOS_PREF, RDFS_LABEL, "http://purl.org/dc/terms/title")

DESCRIBE = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX kd:   <{kd}>
CONSTRUCT {{
  ?this ?p ?o . ?o rdfs:label ?olabel . ?o skos:prefLabel ?opref .
  ?s ?q ?this . ?s rdfs:label ?slabel . ?s skos:prefLabel ?spref .
  ?p rdfs:label ?plabel . ?q rdfs:label ?qlabel .
  ?loc kd:page ?page ; kd:section ?section . ?section kd:sectionNumber ?number .
}} WHERE {{
  {{ ?this ?p ?o .
     OPTIONAL {{ ?o rdfs:label ?olabel }} OPTIONAL {{ ?o skos:prefLabel ?opref }}
     OPTIONAL {{ ?p rdfs:label ?plabel }} }}
  UNION
  {{ ?s ?q ?this .
     OPTIONAL {{ ?s rdfs:label ?slabel }} OPTIONAL {{ ?s skos:prefLabel ?spref }}
     OPTIONAL {{ ?q rdfs:label ?qlabel }} }}
  UNION
  {{ GRAPH ?loc {{ ?this ?anyPredicate ?anyObject }}
     ?loc kd:page ?page ; kd:section ?section . ?section kd:sectionNumber ?number }}
}}
"""


def describe_request(base: str, iri: str, fmt: str, max_bytes: int) -> QueryRequest:
    return QueryRequest(DESCRIBE.format(kd=f"{base}def/kd#"), fmt, {"this": f"<{iri}>"}, max_bytes=max_bytes)


@dataclass
class Link:
    predicate: str
    predicate_label: str
    node: ox.NamedNode | ox.Literal | ox.BlankNode
    label: str | None


@dataclass
class Description:
    iri: str
    label: str
    types: list[Link]
    outgoing: list[Link] = field(default_factory=list)
    incoming: list[Link] = field(default_factory=list)
    locations: list[tuple[str, int, int]] = field(default_factory=list)  # (iri, section, page)


def pick_label(literals: Iterable[ox.Literal], languages: list[str]) -> str | None:
    """The label in the first preferred language available (nl, then en, then any)."""
    by_language: dict[str, str] = {}
    for literal in literals:
        by_language.setdefault(literal.language or "", literal.value)
    for language in [*languages, "nl", "en", ""]:
        if language in by_language:
            return by_language[language]
    return next(iter(by_language.values()), None)


def build(iri: str, ntriples: bytes, languages: list[str]) -> Description | None:
    triples = [q.triple for q in ox.parse(io.BytesIO(ntriples), format=ox.RdfFormat.N_TRIPLES)]
    this = ox.NamedNode(iri)
    if not any(t.subject == this or t.object == this for t in triples):
        return None
    labels: dict[object, list[tuple[int, ox.Literal]]] = {}
    for t in triples:
        if t.predicate.value in LABELS and isinstance(t.object, ox.Literal):
            labels.setdefault(t.subject, []).append((LABELS.index(t.predicate.value), t.object))

    def label_of(node: object) -> str | None:
        """skos:prefLabel before rdfs:label before dcterms:title; then by language."""
        ranked = sorted(labels.get(node, []), key=lambda item: (item[0], str(item[1])))
        for rank in sorted({r for r, _ in ranked}):
            found = pick_label([literal for r, literal in ranked if r == rank], languages)
            if found:
                return found
        return None

    def predicate_label(predicate: ox.NamedNode) -> str:
        return label_of(predicate) or predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]

    description = Description(iri, label_of(this) or iri.rsplit("/", 1)[-1], [])
    for t in triples:
        if t.subject == this and t.predicate.value == RDF_TYPE:
            description.types.append(Link(t.predicate.value, "type", t.object, label_of(t.object)))
        elif t.subject == this:
            description.outgoing.append(
                Link(t.predicate.value, predicate_label(t.predicate), t.object, label_of(t.object))
            )
        elif t.object == this:
            description.incoming.append(
                Link(t.predicate.value, predicate_label(t.predicate), t.subject, label_of(t.subject))
            )
    sections = {
        t.subject: int(t.object.value) for t in triples if t.predicate.value.endswith("#sectionNumber")
    }
    for t in triples:
        if t.predicate.value.endswith("#page"):
            section = next(
                (
                    s.object
                    for s in triples
                    if s.subject == t.subject and s.predicate.value.endswith("#section")
                ),
                None,
            )
            if section in sections:
                description.locations.append((t.subject.value, sections[section], int(t.object.value)))
    description.outgoing.sort(key=lambda link: (link.predicate_label.lower(), str(link.label or link.node)))
    description.incoming.sort(key=lambda link: (link.predicate_label.lower(), str(link.label or link.node)))
    description.locations.sort(key=lambda loc: (loc[1], loc[2]))
    return description

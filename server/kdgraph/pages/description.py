"""Describing one resource: its outgoing and incoming links, with labels and sources, for pages and formats.

One CONSTRUCT through the engine (cached like any answer) gives the resource's triples, the
triples pointing at it, the labels of everything it links to (an involvement, which has no label
of its own, is named by its organisation and role), and its source locations (the
source-location graphs its statements are in). One SELECT gives
the named graphs each of those statements sits in (PROVENANCE.md: a source-location graph, an
outside source, or an interpretation), so a page can show the source per statement row. The
page model is built from the two answers in Python, in one language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kdgraph.pages.rows import Row, bound, plain, value
from kdgraph.pages.search_ranking import OUTSIDE_TYPES
from kdgraph.query.engine import Query, Term

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
  ?n kd:stakeholder ?org . ?org rdfs:label ?orglabel .
  ?n kd:stakeholderRole ?role . ?role skos:prefLabel ?rolelabel .
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
  {{ {{ ?this ?any ?n }} UNION {{ ?n ?any ?this }}
     ?n a kd:Involvement ; kd:stakeholder ?org ; kd:stakeholderRole ?role .
     ?org rdfs:label ?orglabel . ?role skos:prefLabel ?rolelabel }}
  UNION
  {{ GRAPH ?loc {{ ?this ?anyPredicate ?anyObject }}
     ?loc kd:page ?page ; kd:section ?section . ?section kd:sectionNumber ?number }}
}}
"""

# The named graphs each statement of the page is in, with what a reader needs to know about them.
STATEMENT_SOURCES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX kd:   <{kd}>
SELECT ?direction ?p ?o ?g ?number ?page ?reason ?glabel WHERE {{
  {{ GRAPH ?g {{ ?this ?p ?o }} BIND("out" AS ?direction) }}
  UNION
  {{ GRAPH ?g {{ ?o ?p ?this }} BIND("in" AS ?direction) }}
  {{ ?g kd:section/kd:sectionNumber ?number ; kd:page ?page }}
  UNION {{ ?g a kd:Interpretation . OPTIONAL {{ ?g kd:reason ?reason }} }}
  UNION {{ FILTER(STRSTARTS(STR(?g), "{base}id/external-source/")) OPTIONAL {{ ?g rdfs:label ?glabel }} }}
}}
"""

# Labels for the few predicates from outside our ontology that pages show: (nl, en).
OUTSIDE_PREDICATES = {
    RDF_TYPE: ("soort", "type"),
    RDFS_LABEL: ("naam", "name"),
    "http://www.w3.org/2000/01/rdf-schema#comment": ("toelichting", "comment"),
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": ("zie ook", "see also"),
    "http://www.w3.org/2000/01/rdf-schema#subClassOf": ("subklasse van", "subclass of"),
    "http://www.w3.org/2000/01/rdf-schema#subPropertyOf": ("subeigenschap van", "subproperty of"),
    "http://www.w3.org/2000/01/rdf-schema#domain": ("domein", "domain"),
    "http://www.w3.org/2000/01/rdf-schema#range": ("bereik", "range"),
    "http://www.w3.org/2000/01/rdf-schema#isDefinedBy": ("gedefinieerd in", "defined by"),
    SKOS_PREF: ("voorkeursnaam", "preferred label"),
    "http://www.w3.org/2004/02/skos/core#altLabel": ("andere naam", "alternative label"),
    "http://www.w3.org/2004/02/skos/core#definition": ("definitie", "definition"),
    "http://www.w3.org/2004/02/skos/core#editorialNote": ("redactionele noot", "editorial note"),
    "http://www.w3.org/2004/02/skos/core#scopeNote": ("toepassingsnoot", "scope note"),
    "http://www.w3.org/2004/02/skos/core#notation": ("notatie", "notation"),
    "http://www.w3.org/2004/02/skos/core#inScheme": ("in begrippenlijst", "in scheme"),
    "http://www.w3.org/2004/02/skos/core#topConceptOf": ("topbegrip van", "top concept of"),
    "http://www.w3.org/2004/02/skos/core#hasTopConcept": ("heeft topbegrip", "has top concept"),
    "http://www.w3.org/2004/02/skos/core#broader": ("breder", "broader"),
    "http://www.w3.org/2004/02/skos/core#narrower": ("smaller", "narrower"),
    "http://www.w3.org/2004/02/skos/core#exactMatch": ("komt exact overeen met", "exact match"),
    "http://www.w3.org/2004/02/skos/core#closeMatch": ("komt ongeveer overeen met", "close match"),
    "http://www.w3.org/2004/02/skos/core#related": ("verwant", "related"),
    "http://purl.org/dc/terms/title": ("titel", "title"),
    "http://purl.org/dc/terms/description": ("beschrijving", "description"),
    "http://purl.org/dc/terms/source": ("bron", "source"),
    "http://purl.org/dc/terms/date": ("datum", "date"),
    "http://purl.org/dc/terms/hasPart": ("heeft als deel", "has part"),
    "http://purl.org/dc/terms/isPartOf": ("is deel van", "is part of"),
    "http://purl.org/dc/terms/language": ("taal", "language"),
    "http://purl.org/dc/terms/references": ("verwijst naar", "references"),
    "http://purl.org/dc/terms/creator": ("maker", "creator"),
    "http://purl.org/dc/terms/publisher": ("uitgever", "publisher"),
    "http://purl.org/dc/terms/license": ("licentie", "licence"),
    "http://purl.org/dc/terms/created": ("gemaakt", "created"),
    "http://purl.org/dc/terms/modified": ("gewijzigd", "modified"),
    "https://schema.org/url": ("webadres", "web address"),
    "https://schema.org/about": ("gaat over", "about"),
    "https://schema.org/numberOfPages": ("aantal pagina's", "number of pages"),
    "https://schema.org/pageStart": ("eerste pagina", "first page"),
    "https://schema.org/pageEnd": ("laatste pagina", "last page"),
    "https://schema.org/educationalLevel": ("onderwijsniveau", "educational level"),
    "http://www.w3.org/ns/prov#wasAttributedTo": ("toegeschreven aan", "attributed to"),
    "http://www.w3.org/ns/prov#wasDerivedFrom": ("afgeleid van", "derived from"),
    "http://www.w3.org/2002/07/owl#sameAs": ("dezelfde als", "same as"),
    "http://www.w3.org/2002/07/owl#versionInfo": ("versie", "version"),
    "http://www.w3.org/2002/07/owl#versionIRI": ("versie-IRI", "version IRI"),
    "http://www.w3.org/2002/07/owl#equivalentClass": ("gelijk aan klasse", "equivalent class"),
    "http://www.w3.org/2002/07/owl#inverseOf": ("omgekeerde van", "inverse of"),
}


# Properties that say how the graph is built, not what the source says: not shown to readers.
INTERNAL = ("/def/kd#slug", "/def/kd#position")
# What a summary line quotes, the first one a resource has.
SUMMARY_PROPERTIES = ("/skos/core#definition", "/def/kd#summary", "/def/kd#text", "/rdf-schema#comment")


def describe_query(base: str, iri: str) -> Query:
    return bound(DESCRIBE.format(kd=f"{base}def/kd#"), this=ox.NamedNode(iri))


def sources_query(base: str, iri: str) -> Query:
    return bound(STATEMENT_SOURCES.format(kd=f"{base}def/kd#", base=base), this=ox.NamedNode(iri))


@dataclass(frozen=True)
class Source:
    """Where one statement comes from: a section and page, an outside source, or an interpretation."""

    iri: str
    section: int | None = None
    page: int | None = None
    reason: str | None = None  # interpretation
    label: str | None = None  # outside source

    @property
    def kind(self) -> str:
        if self.section is not None:
            return "location"
        return "interpretation" if self.label is None and "/interpretation/" in self.iri else "outside_source"


@dataclass
class Link:
    predicate: str
    predicate_label: str
    node: ox.NamedNode | ox.Literal | ox.BlankNode
    label: str | None
    sources: list[Source] = field(default_factory=list)


@dataclass
class Description:
    iri: str
    label: str
    types: list[Link]
    outgoing: list[Link] = field(default_factory=list)
    incoming: list[Link] = field(default_factory=list)
    locations: list[tuple[str, int, int]] = field(default_factory=list)  # (iri, section, page)
    summary: str = ""  # its definition or text in the page's language, for the summary line
    summary_lang: str = ""  # the language of that text (another one where the page's has none)
    dossier: Link | None = None  # the dossier it belongs to, for the summary line

    @property
    def has_statement_sources(self) -> bool:
        return any(link.sources for link in self.outgoing)


def pick_label(literals: Iterable[ox.Literal], languages: list[str]) -> str | None:
    """The label in the first preferred language available (then nl, then en, then any)."""
    by_language: dict[str, str] = {}
    for literal in literals:
        by_language.setdefault(literal.language or "", literal.value)
    for language in [*languages, "nl", "en", ""]:
        if language in by_language:
            return by_language[language]
    return next(iter(by_language.values()), None)


def labeller(triples: list[ox.Triple], languages: list[str]) -> Callable[[object], str | None]:
    """label_of(node): skos:prefLabel before rdfs:label before dcterms:title, in the page's language;
    an involvement by its organisation and role ("SBB — ontwikkelaar")."""
    labels: dict[object, list[tuple[int, ox.Literal]]] = {}
    parts: dict[object, dict[str, object]] = {}
    for t in triples:
        if t.predicate.value in LABELS and isinstance(t.object, ox.Literal):
            labels.setdefault(t.subject, []).append((LABELS.index(t.predicate.value), t.object))
        elif t.predicate.value.endswith(("#stakeholder", "#stakeholderRole")):
            parts.setdefault(t.subject, {})[t.predicate.value.rsplit("#", 1)[-1]] = t.object

    def own_label(node: object) -> str | None:
        ranked = labels.get(node, [])
        for rank in sorted({r for r, _ in ranked}):
            found = pick_label([literal for r, literal in ranked if r == rank], languages)
            if found:
                return found
        return None

    def label_of(node: object) -> str | None:
        found = own_label(node)
        if found is None and {"stakeholder", "stakeholderRole"} <= set(parts.get(node, {})):
            org, role = own_label(parts[node]["stakeholder"]), own_label(parts[node]["stakeholderRole"])
            if org and role:
                return f"{org} — {role}"
        return found

    return label_of


def predicate_name(predicate: ox.NamedNode, label: str | None, lang: str) -> str:
    """The ontology's label, else ours for a well-known outside predicate, else its local name."""
    if label:
        return label
    if predicate.value in OUTSIDE_PREDICATES:
        nl, en = OUTSIDE_PREDICATES[predicate.value]
        return en if lang == "en" else nl
    return predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def in_page_language(links: list[Link], lang: str) -> list[Link]:
    """Of the language-tagged values of one property, only those in the page's language when it has any."""
    has_lang = {
        link.predicate for link in links if isinstance(link.node, ox.Literal) and link.node.language == lang
    }
    return [
        link
        for link in links
        if not (
            isinstance(link.node, ox.Literal)
            and link.node.language
            and link.node.language != lang
            and link.predicate in has_lang
        )
    ]


def statement_sources(rows: list[Row], lang: str = "nl") -> dict[tuple[str, str, Term], list[Source]]:
    """(direction, predicate, the other node) -> the sources of that statement; an
    interpretation's reason and an outside source's label in the page's language where given."""
    found: dict[tuple[str, str, Term], list[Source]] = {}

    def rank(row: Row) -> int:
        tags = {
            t.language for k in ("reason", "glabel") if isinstance(t := row.get(k), ox.Literal) and t.language
        }
        return 0 if lang in tags else (1 if not tags else 2)

    chosen: dict[tuple[str, str, Term, str], Row] = {}
    for row in sorted(rows, key=rank):
        chosen.setdefault((row["direction"].value, row["p"].value, row["o"], row["g"].value), row)
    for row in chosen.values():
        key = (row["direction"].value, row["p"].value, row["o"])
        source = Source(
            row["g"].value,
            int(row["number"].value) if "number" in row else None,
            int(row["page"].value) if "page" in row else None,
            value(row, "reason"),
            value(row, "glabel"),
        )
        if source not in found.setdefault(key, []):
            found[key].append(source)
    for sources in found.values():
        sources.sort(key=lambda s: (s.section is None, s.section or 0, s.page or 0, s.iri))
    return found


def build(
    iri: str, triples: list[ox.Triple], lang: str, source_rows: list[Row] | None = None
) -> Description | None:
    """The description of ``iri`` from the triples of ``describe_query`` and, for a page that
    cites a source per statement, the rows of ``sources_query``; None if the triples do not
    mention it."""
    this = ox.NamedNode(iri)
    if not any(t.subject == this or t.object == this for t in triples):
        return None
    label_of = labeller(triples, [lang])
    sources = statement_sources(source_rows or [], lang)

    def link(direction: str, t: ox.Triple, other: Term) -> Link:
        return Link(
            t.predicate.value,
            predicate_name(t.predicate, label_of(t.predicate), lang),
            other,
            label_of(other),
            sources.get((direction, t.predicate.value, other), []),
        )

    description = Description(iri, label_of(this) or iri.rsplit("/", 1)[-1], [])
    for t in triples:
        if t.subject == this and t.predicate.value == RDF_TYPE:
            type_node = plain(t.object)
            typed = link("out", t, type_node)
            if typed.label is None and type_node.value in OUTSIDE_TYPES:  # skos:Concept by its name
                nl, en = OUTSIDE_TYPES[type_node.value]
                typed.label = en if lang == "en" else nl
            description.types.append(typed)
        elif t.subject == this and t.predicate.value.endswith(INTERNAL):
            continue  # how the graph is built (slug, position in the source), not what it says
        elif t.subject == this:
            description.outgoing.append(link("out", t, plain(t.object)))
        elif t.object == this:
            description.incoming.append(link("in", t, plain(t.subject)))
    description.outgoing = in_page_language(description.outgoing, lang)
    texts: dict[str, str] = {}  # summary property -> the text in the page's language
    for link_ in description.outgoing:
        kind = next((p for p in SUMMARY_PROPERTIES if link_.predicate.endswith(p)), None)
        if kind and isinstance(link_.node, ox.Literal):
            texts.setdefault(kind, link_.node.value)
    description.summary = next((texts[p] for p in SUMMARY_PROPERTIES if p in texts), "")
    description.dossier = next(
        (link_ for link_ in description.outgoing if link_.predicate.endswith(("#dossier", "#inDossier"))),
        None,
    )
    sections = {
        plain(t.subject): int(plain(t.object).value)
        for t in triples
        if t.predicate.value.endswith("#sectionNumber")
    }
    section_of = {
        plain(t.subject): plain(t.object) for t in triples if t.predicate.value.endswith("#section")
    }
    for t in triples:
        location = plain(t.subject)
        if t.predicate.value.endswith("#page") and section_of.get(location) in sections:
            description.locations.append(
                (location.value, sections[section_of[location]], int(plain(t.object).value))
            )
    description.outgoing.sort(key=lambda link: (link.predicate_label.lower(), str(link.label or link.node)))
    description.incoming.sort(key=lambda link: (link.predicate_label.lower(), str(link.label or link.node)))
    description.locations.sort(key=lambda loc: (loc[1], loc[2]))
    return description

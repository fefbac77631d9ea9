"""Documents for machines that people can read too: Turtle and compacted JSON-LD of a description.

Turtle comes with our prefixes and the resource's own statements first (its types, then its
properties), then the statements of the resources it links to, then those pointing at it.
JSON-LD is compacted with the context published at ``/context.jsonld``: prefixes *and* a term
per property of the ontology (``"mboLevel": "..."``, labels as language maps), built from the
ontology in the served graph, so a JSON client reads ``doc["label"]["nl"]`` instead of full IRIs.
The compaction is a small, exact one for these flat documents (one node object per subject,
no blank nodes in our data): what a value cannot say through its term it says in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from markupsafe import Markup, escape

from kdgraph.namespaces import prefixes
from kdgraph.pages.rows import plain
from kdgraph.query.engine import Query, Term

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# The ontology's properties, with their kind and range: the terms of the JSON-LD context.
CONTEXT_TERMS = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?property ?kind (SAMPLE(?r) AS ?range) WHERE {{
  ?property a ?kind . VALUES ?kind {{ owl:ObjectProperty owl:DatatypeProperty }}
  OPTIONAL {{ ?property rdfs:range ?r }}
  FILTER(STRSTARTS(STR(?property), "{kd}"))
}} GROUP BY ?property ?kind ORDER BY ?property
"""

# Terms for the outside properties our data uses: name -> (IRI, "id" | "lang" | datatype IRI | "").
OUTSIDE_TERMS = {
    "label": ("http://www.w3.org/2000/01/rdf-schema#label", "lang"),
    "comment": ("http://www.w3.org/2000/01/rdf-schema#comment", "lang"),
    "seeAlso": ("http://www.w3.org/2000/01/rdf-schema#seeAlso", "id"),
    "prefLabel": ("http://www.w3.org/2004/02/skos/core#prefLabel", "lang"),
    "altLabel": ("http://www.w3.org/2004/02/skos/core#altLabel", "lang"),
    "definition": ("http://www.w3.org/2004/02/skos/core#definition", "lang"),
    "editorialNote": ("http://www.w3.org/2004/02/skos/core#editorialNote", "lang"),
    "scopeNote": ("http://www.w3.org/2004/02/skos/core#scopeNote", "lang"),
    "notation": ("http://www.w3.org/2004/02/skos/core#notation", ""),
    "inScheme": ("http://www.w3.org/2004/02/skos/core#inScheme", "id"),
    "broader": ("http://www.w3.org/2004/02/skos/core#broader", "id"),
    "narrower": ("http://www.w3.org/2004/02/skos/core#narrower", "id"),
    "exactMatch": ("http://www.w3.org/2004/02/skos/core#exactMatch", "id"),
    "topConceptOf": ("http://www.w3.org/2004/02/skos/core#topConceptOf", "id"),
    "hasTopConcept": ("http://www.w3.org/2004/02/skos/core#hasTopConcept", "id"),
    "title": ("http://purl.org/dc/terms/title", "lang"),
    "source": ("http://purl.org/dc/terms/source", "id"),
    "date": ("http://purl.org/dc/terms/date", XSD + "date"),
    "hasPart": ("http://purl.org/dc/terms/hasPart", "id"),
    "references": ("http://purl.org/dc/terms/references", "id"),
    "creator": ("http://purl.org/dc/terms/creator", "id"),
    "publisher": ("http://purl.org/dc/terms/publisher", "id"),
    "license": ("http://purl.org/dc/terms/license", "id"),
    "url": ("https://schema.org/url", "id"),
    "about": ("https://schema.org/about", "id"),
    "numberOfPages": ("https://schema.org/numberOfPages", XSD + "integer"),
    "pageStart": ("https://schema.org/pageStart", XSD + "integer"),
    "pageEnd": ("https://schema.org/pageEnd", XSD + "integer"),
    "educationalLevel": ("https://schema.org/educationalLevel", "lang"),
    "wasAttributedTo": ("http://www.w3.org/ns/prov#wasAttributedTo", "id"),
    "wasDerivedFrom": ("http://www.w3.org/ns/prov#wasDerivedFrom", "id"),
}


def context_query(base: str) -> Query:
    return Query(CONTEXT_TERMS.format(kd=f"{base}def/kd#"))


def context(base: str, rows: list[dict[str, Term]]) -> dict[str, object]:
    """The JSON-LD context: a term per ontology property (and the outside ones we use), then the
    prefixes whose names no term takes (JSON-LD keeps terms and prefixes in one namespace)."""
    terms: dict[str, object] = {}
    for row in rows:
        iri = row["property"].value
        name = iri.rsplit("#", 1)[-1]
        value_range = row["range"].value if "range" in row else ""
        if row["kind"].value.endswith("ObjectProperty"):
            terms[name] = {"@id": iri, "@type": "@id"}
        elif value_range == LANG_STRING:
            terms[name] = {"@id": iri, "@container": "@language"}
        elif value_range.startswith(XSD) and value_range != XSD + "string":
            terms[name] = {"@id": iri, "@type": value_range}
        else:
            terms[name] = {"@id": iri}
    for name, (iri, kind) in OUTSIDE_TERMS.items():
        if name in terms:
            continue
        if kind == "id":
            terms[name] = {"@id": iri, "@type": "@id"}
        elif kind == "lang":
            terms[name] = {"@id": iri, "@container": "@language"}
        elif kind:
            terms[name] = {"@id": iri, "@type": kind}
        else:
            terms[name] = {"@id": iri}
    names = {prefix: iri for prefix, iri in prefixes(base).items() if prefix not in terms}
    return {**names, **dict(sorted(terms.items()))}


def ordered(triples: Iterable[ox.Triple], iri: str) -> list[ox.Triple]:
    """The resource's own statements first (types, then by property), then the rest by subject."""
    this = ox.NamedNode(iri)

    def key(t: ox.Triple) -> tuple:
        group = 0 if t.subject == this else (2 if t.object == this else 1)
        predicate = t.predicate.value
        return (group, plain(t.subject).value, predicate != RDF_TYPE, predicate, str(t.object))

    return sorted(triples, key=key)


class Text(str):
    """A text from the data that knows its language ("" when untagged), so a page can mark a
    fragment in another language than its own (``lang``) wherever the text ends up."""

    lang: str = ""

    def __new__(cls, value: str, lang: str = "") -> Text:
        text = super().__new__(cls, value)
        text.lang = lang
        return text


def marked(text: object, lang: str) -> Markup:
    """``text`` escaped, inside ``<span lang>`` when it is a text of another language than ``lang``
    (a Dutch name or quote on an English page): the one rule for every page and its parts."""
    tag = getattr(text, "lang", "")
    if tag and tag.split("-")[0] != lang:
        return Markup(f'<span lang="{escape(tag)}">{escape(text)}</span>')
    return escape(text)  # (as Markup.format would, without its formatter: a page marks thousands)


class Index:
    """Triples by subject and predicate, for page builders that read a small answer in Python.

    A page asks the same (subject, predicate) many times (a dossier page some 20,000 times), and
    every read of a pyoxigraph term's value or language makes a new Python string: so what a pair
    holds is read out of the terms once, on first asking, and kept (``iris``, ``text``).
    """

    def __init__(self, triples: Iterable[ox.Triple]):
        self.out: dict[str, dict[str, list[Term]]] = {}
        for t in triples:
            subject = t.subject
            if isinstance(subject, ox.NamedNode):
                by_predicate = self.out.setdefault(subject.value, {})
                by_predicate.setdefault(t.predicate.value, []).append(plain(t.object))
        self._iris: dict[tuple[str, str], list[str]] = {}
        self._literals: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def values(self, subject: str, predicate: str) -> list[Term]:
        return self.out.get(subject, {}).get(predicate, [])

    def iris(self, subject: str, predicate: str) -> list[str]:
        """The IRIs ``subject predicate`` names, sorted (the same list at every asking: do not change it)."""
        found = self._iris.get((subject, predicate))
        if found is None:
            values = self.values(subject, predicate)
            found = self._iris[subject, predicate] = sorted(
                {v.value for v in values if isinstance(v, ox.NamedNode)}
            )
        return found

    def text(self, subject: str, predicate: str, *languages: str) -> str:
        """The literal in the first of ``languages`` that has one ("" for no language tag), else any."""
        literals = self._literals.get((subject, predicate))
        if literals is None:
            literals = self._literals[subject, predicate] = [
                (v.value, v.language or "")
                for v in self.values(subject, predicate)
                if isinstance(v, ox.Literal)
            ]
        for wanted in languages:
            for value, lang in literals:
                if lang == wanted:
                    return Text(value, lang)
        return Text(*literals[0]) if literals else ""


def turtle(triples: list[ox.Triple], iri: str, base: str) -> bytes:
    """Turtle with the prefixes it uses (and only those) and the resource's own statements first."""
    used = {
        term.value
        for t in triples
        for term in (t.subject, t.predicate, t.object, getattr(t.object, "datatype", None))
        if isinstance(term, ox.NamedNode)
    }
    names = {
        prefix: namespace
        for prefix, namespace in prefixes(base).items()
        if any(value.startswith(namespace) for value in used)
    }
    return ox.serialize(ordered(triples, iri), format=ox.RdfFormat.TURTLE, prefixes=names) or b""


def compact_iri(iri: str, names: Mapping[str, object]) -> str:
    for prefix, namespace in names.items():
        if isinstance(namespace, str) and iri.startswith(namespace) and len(iri) > len(namespace):
            rest = iri[len(namespace) :]
            if all(ch.isalnum() or ch in "-_." for ch in rest):
                return f"{prefix}:{rest}"
    return iri


def compact(triples: list[ox.Triple], iri: str, ctx: dict[str, object], context_url: str) -> dict:
    """Compacted JSON-LD: ``{"@context": context_url, "@graph": [node, ...]}``, the resource first."""
    by_iri = {d["@id"]: name for name, d in ctx.items() if isinstance(d, dict)}
    names = {k: v for k, v in ctx.items() if isinstance(v, str)}
    nodes: dict[str, dict] = {}
    for t in ordered(triples, iri):
        node_id = plain(t.subject)
        subject = node_id.value if isinstance(node_id, ox.NamedNode) else f"_:{node_id.value}"
        node = nodes.setdefault(subject, {"@id": compact_iri(subject, names)})
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(compact_iri(t.object.value, names))
            continue
        key, value = _property_value(t.predicate.value, t.object, ctx, by_iri, names)
        if isinstance(value, tuple):  # a language map entry
            language, text = value
            node.setdefault(key, {}).setdefault(language, []).append(text)
        else:
            node.setdefault(key, []).append(value)
    graph = []
    for node in nodes.values():
        for key, value in node.items():
            if isinstance(value, list) and len(value) == 1:
                node[key] = value[0]
            elif isinstance(value, dict):
                node[key] = {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in value.items()}
        graph.append(node)
    return {"@context": context_url, "@graph": graph}


def _property_value(predicate: str, obj: object, ctx: dict, by_iri: dict[str, str], names: dict) -> tuple:
    """(key, value) for one statement: through the property's term when the value fits it, else in full."""
    name = by_iri.get(predicate)
    term = ctx.get(name, {}) if name else {}
    full_key = compact_iri(predicate, names)
    if isinstance(obj, ox.NamedNode):
        if term.get("@type") == "@id":
            return name, compact_iri(obj.value, names)
        return full_key, {"@id": compact_iri(obj.value, names)}
    if isinstance(obj, ox.BlankNode):
        return (name if term.get("@type") == "@id" else full_key), (
            f"_:{obj.value}" if term.get("@type") == "@id" else {"@id": f"_:{obj.value}"}
        )
    assert isinstance(obj, ox.Literal)
    if obj.language:
        if term.get("@container") == "@language":
            return name, (obj.language, obj.value)
        return full_key, {"@value": obj.value, "@language": obj.language}
    datatype = obj.datatype.value
    if name and "@container" not in term:
        if term.get("@type") == datatype:
            return name, int(obj.value) if datatype == XSD + "integer" else obj.value
        if "@type" not in term and datatype == XSD + "string":
            return name, obj.value
        if "@type" not in term and datatype in (XSD + "integer", XSD + "boolean"):
            return name, int(obj.value) if datatype.endswith("integer") else obj.value == "true"
    if datatype == XSD + "string":
        return full_key, {"@value": obj.value}
    return full_key, {"@value": obj.value, "@type": compact_iri(datatype, names)}

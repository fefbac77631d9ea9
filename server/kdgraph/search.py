"""Search over the labels and texts of the graph, in Dutch and English, ranked.

One SELECT (``search_request``) finds every resource under our base whose label (skos:prefLabel,
rdfs:label, skos:altLabel, dcterms:title) or text (kd:text, skos:definition, rdfs:comment,
skos:scopeNote, kd:reason) contains the search term, ignoring case, with its name and the label
of its class in the page's language. The ranking is done here, per resource, by its best match:

0. a label equal to the term, 1. a label starting with it, 2. a label containing it,
3. a text containing it; alphabetical by name within each rank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from .query.engine import Query

LABEL_PROPERTIES = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://purl.org/dc/terms/title",
)
MATCHES = ("exact_label", "label_prefix", "word_in_label", "word_in_text")
MAX_HITS = 100

SEARCH = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX kd: <{kd}>
SELECT ?needle ?s ?p ?text ?name ?type ?typeName WHERE {{
  VALUES ?p {{ skos:prefLabel rdfs:label skos:altLabel dcterms:title kd:text skos:definition rdfs:comment
              skos:scopeNote kd:reason }}
  ?s ?p ?text .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{base}") && CONTAINS(LCASE(STR(?text)), ?needle))
  OPTIONAL {{ ?s skos:prefLabel|rdfs:label ?name . FILTER(LANGMATCHES(LANG(?name), "{lang}")) }}
  OPTIONAL {{ ?s a ?type .
             OPTIONAL {{ ?type rdfs:label ?typeName . FILTER(LANGMATCHES(LANG(?typeName), "{lang}")) }} }}
}}
"""

# Names of the outside classes our resources have, for the type of a hit: (nl, en).
OUTSIDE_TYPES = {
    "http://www.w3.org/2002/07/owl#Class": ("klasse", "class"),
    "http://www.w3.org/2002/07/owl#ObjectProperty": ("objecteigenschap", "object property"),
    "http://www.w3.org/2002/07/owl#DatatypeProperty": ("gegevenseigenschap", "datatype property"),
    "http://www.w3.org/2002/07/owl#Ontology": ("ontologie", "ontology"),
    "http://www.w3.org/2004/02/skos/core#Concept": ("begrip", "concept"),
    "http://www.w3.org/2004/02/skos/core#ConceptScheme": ("begrippenlijst", "concept scheme"),
    "http://www.w3.org/ns/shacl#SPARQLExecutable": ("opgeslagen vraag", "saved query"),
    "http://www.w3.org/ns/shacl#SPARQLSelectExecutable": ("opgeslagen vraag", "saved query"),
}


def normalise(term: str) -> str:
    return re.sub(r"\s+", " ", term).strip().lower()


def search_query(base: str, term: str, lang: str) -> Query:
    return Query.bound(
        SEARCH.format(kd=f"{base}def/kd#", base=base, lang=lang), {"needle": ox.Literal(normalise(term))}
    )


@dataclass
class Hit:
    iri: str
    name: str
    type_iri: str
    type_name: str
    match: str  # one of MATCHES
    snippet: str  # the matching text, shortened around the term

    def as_json(self, href: str) -> dict[str, object]:
        return {
            "iri": self.iri,
            "href": href,
            "label": self.name,
            "type": {"iri": self.type_iri, "label": self.type_name},
            "match": self.match,
            "text": self.snippet,
        }


def rank(term: str, rows: list[dict], lang: str) -> list[Hit]:
    """One hit per resource, by its best match, then by name."""
    needle = normalise(term)
    best: dict[str, Hit] = {}
    for row in rows:
        iri, text = row["s"]["value"], row["text"]["value"]
        is_label = row["p"]["value"] in LABEL_PROPERTIES
        lowered = normalise(text)
        if is_label and lowered == needle:
            match = 0
        elif is_label and lowered.startswith(needle):
            match = 1
        elif is_label:
            match = 2
        else:
            match = 3
        type_iri = row.get("type", {}).get("value", "")
        type_name = row.get("typeName", {}).get("value") or _outside_type(type_iri, lang)
        hit = Hit(
            iri,
            row.get("name", {}).get("value") or (text if is_label else iri.rsplit("/", 1)[-1]),
            type_iri,
            type_name,
            MATCHES[match],
            snippet(text, needle),
        )
        current = best.get(iri)
        if current is None or _preference(hit) < _preference(current):
            best[iri] = hit
    return sorted(best.values(), key=lambda h: (MATCHES.index(h.match), h.name.lower(), h.iri))[:MAX_HITS]


def _preference(hit: Hit) -> tuple[int, bool, bool]:
    """The better match first; then a type our ontology names (kd:LanguageSkill over skos:Concept)."""
    return (MATCHES.index(hit.match), "/def/kd#" not in hit.type_iri, hit.type_name == "")


def _outside_type(iri: str, lang: str) -> str:
    if iri in OUTSIDE_TYPES:
        nl, en = OUTSIDE_TYPES[iri]
        return en if lang == "en" else nl
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def snippet(text: str, needle: str, width: int = 90) -> str:
    """About ``width`` characters of ``text`` around the first occurrence of ``needle``."""
    flat = re.sub(r"\s+", " ", text).strip()
    at = flat.lower().find(needle)
    if at < 0 or len(flat) <= width:
        return flat if len(flat) <= width else flat[:width].rstrip() + "…"
    start = max(0, at - width // 3)
    end = min(len(flat), start + width)
    return ("…" if start else "") + flat[start:end].strip() + ("…" if end < len(flat) else "")

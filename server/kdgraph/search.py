"""Search over the labels and texts of the graph, in Dutch and English, ranked.

One SELECT (``search_query``) finds every resource under our base whose label (skos:prefLabel,
rdfs:label, skos:altLabel, dcterms:title) or text (kd:text, skos:definition, rdfs:comment,
skos:scopeNote, kd:reason) contains the search term, ignoring case, with its names and the labels
of its class in every language. The ranking is done here, per resource, by its best match:

0. a label equal to the term, 1. a label starting with it, 2. a label containing it,
3. a text containing it; alphabetical by name within each rank.

One language per page: the excerpt, the name and the type of a hit are picked here in the page's
language, and in the other one only when the data has none in the page's language (the hit then
says which language it shows, so the page can mark it with ``lang``).
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
ELLIPSIS = "…"

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
  OPTIONAL {{ ?s skos:prefLabel|rdfs:label ?name . }}
  OPTIONAL {{ ?s a ?type . OPTIONAL {{ ?type rdfs:label ?typeName . }} }}
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


def search_query(base: str, term: str) -> Query:
    """Every language comes back; ``rank`` picks the page's."""
    return Query.bound(SEARCH.format(kd=f"{base}def/kd#", base=base), {"needle": ox.Literal(normalise(term))})


@dataclass(frozen=True)
class Excerpt:
    """Words of a text around the term: ``text`` (with "…" where words were left off) and where in
    it the term is (``start``, ``end``; equal when the term is not in it)."""

    text: str
    start: int
    end: int

    @property
    def before(self) -> str:
        return self.text[: self.start]

    @property
    def matched(self) -> str:
        return self.text[self.start : self.end]

    @property
    def after(self) -> str:
        return self.text[self.end :]


@dataclass(frozen=True)
class Worded:
    """A word from the data and its language tag ("" when it has none)."""

    value: str
    lang: str


@dataclass
class Hit:
    iri: str
    name: str
    type_iri: str
    type_name: str
    match: str  # one of MATCHES
    excerpt: Excerpt  # the matching text, shortened around the term at word boundaries
    name_lang: str = ""  # the language of name, type name and excerpt; "" when untagged
    type_lang: str = ""
    excerpt_lang: str = ""

    @property
    def snippet(self) -> str:
        return self.excerpt.text

    def as_json(self, href: str) -> dict[str, object]:
        return {
            "iri": self.iri,
            "href": href,
            "label": self.name,
            "label_lang": self.name_lang,
            "type": {"iri": self.type_iri, "label": self.type_name, "lang": self.type_lang},
            "match": self.match,
            "text": self.excerpt.text,
            "text_lang": self.excerpt_lang,
            "text_match": [self.excerpt.start, self.excerpt.end],
        }


@dataclass
class _Found:
    """What the rows say of one resource."""

    matches: dict[Worded, int]  # matching text -> its rank (the best, over its properties)
    names: set[Worded]
    types: dict[str, set[Worded]]  # type IRI -> its labels


def _term(binding: dict[str, str]) -> Worded:
    return Worded(binding["value"], binding.get("xml:lang", "").lower())


def _in_language(words: set[Worded], lang: str) -> Worded | None:
    """The page's language first, then untagged, then any other; alphabetical for a stable choice."""
    return min(words, key=lambda w: (_language_order(w.lang, lang), w.value), default=None)


def _language_order(tag: str, lang: str) -> int:
    return 0 if tag.split("-")[0] == lang else 1 if tag == "" else 2


def _match_rank(text: str, needle: str, is_label: bool) -> int:
    lowered = normalise(text)
    if is_label and lowered == needle:
        return 0
    if is_label and lowered.startswith(needle):
        return 1
    return 2 if is_label else 3


def rank(term: str, rows: list[dict], lang: str) -> list[Hit]:
    """One hit per resource, by its best match, then by name; words in the page's language."""
    needle = normalise(term)
    found: dict[str, _Found] = {}
    for row in rows:
        entry = found.setdefault(row["s"]["value"], _Found({}, set(), {}))
        text = _term(row["text"])
        is_label = row["p"]["value"] in LABEL_PROPERTIES
        entry.matches[text] = min(entry.matches.get(text, 3), _match_rank(text.value, needle, is_label))
        if "name" in row:
            entry.names.add(_term(row["name"]))
        if "type" in row:
            labels = entry.types.setdefault(row["type"]["value"], set())
            if "typeName" in row:
                labels.add(_term(row["typeName"]))
    hits = [_hit(iri, entry, needle, lang) for iri, entry in found.items()]
    return sorted(hits, key=lambda h: (MATCHES.index(h.match), h.name.lower(), h.iri))[:MAX_HITS]


def _hit(iri: str, entry: _Found, needle: str, lang: str) -> Hit:
    best = min(entry.matches.values())
    # The excerpt: a matching text in the page's language if there is one, the best-ranked of those.
    shown = min(entry.matches, key=lambda w: (_language_order(w.lang, lang), entry.matches[w], w.value))
    name = _in_language(entry.names, lang)
    if name is None:  # no prefLabel or rdfs:label: a matching label, else the IRI's last segment
        labels = {w for w, r in entry.matches.items() if r < 3}
        name = _in_language(labels, lang) or Worded(iri.rsplit("/", 1)[-1], "")
    type_iri, type_name = _type(entry.types, lang)
    return Hit(
        iri,
        name.value,
        type_iri,
        type_name.value,
        MATCHES[best],
        excerpt(shown.value, needle),
        name_lang=name.lang,
        type_lang=type_name.lang,
        excerpt_lang=shown.lang,
    )


def _type(types: dict[str, set[Worded]], lang: str) -> tuple[str, Worded]:
    """A type our ontology names (kd:LanguageSkill over skos:Concept), then one with a label."""
    if not types:
        return "", Worded("", "")
    iri = min(types, key=lambda t: ("/def/kd#" not in t, not types[t], t))
    label = _in_language(types[iri], lang)
    if label is not None:
        return iri, label
    if iri in OUTSIDE_TYPES:
        nl, en = OUTSIDE_TYPES[iri]
        return iri, Worded(en if lang == "en" else nl, lang)
    return iri, Worded(iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1], "")


def excerpt(text: str, needle: str, width: int = 90) -> Excerpt:
    """About ``width`` characters of ``text`` around the first occurrence of ``needle``, cut only
    between words (a word longer than the rest is kept whole), with the term inside."""
    flat = re.sub(r"\s+", " ", text).strip()
    at = flat.lower().find(needle) if needle else -1
    if len(flat) <= width:
        return Excerpt(flat, max(at, 0), at + len(needle) if at >= 0 else 0)
    if at < 0:
        at, needle = 0, ""
    end_of_term = at + len(needle)
    # Start at the beginning of a word about a third of the width before the term, never after the
    # beginning of the word the term is in.
    term_word = flat.rfind(" ", 0, at) + 1
    start = term_word
    aim = max(0, at - width // 3)
    if aim > 0:
        space = flat.find(" ", aim - 1, term_word)
        start = space + 1 if space >= 0 else term_word
    else:
        start = 0
    # End at the end of a word, about ``width`` after the start, never before the end of the term's word.
    term_word_end = flat.find(" ", end_of_term)
    term_word_end = len(flat) if term_word_end < 0 else term_word_end
    end = term_word_end
    if start + width > term_word_end:
        space = flat.rfind(" ", term_word_end, start + width + 1)
        end = space if space >= 0 else term_word_end
    head = ELLIPSIS if start > 0 else ""
    tail = ELLIPSIS if end < len(flat) else ""
    body = flat[start:end]
    offset = len(head) + at - start
    return Excerpt(head + body + tail, offset, offset + len(needle))

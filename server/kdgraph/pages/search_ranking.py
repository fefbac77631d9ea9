"""Search over the labels and texts of the graph, in Dutch and English word forms, ranked and grouped.

A search term matches a word of a label or text when they are the same word form (equal after
folding case and diacritics, or the same stem by the Snowball stemmers for Dutch and English:
"lassen" and "las" share the Dutch stem "las") or when the word is a compound of the
term's stem and another word of the graph ("lascoördinator" = las + coördinator, "Lastechniek" =
las + techniek; "lastig" is not one, "tig" being no word here), or when the term as typed (four letters or
more) is part of the word. Several words must all match.

One SELECT (``search_query``) finds the candidates: every resource under our base whose label
(skos:prefLabel, rdfs:label, skos:altLabel, dcterms:title) or text (kd:text, skos:definition,
rdfs:comment, skos:scopeNote, kd:reason) contains a stem of the first word, with its names, its
class's labels, its dossier, and for an involvement (which has no label) its organisation and
role. The words are checked here, and the ranking is done here, per resource, by its best match:

0. a label that is the term, 1. a label starting with it, 2. a word of a label, 3. a word of a
text; alphabetical by name within each rank. Then hits are grouped by their kind (the groups in
the order of their best hit), and near-duplicates (the same kind, the same matching text, names
that differ only in a closing "(...)") are folded into one hit that lists the others. The HTML
page and the JSON answer show this one order.

One language per page: the excerpt, the name and the type of a hit are picked here in the page's
language, and in the other one only when the data has none in the page's language (the hit then
says which language it shows, so the page can mark it with ``lang``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox
import snowballstemmer

from kdgraph.pages.rows import Row
from kdgraph.query.engine import Query
from kdgraph.query.engine import Term as RdfTerm

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
SELECT ?s ?p ?text ?name ?type ?typeName ?dossier ?dossierName ?org ?role WHERE {{
  VALUES ?p {{ skos:prefLabel rdfs:label skos:altLabel dcterms:title kd:text skos:definition rdfs:comment
              skos:scopeNote kd:reason }}
  VALUES ?needle {{ {needles} }}
  ?s ?p ?text .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{base}") && CONTAINS(LCASE(STR(?text)), ?needle))
  OPTIONAL {{ ?s skos:prefLabel|rdfs:label ?name . }}
  OPTIONAL {{ ?s a ?type . OPTIONAL {{ ?type rdfs:label ?typeName . }} }}
  OPTIONAL {{ ?s kd:dossier|kd:inDossier ?dossier . ?dossier rdfs:label ?dossierName . }}
  OPTIONAL {{ ?s kd:stakeholder/rdfs:label ?org ; kd:stakeholderRole/(skos:prefLabel|rdfs:label) ?role . }}
}}
"""

# The texts that may have some candidate words as words of their own: the second half of a
# compound must be a word of the graph ("coördinator"), not any ending ("tig" of "lastig"). The
# texts are found by each word's last letters (CONTAINS, which is fast; the ending of a word
# rarely has diacritics), and the whole word is checked here, diacritics folded.
WORDS_OF_THE_GRAPH = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX kd: <{kd}>
SELECT DISTINCT ?text WHERE {{
  VALUES ?ending {{ {endings} }}
  VALUES ?p {{ skos:prefLabel rdfs:label skos:altLabel dcterms:title kd:text skos:definition rdfs:comment
              skos:scopeNote kd:reason }}
  ?s ?p ?text .
  FILTER(CONTAINS(LCASE(STR(?text)), ?ending))
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


def fold(text: str) -> str:
    """Lower case without diacritics: "Coördinator" and "coordinator" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


WORD = re.compile(r"\w+", re.UNICODE)
MIN_STEM = 3  # shorter stems ("in", "de") would make a compound of every word
MIN_PART = 4  # the other half of a compound: a word of its own, of at least this length
LINKS = ("", "s", "e", "en")  # Dutch linking sounds between the halves (beroep-s-onderwijs)
INFLECTIONS = ("e", "s", "en", "es", "er")  # endings the Dutch stemmer leaves (engelse -> engels)


@functools.lru_cache(maxsize=4096)
def stems(word: str) -> tuple[str, str]:
    """The Dutch and the English Snowball stem of a folded word."""
    return _stemmer("dutch").stemWord(word), _stemmer("english").stemWord(word)


@functools.lru_cache(maxsize=2)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)


@dataclass(frozen=True)
class Term:
    """A word of the search term: its folded form, its stems, and the beginnings a compound may have."""

    word: str

    @functools.cached_property
    def stems(self) -> tuple[str, str]:
        return stems(self.word)

    @functools.cached_property
    def heads(self) -> tuple[str, ...]:
        """What a compound may start or end with: the word and its stems, longest first."""
        found = {self.word, *self.stems}
        return tuple(sorted((h for h in found if len(h) >= MIN_STEM), key=len, reverse=True))

    def same_form(self, word: str) -> bool:
        """``word`` (folded) is a form of this word: equal, the same stem in Dutch or English, or
        a Dutch stem with an inflection the stemmer keeps ("engelse" -> "engels" for "engel")."""
        if word == self.word:
            return True
        dutch, english = stems(word)
        if dutch == self.stems[0] or english == self.stems[1]:
            return True
        return dutch.startswith(self.stems[0]) and dutch[len(self.stems[0]) :] in INFLECTIONS

    def compound_rests(self, word: str) -> list[str]:
        """The other halves ``word`` would have as a compound of this word (to be checked)."""
        rests = []
        for head in self.heads:
            if word.startswith(head) and len(word) > len(head):
                rest = word[len(head) :]
                rests += [rest[len(link) :] for link in LINKS if rest.startswith(link)]
            if word.endswith(head) and len(word) > len(head):
                rests.append(word[: -len(head)])
        return [r for r in dict.fromkeys(rests) if len(r) >= MIN_PART]

    def matches(self, word: str, known: frozenset[str]) -> bool:
        """A form of this word, a compound with it, or (as typed, four letters or more) a part of
        it: "techn" still finds "Productietechniek", as the substring search did."""
        return (
            self.same_form(word)
            or (len(self.word) >= MIN_PART and self.word in word)
            or any(rest in known for rest in self.compound_rests(word))
        )


def terms(term: str) -> list[Term]:
    return [Term(fold(w)) for w in WORD.findall(normalise(term))]


def search_query(base: str, term: str) -> Query:
    """The candidates: texts containing a beginning of the first word (in any language; ``rank``
    picks the page's). Every language comes back."""
    words = terms(term)
    if not words:
        return Query(SEARCH.format(kd=f"{base}def/kd#", base=base, needles='""'))
    first = words[0]
    shortest = min(first.heads, key=len) if first.heads else first.word
    typed = WORD.findall(normalise(term))[0]  # with its diacritics, as the texts may have them
    needles = {shortest, typed[: len(shortest)]}
    listed = " ".join(_literal(n) for n in sorted(needles))
    return Query(SEARCH.format(kd=f"{base}def/kd#", base=base, needles=listed))


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def compound_candidates(term: str, rows: list[Row]) -> list[str]:
    """The would-be second halves of compounds in the candidate texts, for ``words_query``."""
    words = terms(term)
    found: set[str] = set()
    for row in rows:
        for word in {fold(w) for w in WORD.findall(row["text"].value)}:
            for t in words:
                if not t.same_form(word):
                    found.update(t.compound_rests(word))
    return sorted(found)


def words_query(base: str, words: list[str]) -> Query:
    """The texts in which ``words`` (folded) may occur; ``known_words`` reads them."""
    endings = " ".join(_literal(e) for e in sorted({w[-MIN_PART:] for w in words}))
    return Query(WORDS_OF_THE_GRAPH.format(kd=f"{base}def/kd#", endings=endings))


def known_words(words: list[str], rows: list[Row]) -> frozenset[str]:
    """Which of ``words`` are words of their own in the texts ``words_query`` found."""
    wanted = set(words)
    return frozenset(w for row in rows for w in map(fold, WORD.findall(row["text"].value)) if w in wanted)


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
    dossier: Worded | None = None  # the dossier the resource belongs to, by its name
    dossier_iri: str = ""
    also: list[tuple[str, str]] = field(default_factory=list)  # folded near-duplicates: (iri, name)

    @property
    def snippet(self) -> str:
        return self.excerpt.text

    def as_json(self, href: str, local: Callable[[str], str] = lambda iri: iri) -> dict[str, object]:
        return {
            "iri": self.iri,
            "href": href,
            "label": self.name,
            "label_lang": self.name_lang,
            "type": {"iri": self.type_iri, "label": self.type_name, "lang": self.type_lang},
            "dossier": {"iri": self.dossier_iri, "label": self.dossier.value, "lang": self.dossier.lang}
            if self.dossier
            else None,
            "match": self.match,
            "text": self.excerpt.text,
            "text_lang": self.excerpt_lang,
            "text_match": [self.excerpt.start, self.excerpt.end],
            "also": [{"iri": iri, "href": local(iri), "label": name} for iri, name in self.also],
        }


@dataclass
class _Found:
    """What the rows say of one resource."""

    matches: dict[Worded, tuple[int, str]]  # matching text -> (its rank, the word that matched)
    names: set[Worded]
    types: dict[str, set[Worded]]  # type IRI -> its labels
    dossiers: dict[str, set[Worded]] = field(default_factory=dict)
    roles: set[tuple[Worded, Worded]] = field(default_factory=set)  # an involvement: (organisation, role)


def _term(term: RdfTerm) -> Worded:
    return Worded(term.value, ((term.language or "") if isinstance(term, ox.Literal) else "").lower())


def _in_language(words: set[Worded], lang: str) -> Worded | None:
    """The page's language first, then untagged, then any other; alphabetical for a stable choice."""
    return min(words, key=lambda w: (_language_order(w.lang, lang), w.value), default=None)


def _language_order(tag: str, lang: str) -> int:
    return 0 if tag.split("-")[0] == lang else 1 if tag == "" else 2


def _match(text: str, words: list[Term], known: frozenset[str], is_label: bool) -> tuple[int, str] | None:
    """(rank, the first matching word as written) when every word of the term matches a word of
    ``text``; None otherwise."""
    written = WORD.findall(text)
    folded = [fold(w) for w in written]
    first_hit = ""
    for t in words:
        at = next((i for i, w in enumerate(folded) if t.matches(w, known)), None)
        if at is None:
            return None
        first_hit = first_hit or written[at]
    if (
        is_label
        and len(folded) == len(words)
        and all(t.same_form(w) for t, w in zip(words, folded, strict=True))
    ):
        return 0, first_hit
    if (
        is_label
        and folded
        and (words[0].same_form(folded[0]) or any(folded[0].startswith(h) for h in words[0].heads))
    ):
        return 1, first_hit
    return (2 if is_label else 3), first_hit


def rank(term: str, rows: list[Row], lang: str, known: frozenset[str] = frozenset()) -> list[Hit]:
    """One hit per resource, by its best match, then by name; words in the page's language;
    grouped by kind, near-duplicates folded. ``known``: the words of the graph that
    ``compound_candidates`` asked about and ``words_query`` found."""
    words = terms(term)
    found: dict[str, _Found] = {}
    for row in rows:
        text = _term(row["text"])
        matched = _match(text.value, words, known, row["p"].value in LABEL_PROPERTIES)
        entry = found.setdefault(row["s"].value, _Found({}, set(), {}))
        if matched is not None:
            best = entry.matches.get(text)
            entry.matches[text] = matched if best is None or matched[0] < best[0] else best
        if "name" in row:
            entry.names.add(_term(row["name"]))
        if "type" in row:
            labels = entry.types.setdefault(row["type"].value, set())
            if "typeName" in row:
                labels.add(_term(row["typeName"]))
        if "dossier" in row:
            entry.dossiers.setdefault(row["dossier"].value, set()).add(_term(row["dossierName"]))
        if "org" in row and "role" in row:
            entry.roles.add((_term(row["org"]), _term(row["role"])))
    hits = [_hit(iri, entry, lang, normalise(term)) for iri, entry in found.items() if entry.matches]
    ranked = sorted(hits, key=lambda h: (MATCHES.index(h.match), h.name.lower(), h.iri))
    return _grouped(_folded(ranked))[:MAX_HITS]


def _folded(hits: list[Hit]) -> list[Hit]:
    """Near-duplicates into one: the same kind, the same matching text, names that differ only
    in a closing "(...)" (eleven "Vertalingen ... door de modelleur (sectie-3)" and so on)."""
    kept: dict[tuple[str, str, str], Hit] = {}
    for hit in hits:
        stem_name = re.sub(r"\s*\([^()]*\)\s*$", "", hit.name).lower()
        key = (hit.type_iri, stem_name, hit.excerpt.text if hit.match == "word_in_text" else "")
        if key in kept:
            kept[key].also.append((hit.iri, hit.name))
        else:
            kept[key] = hit
    return list(kept.values())


def _grouped(hits: list[Hit]) -> list[Hit]:
    """By kind, the kinds in the order of their best hit, each kind's hits in rank order."""
    kinds: dict[str, list[Hit]] = {}
    for hit in hits:
        kinds.setdefault(hit.type_iri, []).append(hit)
    return [hit for group in kinds.values() for hit in group]


def groups(hits: list[Hit]) -> list[tuple[str, str, list[Hit]]]:
    """(kind's name, its language, hits) in the order ``rank`` gave."""
    by_kind: dict[str, tuple[str, str, list[Hit]]] = {}
    for hit in hits:
        by_kind.setdefault(hit.type_iri, (hit.type_name, hit.type_lang, []))[2].append(hit)
    return list(by_kind.values())


def _hit(iri: str, entry: _Found, lang: str, phrase: str) -> Hit:
    best = min(r for r, _ in entry.matches.values())
    # The excerpt: a matching text in the page's language if there is one, the best-ranked of those.
    shown = min(entry.matches, key=lambda w: (_language_order(w.lang, lang), entry.matches[w][0], w.value))
    name = _in_language(entry.names, lang)
    if name is None and entry.roles:  # an involvement: its organisation and role
        org, role = min(  # both names in the page's language where the data has them
            entry.roles,
            key=lambda pair: (
                _language_order(pair[1].lang, lang),
                _language_order(pair[0].lang, lang),
                pair[0].value,
            ),
        )
        name = Worded(f"{org.value} — {role.value}", role.lang)
    if name is None:  # no prefLabel or rdfs:label: a matching label, else the text that matched
        labels = {w for w, (r, _) in entry.matches.items() if r < 3}
        name = _in_language(labels, lang) or Worded(excerpt(shown.value, "", 60).text, shown.lang)
    type_iri, type_name = _type(entry.types, lang)
    dossier_iri = min(entry.dossiers, default="")
    return Hit(
        iri,
        name.value,
        type_iri,
        type_name.value,
        MATCHES[best],
        # around the whole term where the text has it, else around the first word that matched
        excerpt(shown.value, phrase if phrase in shown.value.lower() else entry.matches[shown][1].lower()),
        name_lang=name.lang,
        type_lang=type_name.lang,
        excerpt_lang=shown.lang,
        dossier=_in_language(entry.dossiers[dossier_iri], lang) if dossier_iri else None,
        dossier_iri=dossier_iri,
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

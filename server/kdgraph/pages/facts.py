"""An imported dossier's statements as rows, each with the XML location that states it.

Two SELECT queries per dossier: the statements of every resource that belongs to the dossier
(itself, its qualifications, crebo registrations, kerntaken, werkprocessen, texts, language
requirements ...) each with its named graph and that graph's file and line; and the labels,
notations and level numbers of everything they link to (competences, text kinds, domains ...).
``Facts`` answers from those rows what a page asks: a resource's values, its label in the page's
language, and where the XML says a statement.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from kdgraph.pages.rows import Citation, Row, Text, literal_text, pick, tail
from kdgraph.query.engine import Term

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PREFIXES = """PREFIX kd: <{kd}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/>
"""
# The resources of one dossier: itself, what names it as its dossier, its crebo registrations
# (its own and its qualifications') and the requirements stated in its language statements.
MEMBERS = """
  {{ BIND(<{dossier}> AS ?s) }}
  UNION {{ ?s kd:dossier <{dossier}> FILTER NOT EXISTS {{ ?s a kd:XmlLocation }} }}
  UNION {{ ?s kd:inDossier <{dossier}> }}
  UNION {{ <{dossier}> kd:hasQualification?/kd:creboRegistration ?s }}
  UNION {{ ?s kd:statedIn/kd:dossier <{dossier}> }}"""
STATEMENTS = (
    PREFIXES
    + """SELECT ?s ?p ?o ?g ?file ?line WHERE {{"""
    + MEMBERS
    + """
  GRAPH ?g {{ ?s ?p ?o }}
  OPTIONAL {{ ?g kd:sourceFile/schema:name ?file ; kd:line ?line }}
}}"""
)
LINKED = (
    PREFIXES
    + """SELECT DISTINCT ?o ?label ?notation WHERE {{"""
    + MEMBERS
    + """
  ?s ?p ?o . FILTER(isIRI(?o) && ?p != rdf:type)
  {{ ?o rdfs:label|skos:prefLabel ?label }} UNION {{ ?o skos:notation|kd:levelNumber ?notation }}
}}"""
).replace("PREFIX kd:", "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\nPREFIX kd:")


def statements_query(base: str, dossier: str) -> str:
    return STATEMENTS.format(kd=f"{base}def/kd#", dossier=dossier)


def linked_query(base: str, dossier: str) -> str:
    return LINKED.format(kd=f"{base}def/kd#", dossier=dossier)


class Facts:
    """The statements of one dossier's resources, for the page builders to read."""

    def __init__(self, base: str, lang: str, statements: list[Row], linked: list[Row]):
        self.kd = f"{base}def/kd#"
        self.lang = lang
        self.values: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        self.where_stated: dict[tuple[str, str, str], Citation] = {}
        self.subjects_by_type: dict[str, list[str]] = defaultdict(list)
        for row in statements:
            s, p, o = row["s"].value, row["p"].value, row["o"]
            if o not in self.values[s][p]:
                self.values[s][p].append(o)
            if p == RDF_TYPE and s not in self.subjects_by_type[o.value]:
                self.subjects_by_type[o.value].append(s)
            if "file" in row and (s, p, o.value) not in self.where_stated:
                self.where_stated[(s, p, o.value)] = Citation(
                    row["g"].value, row["file"].value, int(row["line"].value)
                )
        self.labels: dict[str, list[Text]] = defaultdict(list)
        self.notations: dict[str, str] = {}
        for row in linked:
            iri = row["o"].value
            if "label" in row:
                self.labels[iri].append(literal_text(row["label"]))
            if "notation" in row:
                self.notations[iri] = row["notation"].value

    def of_type(self, name: str) -> list[str]:
        return self.subjects_by_type.get(self.kd + name, [])

    def _predicate(self, name: str) -> str:
        return name if ":" in name else self.kd + name

    def iris(self, s: str, name: str) -> list[str]:
        return [o.value for o in self.values[s].get(self._predicate(name), []) if isinstance(o, ox.NamedNode)]

    def iri(self, s: str, name: str) -> str | None:
        found = self.iris(s, name)
        return found[0] if found else None

    def texts(self, s: str, name: str) -> list[Text]:
        return [
            literal_text(o)
            for o in self.values[s].get(self._predicate(name), [])
            if not isinstance(o, ox.NamedNode)
        ]

    def text(self, s: str, name: str) -> Text | None:
        """A literal value in the page's language if there are several (Dutch, else any)."""
        return pick(self.texts(s, name), self.lang)

    def plain(self, s: str, name: str) -> str | None:
        found = self.text(s, name)
        return found.value if found else None

    def number(self, s: str, name: str) -> int | None:
        found = self.plain(s, name)
        try:
            return int(float(found)) if found is not None else None
        except ValueError:
            return None

    def label(self, s: str) -> Text:
        """A resource's own label (stated in this dossier), or a linked thing's label, or its IRI's tail."""
        return self.text(s, RDFS_LABEL) or pick(self.labels.get(s, []), self.lang) or Text(tail(s))

    def notation(self, iri: str) -> str:
        return self.notations.get(iri, tail(iri))

    def cite(self, s: str, name: str = RDF_TYPE, o: str | None = None) -> Citation | None:
        """Where the XML states ``s name o`` (any value of ``name`` without ``o``); by default where
        ``s`` is introduced (its type)."""
        predicate = self._predicate(name) if name != RDF_TYPE else RDF_TYPE
        if o is not None:
            return self.where_stated.get((s, predicate, o))
        for value in self.values[s].get(predicate, []):
            found = self.where_stated.get((s, predicate, value.value))
            if found:
                return found
        return None

    def ordered(self, iris: list[str]) -> list[str]:
        """By kd:position where given (SBB's document order), then by label."""
        return sorted(iris, key=lambda i: (self.number(i, "position") or 0, self.label(i).value))

"""Qualifications (or dossiers) side by side, from one SELECT whose text the page links.

A column is a qualification (its dossier's basisdeel plus its own profieldeel) or a dossier (its
basisdeel plus every profieldeel). Werkprocessen are matched by their label, as SBB repeats a
werkproces's title across dossiers with its own number in each; competences by SBB's code (A-Y).
The query is one text (``query``) with a row per fact and a ``?block`` saying which part of the
page it feeds, so "the SPARQL behind it" is exactly what the page ran.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from kdgraph.pages.rows import SKILLS, Row, Text, add_text, pick, tail, text, value

QUERY = """PREFIX kd: <{kd}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?item ?block ?label ?level ?crebo ?domain ?part ?workProcess ?workProcessLabel
       ?competence ?code ?competenceLabel ?language ?skill ?cefr ?target ?targetLabel
WHERE {{
  VALUES ?item {{ {items} }}
  {{ # the head: name, MBO levels, crebo codes, education domain
    BIND("head" AS ?block)
    ?item rdfs:label ?label .
    OPTIONAL {{ ?item kd:hasQualification?/kd:mboLevel/kd:levelNumber ?level }}
    OPTIONAL {{ ?item kd:hasQualification?/kd:crebo ?crebo }}
    OPTIONAL {{ ?item kd:inDossier?/kd:educationDomain/rdfs:label ?domain }}
  }} UNION {{ # werkprocessen of the basisdeel and the profieldeel, with their competences
    BIND("work process" AS ?block)
    ?item (kd:inDossier|kd:hasQualification)?/kd:hasCoreTask ?coreTask .
    ?owner kd:hasCoreTask ?coreTask .
    BIND(IF(EXISTS {{ ?owner a kd:QualificationDossier }}, "basis", "profiel") AS ?part)
    ?coreTask kd:hasWorkProcess ?workProcess .
    ?workProcess rdfs:label ?workProcessLabel .
    OPTIONAL {{
      ?workProcess kd:requiresCompetence ?competence .
      ?competence skos:notation ?code ; skos:prefLabel ?competenceLabel
    }}
  }} UNION {{ # language requirements (CEFR level per skill)
    BIND("language" AS ?block)
    ?item kd:hasQualification? ?qualification .
    ?statement kd:appliesTo ?qualification ; kd:hasRequirement ?requirement .
    ?requirement kd:skill ?skill ; kd:minimumLevel ?cefr .
    OPTIONAL {{ ?requirement kd:languageName|kd:language ?language }}
  }} UNION {{ # progression routes: where each leads
    BIND("route" AS ?block)
    ?item kd:hasQualification? ?qualification .
    ?route kd:routeFrom ?qualification ; kd:routeTo ?target .
    ?target rdfs:label ?targetLabel .
  }}
}}"""

CANDIDATES = """PREFIX kd: <{kd}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?item ?label ?dossier ?dossierLabel ?kind WHERE {{
  {{ ?item a kd:Qualification ; kd:inDossier ?dossier . BIND("qualification" AS ?kind) }}
  UNION {{
    ?item a kd:QualificationDossier ; kd:hasQualification [] .
    BIND(?item AS ?dossier) BIND("dossier" AS ?kind)
  }}
  ?item rdfs:label ?label . ?dossier rdfs:label ?dossierLabel .
}}"""


def query(base: str, items: list[str]) -> str:
    return QUERY.format(kd=f"{base}def/kd#", items=" ".join(f"<{i}>" for i in items))


def candidates_query(base: str) -> str:
    return CANDIDATES.format(kd=f"{base}def/kd#")


@dataclass
class Column:
    iri: str
    labels: list[Text] = field(default_factory=list)
    levels: set[str] = field(default_factory=set)
    crebos: set[str] = field(default_factory=set)
    domains: list[Text] = field(default_factory=list)
    label: Text | None = None
    domain: Text | None = None
    work_processes: int = 0


@dataclass
class WorkProcessRow:
    """A werkproces label and, per column, the parts it is in there (basis, profiel), or none."""

    label: Text
    parts: list[set[str]]

    @property
    def count(self) -> int:
        return sum(1 for p in self.parts if p)

    @property
    def all_parts(self) -> list[str]:
        return sorted(set().union(*self.parts))


@dataclass
class CompetenceRow:
    code: str
    iri: str
    label: Text | None
    counts: list[int]  # per column: how many of its werkprocessen ask for it

    @property
    def needed_by(self) -> int:
        return sum(1 for c in self.counts if c)


@dataclass
class Comparison:
    columns: list[Column]
    shared: list[WorkProcessRow]  # in every column
    partly: list[WorkProcessRow]  # in some (more than one, not all)
    distinct: list[list[WorkProcessRow]]  # per column: only there
    competences: list[CompetenceRow]
    # per column: (language: SBB's words, or an ISO 639-1 code; skill slug; CEFR level)
    languages: list[list[tuple[str, str, str]]]
    routes: list[list[tuple[str, Text, bool]]]  # per column: (target, its label, shared by all)


def _skill_order(skill: str) -> int:
    return SKILLS.index(skill) if skill in SKILLS else len(SKILLS)


def build(rows: list[Row], items: list[str], lang: str) -> Comparison:
    columns = {iri: Column(iri) for iri in items}
    index = {iri: n for n, iri in enumerate(items)}
    processes: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # key -> item -> parts
    process_labels: dict[str, list[Text]] = defaultdict(list)
    process_iris: dict[str, set[str]] = defaultdict(set)
    competence_of: dict[str, set[tuple[str, str]]] = defaultdict(set)  # code -> (item, work process)
    competence_labels: dict[str, list[Text]] = defaultdict(list)
    competence_iri: dict[str, str] = {}
    languages: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    targets: dict[str, set[str]] = defaultdict(set)  # item -> route targets
    target_labels: dict[str, list[Text]] = defaultdict(list)
    for row in rows:
        item = value(row, "item") or ""
        column = columns.get(item)
        if column is None:
            continue
        block = value(row, "block")
        if block == "head":
            add_text(column.labels, text(row, "label"))
            add_text(column.domains, text(row, "domain"))
            for name, target in (("level", column.levels), ("crebo", column.crebos)):
                if value(row, name):
                    target.add(value(row, name) or "")
        elif block == "work process":
            label = text(row, "workProcessLabel")
            if label is None:
                continue
            key = " ".join(label.value.split()).casefold()
            processes[key][item].add(value(row, "part") or "")
            process_iris[key].add(value(row, "workProcess") or "")
            add_text(process_labels[key], label)
            code = value(row, "code")
            if code:
                competence_of[code].add((item, value(row, "workProcess") or ""))
                competence_iri[code] = value(row, "competence") or ""
                add_text(competence_labels[code], text(row, "competenceLabel"))
        elif block == "language":
            skill, level = tail(value(row, "skill") or ""), tail(value(row, "cefr") or "")
            language = row.get("language")
            name = (
                tail(language.value) if isinstance(language, ox.NamedNode) else value(row, "language") or ""
            )
            languages[item].add((name, skill, level))
        elif block == "route":
            target_iri = value(row, "target") or ""
            targets[item].add(target_iri)
            add_text(target_labels[target_iri], text(row, "targetLabel"))
    for column in columns.values():
        column.label = pick(column.labels, lang)
        column.domain = pick(column.domains, lang)
    rows_ = []
    for key, by_item in processes.items():
        parts = [by_item.get(iri, set()) for iri in items]
        rows_.append(WorkProcessRow(pick(process_labels[key], lang) or Text(key), parts))
        for iri in by_item:
            columns[iri].work_processes += 1
    rows_.sort(key=lambda r: r.label.value.casefold())
    everywhere = [r for r in rows_ if r.count == len(items)]
    some = [r for r in rows_ if 1 < r.count < len(items)]
    distinct = [[r for r in rows_ if r.count == 1 and r.parts[n]] for n in range(len(items))]
    competences = []
    for code in sorted(competence_of):
        counts = [0] * len(items)
        for item, _ in competence_of[code]:
            counts[index[item]] += 1
        competences.append(
            CompetenceRow(code, competence_iri[code], pick(competence_labels[code], lang), counts)
        )
    return Comparison(
        columns=[columns[i] for i in items],
        shared=everywhere,
        partly=some,
        distinct=distinct,
        competences=competences,
        languages=[sorted(languages[i], key=lambda r: (r[0], _skill_order(r[1]), r[2])) for i in items],
        routes=[
            sorted(
                (
                    (t, pick(target_labels[t], lang) or Text(t), all(t in targets[i] for i in items))
                    for t in targets[item]
                ),
                key=lambda r: r[1].value.casefold(),
            )
            for item in items
        ],
    )

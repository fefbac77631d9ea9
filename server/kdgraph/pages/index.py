"""The index of every dossier: grouped by education domain, then sector chamber, each dossier with
its qualifications, their MBO levels and crebo codes. One SELECT; labels picked in the page's
language here. A dossier the data gives no domain (the curated Productietechniek) is listed under
a group of its own, never left out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kdgraph.pages.rows import Row, Text, add_text, pick, text, value

QUERY = """PREFIX kd: <{kd}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?dossier ?dossierLabel ?dossierCrebo ?domain ?domainLabel ?chamber ?chamberLabel ?qualification
       ?label ?level ?crebo
WHERE {{
  ?dossier a kd:QualificationDossier ; kd:hasQualification ?qualification ; rdfs:label ?dossierLabel .
  ?qualification rdfs:label ?label .
  OPTIONAL {{ ?dossier kd:educationDomain ?domain . OPTIONAL {{ ?domain rdfs:label ?domainLabel }} }}
  OPTIONAL {{ ?dossier kd:sectorChamber ?chamber . OPTIONAL {{ ?chamber rdfs:label ?chamberLabel }} }}
  OPTIONAL {{ ?qualification kd:mboLevel/kd:levelNumber ?level }}
  OPTIONAL {{ ?qualification kd:crebo ?crebo }}
  OPTIONAL {{ ?dossier kd:crebo ?dossierCrebo }}
}}"""


def query(base: str) -> str:
    return QUERY.format(kd=f"{base}def/kd#")


@dataclass
class IndexQualification:
    iri: str
    labels: list[Text] = field(default_factory=list)
    levels: set[str] = field(default_factory=set)
    crebos: set[str] = field(default_factory=set)
    label: Text | None = None


@dataclass
class IndexDossier:
    iri: str
    labels: list[Text] = field(default_factory=list)
    qualifications: dict[str, IndexQualification] = field(default_factory=dict)
    crebos: set[str] = field(default_factory=set)  # the dossier's own
    label: Text | None = None


@dataclass
class Group:
    """One education domain (``None``: not in the data) and its dossiers by sector chamber."""

    domain: str | None
    label: Text | None
    chambers: list[tuple[str | None, Text | None, list[IndexDossier]]]


def build(rows: list[Row], lang: str) -> list[Group]:
    dossiers: dict[str, IndexDossier] = {}
    domain_of: dict[str, str | None] = {}
    chamber_of: dict[str, str | None] = {}
    names: dict[str, list[Text]] = defaultdict(list)
    for row in rows:
        iri = value(row, "dossier") or ""
        dossier = dossiers.setdefault(iri, IndexDossier(iri))
        add_text(dossier.labels, text(row, "dossierLabel"))
        if value(row, "dossierCrebo"):
            dossier.crebos.add(value(row, "dossierCrebo") or "")
        q_iri = value(row, "qualification") or ""
        qual = dossier.qualifications.setdefault(q_iri, IndexQualification(q_iri))
        add_text(qual.labels, text(row, "label"))
        for name, target in (("level", qual.levels), ("crebo", qual.crebos)):
            found = value(row, name)
            if found:
                target.add(found)
        domain_of.setdefault(iri, value(row, "domain"))
        chamber_of.setdefault(iri, value(row, "chamber"))
        for key, label in (("domain", "domainLabel"), ("chamber", "chamberLabel")):
            if value(row, key):
                add_text(names[value(row, key) or ""], text(row, label))
    for dossier in dossiers.values():
        dossier.label = pick(dossier.labels, lang)
        for qual in dossier.qualifications.values():
            qual.label = pick(qual.labels, lang)
    grouped: dict[str | None, dict[str | None, list[IndexDossier]]] = defaultdict(lambda: defaultdict(list))
    for iri, dossier in dossiers.items():
        grouped[domain_of[iri]][chamber_of[iri]].append(dossier)

    def name_of(iri: str | None) -> Text | None:
        return pick(names[iri], lang) if iri else None

    def by_name(iri: str | None) -> tuple[bool, str]:  # "not in the data" last
        label = name_of(iri)
        return (iri is None, label.value.casefold() if label else "")

    groups = []
    for domain in sorted(grouped, key=by_name):
        chambers = []
        for chamber in sorted(grouped[domain], key=by_name):
            listed = sorted(grouped[domain][chamber], key=lambda d: d.label.value if d.label else d.iri)
            for dossier in listed:  # by level, then name
                quals = dossier.qualifications.values()
                ordered = sorted(quals, key=lambda q: (min(q.levels or {"9"}), str(q.label)))
                dossier.qualifications = {q.iri: q for q in ordered}
            chambers.append((chamber, name_of(chamber), listed))
        groups.append(Group(domain, name_of(domain), chambers))
    return groups

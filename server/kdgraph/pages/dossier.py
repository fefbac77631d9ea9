"""An imported dossier and one of its qualifications as pages, from ``Facts`` (facts.py).

The dossier page follows SBB's own order: the head (title, crebo codes with their dates, domain,
sector chamber, adoption), the qualifications, the basisdeel's kerntaken with their
werkprocessen, each profiel's own kerntaken, what profielen add to the basisdeel, the CEFR
requirements as a skills x qualifications table, and the narrative chapters. A qualification's
page shows what it requires: its dossier's basisdeel and its own profieldeel, what its profiel
adds, its language requirements and its crebo registration. Every block carries the ``Citation``
of the XML element that states it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kdgraph.pages.facts import RDF_TYPE, Facts
from kdgraph.pages.rows import SKILLS, Block, Citation, Text, blocks, tail


@dataclass
class Link:
    iri: str
    label: Text


@dataclass
class Fact:
    """One line of a head: a word key for its name, its value(s), where the XML says it."""

    key: str
    values: list[Text | Link]
    cite: Citation | None = None


@dataclass
class Crebo:
    code: str
    registration: str
    valid_from: str | None
    intake_ends: str | None
    programme_ends: str | None
    cite: Citation | None


@dataclass
class Competence:
    code: str
    iri: str
    label: Text


@dataclass
class WorkProcess:
    iri: str
    label: Text
    description: list[Block]
    result: list[Block]
    behaviour: list[Block]
    competences: list[Competence]
    cite: Citation | None


@dataclass
class CoreTask:
    iri: str
    label: Text
    complexity: list[Block]
    responsibility: list[Block]
    work_processes: list[WorkProcess]
    knowledge: list[Text]
    cite: Citation | None


@dataclass
class Addition:
    """What a profiel adds to a basis kerntaak or werkproces (one aspect: complexity, gedrag ...)."""

    iri: str
    target: Link
    qualification: Link
    aspects: list[tuple[str, list[Block]]]
    competences: list[Competence]
    knowledge: list[Text]
    cite: Citation | None


@dataclass
class Qualification:
    iri: str
    label: Text
    level: str | None
    crebos: list[Crebo]
    study_load: int | None
    programme_type: Text | None
    occupational_group: Text | None
    core_tasks: list[CoreTask]
    cite: Citation | None


@dataclass
class CefrColumn:
    qualification: Link
    language: Text
    levels: dict[str, tuple[str, Citation | None]]  # skill slug -> (CEFR level, where stated)
    cite: Citation | None


@dataclass
class Chapter:
    iri: str
    kind: Text
    title: Text | None
    about: Link | None
    body: list[Block]
    cite: Citation | None


@dataclass
class DossierPage:
    iri: str
    title: Text
    head: list[Fact]
    crebos: list[Crebo]
    qualifications: list[Qualification]
    basis: list[CoreTask]
    additions: list[Addition]
    cefr: list[CefrColumn]
    skills: list[tuple[str, Text]]
    chapters: list[Chapter]
    cite: Citation | None
    lang: str = "nl"


def _blocks(facts: Facts, s: str, name: str) -> list[Block]:
    found = facts.text(s, name)
    return blocks(found) if found else []


def _link(facts: Facts, iri: str | None) -> Link | None:
    return Link(iri, facts.label(iri)) if iri else None


def crebos(facts: Facts, owner: str) -> list[Crebo]:
    found = []
    for registration in facts.iris(owner, "creboRegistration"):
        found.append(
            Crebo(
                code=facts.plain(registration, "crebo") or tail(registration),
                registration=registration,
                valid_from=facts.plain(registration, "validFrom"),
                intake_ends=facts.plain(registration, "intakeEnds"),
                programme_ends=facts.plain(registration, "programmeEnds"),
                cite=facts.cite(registration),
            )
        )
    return sorted(found, key=lambda c: c.code)


def competences(facts: Facts, s: str) -> list[Competence]:
    return sorted(
        (Competence(facts.notation(c), c, facts.label(c)) for c in facts.iris(s, "requiresCompetence")),
        key=lambda c: c.code,
    )


def knowledge(facts: Facts, s: str) -> list[Text]:
    return sorted((facts.label(k) for k in facts.iris(s, "requiresKnowledgeOrSkill")), key=lambda t: t.value)


def work_process(facts: Facts, iri: str) -> WorkProcess:
    return WorkProcess(
        iri=iri,
        label=facts.label(iri),
        description=_blocks(facts, iri, "description"),
        result=_blocks(facts, iri, "result"),
        behaviour=_blocks(facts, iri, "behaviour"),
        competences=competences(facts, iri),
        cite=facts.cite(iri),
    )


def core_task(facts: Facts, iri: str) -> CoreTask:
    return CoreTask(
        iri=iri,
        label=facts.label(iri),
        complexity=_blocks(facts, iri, "complexity"),
        responsibility=_blocks(facts, iri, "responsibility"),
        work_processes=[work_process(facts, w) for w in facts.ordered(facts.iris(iri, "hasWorkProcess"))],
        knowledge=knowledge(facts, iri),
        cite=facts.cite(iri),
    )


def qualification(facts: Facts, iri: str) -> Qualification:
    level = facts.iri(iri, "mboLevel")
    return Qualification(
        iri=iri,
        label=facts.label(iri),
        level=facts.notation(level) if level else None,
        crebos=crebos(facts, iri),
        study_load=facts.number(iri, "studyLoadHours"),
        programme_type=facts.text(iri, "programmeType"),
        occupational_group=facts.text(iri, "occupationalGroup"),
        core_tasks=[core_task(facts, k) for k in facts.ordered(facts.iris(iri, "hasCoreTask"))],
        cite=facts.cite(iri),
    )


ASPECTS = ("complexity", "responsibility", "description", "result", "behaviour")


def additions(facts: Facts, only: str | None = None) -> list[Addition]:
    found = []
    for iri in facts.of_type("ProfileAddition"):
        applies = facts.iri(iri, "appliesTo")
        target = facts.iri(iri, "addsTo")
        if not applies or not target or (only and applies != only):
            continue
        found.append(
            Addition(
                iri=iri,
                target=Link(target, facts.label(target)),
                qualification=Link(applies, facts.label(applies)),
                aspects=[(a, _blocks(facts, iri, a)) for a in ASPECTS if facts.text(iri, a)],
                competences=competences(facts, iri),
                knowledge=knowledge(facts, iri),
                cite=facts.cite(iri),
            )
        )
    return sorted(found, key=lambda a: a.cite.line if a.cite else 0)


def cefr(facts: Facts, only: str | None = None) -> list[CefrColumn]:
    columns = []
    for statement in facts.of_type("LanguageRequirementStatement"):
        applies = facts.iri(statement, "appliesTo")
        if not applies or (only and applies != only):
            continue
        levels = {}
        for requirement in facts.iris(statement, "hasRequirement"):
            skill, level = facts.iri(requirement, "skill"), facts.iri(requirement, "minimumLevel")
            if skill and level:
                levels[tail(skill)] = (tail(level), facts.cite(requirement))
        language = facts.text(statement, "languageName") or Text(tail(facts.iri(statement, "language") or ""))
        column = CefrColumn(Link(applies, facts.label(applies)), language, levels, facts.cite(statement))
        columns.append(column)
    return sorted(columns, key=lambda c: c.cite.line if c.cite else 0)


def chapters(facts: Facts, only: str | None = None) -> list[Chapter]:
    found = []
    for iri in facts.of_type("DossierText"):
        about = facts.iri(iri, "appliesTo") or facts.iri(iri, "about")
        if only is not None and about != only:
            continue
        kind = facts.iri(iri, "textKind")
        found.append(
            Chapter(
                iri=iri,
                kind=facts.label(kind) if kind else Text(""),
                title=facts.text(iri, "http://purl.org/dc/terms/title"),
                about=_link(facts, about),
                body=_blocks(facts, iri, "text"),
                cite=facts.cite(iri),
            )
        )
    return sorted(found, key=lambda c: c.cite.line if c.cite else 0)


def skills(facts: Facts, base: str) -> list[tuple[str, Text]]:
    return [(s, facts.label(f"{base}def/language-skill/{s}")) for s in SKILLS]


def dossier_page(facts: Facts, base: str, iri: str) -> DossierPage:
    head: list[Fact] = []

    def add(key: str, name: str, link: bool = False) -> None:
        if link:
            target = facts.iri(iri, name)
            if target:
                head.append(Fact(key, [Link(target, facts.label(target))], facts.cite(iri, name)))
        else:
            found = facts.text(iri, name)
            if found:
                head.append(Fact(key, [found], facts.cite(iri, name)))

    add("sbb_number", "sbbNumber")
    add("education_domain", "educationDomain", link=True)
    add("sector_chamber", "sectorChamber", link=True)
    add("adopted_on", "validationDate")
    add("adopted_by", "validatedByName")
    add("adopted_at", "validationPlace")
    add("status", "sbbStatus")
    add("change_category", "changeCategory", link=True)
    add("predecessor", "predecessor", link=True)
    quals = [qualification(facts, q) for q in facts.ordered(facts.iris(iri, "hasQualification"))]
    return DossierPage(
        iri=iri,
        title=facts.label(iri),
        head=head,
        crebos=crebos(facts, iri),
        qualifications=quals,
        basis=[core_task(facts, k) for k in facts.ordered(facts.iris(iri, "hasCoreTask"))],
        additions=additions(facts),
        cefr=cefr(facts),
        skills=skills(facts, base),
        chapters=chapters(facts),
        cite=facts.cite(iri, RDF_TYPE),
        lang=facts.lang,
    )


@dataclass
class QualificationPage:
    dossier: Link
    qualification: Qualification
    basis: list[CoreTask]
    additions: list[Addition]
    cefr: list[CefrColumn]
    skills: list[tuple[str, Text]]
    chapters: list[Chapter]


def qualification_page(facts: Facts, base: str, dossier: str, iri: str) -> QualificationPage:
    return QualificationPage(
        dossier=Link(dossier, facts.label(dossier)),
        qualification=qualification(facts, iri),
        basis=[core_task(facts, k) for k in facts.ordered(facts.iris(dossier, "hasCoreTask"))],
        additions=additions(facts, iri),
        cefr=cefr(facts, iri),
        skills=skills(facts, base),
        chapters=chapters(facts, iri),
    )

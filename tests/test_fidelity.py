"""The data says what the source says, where it says it, and marks the rest (issue 14).

The source text ships with the data (data/productietechniek/source/); tests/source_text.py splits
it into its nine pages by the README's rule. Each test here would have caught a finding of the
careful read in issue 14: paraphrased kd:text, a term cited on a page where it does not occur,
outside facts shown with a page of the source, readings of the modeller presented as the source's.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pyoxigraph as ox
import pytest

from kdgraph.checks.validation import unsourced_statements
from kdgraph.pipeline.loading import KnowledgeGraph

from .conftest import BASE
from .source_text import normalise, pages, paragraphs, whole_text

KD = f"{BASE}def/kd#"
ID = f"{BASE}id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
INTERP = f"{ID}interpretation/productietechniek-"

# Literal properties whose values are the source's own words (after whitespace normalisation).
VERBATIM = {
    f"{KD}{name}"
    for name in [
        *("text", "statedReason", "horizonText", "statusText", "expectedRole", "prerequisite"),
        *("causeText", "effectText", "drawbackText", "caveatText", "subject", "action", "who", "when"),
        *("statedAs", "condition", "exampleMarker", "choiceBy"),
    ]
}
# The names a resource can be recognised by on a page.
NAMES = {RDFS_LABEL, f"{SKOS}prefLabel", f"{SKOS}altLabel", "http://purl.org/dc/terms/title"}
NAMES |= {f"{KD}text", f"{KD}statedAs"}
STRUCTURE = {f"{KD}SourceLocation", f"{KD}DocumentSection"}  # our own description of the source


class Provenance:
    """Which graphs hold each triple, and the page of each source-location graph."""

    def __init__(self, graph: KnowledgeGraph) -> None:
        self.graphs: dict[ox.Triple, set[str]] = defaultdict(set)
        for quad in graph.quads:
            if isinstance(quad.graph_name, ox.NamedNode):
                self.graphs[quad.triple].add(quad.graph_name.value)
        self.triples = graph.triples
        self.page = {
            t.subject.value: int(t.object.value) for t in self.triples if t.predicate.value == f"{KD}page"
        }
        self.interpretations = {
            t.subject.value
            for t in self.triples
            if t.predicate.value == RDF_TYPE and t.object.value == f"{KD}Interpretation"
        }

    def pages_of(self, triple: ox.Triple) -> list[int]:
        return sorted({self.page[g] for g in self.graphs.get(triple, ()) if g in self.page})

    def about(self, subject: str, predicate: str) -> list[ox.Triple]:
        return [t for t in self.triples if t.subject.value == subject and t.predicate.value == predicate]


@pytest.fixture(scope="module")
def provenance(graph: KnowledgeGraph) -> Provenance:
    return Provenance(graph)


def page_text(numbers: list[int]) -> str:
    return " ".join(pages()[n] for n in numbers)


def ours(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.NamedNode) and triple.subject.value.startswith(ID)


def test_the_source_splits_into_nine_pages_that_agree_with_the_contents() -> None:
    toc = {1: 4, 2: 4, 3: 4, 4: 4, 5: 6, 6: 6, 7: 6, 8: 7, 9: 7, 10: 8, 11: 8, 12: 9, 13: 9, 14: 9}
    headings = {
        1: "Beroepscompetentieprofielen (bcp)",
        4: "Trends en ontwikkelingen",
        5: "Beroepsvereisten",
        7: "Beroepsspecifieke moderne vreemde talen",
        8: "Ontwikkelmogelijkheden van de beroepsbeoefenaar in het onderwijs",
        9: "Onderhoudsagenda",
        10: "Wijzigingen ten opzichte van de voorgaande versie",
        12: "Verblijfsduur 4 jarig",
        14: "Certificaten",
    }
    assert sorted(pages()) == list(range(1, 10))
    assert pages()[2].endswith("2 van 9") and pages()[3].endswith("3 van 9")
    for number, heading in headings.items():
        assert f"{number}. {heading}" in pages()[toc[number]], (number, toc[number])


def test_every_verbatim_literal_is_in_the_source(provenance: Provenance) -> None:
    source = whole_text()
    paraphrased = [
        (t.subject.value, t.predicate.value, t.object.value)
        for t in provenance.triples
        if ours(t) and t.predicate.value in VERBATIM and normalise(t.object.value) not in source
    ]
    assert paraphrased == []


def test_every_verbatim_literal_is_on_the_pages_of_its_graphs(provenance: Provenance) -> None:
    """Each part of a passage split at a page break is on its own page (test_fidelity_issue24
    checks every graph alone)."""
    misplaced = []
    for t in provenance.triples:
        if not (ours(t) and t.predicate.value in VERBATIM):
            continue
        numbers = provenance.pages_of(t)
        if not numbers or normalise(t.object.value) not in page_text(numbers):
            misplaced.append((t.subject.value, t.predicate.value, t.object.value[:60], numbers))
    assert misplaced == []


def test_every_resource_is_named_on_each_page_that_introduces_it(provenance: Provenance) -> None:
    """Where a resource is typed (introduced), that page holds its name or its text: this catches
    "constructie- en plaatwerk" cited on page 6, where it does not occur."""
    names: dict[str, list[str]] = defaultdict(list)
    for t in provenance.triples:
        literal = isinstance(t.object, ox.Literal) and t.object.language in (None, "nl")
        if ours(t) and t.predicate.value in NAMES and literal:
            names[t.subject.value].append(normalise(t.object.value).lower())
    unnamed = []
    for t in provenance.triples:
        if not ours(t) or t.predicate.value != RDF_TYPE or t.object.value in STRUCTURE:
            continue
        for number in provenance.pages_of(t):
            text = pages()[number].lower()
            # a name, or the start of a passage that runs on to the next page
            if not any(name in text or name[:60] in text for name in names[t.subject.value]):
                unnamed.append((t.subject.value, number))
    assert unnamed == []


def test_every_alternative_name_occurs_on_the_pages_of_its_graphs(provenance: Provenance) -> None:
    """An abbreviation or variant ("SK TGO", "marktsegment M&M") is cited only where it is used."""
    elsewhere = [
        (t.subject.value, t.object.value, number)
        for t in provenance.triples
        if ours(t) and t.predicate.value == f"{SKOS}altLabel"
        for number in provenance.pages_of(t)
        if normalise(t.object.value).lower() not in pages()[number].lower()
    ]
    assert elsewhere == []


def test_constructie_en_plaatwerk_is_cited_on_page_5_only(provenance: Provenance) -> None:
    (typed,) = provenance.about(f"{ID}domain/constructie-en-plaatwerk", RDF_TYPE)
    assert provenance.pages_of(typed) == [5]


def test_every_id_statement_sits_in_a_graph_that_says_where_it_comes_from(graph: KnowledgeGraph) -> None:
    assert unsourced_statements(graph) == []
    in_default_only = [q for q in graph.quads if ours(q.triple) and q.graph_name == ox.DefaultGraph()]
    assert in_default_only == []


def test_outside_facts_cite_an_outside_source_and_no_page(provenance: Provenance) -> None:
    outside = f"{ID}external-source/"
    with_page = []
    for triple, graphs in provenance.graphs.items():
        sources = {g for g in graphs if g.startswith(outside)}
        if sources and triple.subject.value not in sources and provenance.pages_of(triple):
            with_page.append(triple)
    assert with_page == []
    for source in {g for gs in provenance.graphs.values() for g in gs if g.startswith(outside)}:
        assert provenance.about(source, "https://schema.org/url"), f"{source} has no public address"


def test_every_interpretation_gives_its_reason_in_nl_and_en_and_what_it_reads(provenance: Provenance) -> None:
    assert provenance.interpretations
    for interpretation in provenance.interpretations:
        reasons = {t.object.language for t in provenance.about(interpretation, f"{KD}reason")}
        assert reasons == {"nl", "en"}, interpretation
        assert provenance.about(interpretation, f"{PROV}wasDerivedFrom"), interpretation


def test_english_is_always_a_translation(provenance: Provenance) -> None:
    """The source is Dutch: an English literal about a resource from the source is never in a
    source-location graph (descriptions of locations, sources and interpretations excepted)."""
    in_source_graph = [
        (t.subject.value, t.object.value)
        for t, graphs in provenance.graphs.items()
        if ours(t)
        and isinstance(t.object, ox.Literal)
        and t.object.language == "en"
        and t.subject.value not in graphs
        and provenance.pages_of(t)
    ]
    assert in_source_graph == []


# ---- regressions for the findings of issue 14, each by name


def test_issue14_aviation_ten_to_twenty_years_is_major_innovation_in_general(provenance: Provenance) -> None:
    holders = {t.subject.value for t in provenance.triples if t.predicate.value == f"{KD}horizonMaxYears"}
    assert f"{ID}trend/productietechniek-luchtvaart-forse-innovatie" in holders
    technologies = {
        t.subject.value
        for t in provenance.triples
        if t.predicate.value == f"{KD}mentionsTechnology"
        and t.object.value in (f"{ID}technology/composieten", f"{ID}technology/geared-turbofan")
    }
    assert technologies and not technologies & holders


def test_issue14_composites_are_already_in_use(provenance: Provenance) -> None:
    outlook = f"{ID}trend/productietechniek-composieten"
    assert [t.object.value for t in provenance.about(outlook, f"{KD}horizon")] == [
        f"{BASE}def/horizon/momenteel"
    ]
    (status,) = provenance.about(outlook, f"{KD}statusText")
    assert "Airbus A350 en Boeing 787" in status.object.value


def test_issue14_aviation_is_not_attributed_to_panteia(provenance: Provenance) -> None:
    aviation = {f"{ID}trend/productietechniek-luchtvaart"} | {
        t.subject.value
        for t in provenance.triples
        if t.predicate.value == f"{KD}partOfTrend" and t.object.value.endswith("productietechniek-luchtvaart")
    }
    assert len(aviation) == 4  # the paragraph, its major-innovation horizon, composites, geared turbofan
    assert not [s for s in aviation if provenance.about(s, f"{PROV}wasAttributedTo")]


def test_issue14_section_8_scopes_are_where_the_source_puts_them(provenance: Provenance) -> None:
    def values(subject: str, name: str) -> set[str]:
        return {t.object.value.rsplit("/", 1)[-1] for t in provenance.about(subject, f"{KD}{name}")}

    route = f"{ID}route/"
    assert values(f"{ID}section/productietechniek-8", "workField") == {"plaat-constructiewerken"}
    assert values(
        route + "medewerker-productietechniek-naar-allround-medewerker-productietechniek", "practiceContext"
    ) == {
        "metaalbewerking",
        "precisie",
        "vliegtuigbouw",
    }
    assert values(
        route + "allround-medewerker-productietechniek-naar-lasspecialist-als-lasser", "routeDomain"
    ) == {"metaalbewerking"}
    assert values(f"{ID}end-function/productietechniek-productietechnicus", "endFunctionDomain") == {
        "metaalbewerking"
    }
    assert values(f"{ID}end-function/productietechniek-researchinstrumentmaker", "endFunctionDomain") == {
        "productietechniek"
    }
    level_4_routes = {
        t.subject.value
        for t in provenance.triples
        if t.predicate.value == f"{KD}routeFrom"
        and t.object.value.endswith(("/productietechnicus", "/researchinstrumentmaker"))
    }
    assert len(level_4_routes) == 13
    for scoped in ("practiceContext", "routeDomain", "workField", "context"):
        assert not [r for r in level_4_routes if values(r, scoped)], scoped


def test_issue14_the_changed_assignment_has_no_actor(provenance: Provenance) -> None:
    assert provenance.about(f"{ID}event/productietechniek-wijziging-opdracht", f"{KD}actor") == []


def test_issue14_examples_stay_examples(provenance: Provenance) -> None:
    marked = {
        t.subject.value.rsplit("/", 1)[-1]: t.object.value
        for t in provenance.triples
        if t.predicate.value == f"{KD}exampleMarker"
    }
    assert marked == {
        "productietechnicus-naar-werkvoorbereider": "bijvoorbeeld",
        "productietechnicus-naar-tekenaar-constructeur": "zoals",
        "researchinstrumentmaker-naar-werkvoorbereider": "bijvoorbeeld",
        "researchinstrumentmaker-naar-tekenaar-constructeur": "zoals",
    }


@pytest.mark.parametrize(
    ("subject", "predicate", "interpretation"),
    [
        (
            "involvement/productietechniek-toetsingskamer-toetser",
            "stakeholder",
            "toetsingskamer-ingangstoets",
        ),
        ("finding/productietechniek-demografische-ontwikkelingen", "elaborates", "uitwerking-knelpunten"),
        ("finding/productietechniek-boeien-en-binden-en-borgen", "elaborates", "uitwerking-knelpunten"),
        (
            "language-statement/productietechniek-toelichting-lezen-a2",
            "appliesTo",
            "taalkeuze-en-toelichting-gelden-voor",
        ),
        (
            "language-requirement/productietechniek-tabel-productietechnicus-lezen",
            "minimumLevel",
            "hoogste-aangekruiste-niveau",
        ),
        (
            "language-requirement/productietechniek-tabel-researchinstrumentmaker-lezen",
            "minimumLevel",
            "hoogste-aangekruiste-niveau",
        ),
        ("trend/productietechniek-5g", "horizon", "5g-horizon"),
        ("event/productietechniek-motivatie", "actor", "werkgroep-als-marktsegment"),
        ("trend/productietechniek-globalisering", "wasAttributedTo", "trends-uit-panteia"),
    ],
)
def test_issue14_readings_are_interpretations_not_source(
    provenance: Provenance, subject: str, predicate: str, interpretation: str
) -> None:
    namespace = PROV if predicate == "wasAttributedTo" else KD
    triples = provenance.about(ID + subject, namespace + predicate)
    assert triples
    for triple in triples:
        assert provenance.graphs[triple] == {INTERP + interpretation}, triple


# test_issue14_the_reading_level_conflict_is_data: superseded by issue 24, where B1 and A2 are two
# kinds of requirement, not a conflict (tests/test_fidelity_issue24.py).


# ---- regressions for the findings of the audit of issue 14's data, each by name

# Properties whose values are the modeller's words about a resource, never the source's.
MODELLERS_WORDS = {
    f"{SKOS}editorialNote",
    f"{SKOS}note",
    f"{SKOS}definition",
    "http://www.w3.org/2000/01/rdf-schema#comment",
    f"{KD}summary",
    f"{KD}reason",
}


def test_audit_the_modellers_notes_are_never_in_a_source_location_graph(provenance: Provenance) -> None:
    """ "De bron geeft voor deze wijziging geen datum ..." is the modeller speaking, not page 8."""
    on_a_page = [
        (t.subject.value, t.predicate.value, provenance.pages_of(t))
        for t in provenance.triples
        if ours(t) and t.predicate.value in MODELLERS_WORDS and provenance.pages_of(t)
    ]
    assert on_a_page == []
    notes = provenance.about(f"{ID}event/productietechniek-wijziging-opdracht", f"{SKOS}editorialNote")
    assert {t.object.language for t in notes} == {"nl", "en"}
    for note in notes:
        assert provenance.graphs[note] == {INTERP + "opmerkingen-sectie-10"}


# Resources the source names (rather than ones the modeller describes in a label of its own).
NAMED_IN_SOURCE = {
    f"{KD}{name}"
    for name in [
        *("Stakeholder", "StakeholderCategory", "Role", "FurtherEducationProgramme", "Technology"),
        *("WorkDomain", "Qualification", "QualificationDossier", "CompetencyProfile", "Regulation"),
        *("TargetGroup", "Aim", "JustificationDocument"),
    ]
}


def test_audit_a_name_is_cited_only_on_pages_that_use_it(provenance: Provenance) -> None:
    """ "Sectorkamer techniek en gebouwde omgeving" is not on page 8 (which says "Sectorkamer TGO"),
    "Artificial Intelligence (AI)" not on page 5 (which says "AI"): the page-8 and page-5 graphs
    held those names all the same."""
    named = {
        t.subject.value
        for t in provenance.triples
        if t.predicate.value == RDF_TYPE and t.object.value in NAMED_IN_SOURCE
    }
    elsewhere = [
        (t.subject.value, t.object.value, number)
        for t in provenance.triples
        if t.subject.value in named
        and t.predicate.value in NAMES - {f"{KD}text", f"{KD}statedAs"}
        and isinstance(t.object, ox.Literal)
        and t.object.language in (None, "nl")
        for number in provenance.pages_of(t)
        if normalise(t.object.value).lower() not in pages()[number].lower()
    ]
    assert elsewhere == []


def test_audit_alternative_names_are_spelled_as_the_source_spells_them(provenance: Provenance) -> None:
    """Page 8 writes "mbo raad"; "MBO Raad" (the council's own spelling) is not the source's word,
    and the case-insensitive check above let it through."""
    respelled = [
        (t.subject.value, t.object.value, number)
        for t in provenance.triples
        if ours(t) and t.predicate.value == f"{SKOS}altLabel"
        for number in provenance.pages_of(t)
        if normalise(t.object.value) not in pages()[number]
    ]
    assert respelled == []


def paragraphs_around(text: str) -> str:
    """The source paragraphs that a verbatim passage overlaps, joined."""
    start = whole_text().index(normalise(text))
    end = start + len(normalise(text))
    found, offset = [], 0
    for paragraph in paragraphs():
        if offset < end and start < offset + len(paragraph):
            found.append(paragraph)
        offset += len(paragraph) + 1
    return " ".join(found)


def test_audit_a_domain_is_stated_in_the_paragraph_of_the_text(provenance: Provenance) -> None:
    """The dashboards paragraph ("... in toenemende verloopt via dashboards op beeldschermen.")
    names no domain; its page-5 graph said constructie- en plaatwerk. A domain stated at a source
    location is named (or referred to by a name of it) in the paragraph of the text stated there."""
    domain_names: dict[str, list[str]] = defaultdict(list)
    for t in provenance.triples:
        if t.predicate.value in (f"{SKOS}prefLabel", f"{SKOS}altLabel") and t.object.language == "nl":
            domain_names[t.subject.value].append(t.object.value.lower())
    unstated = []
    for t in provenance.triples:
        if not (ours(t) and t.predicate.value == f"{KD}concernsDomain"):
            continue
        for graph in provenance.graphs[t]:
            if graph not in provenance.page:
                continue
            texts = [
                u.object.value
                for u in provenance.about(t.subject.value, f"{KD}text")
                if graph in provenance.graphs[u]
            ]
            around = " ".join(paragraphs_around(text) for text in texts).lower()
            if not any(name in around for name in domain_names[t.object.value]):
                unstated.append((t.subject.value, t.object.value, provenance.page[graph]))
    assert unstated == []
    (dashboards,) = provenance.about(f"{ID}trend/productietechniek-dashboards", f"{KD}concernsDomain")
    assert provenance.graphs[dashboards] == {INTERP + "domein-dashboards"}


CEFR = re.compile(r"\b[ABC][12]\b")


def test_audit_a_label_on_a_page_names_the_levels_the_page_states(provenance: Provenance) -> None:
    """The tables tick A1 and A2; "Productietechnicus: luisteren A2" in the page-6 graph named
    only the level that the interpretation "het hoogste aangekruiste niveau" reads into them."""
    stated: dict[str, set[str]] = defaultdict(set)
    for t in provenance.triples:
        if t.predicate.value in (f"{KD}minimumLevel", f"{KD}tickedLevel") and provenance.pages_of(t):
            stated[t.subject.value].add(t.object.value.rsplit("/", 1)[-1])
    misnamed = [
        (t.subject.value, t.object.value, sorted(stated[t.subject.value]))
        for t in provenance.triples
        if ours(t)
        and t.predicate.value == RDFS_LABEL
        and provenance.pages_of(t)
        and t.subject.value in stated
        and set(CEFR.findall(t.object.value)) != stated[t.subject.value]
    ]
    assert misnamed == []
    assert len([s for s in stated if "tabel" in s]) == 10


@pytest.mark.parametrize(
    ("subject", "predicate"),
    [
        ("document/toekomstverkenning-opleidingen-metaal-en-metalektro-2019", f"{KD}publicationYear"),
        (
            "document/panteia-skills-voor-de-toekomst-in-metaal-en-metalektro",
            "http://purl.org/dc/terms/creator",
        ),
        (
            "document/panteia-2024-skills-voor-de-toekomst-in-de-technologische-industrie",
            "http://purl.org/dc/terms/creator",
        ),
    ],
)
def test_audit_what_a_title_only_suggests_is_an_interpretation(
    provenance: Provenance, subject: str, predicate: str
) -> None:
    """Section 1 gives titles only: "27072019" read as a date, "Panteia" in a title read as its
    maker, are the modeller's readings; the year 2024 the title states stays on page 4."""
    (triple,) = provenance.about(ID + subject, predicate)
    assert provenance.graphs[triple] == {INTERP + "bcp-titels"}
    (stated,) = provenance.about(
        f"{ID}document/panteia-2024-skills-voor-de-toekomst-in-de-technologische-industrie",
        f"{KD}publicationYear",
    )
    assert provenance.pages_of(stated) == [4] and "_2024_" in pages()[4]


def test_audit_every_drawback_of_intermediaries_is_data(provenance: Provenance) -> None:
    """Section 3 names the costs of agencies (looser bond, and so less joint investment in skills;
    technicians conditioned to look to intermediaries first; higher staff costs); the conditioning
    and the investment were only free text."""
    drawbacks = provenance.about(
        f"{ID}recruitment-channel/productietechniek-uitzend-en-detacheringsbureaus", f"{KD}drawbackText"
    )
    assert sorted(normalise(t.object.value)[:30] for t in drawbacks) == [
        "Dat maakt het onwaarschijnlijk",
        "De keerzijde daarvan is echter",
        "Het veelvuldig gebruik van int",
        "Ook verhoogt het de personeels",
    ]
    assert all(provenance.pages_of(t) == [4] for t in drawbacks)


def test_audit_a_horizon_stands_for_the_words_the_outlooks_use(provenance: Provenance) -> None:
    """Each outlook's words (kd:horizonText) contain a label of its horizon, or the reverse
    ("in toenemende" for "in toenemende mate"); and each horizon's definition quotes every label:
    "steeds meer" (high mix, low volume) was a label of "steeds vaker" its definition did not name."""
    labels: dict[str, list[str]] = defaultdict(list)
    definitions: dict[str, str] = {}
    for t in provenance.triples:
        literal = isinstance(t.object, ox.Literal) and t.object.language == "nl"
        if t.subject.value.startswith(f"{BASE}def/horizon/") and literal:
            if t.predicate.value in (f"{SKOS}prefLabel", f"{SKOS}altLabel"):
                labels[t.subject.value].append(t.object.value.lower())
            elif t.predicate.value == f"{SKOS}definition":
                definitions[t.subject.value] = t.object.value.lower()
    assert len(labels) == 7
    for horizon, names in labels.items():
        assert [n for n in names if n not in definitions[horizon]] == [], horizon
    unlabelled = []
    for t in provenance.triples:
        if t.predicate.value == f"{KD}horizon" and provenance.pages_of(t):
            for words in provenance.about(t.subject.value, f"{KD}horizonText"):
                text = words.object.value.lower()
                if not any(n in text or text in n for n in labels[t.object.value]):
                    unlabelled.append((t.subject.value, words.object.value))
    assert unlabelled == []


def test_audit_english_shape_messages_are_english() -> None:
    """Ten English messages began with the Dutch noun ("Een kwalificatie needs exactly one Dutch label")."""
    import rdflib

    from kdgraph.resources import bundled_paths

    shapes = rdflib.Graph()
    for path in sorted(bundled_paths().shapes.glob("*.ttl")):
        shapes.parse(path)
    dutch_in_english = [
        str(m)
        for m in shapes.objects(None, rdflib.URIRef("http://www.w3.org/ns/shacl#message"))
        if getattr(m, "language", None) == "en" and re.match(r"(Een|De|Het) ", str(m))
    ]
    assert dutch_in_english == []

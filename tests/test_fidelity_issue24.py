"""The findings of issue 24's line-by-line audit of the Productietechniek data, one test each.

Each test names the finding it pins; the expected values are the source's words
(data/productietechniek/source/), split into pages by tests/source_text.py.
"""

from __future__ import annotations

import pytest

from kdgraph.pipeline.loading import KnowledgeGraph

from .conftest import BASE
from .source_text import normalise, pages
from .test_fidelity import ID, INTERP, KD, PROV, RDF_TYPE, SKOS, VERBATIM, Provenance, ours

LOCATION = f"{ID}location/productietechniek-"
SKILLS = ("luisteren", "lezen", "gesprekken-voeren", "spreken", "schrijven")
QUALS = ("productietechnicus", "researchinstrumentmaker")


@pytest.fixture(scope="module")
def provenance(graph: KnowledgeGraph) -> Provenance:
    return Provenance(graph)


def graphs_of(provenance: Provenance, subject: str, predicate: str) -> dict[str, set[str]]:
    """Each value of (subject, predicate) -> the graphs that hold it."""
    return {t.object.value: provenance.graphs[t] for t in provenance.about(subject, predicate)}


def test_each_page_graph_quotes_only_what_is_on_its_own_page(provenance: Provenance) -> None:
    """A passage over a page break is split at the break: each page's graph holds its part. The
    "Nieuwe technologieën" passage and the 3d-printing quote sat whole in the page-5 and page-6
    graphs, though only "wordt." and what follows is on page 6."""
    misplaced = [
        (t.subject.value, t.object.value[:50], graph)
        for t, graphs in provenance.graphs.items()
        if ours(t) and t.predicate.value in VERBATIM
        for graph in graphs
        if graph in provenance.page and normalise(t.object.value) not in pages()[provenance.page[graph]]
    ]
    assert misplaced == []


def test_the_new_technologies_passage_is_split_at_the_break_between_pages_5_and_6(
    provenance: Provenance,
) -> None:
    texts = graphs_of(provenance, f"{ID}trend/productietechniek-nieuwe-technologieen", f"{KD}text")
    by_graph = {next(iter(g)): normalise(text) for text, g in texts.items()}
    assert set(by_graph) == {LOCATION + "s4-p5", LOCATION + "s4-p6"}
    assert by_graph[LOCATION + "s4-p5"].startswith("Het beeld wat betreft de inzet van nieuwe technologieën")
    assert by_graph[LOCATION + "s4-p5"].endswith(
        "pas op een zeer lange termijn, van 20 à 25 jaar, echt relevant"
    )
    assert by_graph[LOCATION + "s4-p6"].startswith("wordt. Virtual Reality (VR) en Augmented Reality (AR)")
    assert by_graph[LOCATION + "s4-p6"].endswith("uit het productieproces geïnventariseerd kunnen worden.")
    quotes = graphs_of(provenance, f"{ID}trend/productietechniek-3d-printing", f"{KD}text")
    assert {text[-20:]: graphs for text, graphs in quotes.items()} == {
        "van 20 à 25 jaar, echt relevant"[-20:]: {LOCATION + "s4-p5"},
        "wordt.": {LOCATION + "s4-p6"},
        "R en AR als experimenteel."[-20:]: {LOCATION + "s4-p6"},
    }


def test_nlqf_and_eqf_levels_are_derived_from_two_sources_not_stated_by_nuffic(
    provenance: Provenance,
) -> None:
    """Nuffic gives the general mapping only; each qualification's NLQF/EQF level is an interpretation
    derived from the source of its MBO level and that mapping."""
    nuffic = f"{ID}external-source/nuffic-level-of-dutch-diplomas"
    derived = {
        t.subject.value.rsplit("/", 1)[-1]: graphs
        for t, graphs in provenance.graphs.items()
        if ours(t) and t.predicate.value in (f"{KD}nlqfLevel", f"{KD}eqfLevel")
    }
    assert len(derived) == 4 and nuffic not in set().union(*derived.values())
    for name, graphs in derived.items():
        (graph,) = graphs
        assert graph in provenance.interpretations, name
        sources = {t.object.value for t in provenance.about(graph, f"{PROV}wasDerivedFrom")}
        assert nuffic in sources and len(sources) >= 2, name
        level_graphs = {
            g
            for t in provenance.about(f"{ID}qualification/{name}", f"{KD}mboLevel")
            for g in provenance.graphs[t]
        }
        assert level_graphs <= sources, name


def test_levels_two_and_three_say_honestly_what_their_source_is(provenance: Provenance) -> None:
    """The SBB home page is not the dossier: the source's description says so, in nl and en."""
    source = f"{ID}external-source/kwalificatiedossier-productietechniek-2023"
    comments = {
        t.object.language: t.object.value
        for t in provenance.about(source, "http://www.w3.org/2000/01/rdf-schema#comment")
    }
    assert "startpagina van SBB, niet het document" in comments["nl"]
    assert "SBB's home page, not the document" in comments["en"]
    assert [t.object.value for t in provenance.about(source, "https://schema.org/url")] == [
        "https://www.s-bb.nl/"
    ]


@pytest.mark.parametrize(
    ("subject", "predicate", "value", "interpretation"),
    [
        (
            "trend/productietechniek-luchtvaart",
            "trendTheme",
            "nieuwe-technologieen",
            "luchtvaart-onder-nieuwe-technologieen",
        ),
        (
            "trend/productietechniek-luchtvaart",
            "partOfTrend",
            "productietechniek-nieuwe-technologieen",
            "luchtvaart-onder-nieuwe-technologieen",
        ),
        (
            "trend/productietechniek-composieten",
            "trendTheme",
            "nieuwe-technologieen",
            "luchtvaart-onder-nieuwe-technologieen",
        ),
        (
            "involvement/productietechniek-marktsegment-metaal-en-metalektro-werkgroep",
            "stakeholderRole",
            "werkgroep",
            "marktsegment-als-werkgroep",
        ),
        (
            "involvement/productietechniek-marktsegment-metaal-en-metalektro-werkgroep",
            "stakeholder",
            "marktsegment-metaal-en-metalektro",
            "marktsegment-als-werkgroep",
        ),
        (
            "agenda-item/productietechniek-onderhoud-en-beheer-dossier",
            "maximumInterval",
            "P5Y",
            "onderhoud-vijf-jaren",
        ),
    ],
)
def test_issue24_readings_are_interpretations_not_source(
    provenance: Provenance, subject: str, predicate: str, value: str, interpretation: str
) -> None:
    (triple,) = provenance.about(ID + subject, KD + predicate)
    assert triple.object.value.rsplit("/", 1)[-1] == value
    assert provenance.graphs[triple] == {INTERP + interpretation}


def test_a_caveat_is_not_a_drawback(provenance: Provenance) -> None:
    """ "Daarmee concurreren zij wel in een nog groter speelveld" qualifies recruiting abroad ("wel")."""
    channel = f"{ID}recruitment-channel/productietechniek-buitenlandse-vakkrachten"
    assert provenance.about(channel, f"{KD}drawbackText") == []
    (caveat,) = provenance.about(channel, f"{KD}caveatText")
    assert caveat.object.value == (
        "Daarmee concurreren zij wel in een nog groter speelveld, "
        "soms met partijen die vele malen groter zijn."
    )
    assert provenance.pages_of(caveat) == [4]


def test_another_profession_is_a_target_not_a_route_verb(provenance: Provenance) -> None:
    """ "Wel kan hij zich verbreden in de richting van bijvoorbeeld werkvoorbereider of naar een ander
    beroep zoals tekenaar/constructeur": the verb of both routes is "verbreden"."""
    kinds = {
        t.subject.value.rsplit("/", 1)[-1]: t.object.value
        for t in provenance.triples
        if t.predicate.value == f"{KD}routeKind" and "tekenaar-constructeur" in t.subject.value
    }
    assert kinds == {
        "productietechnicus-naar-tekenaar-constructeur": "verbreden",
        "researchinstrumentmaker-naar-tekenaar-constructeur": "verbreden",
    }
    assert "ander beroep" not in {
        t.object.value for t in provenance.triples if t.predicate.value == f"{KD}routeKind"
    }


def test_generic_covers_profession_specific_not_a_conflict(provenance: Provenance) -> None:
    """B1 (generic exam component) and A2 (tables, "Lezen (A2)") are two kinds of requirement: the
    generic covers the profession-specific one, the rationale justifies the table's reading level;
    both relations are one interpretation, every statement is kept, no conflict is recorded."""
    req = f"{ID}language-requirement/productietechniek-"
    kinds = {
        t.subject.value.removeprefix(req): t.object.value.rsplit("#", 1)[-1]
        for t in provenance.triples
        if t.predicate.value == RDF_TYPE
        and t.subject.value.startswith(req)
        and t.object.value != f"{KD}LanguageRequirement"  # also stated, for queries without inference
    }
    assert sorted(kinds.items()) == sorted(
        [(f"generiek-engels-niveau-4-{s}", "GenericLanguageRequirement") for s in SKILLS]
        + [(f"tabel-{q}-{s}", "ProfessionSpecificLanguageRequirement") for q in QUALS for s in SKILLS]
        + [("toelichting-lezen-a2-lezen", "ProfessionSpecificLanguageRequirement")]
    )
    relation = INTERP + "generieke-en-beroepsspecifieke-eisen"
    covers = {
        (t.subject.value.removeprefix(req), t.object.value.removeprefix(req)): provenance.graphs[t]
        for t in provenance.triples
        if t.predicate.value == f"{KD}covers"
    }
    assert set(covers) == {
        (f"generiek-engels-niveau-4-{s}", f"tabel-{q}-{s}") for q in QUALS for s in SKILLS
    } | {("generiek-engels-niveau-4-lezen", "toelichting-lezen-a2-lezen")}
    assert set().union(*covers.values()) == {relation}
    justifies = [
        (t.subject.value.removeprefix(req), t.object.value.removeprefix(req), provenance.graphs[t])
        for t in provenance.triples
        if t.predicate.value == f"{KD}justifiesLevelOf"
    ]
    assert sorted(justifies) == [
        ("toelichting-lezen-a2-lezen", f"tabel-{q}-lezen", {relation}) for q in QUALS
    ]
    reasons = {t.object.language for t in provenance.about(relation, f"{KD}reason")}
    assert reasons == {"nl", "en"}
    assert not [t for t in provenance.triples if t.object.value == f"{KD}RequirementConflict" and ours(t)]
    # every statement kept: B1 for reading in the generic component, A2 in the rationale
    levels = {
        t.subject.value.removeprefix(req): t.object.value.rsplit("/", 1)[-1]
        for t in provenance.triples
        if t.predicate.value == f"{KD}minimumLevel" and t.subject.value.startswith(req)
    }
    assert levels["generiek-engels-niveau-4-lezen"] == "B1"
    assert levels["generiek-engels-niveau-4-luisteren"] == "B1"
    assert levels["toelichting-lezen-a2-lezen"] == "A2"


def test_the_dossier_page_shows_the_kinds_not_a_conflict(bundled_app) -> None:  # type: ignore[no-untyped-def]

    html = bundled_app.get("/id/dossier/productietechniek", headers={"Accept": "text/html"}, timeout=30).text
    section = html[html.index('id="s7"') : html.index('id="s8"')]
    assert 'class="conflict"' not in section and "Tegenstrijdige uitspraken" not in section
    assert section.count('<div class="covers">') == 4  # lezen and luisteren, per qualification
    assert "Generieke en beroepsspecifieke eis: " in section
    assert "onderbouwt het niveau van de tabel" in section
    assert "productietechniek-generieke-en-beroepsspecifieke-eisen" in section  # the reading, linked


def test_the_sentence_announcing_two_bottlenecks_is_quoted(provenance: Provenance) -> None:
    sentence = "Bedrijven in de sector metaal en metalektro zien twee knelpunten op de arbeidsmarkt."
    holders = [
        t for t in provenance.triples if t.predicate.value == f"{KD}text" and sentence in t.object.value
    ]
    assert [t.subject.value.rsplit("/", 1)[-1] for t in holders] == ["productietechniek-knelpunt-demografie"]
    assert provenance.pages_of(holders[0]) == [4]


def test_panteia_covers_the_sub_trends_and_outlooks_of_its_themes(provenance: Provenance) -> None:
    """5 themes, their 4 sub-trends and 14 technology outlooks; not the aviation paragraph's."""
    attributed = {
        t.subject.value.rsplit("/", 1)[-1].removeprefix("productietechniek-"): provenance.graphs[t]
        for t in provenance.triples
        if t.predicate.value == f"{PROV}wasAttributedTo" and t.object.value == f"{ID}organisation/panteia"
    }
    kinds = {
        name: {
            t.object.value.rsplit("#", 1)[-1]
            for t in provenance.about(f"{ID}trend/productietechniek-{name}", RDF_TYPE)
        }
        for name in attributed
    }
    outlooks = sorted(n for n, k in kinds.items() if "TechnologyOutlook" in k)
    parts = {
        n for n in attributed if provenance.about(f"{ID}trend/productietechniek-{n}", f"{KD}partOfTrend")
    }
    assert len(attributed) == 23 and len(outlooks) == 14
    assert sorted(parts - set(outlooks)) == [
        "high-mix-low-volume",
        "insourcing",
        "reshoring",
        "vaardigheid-in-vreemde-talen",
    ]
    assert set().union(*attributed.values()) == {INTERP + "trends-uit-panteia"}
    assert not {"luchtvaart", "luchtvaart-forse-innovatie", "composieten", "geared-turbofan"} & set(
        attributed
    )


def test_aircraft_construction_as_context_notes_that_it_was_dropped(provenance: Provenance) -> None:
    route = f"{ID}route/medewerker-productietechniek-naar-allround-medewerker-productietechniek"
    contexts = {t.object.value.rsplit("/", 1)[-1] for t in provenance.about(route, f"{KD}practiceContext")}
    assert "vliegtuigbouw" in contexts  # as the source gives it (page 7)
    notes = {
        t.object.language: (t.object.value, provenance.graphs[t])
        for t in provenance.about(route, f"{SKOS}editorialNote")
    }
    assert "17 maart 2022" in notes["nl"][0] and "17 March 2022" in notes["en"][0]
    assert notes["nl"][1] == {INTERP + "vliegtuigbouw-als-context"}
    (see,) = provenance.about(route, "http://www.w3.org/2000/01/rdf-schema#seeAlso")
    assert see.object.value == f"{ID}event/productietechniek-2022-03-17-advies-overgenomen"
    assert provenance.about(see.object.value, "http://purl.org/dc/terms/date")[0].object.value == "2022-03-17"


def test_the_changed_assignment_is_probably_the_march_2022_decision(provenance: Provenance) -> None:
    change = f"{ID}event/productietechniek-wijziging-opdracht"
    (link,) = provenance.about(change, f"{KD}probablySameEventAs")
    assert link.object.value == f"{ID}event/productietechniek-2022-03-17-advies-overgenomen"
    assert provenance.graphs[link] == {INTERP + "wijziging-opdracht-is-besluit-vliegtuigbouw"}
    assert provenance.about(change, "http://purl.org/dc/terms/date") == []  # still undated


def test_rising_regulation_is_data(provenance: Provenance) -> None:
    parts = {
        t.subject.value.rsplit("/", 1)[-1]: t
        for t in provenance.triples
        if t.predicate.value == f"{KD}partOfTrend"
        and t.object.value.endswith("productietechniek-wetgeving-en-regelgeving")
    }
    assert sorted(parts) == [
        "productietechniek-toename-van-regelgeving",
        "productietechniek-toenemend-belang-van-eisen",
    ]
    (text,) = provenance.about(f"{ID}trend/productietechniek-toename-van-regelgeving", f"{KD}text")
    assert normalise(text.object.value) == (
        "Daarbij moet de beroepsbeoefenaar ook rekening houden met een toename van regelgeving ; "
        "deze is vooral van toepassing op de productiemedewerkers."
    )
    regulations = provenance.about(
        f"{ID}trend/productietechniek-toenemend-belang-van-eisen", f"{KD}mentionsRegulation"
    )
    assert sorted(t.object.value.rsplit("/", 1)[-1] for t in regulations) == [
        "arbo",
        "ce",
        "mac",
        "ped",
        "vca",
        "vva",
    ]
    assert {p for t in parts.values() for p in provenance.pages_of(t)} == {4}


def test_the_regional_alternative_language_is_data(provenance: Provenance) -> None:
    statement = f"{ID}language-statement/productietechniek-andere-taal-per-regio"

    def value(name: str) -> str:
        (t,) = provenance.about(statement, KD + name)
        return t.object.value

    assert value("allowsInsteadOf") == "http://id.loc.gov/vocabulary/iso639-1/en"
    assert value("condition") == "Afhankelijk van de regio, als daar goede argumenten voor zijn"
    assert value("choiceBy") == "het management van een opleiding"
    assert value("text") == (
        "Afhankelijk van de regio, als daar goede argumenten voor zijn, "
        "kan het management van een opleiding kiezen voor een andere taal."
    )
    (choice,) = provenance.about(statement, f"{KD}choiceBy")
    assert provenance.pages_of(choice) == [6]


LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", f"{SKOS}prefLabel")


def test_every_resource_with_a_dutch_label_has_an_english_one(provenance: Provenance) -> None:
    """78 resources had only a Dutch name (agenda items, aims, routes, requirements, bodies)."""
    languages: dict[str, set[str]] = {}
    for t in provenance.triples:
        if t.predicate.value in LABELS and t.subject.value.startswith(f"{BASE}") and t.object.language:
            languages.setdefault(t.subject.value, set()).add(t.object.language)
    assert [s for s, found in sorted(languages.items()) if "nl" in found and "en" not in found] == []


def test_english_labels_of_resources_from_the_source_are_translations(provenance: Provenance) -> None:
    """Each English name of a resource of the source sits in its file's translation graph."""
    misplaced = [
        (t.subject.value, t.object.value)
        for t, graphs in provenance.graphs.items()
        if ours(t)
        and t.predicate.value in LABELS
        and t.object.language == "en"
        and t.subject.value not in graphs
        and not any(g.startswith(INTERP) or "/external-source/" in g for g in graphs)
    ]
    assert misplaced == []
    routes = [
        t
        for t in provenance.triples
        if ours(t)
        and "/route/" in t.subject.value
        and t.predicate.value in LABELS
        and t.object.language == "en"
    ]
    assert len(routes) == 21
    assert {g for t in routes for g in provenance.graphs[t]} == {INTERP + "vertaling-sectie-8"}


@pytest.mark.parametrize(
    ("subject", "english"),
    [
        (f"{BASE}def/stakeholder-role/begeleidingsgroep", "guidance group member"),
        (
            f"{ID}finding/productietechniek-boeien-en-binden-en-borgen",
            "Attracting, binding and securing staff (boeien en binden en borgen)",
        ),
        (f"{ID}organisation/de-branche", "the industry (de branche)"),
        (f"{ID}aim/productietechniek-1", "Less fragmentation = fewer qualification dossiers"),
        (
            f"{ID}route/productietechnicus-naar-werktuigbouw",
            "Productietechnicus → Mechanical engineering (hbo)",
        ),
    ],
)
def test_translations_say_what_the_dutch_says(provenance: Provenance, subject: str, english: str) -> None:
    """ "begeleidingsgroep" is not a steering group; "boeien en binden en borgen" has three verbs."""
    names = {
        t.object.value for p in LABELS for t in provenance.about(subject, p) if t.object.language == "en"
    }
    assert names == {english}


def test_cefr_levels_are_ordered_by_rank_and_say_so() -> None:
    from kdgraph.resources import bundled_paths

    text = (bundled_paths().ontology / "vocabularies" / "cefr-levels.ttl").read_text(encoding="utf-8")
    assert "skos:broader chains" not in text and "skos:broader " not in text.split("@prefix")[-1]
    assert "ordered by kd:rank 1..6" in text


def test_organisations_and_schemes_are_typed_for_what_they_are(provenance: Provenance) -> None:
    """Panteia (author of sources) and NIL (training provider) are named, not involved; CE is a
    marking and VCA a certification, not regulations."""

    def types(iri: str) -> set[str]:
        return {t.object.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1] for t in provenance.about(iri, RDF_TYPE)}

    for organisation in ("panteia", "nederlands-instituut-voor-lastechniek"):
        assert types(f"{ID}organisation/{organisation}") == {"Organization", "Agent"}, organisation
    assert types(f"{ID}organisation/sbb") == {"Stakeholder"}
    for scheme in ("ce", "vca"):
        assert types(f"{ID}regulation/{scheme}") == {"CertificationScheme"}, scheme
    for regulation in ("ped", "vva", "mac", "arbo"):
        assert types(f"{ID}regulation/{regulation}") == {"Regulation"}, regulation


def test_the_dossier_page_reads_a_split_passage_as_one(bundled_app) -> None:  # type: ignore[no-untyped-def]
    """Each page graph holds its part; the page shows the passage whole, in the source's order."""
    import html
    import re

    page = bundled_app.get("/id/dossier/productietechniek", headers={"Accept": "text/html"}, timeout=30).text
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Het beeld wat betreft de inzet van nieuwe technologieën is diffuus." in text
    assert "van 20 à 25 jaar, echt relevant wordt. Virtual Reality (VR) en Augmented Reality (AR)" in text
    assert "in de bron wordt." not in text

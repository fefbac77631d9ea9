"""The national structure as data: SBB's own dossier XML imported into our model (issue 20).

Every expected value below is read from the three real files in ../shared/sbb-xml (line numbers
and element contents as SBB published them); the tests skip with a reason where they are absent.
Hostile and broken XML is tested in test_sbb_xml_faults.py.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner

from kdgraph.cli import main
from kdgraph.pipeline.loading import load_graph
from kdgraph.pipeline.sbb_import import import_sbb
from kdgraph.query.engine import EmbeddedEngine, Query, SelectResult
from kdgraph.resources import bundled_paths

from .conftest import BASE, SBB_XML

pytestmark = pytest.mark.skipif(
    not (SBB_XML / "2755-Dienstverlening.xml").is_file(),
    reason=f"SBB's sample XML is not at {SBB_XML} (it comes with the workplace's shared/ folder)",
)
KD = f"{BASE}def/kd#"
PREFIXES = f"PREFIX kd: <{KD}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "


def select(engine: EmbeddedEngine, text: str) -> list[tuple[str, ...]]:
    result = engine.run(Query(PREFIXES + text))
    assert isinstance(result, SelectResult)
    return [tuple(row[v].value if v in row else "" for v in result.variables) for row in result.rows]


def test_four_dossiers_with_their_qualifications_and_levels(national: EmbeddedEngine) -> None:
    got = select(
        national,
        """SELECT ?dossier ?label ?level WHERE { ?dossier kd:hasQualification ?q . ?q rdfs:label ?label ;
           kd:mboLevel/kd:levelNumber ?level FILTER(LANG(?label) = "nl") } ORDER BY ?dossier ?level ?label""",
    )
    imported = [(d.rsplit("/", 1)[1], label, level) for d, label, level in got if "/sbb-" in d]
    assert imported == [
        ("sbb-2635", "Pedagogisch medewerker kinderopvang", "3"),
        ("sbb-2635", "Gespecialiseerd pedagogisch medewerker", "4"),  # SBB's titel ends in a space
        ("sbb-2635", "Onderwijsassistent", "4"),
        ("sbb-2637", "Sociaal-cultureel werker", "4"),
        ("sbb-2637", "Sociaal-maatschappelijk dienstverlener", "4"),
        ("sbb-2755", "Helpende Zorg en Welzijn", "2"),
        ("sbb-2755", "Medewerker facilitaire dienstverlening", "2"),
        ("sbb-2755", "Medewerker sport en recreatie", "2"),
    ]
    assert len({d for d, _, _ in got}) == 4  # and Productietechniek, curated, with the same terms


def test_kerntaken_and_werkprocessen_per_dossier(national: EmbeddedEngine) -> None:
    """Counted in the XML: <basiskerntaken> and <profielkerntaken> kerntaken, and their werkprocessen."""
    got = select(
        national,
        """SELECT ?dossier (COUNT(DISTINCT ?task) AS ?tasks) (COUNT(DISTINCT ?process) AS ?processes) WHERE {
             ?task a kd:CoreTask ; kd:dossier ?dossier ; kd:hasWorkProcess ?process }
           GROUP BY ?dossier ORDER BY ?dossier""",
    )
    assert [(d.rsplit("/", 1)[1], t, p) for d, t, p in got] == [
        ("sbb-2635", "7", "34"),  # 2 basis kerntaken with 10 werkprocessen, 5 profile ones with 24
        ("sbb-2637", "4", "16"),
        ("sbb-2755", "4", "18"),  # 1 basis kerntaak with 9 werkprocessen, 3 profile ones with 9
    ]
    basis = select(
        national,
        """SELECT ?label WHERE { ?d kd:sbbNumber "2755" ; kd:hasCoreTask ?t . ?t rdfs:label ?label }""",
    )
    assert basis == [("Voert dienstverlenende werkzaamheden uit",)]  # the basisdeel, for all three


def test_a_werkproces_as_the_xml_gives_it(national: EmbeddedEngine) -> None:
    """2755-Dienstverlening.xml:220, werkproces 986399 of kerntaak 986398."""
    process = f"<{BASE}id/work-process/2755-986399>"
    got = select(
        national,
        f"""SELECT ?label ?result ?behaviour ?position ?task WHERE {{ {process} rdfs:label ?label ;
            kd:result ?result ; kd:behaviour ?behaviour ; kd:position ?position .
            ?task kd:hasWorkProcess {process} }}""",
    )
    assert got == [
        (
            "Bereidt werkzaamheden voor en stemt af",
            "De werkzaamheden zijn juist voorbereid.",
            "De beroepsbeoefenaar:\n- kiest de juiste materialen en middelen;\n"
            "- volgt nauwkeurig instructies en aanwijzingen;\n"
            "- vraagt om verduidelijking of hulp bij onduidelijkheden;\n"
            "- verzamelt actief informatie over de werkuitvoering en aandachtspunten;\n"
            "- stemt effectief af met collega's, leidinggevende of overig betrokkenen;\n"
            "- plant werkzaamheden in een logische volgorde.",
            "1",
            f"{BASE}id/core-task/2755-986398",
        )
    ]
    notation = "<http://www.w3.org/2004/02/skos/core#notation>"
    competences = select(
        national, f"SELECT ?code WHERE {{ {process} kd:requiresCompetence/{notation} ?code }} ORDER BY ?code"
    )
    assert competences == [("E",), ("K",), ("Q",), ("T",)]  # referenties 3088, 3094, 3100, 3103


def test_crebo_codes_with_their_dates(national: EmbeddedEngine) -> None:
    got = select(
        national,
        """SELECT ?crebo ?from ?factor ?ministry WHERE { ?q kd:creboRegistration ?r . ?r kd:crebo ?crebo ;
           kd:validFrom ?from ; kd:priceFactor ?factor ; kd:ministry ?ministry .
           FILTER NOT EXISTS { ?r kd:intakeEnds ?end } } ORDER BY ?crebo""",
    )
    assert ("25499", "2015-08-01", "1.3", "OCW") in got  # Geldig_vanaf="01-08-2015" prijsfactor="1,30"
    assert ("23189", "2015-08-01", "1.1", "OCW") in got  # the dossier's own crebo
    assert len(got) == 11  # 3 dossier crebos and 8 qualification crebos, none with an end of intake


def test_cefr_levels_per_qualification(national: EmbeddedEngine) -> None:
    """2755:860-867 (a language of choice, two skills left empty) and 2635:1437-1446 (Engels, all B1)."""
    got = select(
        national,
        """SELECT ?crebo ?language ?skill ?level WHERE { ?s kd:appliesTo ?q ; kd:hasRequirement ?r ;
             kd:languageName ?language . ?q kd:crebo ?crebo .
             ?r kd:skill ?skill ; kd:minimumLevel ?level }
           ORDER BY ?crebo ?skill""",
    )
    by_crebo: dict[str, set[tuple[str, str, str]]] = {}
    for crebo, language, skill, level in got:
        by_crebo.setdefault(crebo, set()).add((language, skill.rsplit("/", 1)[1], level.rsplit("/", 1)[1]))
    assert by_crebo["25500"] == {
        ("een MVT naar keuze", skill, "A2") for skill in ("luisteren", "gesprekken-voeren", "spreken")
    }
    assert {level for _, _, level in by_crebo["25485"]} == {"B1"} and len(by_crebo["25485"]) == 5
    assert set(by_crebo) == {"25485", "25500"}  # no other profiel states a language requirement


def test_every_imported_statement_says_where_it_comes_from() -> None:
    path = SBB_XML / "2755-Dienstverlening.xml"
    quads = import_sbb(path, path.read_bytes()).quads
    locations = {
        q.subject: q for q in quads if q.subject == q.graph_name and q.predicate.value == f"{KD}line"
    }
    files = {
        q.subject for q in quads if q.subject == q.graph_name and q.object == ox.NamedNode(f"{KD}SourceFile")
    }
    assert all(q.graph_name in locations or q.graph_name in files for q in quads)
    dossier = next(g for g, q in locations.items() if g.value.endswith("-dossier-2755"))
    assert locations[dossier].object.value == "62"  # <dossier nr="2755" ...> is on line 62
    described = {(q.predicate.value.rsplit("#", 1)[1], q.object.value) for q in quads if q.subject == dossier}
    assert ("xmlPath", "/sbb/dossiers[1]/dossier[1]") in described
    assert ("xmlElement", "dossier") in described


def test_import_writes_the_same_bytes_twice_and_validates(tmp_path: Path) -> None:
    runner = CliRunner()
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        result = runner.invoke(main, ["import", str(SBB_XML), "-o", str(out)])
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in first.iterdir())
    assert names == ["sbb-2635.trig", "sbb-2637.trig", "sbb-2755.trig", "sbb-lists.trig"]
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)
    validated = runner.invoke(main, ["validate", str(bundled_paths().data), str(first)])
    assert validated.exit_code == 0, validated.output
    assert "conforms: 0 violations" in validated.output
    # the TriG says what the XML says: the same quads as importing the XML directly
    from_trig = set(load_graph([first], with_ontology=False).quads)
    from_xml = set(load_graph([SBB_XML], with_ontology=False).quads)
    assert from_trig == from_xml


def test_identifiers_are_sbbs_own_and_unique_across_editions(tmp_path: Path) -> None:
    """A second edition (another dossier nr) of the same dossier keeps its crebo codes and gets
    URIs of its own; the same file imported twice gives the same URIs."""
    original = (SBB_XML / "2755-Dienstverlening.xml").read_bytes()
    edition = original.replace(b'<dossier nr="2755"', b'<dossier nr="9755"')
    first = {q.subject.value for q in import_sbb(Path("a.xml"), original).quads}
    again = {
        q.subject.value
        for q in import_sbb(Path("b.xml"), original).quads
        if "/xml-location/" not in q.subject.value
    }
    other = {q.subject.value for q in import_sbb(Path("c.xml"), edition).quads}
    assert f"{BASE}id/qualification/25499-2755" in first and f"{BASE}id/qualification/25499-9755" in other
    assert f"{BASE}id/dossier/sbb-2755" in first and f"{BASE}id/dossier/sbb-9755" in other
    assert {s for s in first if "/xml-location/" not in s} == again
    shared = {s for s in first & other if "/xml-location/" not in s and "/source-file/" not in s}
    # only the national lists are shared between editions
    assert all(
        "/education-domain/" in s or "/sector-chamber/" in s or "/sbb-competence/" in s for s in shared
    )


def test_saved_queries_of_the_national_structure(national: EmbeddedEngine, saved_queries) -> None:
    def answer(name: str, params: dict[str, str], columns: tuple[str, ...]) -> list[tuple[str, ...]]:
        query = saved_queries[name]
        result = national.run(query.query(query.bind(params)))
        assert isinstance(result, SelectResult)
        return [tuple(row[c].value if c in row else "" for c in columns) for row in result.rows]

    assert answer(
        "cq13-crebo-lookup", {"crebo": "25499"}, ("label", "dossierLabel", "mboLevel", "validFrom")
    ) == [("Medewerker facilitaire dienstverlening", "Dienstverlening", "2", "2015-08-01")]
    assert answer("cq13-crebo-lookup", {"crebo": "23185"}, ("label", "kind")) == [("Sociaal werk", "dossier")]
    level4 = answer(
        "cq14-qualifications-by-level-and-domain", {"level": "4"}, ("label", "crebo", "domainLabel")
    )
    assert level4 == [
        ("Gespecialiseerd pedagogisch medewerker", "25484", "Zorg en welzijn"),
        ("Onderwijsassistent", "25485", "Zorg en welzijn"),
        ("Sociaal-cultureel werker", "25488", "Zorg en welzijn"),
        ("Sociaal-maatschappelijk dienstverlener", "25489", "Zorg en welzijn"),
    ]
    elsewhere = answer(
        "cq14-qualifications-by-level-and-domain", {"domain": f"{BASE}id/education-domain/79000"}, ("label",)
    )
    assert elsewhere == []  # Bouw en infra: none of the three
    shared = answer("cq15-shared-competences", {}, ("code", "dossiers", "workProcesses"))
    assert shared[:3] == [("T", "3", "33"), ("K", "3", "27"), ("L", "3", "22")]
    assert len(shared) == 19 and ("A", "1", "4") not in shared
    recurring = answer("cq16-recurring-work-processes", {}, ("label", "dossiers"))
    assert recurring == [
        ("Evalueert de werkzaamheden", "2"),
        ("Voert beleidsondersteunende taken uit", "2"),
        ("Voert coördinerende taken uit", "2"),
        ("Werkt aan de eigen deskundigheid", "2"),
        ("Werkt aan het bewaken en bevorderen van kwaliteitszorg", "2"),
    ]
    # a saved query of the curated model answers for an imported dossier too
    levels = answer(
        "cq01-qualifications-levels", {"dossier": f"{BASE}id/dossier/sbb-2755"}, ("label", "eqfLevel")
    )
    assert levels == [
        (label, "2")
        for label in (
            "Helpende Zorg en Welzijn",
            "Medewerker facilitaire dienstverlening",
            "Medewerker sport en recreatie",
        )
    ]


@pytest.fixture(scope="module")
def national_server(serve, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A real `kdgraph serve --data data --data <SBB XML>`, with a second edition of Dienstverlening."""
    xml = tmp_path_factory.mktemp("sbb-xml")
    original = (SBB_XML / "2755-Dienstverlening.xml").read_bytes()
    (xml / "2755-Dienstverlening.xml").write_bytes(original)
    (xml / "9755-Dienstverlening.xml").write_bytes(
        original.replace(b'<dossier nr="2755"', b'<dossier nr="9755"')
    )
    (xml / "2637-Sociaal_werk.xml").write_bytes((SBB_XML / "2637-Sociaal_werk.xml").read_bytes())
    args = ["--data", str(bundled_paths().data), "--data", str(xml), "--workers", "2"]
    with serve(args, tmp_path_factory.mktemp("national-state")) as process:
        yield process


def test_serve_answers_for_imported_dossiers_and_crebo_codes(national_server) -> None:
    url = national_server.url
    query = (
        PREFIXES
        + "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a kd:QualificationDossier ; kd:hasQualification ?q }"
    )
    counted = requests.get(
        f"{url}/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=30
    )
    assert counted.text.splitlines() == ["n", "4"]  # Productietechniek, Sociaal werk, two Dienstverlening
    health = requests.get(f"{url}/health", timeout=30).json()
    assert health["xml_location_graphs"] > 500  # one per element of the three files: counted,
    assert not any("/xml-location/" in g for g in health["graphs"])  # not listed
    one = requests.get(f"{url}/id/crebo/25489", allow_redirects=False, timeout=30)
    assert one.status_code == 303 and one.headers["Location"].endswith("/doc/id/qualification/25489-2637")
    page = requests.get(f"{url}{one.headers['Location']}", timeout=30)
    assert page.status_code == 200 and "Sociaal-maatschappelijk dienstverlener" in page.text
    several = requests.get(
        f"{url}/id/crebo/25499", allow_redirects=False, headers={"Accept": "application/json"}, timeout=30
    )
    assert several.status_code == 300
    editions = {edition["thing"].rsplit("/", 1)[1] for edition in several.json()["editions"]}
    assert editions == {"25499-2755", "25499-9755"}
    assert several.headers["Link"].count('rel="alternate"') == 2
    html = requests.get(f"{url}/id/crebo/25499", allow_redirects=False, timeout=30)
    assert html.status_code == 300 and "/id/qualification/25499-9755" in html.text
    assert requests.get(f"{url}/id/crebo/12345", allow_redirects=False, timeout=30).status_code == 404
    assert requests.get(f"{url}/id/crebo/abc", allow_redirects=False, timeout=30).status_code == 404
    saved = requests.get(
        f"{url}/queries/cq13-crebo-lookup",
        params={"crebo": "23185"},
        headers={"Accept": "text/csv"},
        timeout=30,
    )
    assert saved.status_code == 200 and "Sociaal werk" in saved.text


def test_validate_names_the_xml_line_of_the_element_at_fault(tmp_path: Path) -> None:
    """A kerntaak without werkprocessen, and two files that name one domain differently: violations
    reported at the line of the element in the XML, exit 1."""
    original = (SBB_XML / "2755-Dienstverlening.xml").read_text(encoding="utf-8-sig")
    start = original.index("<basiswerkprocessen>")
    end = original.index("</basiswerkprocessen>") + len("</basiswerkprocessen>")
    broken = original[:start] + "<basiswerkprocessen />" + original[end:]
    (tmp_path / "2755-Dienstverlening.xml").write_text(broken, encoding="utf-8")
    renamed = (SBB_XML / "2637-Sociaal_werk.xml").read_text(encoding="utf-8-sig")
    renamed = renamed.replace(
        'titel="Zorg en welzijn" crebo="79140"', 'titel="Zorg &amp; welzijn" crebo="79140"'
    )
    (tmp_path / "2637-Sociaal_werk.xml").write_text(renamed, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1, result.output
    dossier = f"== Dienstverlening <{BASE}id/dossier/sbb-2755>"  # the report is by dossier
    kerntaak = f"{BASE}id/core-task/2755-986398\n"
    at = f"at {tmp_path / '2755-Dienstverlening.xml'}:188"  # <kerntaak nr="986398" ...> is on line 188
    assert dossier in result.output and kerntaak in result.output and at in result.output
    assert result.output.index(dossier) < result.output.index(kerntaak) < result.output.index(at)
    assert "A core task has at least one work process" in result.output
    domain = f"at {tmp_path / '2637-Sociaal_werk.xml'}:18"  # <domein nr="4135" ...> of the second file
    assert domain in result.output and "two files naming the same number differently" in result.output

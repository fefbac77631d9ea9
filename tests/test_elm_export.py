"""`kdgraph export --profile elm`: qualifications as the European Learning Model's LOQ profile (issue 23).

The export is checked with pyshacl against the official shapes in ../shared/elm (LOQ-constraints.ttl
and LOQ-constraints-mdr.ttl, as the European Commission publishes them), graph by graph: each
qualification's named graph must conform on its own. Expected values are read from SBB's XML in
../shared/sbb-xml (line numbers below) and from the code lists in ../shared/elm. Tests that need
those folders skip with a reason where they are absent.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from click.testing import CliRunner
from rdflib.namespace import SH

from kdgraph.cli import main
from kdgraph.pipeline.elm_export import (
    PROFILE_DIR,
    ElmExport,
    code_list,
    export_elm,
    read_isced_mapping,
    validate_elm,
)
from kdgraph.pipeline.loading import load_graph
from kdgraph.resources import bundled_paths

from .conftest import BASE, SBB_XML

SHARED = SBB_XML.parent
SBB = SHARED / "sbb-xml"
OFFICIAL = SHARED / "elm"
MAPPING = Path(__file__).parent / "fixtures" / "elm" / "isced-mapping.csv"
ELM = "http://data.europa.eu/snb/model/elm/"
DCTERMS = "http://purl.org/dc/terms/"
QDR = "http://data.europa.eu/snb/qdr/"

needs_sbb = pytest.mark.skipif(
    not (SBB / "2755-Dienstverlening.xml").is_file(),
    reason=f"SBB's sample XML is not at {SBB} (it comes with the workplace's shared/ folder)",
)
needs_official = pytest.mark.skipif(
    not (OFFICIAL / "LOQ-constraints.ttl").is_file(),
    reason=f"the official ELM files are not at {OFFICIAL} (they come with the workplace's shared/ folder)",
)

# nqf.xsd: the QDR concepts labelled "NLQF Level 1" ... "NLQF Level 8" (lines 1109-1441 and 719-876).
NLQF = {
    1: "c_3e11a3fd",
    2: "c_c749fa23",
    3: "c_f97cdbb5",
    4: "c_ff656b33",
    5: "c_18c9e9fe",
    6: "c_1711a061",
    7: "c_478359fc",
    8: "c_2835a50f",
}
ISCED_MISSING = (
    "  missing elm:ISCEDFCode (thematic area): the ISCED-F field of education is in none of the sources: "
    "supply it with --isced-mapping FILE"
)
EIGHT = [
    "25484-2635",
    "25485-2635",
    "25486-2635",
    "25488-2637",
    "25489-2637",
    "25498-2755",
    "25499-2755",
    "25500-2755",
]
OUTCOMES_MISSING = (
    "  missing elm:learningOutcome (learning outcome): "
    "the sources give no werkprocessen for this qualification"
)


@pytest.fixture(scope="module")
def national() -> ElmExport:
    if not (SBB / "2755-Dienstverlening.xml").is_file():
        pytest.skip(f"SBB's sample XML is not at {SBB}")
    return export_elm(load_graph([bundled_paths().data, SBB]))


def official_shapes() -> rdflib.Graph:
    shapes = rdflib.Graph()
    for name in ("LOQ-constraints.ttl", "LOQ-constraints-mdr.ttl"):
        shapes.parse(OFFICIAL / name, format="turtle")
    return shapes


def values(export: ElmExport, subject: str, predicate: str) -> list[str]:
    """The distinct values (a learning outcome shared by several qualifications is in each graph)."""
    return sorted(
        {
            q.object.value
            for q in export.quads
            if q.subject.value == subject and q.predicate.value == predicate
        }
    )


@needs_official
def test_bundled_profile_files_are_the_official_copies() -> None:
    """The export validates with copies bundled in the package (a bare machine has no shared/):
    byte for byte the files in ../shared/elm."""
    for name in ("LOQ-constraints.ttl", "LOQ-constraints-mdr.ttl", "eqf.xsd", "nqf.xsd", "isced-f.xsd"):
        assert (PROFILE_DIR / name).read_bytes() == (OFFICIAL / name).read_bytes(), name


def test_the_levels_are_the_eu_concepts_of_the_code_lists() -> None:
    nqf = code_list("nqf")
    assert nqf.scheme == f"{QDR}25831c2"
    assert {n: nqf.concept(f"NLQF Level {n}") for n in NLQF} == {n: QDR + c for n, c in NLQF.items()}
    eqf = code_list("eqf")
    assert eqf.scheme == "http://data.europa.eu/snb/eqf/25831c2"
    assert eqf.labels["http://data.europa.eu/snb/eqf/4"] == "Level 4"
    assert (
        code_list("isced-f").labels["http://data.europa.eu/snb/isced-f/0922"]
        == "Child care and youth services"
    )


@needs_sbb
def test_every_qualification_carries_its_levels_and_its_werkprocessen(national: ElmExport) -> None:
    exported = {q.iri.rsplit("/", 1)[1]: q for q in national.qualifications}
    assert len(exported) == 12  # 8 from SBB's XML, 4 curated (Productietechniek)
    for slug, q in exported.items():
        assert q.graph == f"{BASE}graph/elm/{slug}" and q.node == f"{BASE}id/elm/qualification/{slug}"
        assert len(values(national, q.node, ELM + "EQFLevel")) == 1, slug
        assert len(values(national, q.node, ELM + "NQFLevel")) == 1, slug
    # 25499 Medewerker facilitaire dienstverlening, mbo level 2 (2755-Dienstverlening.xml): the 9
    # werkprocessen of the basis kerntaak 986398 (lines 220-368) and its 3 profile werkprocessen
    # (kerntaak 987748, lines 448-478)
    q = exported["25499-2755"]
    assert values(national, q.node, ELM + "EQFLevel") == ["http://data.europa.eu/snb/eqf/2"]
    assert values(national, q.node, ELM + "NQFLevel") == [QDR + NLQF[2]]
    outcomes = values(national, q.node, ELM + "learningOutcome")
    assert q.outcomes == len(outcomes) == 12
    titles = sorted(t for o in outcomes for t in values(national, o, DCTERMS + "title"))
    assert titles == sorted(
        [
            "Bereidt werkzaamheden voor en stemt af",
            "Maakt ruimtes gebruiksklaar",
            "Treedt op als aanspreekpunt",
            "Voert eenvoudige administratieve werkzaamheden uit",
            "Assisteert bij voorraadbeheer",
            "Draagt bij aan een veilige situatie",  # SBB's titel ends in a space
            "Voert eenvoudige onderhouds- en herstelwerkzaamheden uit",
            "Voert werkzaamheden uit gericht op voeding",
            "Evalueert de werkzaamheden",
            "Assisteert bij beheer van gebouwen",
            "Voert logistieke werkzaamheden uit",
            "Voert cateringwerkzaamheden uit",
        ]
    )
    catering = f"{BASE}id/elm/learning-outcome/2755-987802"
    note = values(national, catering, ELM + "additionalNote")
    assert values(national, note[0], ELM + "noteLiteral")[0].startswith(
        "De medewerker facilitaire dienstverlening assisteert bij werkzaamheden in de catering."
    )
    assert values(national, q.node, ELM + "volumeOfLearning") == ["PT3200H"]  # sbu="3200"
    crebo = values(national, q.node, "http://www.w3.org/ns/adms#identifier")
    assert [values(national, i, "http://www.w3.org/2004/02/skos/core#notation") for i in crebo] == [
        [q.iri],
        ["25499"],
    ]
    derived = values(national, q.graph, "http://www.w3.org/ns/prov#wasDerivedFrom")
    assert derived == sorted([q.iri, *(f"{BASE}id/work-process/{o.rsplit('/', 1)[1]}" for o in outcomes)])
    identifiers = values(national, catering, "http://www.w3.org/ns/adms#identifier")
    assert [values(national, i, "http://www.w3.org/2004/02/skos/core#notation") for i in identifiers] == [
        [f"{BASE}id/work-process/2755-987802"]
    ]
    # the curated qualifications have levels but no werkprocessen
    curated = exported["productietechnicus"]
    assert values(national, curated.node, ELM + "NQFLevel") == [QDR + NLQF[4]]
    assert curated.outcomes == 0
    assert values(national, curated.node, DCTERMS + "title") == [
        "Productietechnicus",
        "Production technician",
    ]


@needs_sbb
@needs_official
def test_with_a_mapping_every_graph_conforms_to_the_official_shapes(tmp_path: Path) -> None:
    out = tmp_path / "elm.trig"
    args = ["export", "--profile", "elm", "--data", str(SBB), "--isced-mapping", str(MAPPING), "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"wrote 8 qualifications as ELM to {out}",
        "conforms to the LOQ profile: 8 qualifications, 0 violations",
    ]
    graphs: dict[str, list[ox.Triple]] = {}
    for quad in ox.parse(path=out, format=ox.RdfFormat.TRIG):
        graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    assert sorted(graphs) == sorted(f"{BASE}graph/elm/{crebo}" for crebo in EIGHT)
    shapes = official_shapes()
    for triples in graphs.values():  # each graph alone: its own concepts, outcomes and notes
        alone = rdflib.Graph()
        alone.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        conforms, report, text = pyshacl.validate(alone, shacl_graph=shapes)
        assert conforms, text
        assert not list(report.subjects(rdflib.RDF.type, SH.ValidationResult))
    facilitair = graphs[f"{BASE}graph/elm/25499-2755"]
    node = ox.NamedNode(f"{BASE}id/elm/qualification/25499-2755")
    isced = ox.NamedNode("http://data.europa.eu/snb/isced-f/1019")
    assert ox.Triple(node, ox.NamedNode(ELM + "ISCEDFCode"), isced) in facilitair
    in_scheme = ox.NamedNode("http://www.w3.org/2004/02/skos/core#inScheme")
    assert (
        ox.Triple(isced, in_scheme, ox.NamedNode("http://data.europa.eu/snb/isced-f/25831c2")) in facilitair
    )
    again = tmp_path / "again.trig"
    assert CliRunner().invoke(main, [*args[:-1], str(again)]).exit_code == 0
    assert again.read_bytes() == out.read_bytes()  # same input, same bytes


@needs_sbb
def test_without_a_mapping_the_report_lists_what_the_sources_lack(tmp_path: Path) -> None:
    out = tmp_path / "elm.trig"
    data = ["--data", str(bundled_paths().data), "--data", str(SBB)]
    result = CliRunner().invoke(main, ["export", "--profile", "elm", *data, "-o", str(out)])
    assert result.exit_code == 1
    sbb = [
        ("25484-2635", "Gespecialiseerd pedagogisch medewerker", "25484"),
        ("25485-2635", "Onderwijsassistent", "25485"),
        ("25486-2635", "Pedagogisch medewerker kinderopvang", "25486"),
        ("25488-2637", "Sociaal-cultureel werker", "25488"),
        ("25489-2637", "Sociaal-maatschappelijk dienstverlener", "25489"),
        ("25498-2755", "Helpende Zorg en Welzijn", "25498"),
        ("25499-2755", "Medewerker facilitaire dienstverlening", "25499"),
        ("25500-2755", "Medewerker sport en recreatie", "25500"),
    ]
    curated = [
        ("allround-medewerker-productietechniek", "Allround medewerker productietechniek"),
        ("medewerker-productietechniek", "Medewerker productietechniek"),
        ("productietechnicus", "Productietechnicus"),
        ("researchinstrumentmaker", "Researchinstrumentmaker"),
    ]
    expected = [
        f"wrote 12 qualifications as ELM to {out}",
        "does not conform to the LOQ profile: 12 of 12 qualifications, 16 violations; what the sources lack:",
    ]
    for slug, name, crebo in sbb:
        expected += [f"id/qualification/{slug} {name} (crebo {crebo}):", ISCED_MISSING]
    for slug, name in curated:
        expected += [f"id/qualification/{slug} {name}:", ISCED_MISSING, OUTCOMES_MISSING]
    assert result.stderr.splitlines() == expected
    assert out.is_file()  # written all the same: it holds everything the sources say


def test_the_shapes_see_what_is_wrong() -> None:
    """The validation is not vacuous: a property of ours on the closed qualification node, or a
    level concept outside its EU scheme, is a violation on that qualification."""
    graph = load_graph()
    export = export_elm(graph)
    node = ox.NamedNode(f"{BASE}id/elm/qualification/productietechnicus")
    g = ox.NamedNode(f"{BASE}graph/elm/productietechnicus")
    tampered = [
        q
        for q in export.quads
        if not (q.graph_name == g and q.predicate.value.endswith("#inScheme") and "/eqf/" in q.subject.value)
    ]
    tampered.append(ox.Quad(node, ox.NamedNode(f"{BASE}def/kd#crebo"), ox.Literal("99999"), g))
    gaps = validate_elm(ElmExport(tampered, export.qualifications))
    mine = {(gap.path, gap.component) for gap in gaps if gap.qualification.endswith("/productietechnicus")}
    assert (f"{BASE}def/kd#crebo", "ClosedConstraintComponent") in mine
    assert (ELM + "EQFLevel", "NodeConstraintComponent") in mine


@needs_sbb
@pytest.mark.parametrize(
    ("line", "text", "message"),
    [
        (
            1,
            "crebo,isced,source",
            "expected the header qualification,isced_f,source, got 'crebo,isced,source'",
        ),
        (3, "25499,1234,https://example.org/x", "'1234' is not an ISCED-F 2013 field of isced-f.xsd"),
        (3, "25499,1019,", "source '' is not an http(s) URL: every mapping cites one"),
        (3, "25499,1019", "expected 3 columns, got 2"),
        (3, "ROC-1,1019,https://example.org/x", "qualification 'ROC-1' is neither a crebo code nor an IRI"),
        (3, "12345,1019,https://example.org/x", "no qualification with crebo code 12345 in the data"),
        (3, "25500,1014,https://example.org/y", "repeats line 2"),
    ],
)
def test_a_bad_mapping_file_is_refused_at_its_line(
    tmp_path: Path, line: int, text: str, message: str
) -> None:
    mapping = tmp_path / "mapping.csv"
    header = "" if line == 1 else "qualification,isced_f,source\n25500,1014,https://example.org/y\n"
    mapping.write_text(header + text + "\n", encoding="utf-8")
    out = tmp_path / "elm.trig"
    args = ["export", "--profile", "elm", "--data", str(SBB), "--isced-mapping", str(mapping), "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.stderr == f"error: {mapping}:{line}: {message}\n"
    assert not out.exists()  # nothing written


def test_data_without_qualifications_is_refused(tmp_path: Path) -> None:
    """An export of nothing would conform vacuously: exit 2, nothing written."""
    data = tmp_path / "other.ttl"
    data.write_text("<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n")
    out = tmp_path / "elm.trig"
    result = CliRunner().invoke(main, ["export", "--profile", "elm", "--data", str(data), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == "error: no qualification (kd:Qualification) in the data: nothing to export\n"
    assert not out.exists()


def test_comments_and_iris_in_a_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(
        "\ufeff# a comment\nqualification,isced_f,source\n\n"
        f"{BASE}id/qualification/productietechnicus,http://data.europa.eu/snb/isced-f/0715,https://example.org/s\n",
        encoding="utf-8",
    )
    rows = read_isced_mapping(mapping)
    assert [(r.qualification, r.concept, r.line) for r in rows] == [
        (f"{BASE}id/qualification/productietechnicus", "http://data.europa.eu/snb/isced-f/0715", 4)
    ]
    export = export_elm(load_graph(), rows, mapping)
    node = f"{BASE}id/elm/qualification/productietechnicus"
    assert values(export, node, ELM + "ISCEDFCode") == ["http://data.europa.eu/snb/isced-f/0715"]
    gaps = validate_elm(export)
    assert {(g.qualification.rsplit("/", 1)[1], g.path) for g in gaps if g.missing} >= {
        ("productietechnicus", ELM + "learningOutcome")
    }
    assert not any(
        g.path == ELM + "ISCEDFCode" and g.qualification.endswith("/productietechnicus") for g in gaps
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--profile", "elm", "--format", "ttl"],
            "the ELM export is a named graph per qualification: --format trig or nq",
        ),
        (["--isced-mapping", str(MAPPING)], "--isced-mapping is for --profile elm"),
    ],
)
def test_options_that_do_not_fit_are_refused(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["export", *args])
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""


def test_without_output_file_the_export_goes_to_stdout_and_the_report_to_stderr() -> None:
    result = CliRunner().invoke(main, ["export", "--profile", "elm", "--format", "nq"])
    assert result.exit_code == 1  # the curated qualifications lack ISCED-F and learning outcomes
    graphs = {q.graph_name.value for q in ox.parse(result.stdout_bytes, format=ox.RdfFormat.N_QUADS)}
    assert graphs == {
        f"{BASE}graph/elm/{slug}"
        for slug in (
            "allround-medewerker-productietechniek",
            "medewerker-productietechniek",
            "productietechnicus",
            "researchinstrumentmaker",
        )
    }
    assert result.stderr.splitlines()[0] == (
        "does not conform to the LOQ profile: 4 of 4 qualifications, 8 violations; what the sources lack:"
    )

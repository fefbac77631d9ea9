"""Every saved query in queries/ answers its competency question exactly as the source does.

One parametrised test over queries/*.rq (the file name is the test id); a query without an
expected answer here fails, so no saved query goes untested.
"""

from __future__ import annotations

import pytest

from kdgraph.query.engine import EmbeddedEngine, Query, SelectResult
from kdgraph.resources import bundled_paths

ID = "https://w3id.org/kdgraph/id/"
MP, AMP = (
    f"{ID}qualification/medewerker-productietechniek",
    f"{ID}qualification/allround-medewerker-productietechniek",
)
PT, RIM = f"{ID}qualification/productietechnicus", f"{ID}qualification/researchinstrumentmaker"

HBO = ["Elektrotechniek", "lerarenopleiding", "Technische Natuurkunde", "Werktuigbouw"]
AMP_ROUTES = [  # section 8, page 7, in source order
    ("Allround medewerker productietechniek", "meewerkend leidinggevende", None),
    ("Allround medewerker productietechniek", "werkvoorbereider", None),
    ("Allround medewerker productietechniek", "Productietechnicus", None),
    ("Allround medewerker productietechniek", "Researchinstrumentmaker", None),
    ("Allround medewerker productietechniek", "lasspecialist", "opgeleid als lasser"),
    ("Allround medewerker productietechniek", "lascoördinator", "opgeleid als lasser"),
    ("Allround medewerker productietechniek", "meewerkend leidinggevende", "opgeleid als lasser"),
]
PT_ROUTES = [
    ("Productietechnicus", t, None)
    for t in [
        "werkvoorbereider",
        "tekenaar/constructeur",
        "technisch (meewerkend) leidinggevende",
        "Werktuigbouw",
        "Technische Natuurkunde",
        "Elektrotechniek",
        "lerarenopleiding",
    ]
]
RIM_ROUTES = [
    ("Researchinstrumentmaker", t, None)
    for t in [
        "werkvoorbereider",
        "tekenaar/constructeur",
        "Werktuigbouw",
        "Technische Natuurkunde",
        "Elektrotechniek",
        "lerarenopleiding",
    ]
]
SKILLS = ["luisteren", "lezen", "gesprekken voeren", "spreken", "schrijven"]


def english_rows(qualification: str, table_page: str) -> list[tuple[str, str, str, str, str]]:
    generic = {
        "luisteren": "B1",
        "lezen": "B1",
        "gesprekken voeren": "A2",
        "spreken": "A2",
        "schrijven": "A2",
    }
    return (
        [(qualification, s, generic[s], "generiek examenonderdeel", "6") for s in SKILLS]
        + [(qualification, "lezen", "A2", "toelichting op niveau", "6")]
        + [(qualification, s, "A2", "beroepsspecifieke tabel", table_page) for s in SKILLS]
    )


DEVELOPMENT_GROUP = [
    "Deltion",
    "FME",
    "KLM",
    "Leidse Instrumentmakerschool (LIS)",
    "OBM",
    "Regio College",
    "RIVA",
    "ROC A12",
    "ROC Da Vinci",
    "ROC van Twente",
    "Summa College",
    "Techniekacademie Harderwijk",
    "Tetrix vakopleiding BBL",
    "Vakopleiding Techniek",
]
STEERING_GROUP = ["bedrijfstakscholen", "FME", "mbo raad", "Metaalunie", "ROC", "SBB"]
SKTGO = "Sectorkamer techniek en gebouwde omgeving"
MM = "Marktsegment Metaal en metalektro"

# name -> (parameters, columns to compare, expected rows in order; a set where order is free)
EXPECTED: dict[str, tuple[dict[str, str], tuple[str, ...], object]] = {
    "cq01-qualifications-levels": (
        {},
        ("label", "mboLevel", "nlqfLevel", "eqfLevel", "eqf"),
        [
            ("Medewerker productietechniek", "2", "2", "2", "http://data.europa.eu/snb/eqf/2"),
            ("Allround medewerker productietechniek", "3", "3", "3", "http://data.europa.eu/snb/eqf/3"),
            ("Productietechnicus", "4", "4", "4", "http://data.europa.eu/snb/eqf/4"),
            ("Researchinstrumentmaker", "4", "4", "4", "http://data.europa.eu/snb/eqf/4"),
        ],
    ),
    "cq02-routes-reachable": (
        {"qualification": MP},
        ("fromLabel", "targetLabel", "condition"),
        [
            ("Medewerker productietechniek", "Allround medewerker productietechniek", None),
            *AMP_ROUTES,
            *PT_ROUTES,
            *RIM_ROUTES,
        ],
    ),
    "cq03-english-requirements": (
        {},
        ("qualificationLabel", "skill", "level", "statementKind", "page"),
        english_rows("Productietechnicus", "6") + english_rows("Researchinstrumentmaker", "7"),
    ),
    "cq04-organisations-roles": (
        {},
        ("organisationLabel", "roleLabel"),
        {
            (SKTGO, "penvoerder"),
            (SKTGO, "validerende partij"),
            (SKTGO, "opdrachtgever"),
            (MM, "adviseur"),
            (MM, "werkgroep"),
            ("Toetsingskamer", "toetsende partij"),
            ("Ministerie van OCW", "vaststellende partij"),
            *(
                (o, "onderhoudspartij")
                for o in ["SBB", SKTGO, MM, "de branche", "het onderwijs", "andere belanghebbenden"]
            ),
            *((o, "lid ontwikkelgroep") for o in DEVELOPMENT_GROUP),
            *((o, "lid begeleidingsgroep") for o in STEERING_GROUP),
        },
    ),
    "cq05-trends-per-theme": (
        {},
        ("themeLabel", "trendLabel", "horizonMinYears", "horizonMaxYears"),
        [
            ("Wetgeving en regelgeving", "Wetgeving en regelgeving", None, None),
            (
                "Energietransitie en circulaire economie",
                "Energietransitie en circulaire economie",
                None,
                None,
            ),
            ("Automatisering en digitalisering", "Automatisering en digitalisering", None, None),
            ("Globalisering", "Globalisering", None, None),
            ("Veranderende vraag van klanten", "Veranderende vraag van klanten", None, None),
            ("Nieuwe technologieën", "Nieuwe technologieën", None, None),
            ("Nieuwe technologieën", "3d printing", "20", "25"),
            ("Nieuwe technologieën", "Virtual Reality (VR) en Augmented Reality (AR)", None, None),
            ("Nieuwe technologieën", "5G", None, None),
            ("Nieuwe technologieën", "Artificial Intelligence (AI)", None, None),
            ("Nieuwe technologieën", "Luchtvaart", "10", "20"),
        ],
    ),
    "cq06-end-functions": (
        {},
        ("qualificationLabel", "domainLabel"),
        [
            ("Productietechnicus", "metaalbewerking"),
            ("Researchinstrumentmaker", "productietechniek"),
        ],
    ),
    "cq07-hbo-programmes": ({"qualification": PT}, ("programmeLabel",), [(p,) for p in HBO]),
    "cq08-maintenance-agenda": (
        {},
        ("subject", "when", "maximumInterval"),
        [
            (
                "Onderhoud en beheer dossier.",
                "Vanaf het moment van vaststelling door het ministerie van OCW, "
                "ten minste één keer in de vijf jaren.",
                "P5Y",
            ),
            (
                "Certificaten op basis van beroepsgerichte kwalificaties",
                "Bij onderhoud van het dossier",
                None,
            ),
            ("Keuzedelen en certificaten op basis van keuzedelen.", "Doorlopend.", None),
            ("BCPs/beroepeninformatie'.", "Doorlopend.", None),
        ],
    ),
    "cq09-dossier-history": (
        {},
        ("date", "actorLabel"),
        [
            ("2020-03-11", SKTGO),
            ("2022-03-11", MM),
            ("2022-03-17", SKTGO),
            ("2022-09-08", SKTGO),
            ("2023-08-01", None),
            (None, SKTGO),
            (None, MM),
        ],
    ),
    "cq10-study-duration": (
        {},
        ("qualificationLabel", "years", "duration"),
        [
            ("Medewerker productietechniek", None, None),
            ("Allround medewerker productietechniek", None, None),
            ("Productietechnicus", "4", "P4Y"),
            ("Researchinstrumentmaker", "4", "P4Y"),
        ],
    ),
}


def rows(result: SelectResult, columns: tuple[str, ...]) -> list[tuple[str | None, ...]]:
    return [tuple(row[c].value if c in row else None for c in columns) for row in result.rows]


@pytest.mark.parametrize("name", sorted(p.stem for p in bundled_paths().queries.glob("*.rq")))
def test_saved_query_answers_from_source(name: str, engine: EmbeddedEngine, saved_queries) -> None:
    assert name in EXPECTED, f"{name}.rq has no expected answer in this test"
    params, columns, expected = EXPECTED[name]
    query = saved_queries[name]
    result = engine.run(query.query(query.bind(params)))
    assert isinstance(result, SelectResult)
    got = rows(result, columns)
    if isinstance(expected, set):
        assert len(got) == len(expected) and set(got) == expected
    else:
        assert got == expected


def test_every_expected_answer_has_a_query(saved_queries) -> None:
    assert set(EXPECTED) == set(saved_queries)


def test_routes_from_productietechnicus_are_only_its_own(engine: EmbeddedEngine, saved_queries) -> None:
    query = saved_queries["cq02-routes-reachable"]
    result = engine.run(query.query(query.bind({"qualification": PT})))
    assert rows(result, ("fromLabel", "targetLabel", "condition")) == PT_ROUTES


def test_hbo_programmes_are_reachable_transitively_from_level_2(
    engine: EmbeddedEngine, saved_queries
) -> None:
    query = saved_queries["cq07-hbo-programmes"]
    result = engine.run(query.query(query.bind({"qualification": MP})))
    assert [r[0] for r in rows(result, ("programmeLabel",))] == HBO


def test_at_least_b1_is_a_rank_comparison(engine: EmbeddedEngine, saved_queries) -> None:
    query = saved_queries["cq03-english-requirements"]
    result = engine.run(query.query(query.bind({"minimumRank": "3"})))
    assert set(rows(result, ("qualificationLabel", "skill", "level"))) == {
        (q, s, "B1")
        for q in ("Productietechnicus", "Researchinstrumentmaker")
        for s in ("luisteren", "lezen")
    }


@pytest.mark.parametrize("name", sorted(p.stem for p in bundled_paths().queries.glob("*.rq")))
def test_values_binding_equals_substitution(name: str, engine: EmbeddedEngine, saved_queries) -> None:
    """The VALUES form used for remote endpoints and the UI gives the same rows as substitution."""
    from kdgraph.saved_queries import with_values

    query = saved_queries[name]
    bindings = query.bind(query.example_parameters() or EXPECTED[name][0])
    substituted = engine.run(query.query(bindings))
    inlined = engine.run(Query(with_values(query.sparql, bindings)))
    assert isinstance(substituted, SelectResult) and isinstance(inlined, SelectResult)
    assert substituted.rows and len(substituted.rows) == len(inlined.rows)
    columns = tuple(c for c in substituted.variables if c != "technologies")  # GROUP_CONCAT order is free
    assert rows(substituted, columns) == rows(inlined, columns)


def test_saved_queries_avoid_reserved_parameter_names_and_page_stably(saved_queries) -> None:
    """limit/offset/format belong to the web API; paging needs ORDER BY and no LIMIT of its own."""
    for query in saved_queries.values():
        assert not {p.name for p in query.parameters} & {"limit", "offset", "format"}, query.name
        body = "\n".join(line for line in query.sparql.splitlines() if not line.startswith("#")).upper()
        assert "ORDER BY" in body and "LIMIT" not in body and "OFFSET" not in body, query.name

"""Stable, dereferenceable URIs, asked of the app in-process (Flask's test client, conftest's
``bundled_app``); what only a real server process shows (its log) of ``bundled_server``.

Every resource URI in the data is dereferenced in every format (not a sample); pages are
crawled by a link checker; the dataset description is checked against the graph.
"""

from __future__ import annotations

import gzip
import io
import re
from collections import deque
from urllib.parse import urljoin, urlparse

import pyoxigraph as ox
import pytest
import rdflib

from kdgraph.pipeline.loading import load_graph

BASE = "https://w3id.org/kdgraph/"
KD = rdflib.Namespace(f"{BASE}def/kd#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
EXTENSIONS = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}
CONTENT_TYPES = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}


@pytest.fixture(scope="module")
def server(bundled_app):  # type: ignore[no-untyped-def]
    return bundled_app


@pytest.fixture(scope="module")
def session(server):  # type: ignore[no-untyped-def]
    with server.session() as s:
        yield s


def resource_iris() -> list[str]:
    """Every subject URI under {base}id/ and {base}def/ (hash terms are covered by /def/kd)."""
    subjects = {t.subject.value for t in load_graph().triples if hasattr(t.subject, "value")}
    return sorted(
        s
        for s in subjects
        if s.startswith((f"{BASE}id/", f"{BASE}def/")) and "#" not in s and s != f"{BASE}def/kd"
    )


def test_every_resource_uri_dereferences_in_every_format(server, session, rdf) -> None:  # type: ignore[no-untyped-def]
    iris = resource_iris()
    assert len(iris) > 250
    for iri in iris:
        path = "/" + iri[len(BASE) :]
        first = session.get(server.url + path, allow_redirects=False, timeout=30)
        assert first.status_code == 303 and first.headers["Location"] == f"/doc{path}", iri
        expected = set(rdf.triples((rdflib.URIRef(iri), None, None)))
        assert expected, iri
        for extension, rdflib_format in EXTENSIONS.items():
            response = session.get(f"{server.url}/doc{path}.{extension}", timeout=30)
            assert response.status_code == 200, (iri, extension)
            assert response.headers["Content-Type"].startswith(CONTENT_TYPES[extension])
            graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
            missing = expected - set(graph)
            assert not missing, (iri, extension, list(missing)[:3])
        html = session.get(server.url + path, headers={"Accept": "text/html"}, timeout=30)
        assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
        label = rdf.value(rdflib.URIRef(iri), rdflib.RDFS.label) or rdf.value(
            rdflib.URIRef(iri), rdflib.SKOS.prefLabel
        )
        if label is not None:
            labels = {str(o) for o in rdf.objects(rdflib.URIRef(iri), rdflib.RDFS.label)} | {
                str(o) for o in rdf.objects(rdflib.URIRef(iri), rdflib.SKOS.prefLabel)
            }
            escaped = {s.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;") for s in labels}
            assert any(s in html.text for s in escaped), iri


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/html", "text/html"),
    ],
)
def test_content_negotiation_after_303(server, accept: str, content_type: str) -> None:  # type: ignore[no-untyped-def]
    response = server.get("/id/qualification/productietechnicus", headers={"Accept": accept}, timeout=30)
    assert response.history[0].status_code == 303
    assert response.headers["Content-Type"].startswith(content_type)
    assert "Accept" in response.headers["Vary"]


def test_format_parameter_and_406(server) -> None:  # type: ignore[no-untyped-def]
    ok = server.get("/doc/id/qualification/productietechnicus", params={"format": "jsonld"}, timeout=30)
    assert ok.headers["Content-Type"].startswith("application/ld+json")
    bad = server.get("/doc/id/qualification/productietechnicus", headers={"Accept": "image/png"}, timeout=30)
    assert bad.status_code == 406


def test_incoming_links_and_provenance_on_a_qualification_page(server) -> None:  # type: ignore[no-untyped-def]
    html = server.get(
        "/id/qualification/productietechnicus", headers={"Accept": "text/html"}, timeout=30
    ).text
    assert "Allround medewerker productietechniek → Productietechnicus" in html  # a route into it (incoming)
    assert "Productietechnicus → werkvoorbereider" in html  # a route out of it (incoming on the route)
    assert "sectie 12, pagina 9" in html and "voorwerk, pagina 1" in html
    assert "<svg" in html and '<a href="/id/programme/werktuigbouw"><rect' in html  # route diagram
    assert 'href="/id/dossier/productietechniek"' in html  # breadcrumb to the dossier
    turtle = server.get("/doc/id/qualification/productietechnicus.ttl", timeout=30).text
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    route = rdflib.URIRef(f"{BASE}id/route/productietechnicus-naar-werkvoorbereider")
    assert (route, KD.routeFrom, rdflib.URIRef(f"{BASE}id/qualification/productietechnicus")) in graph
    assert (
        rdflib.URIRef(f"{BASE}id/qualification/productietechnicus"),
        KD.eqfLevel,
        rdflib.URIRef("http://data.europa.eu/snb/eqf/4"),
    ) in graph


def test_accept_language_picks_the_label(server) -> None:  # type: ignore[no-untyped-def]
    en = server.get(
        "/doc/def/language-skill/gesprekken-voeren",
        headers={"Accept": "text/html", "Accept-Language": "en"},
        timeout=30,
    ).text
    nl = server.get(
        "/doc/def/language-skill/gesprekken-voeren",
        headers={"Accept": "text/html", "Accept-Language": "nl"},
        timeout=30,
    ).text
    assert "<h1>spoken interaction</h1>" in en and "<h1>gesprekken voeren</h1>" in nl


def test_hash_uris_resolve_to_the_ontology_document(server) -> None:  # type: ignore[no-untyped-def]
    turtle = server.get("/def/kd", headers={"Accept": "text/turtle"}, timeout=30)
    graph = rdflib.Graph().parse(data=turtle.content, format="turtle")
    assert (KD.Qualification, rdflib.RDFS.label, rdflib.Literal("kwalificatie", lang="nl")) in graph
    html = server.get("/def/kd", headers={"Accept": "text/html"}, timeout=30).text
    assert 'id="Qualification"' in html and 'id="routeFrom"' in html


def test_unknown_uri_is_a_helpful_404(server) -> None:  # type: ignore[no-untyped-def]
    response = server.get("/id/qualification/productietechnicuss", timeout=30)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
    assert 'href="/id/qualification/productietechnicus"' in response.text


def test_link_checker_finds_no_broken_internal_link(server, session) -> None:  # type: ignore[no-untyped-def]
    start = ["/", "/queries", "/def/", "/def/kd", "/id/dossier/productietechniek"]
    seen, queue, broken = set(start), deque(start), []
    host = urlparse(server.url).netloc
    while queue:
        path = queue.popleft()
        response = session.get(server.url + path, headers={"Accept": "text/html"}, timeout=30)
        if response.status_code >= 400:
            broken.append((path, response.status_code))
            continue
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        for href in re.findall(r'href="([^"#]+)', response.text):
            url = urlparse(urljoin(server.url + path, href.replace("&amp;", "&")))
            if url.netloc != host:
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert len(seen) > 250 and broken == []


def test_void_counts_match_the_graph(server) -> None:  # type: ignore[no-untyped-def]
    loaded = load_graph()
    graph = rdflib.Graph().parse(data=server.get("/.well-known/void", timeout=30).content, format="turtle")
    dataset = rdflib.URIRef(f"{BASE}dataset")
    # the default graph: the data, ontology and vocabularies plus the saved queries as RDF
    health = server.get("/health", timeout=30).json()
    assert (
        int(graph.value(dataset, VOID.triples)) == health["triples"] > health["data_triples"] == len(loaded)
    )
    subjects = {t.subject.value for t in loaded.triples if hasattr(t.subject, "value")}
    assert int(graph.value(dataset, VOID.entities)) == len(
        {s for s in subjects if s.startswith(f"{BASE}id/")}
    )
    partitions = {
        graph.value(p, VOID["class"]): int(graph.value(p, VOID.entities))
        for p in graph.objects(dataset, VOID.classPartition)
    }
    assert partitions[KD.Qualification] == 4 and partitions[KD.ProgressionRoute] == 21
    assert graph.value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef(f"{server.url}/sparql")
    also = server.get("/dataset", headers={"Accept": "text/turtle"}, timeout=30)
    assert also.status_code == 200 and f"{BASE}dataset" in also.text


@pytest.mark.parametrize(
    ("name", "rdflib_format"),
    [
        ("kdgraph.ttl", "turtle"),
        ("kdgraph.nt.gz", "nt"),
        ("kdgraph.jsonld", "json-ld"),
        ("kdgraph.trig", "trig"),
        ("kdgraph.nq.gz", "nquads"),
    ],
)
def test_dumps_hold_the_whole_graph(server, name: str, rdflib_format: str) -> None:  # type: ignore[no-untyped-def]
    response = server.get(f"/dumps/{name}", timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename={name}"
    assert set(response.headers["Cache-Control"].split(", ")) == {"public", "max-age=300"}
    again = server.get(f"/dumps/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    body = gzip.decompress(response.content) if name.endswith(".gz") else response.content
    # the merged default graph (data, ontology, saved queries), or the quads in their graphs
    health = server.get("/health", timeout=30).json()
    if name.endswith((".trig", ".nq.gz")):  # (rdflib's Dataset parser warns of its own deprecations)
        quads = set(
            ox.parse(body, format={"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS}[rdflib_format])
        )
        loaded = load_graph()
        assert {q.graph_name.value for q in quads if q.graph_name != ox.DefaultGraph()} == set(
            health["graphs"]
        )
        assert len(quads) == len(loaded.quads) + health["triples"] - health["data_triples"]
    else:
        graph = rdflib.Graph().parse(io.BytesIO(body), format=rdflib_format)
        assert len(graph) == health["triples"]
    if name.endswith(".jsonld"):
        context = server.get("/context.jsonld", timeout=30).json()["@context"]
        assert response.json()["@context"] == context


def test_statement_rows_carry_the_graphs_they_are_stated_in() -> None:
    """Per-statement provenance (PROVENANCE.md): a statement in a source-location graph and in an
    interpretation graph gets both as its sources; one in no such graph gets none."""
    from kdgraph.pages.description import build

    this = ox.NamedNode(f"{BASE}id/qualification/productietechnicus")
    level4, mbo_level = ox.NamedNode(f"{BASE}def/mbo-level/4"), ox.NamedNode(f"{KD}mboLevel")
    triples = [
        ox.Triple(this, mbo_level, level4),
        ox.Triple(this, ox.NamedNode(f"{KD}slug"), ox.Literal("productietechnicus")),
        ox.Triple(
            this, ox.NamedNode(str(rdflib.RDFS.label)), ox.Literal("Productietechnicus", language="nl")
        ),
    ]
    location, reading = f"{BASE}id/location/productietechniek-s12-p9", f"{BASE}id/interpretation/levels"
    out = ox.Literal("out")
    rows: list[dict[str, ox.NamedNode | ox.Literal | ox.BlankNode]] = [  # as engine.run gives them
        {
            "direction": out,
            "p": mbo_level,
            "o": level4,
            "g": ox.NamedNode(location),
            "number": ox.Literal("12", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
            "page": ox.Literal("9", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        },
        {
            "direction": out,
            "p": mbo_level,
            "o": level4,
            "g": ox.NamedNode(reading),
            "reason": ox.Literal("mbo niveau n = NLQF n", language="nl"),
        },
    ]
    description = build(this.value, triples, "nl", rows)
    assert description is not None and description.has_statement_sources
    level = next(link for link in description.outgoing if link.predicate == f"{KD}mboLevel")
    assert [(s.kind, s.section, s.page, s.reason) for s in level.sources] == [
        ("location", 12, 9, None),
        ("interpretation", None, None, "mbo niveau n = NLQF n"),
    ]
    label = next(link for link in description.outgoing if link.predicate == str(rdflib.RDFS.label))
    assert label.sources == []  # in no source graph
    # how the graph is built (the slug) is not shown to readers (issue 23)
    assert [link for link in description.outgoing if link.predicate == f"{KD}slug"] == []


def test_ontology_page_is_rendered_from_the_graph_with_separate_languages(server) -> None:  # type: ignore[no-untyped-def]
    """Regression for issue 15: pyLODE glued nl and en labels ("kwalificatiedossierqualification
    dossier") and showed "Preferred Namespace Uri: kd:"; the page is now ours, one language per page."""
    nl = server.get("/def/", headers={"Accept-Language": "nl"}, timeout=30)
    assert nl.status_code == 200 and "pyLODE" not in nl.text and "Preferred Namespace" not in nl.text
    assert "<h1>kdgraph-ontologie voor kwalificatiedossiers</h1>" in nl.text
    assert "kwalificatiedossierqualification dossier" not in nl.text
    assert '<div class="term" id="QualificationDossier">' in nl.text
    assert "<h3>kwalificatiedossier <code>kd:QualificationDossier</code></h3>" in nl.text
    assert "Engels: <strong>qualification dossier</strong>" in nl.text
    en = server.get("/def/", params={"lang": "en"}, timeout=30)
    assert "<h3>qualification dossier <code>kd:QualificationDossier</code></h3>" in en.text
    assert en.cookies.get("kdgraph-lang") == "en"
    schemes = re.findall(r'<li><a href="(/def/[a-z-]+)">', nl.text)
    assert len(schemes) == 12 and "/def/cefr-level" in schemes and "/def/horizon" in schemes
    assert "/def/sbb-competence" in schemes and "/def/dossier-text-kind" in schemes  # of SBB's XML
    for href in schemes:
        page = server.get(href, headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 200 and page.history[0].status_code == 303
    cefr = server.get("/def/cefr-level", headers={"Accept": "text/html"}, timeout=30).text
    assert all(f'href="/def/cefr-level/{level}"' in cefr for level in ("A1", "A2", "B1", "B2", "C1", "C2"))


def test_server_log_has_no_library_noise(bundled_server) -> None:  # type: ignore[no-untyped-def]
    """Regression for issue 15: pyLODE's import logged INFO:root:Loading background ontologies...
    and asyncio DEBUG lines on every start. The log holds our lines and granian's, nothing else."""
    bundled_server.get("/def/", timeout=30)  # the ontology page, once rendered by pyLODE
    noise = [
        line
        for line in bundled_server.log
        if line.startswith(("INFO:", "DEBUG:", "WARNING:root"))
        or "asyncio" in line
        or '"logger": "root"' in line
    ]
    assert noise == [], noise[:5]

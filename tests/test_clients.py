"""Real clients against a real server: SPARQLWrapper's whole matrix, rdflib's SPARQLStore, and
what HTTP clients may send at the edges (issue 11).

SPARQLWrapper repeats its return format as ``format=``, ``output=`` and ``results=`` parameters
next to its Accept header (``rdf+xml``, ``json-ld``, ``n3``, ``rdf`` ...). Every return format it
supports for a query form (SELECT/ASK: JSON, XML, CSV, TSV; CONSTRUCT/DESCRIBE: Turtle, N3,
XML, RDF/XML, RDF, JSON-LD, and JSON, which it takes to mean JSON-LD) is tried with every method
(GET, POST URL-encoded, POST directly) and the converted answer compared with the bundled data:
the four qualifications of the source, the ASK that is true, the four ``kd:mboLevel`` statements,
the description of the Productietechnicus. SPARQLWrapper warns when the server answers in a
format other than the one asked for; a warning fails the test, except the one SPARQLWrapper
gives itself for RDF and JSON on graph forms (it sends ``Accept: */*`` for them).
"""

from __future__ import annotations

import csv
import http.client
import io
import re
import warnings
from collections.abc import Iterator
from urllib.parse import quote, urlencode, urlsplit
from xml.dom.minidom import Document

import pytest
import rdflib
import requests
from rdflib.namespace import RDF
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper import RDF as SW_RDF

from .server_process import ServerProcess

KD = rdflib.Namespace("https://w3id.org/kdgraph/def/kd#")
PT = rdflib.URIRef("https://w3id.org/kdgraph/id/qualification/productietechnicus")
QUALIFICATIONS = [
    f"https://w3id.org/kdgraph/id/qualification/{slug}"
    for slug in (
        "allround-medewerker-productietechniek",
        "medewerker-productietechniek",
        "productietechnicus",
        "researchinstrumentmaker",
    )
]
QUERIES = {
    "SELECT": f"PREFIX kd: <{KD}> SELECT ?q WHERE {{ ?q a kd:Qualification }} ORDER BY ?q",
    "ASK": f"PREFIX kd: <{KD}> ASK {{ <{PT}> kd:mboLevel ?level }}",
    "CONSTRUCT": f"PREFIX kd: <{KD}> CONSTRUCT {{ ?q kd:mboLevel ?l }} WHERE {{ ?q kd:mboLevel ?l }}",
    "DESCRIBE": f"DESCRIBE <{PT}>",
}
METHODS = {
    "GET": (GET, URLENCODED),
    "POST-urlencoded": (POST, URLENCODED),
    "POST-directly": (POST, POSTDIRECTLY),
}
RESULT_FORMATS = [JSON, XML, CSV, TSV]
GRAPH_FORMATS = [TURTLE, N3, XML, RDFXML, SW_RDF, JSONLD, JSON]
OWN_WARNING = "Sending Accept header '*/*'"  # SPARQLWrapper's own, for RDF and JSON on graph forms
MATRIX = [
    (form, fmt, method)
    for form in QUERIES
    for fmt in (RESULT_FORMATS if form in ("SELECT", "ASK") else GRAPH_FORMATS)
    for method in METHODS
]


@pytest.fixture(scope="module")
def server(bundled_server: ServerProcess) -> ServerProcess:
    return bundled_server


@pytest.fixture(scope="module")
def expected(rdf: rdflib.Graph) -> dict:
    """The answers, from the bundled data read by rdflib (not through the server)."""
    qualifications = sorted(str(q) for q in rdf.subjects(RDF.type, KD.Qualification))
    assert qualifications == QUALIFICATIONS  # the four qualifications of the source
    return {
        "SELECT": qualifications,
        "ASK": True,
        "CONSTRUCT": set(rdf.triples((None, KD.mboLevel, None))),
        "DESCRIBE": set(rdf.triples((PT, None, None))),
    }


def _graph_of(result: object, response_type: str) -> set:
    if isinstance(result, rdflib.Graph):
        return set(result)
    assert isinstance(result, bytes), type(result)
    media = response_type.split(";")[0].strip()
    return set(
        rdflib.Graph().parse(
            data=result, format={"text/turtle": "turtle", "application/n-triples": "nt"}[media]
        )
    )


def _answer(form: str, fmt: str, result: object, response_type: str) -> object:
    """What SPARQLWrapper's converted result says, in the shape of ``expected``."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        return _graph_of(result, response_type)
    if fmt == JSON:
        assert isinstance(result, dict)
        if form == "ASK":
            return result["boolean"]
        return [b["q"]["value"] for b in result["results"]["bindings"]]
    if fmt == XML:
        assert isinstance(result, Document)
        if form == "ASK":
            return result.getElementsByTagName("boolean")[0].firstChild.data == "true"  # type: ignore[union-attr]
        return [node.firstChild.data for node in result.getElementsByTagName("uri")]  # type: ignore[union-attr]
    assert isinstance(result, bytes)
    text = result.decode("utf-8")
    if form == "ASK":  # CSV/TSV define no boolean; Oxigraph writes the word
        return text.strip().splitlines()[-1] == "true"
    if fmt == CSV:
        return [row["q"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    return [line.strip("<>") for line in text.splitlines()[1:] if line]  # TSV: <iri> per line


@pytest.mark.parametrize("form,fmt,method", MATRIX, ids=[f"{f}-{r}-{m}" for f, r, m in MATRIX])
def test_sparqlwrapper(server: ServerProcess, expected: dict, form: str, fmt: str, method: str) -> None:
    client = SPARQLWrapper(f"{server.url}/sparql")
    client.setQuery(QUERIES[form])
    client.setReturnFormat(fmt)
    http_method, request_method = METHODS[method]
    client.setMethod(http_method)
    client.setRequestMethod(request_method)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        response = client.query()  # raises on any 4xx/5xx
        response_type = response.info()["content-type"]
        result = response.convert()
    complaints = [str(w.message) for w in caught if OWN_WARNING not in str(w.message)]
    assert complaints == [], complaints
    assert _answer(form, fmt, result, response_type) == expected[form]


# ------------------------------------------------------------------ rdflib's SPARQLStore


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(server: ServerProcess, expected: dict, method: str) -> None:
    graph = rdflib.Graph(store=SPARQLStore(f"{server.url}/sparql", method=method))
    assert [str(row[0]) for row in graph.query(QUERIES["SELECT"])] == expected["SELECT"]
    assert graph.query(QUERIES["ASK"]).askAnswer is True
    assert set(graph.query(QUERIES["CONSTRUCT"]).graph) == expected["CONSTRUCT"]  # type: ignore[arg-type]


def test_regression_cr_in_xml_results_reads_back_unchanged(server: ServerProcess) -> None:
    """Issue 11: a raw CR in XML is read back as LF by every parser; it must be written &#13;."""
    graph = rdflib.Graph(store=SPARQLStore(f"{server.url}/sparql", returnFormat="xml"))
    rows = list(graph.query('SELECT ?x WHERE { BIND("cr\\rhere" AS ?x) }'))
    assert [str(row[0]) for row in rows] == ["cr\rhere"]


# ------------------------------------------------------------------ the request, at its edges


def test_two_query_parameters_are_400(server: ServerProcess) -> None:
    url = f"{server.url}/sparql"
    get = requests.get(f"{url}?query=ASK%20%7B%7D&query=SELECT%20*%20%7B%7D", timeout=30)
    form = requests.post(f"{url}?query=ASK%20%7B%7D", data={"query": "SELECT * {}"}, timeout=30)
    for response in (get, form):
        assert response.status_code == 400 and "query" in response.text, response.text


def test_invalid_utf8_is_400(server: ServerProcess) -> None:
    latin1 = "ASK { FILTER('café' != '') }".encode("latin-1")
    get = requests.get(f"{server.url}/sparql?query={quote(latin1)}", timeout=30)
    body = requests.post(
        f"{server.url}/sparql", data=latin1, headers={"Content-Type": "application/sparql-query"}, timeout=30
    )
    for response in (get, body):
        assert response.status_code == 400 and "UTF-8" in response.text, (response.status_code, response.text)


def _chunked_post(server: ServerProcess, chunks: Iterator[bytes]) -> tuple[int, bytes]:
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request(
            "POST",
            "/sparql",
            body=chunks,
            headers={"Content-Type": "application/sparql-query"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_chunked_body_within_the_limit_is_read_whole(server: ServerProcess) -> None:
    """The control: a chunked body is read, and to its end (the ASK is in the last chunk)."""
    chunks = iter([b"# " + b"x" * 500_000 + b"\n", b"ASK { FILTER(true) }"])
    status, body = _chunked_post(server, chunks)
    assert status == 200 and b"true" in body, body[:300]


def test_regression_chunked_body_over_the_limit_is_413_not_cut(server: ServerProcess) -> None:
    """Issue 11: cut at 1 MB, the chunked body was a *different* query, and it ran (200)."""
    # The first 1 MB is a complete, valid query; what follows would make it invalid.
    chunks = iter([b"ASK {} #" + b"x" * 1_000_000, b"\n this is not SPARQL"])
    status, body = _chunked_post(server, chunks)
    assert status == 413, (status, body[:300])


def test_get_of_60_kb_is_answered(server: ServerProcess) -> None:
    """A GET query up to the HTTP server's fixed request-line limit (65,534 bytes, URL-encoded)
    is answered: once gunicorn's 4094 bytes cut such queries off with a bare 400."""
    query = "ASK { VALUES ?x { " + " ".join(f'"{i}"' for i in range(5_500)) + " } }"
    assert 55_000 < len(urlencode({"query": query})) < 65_000
    response = requests.get(f"{server.url}/sparql", params={"query": query}, timeout=60)
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert response.json()["boolean"] is True


BIG = {
    "1000-braces": "SELECT * WHERE " + "{" * 1000 + "}" * 1000,
    "100000-braces": "SELECT * WHERE " + "{" * 100_000 + "}" * 100_000,
    "30-parentheses": "SELECT * WHERE { FILTER(" + "(" * 30 + "true" + ")" * 30 + ") }",
    "1000-parentheses": "SELECT * WHERE { FILTER(" + "(" * 1000 + "true" + ")" * 1000 + ") }",
    "85-patterns": f"PREFIX kd: <{KD}> SELECT ?q WHERE {{ "
    + " . ".join(["?q a kd:Qualification"] * 85)
    + " }",
    "5000-patterns": f"PREFIX kd: <{KD}> SELECT ?q WHERE {{ "
    + " . ".join(["?q a kd:Qualification"] * 5000)
    + " }",
}


@pytest.mark.parametrize("case", list(BIG))
def test_big_queries_are_answered_or_refused_never_500(server: ServerProcess, case: str) -> None:
    response = requests.post(
        f"{server.url}/sparql",
        data=BIG[case].encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert response.status_code in (200, 400), (response.status_code, response.text[:300])
    if response.status_code == 400:
        assert re.search(r"\d+", response.text), "the 400 should say how big and what the limit is"
    if case.startswith(("30-", "85-")):  # ordinary sizes: answered
        assert response.status_code == 200, response.text[:300]
    assert requests.get(f"{server.url}/health", timeout=30).status_code == 200

"""``kdgraph query`` with SPARQL text, a .rq file, a saved query's name, and an endpoint (issue 24).

In-process (click's runner) on the bundled data; the endpoint case against a real server.
The expected answers are the qualifications' Dutch names as the dossier prints them.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from kdgraph.cli import main

LABELS = """SELECT ?label WHERE {
    ?q a <https://w3id.org/kdgraph/def/kd#Qualification> ;
       <http://www.w3.org/2000/01/rdf-schema#label> ?label .
    FILTER(lang(?label) = "nl")
} ORDER BY ?label"""
NAMES_CSV = (  # bytes: CliRunner's .stdout turns the CSV's CRLF into LF
    b"label\r\nAllround medewerker productietechniek\r\nMedewerker productietechniek\r\n"
    b"Productietechnicus\r\nResearchinstrumentmaker\r\n"
)


def query(*args: str) -> Result:
    return CliRunner().invoke(main, ["query", *args])


def test_sparql_text_runs_on_the_bundled_data() -> None:
    result = query(LABELS, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == NAMES_CSV


def test_a_rq_file_runs_on_the_bundled_data(tmp_path: Path) -> None:
    file = tmp_path / "labels.rq"
    file.write_text(LABELS, encoding="utf-8")
    result = query(str(file), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == NAMES_CSV


def test_sparql_from_standard_input() -> None:
    result = CliRunner().invoke(main, ["query", "-", "--format", "csv"], input=LABELS)
    assert result.exit_code == 0 and result.stdout_bytes == NAMES_CSV


def test_a_saved_query_runs_by_its_name() -> None:
    result = query("cq01-qualifications-levels", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = [line.split(",")[2:6] for line in result.stdout.splitlines()[1:]]
    assert rows == [
        ["Medewerker productietechniek", "2", "2", "2"],
        ["Allround medewerker productietechniek", "3", "3", "3"],
        ["Productietechnicus", "4", "4", "4"],
        ["Researchinstrumentmaker", "4", "4", "4"],
    ]


def test_an_ask_query_prints_its_answer_as_a_table() -> None:
    result = query("ASK { <https://w3id.org/kdgraph/id/qualification/productietechnicus> ?p ?o }")
    assert (result.exit_code, result.stdout) == (0, "true\n")


def test_text_and_a_file_against_a_real_endpoint(bundled_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    endpoint = f"{bundled_server.url}/sparql"
    result = query(LABELS, "--format", "csv", "--endpoint", endpoint)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == NAMES_CSV
    file = tmp_path / "labels.rq"
    file.write_text(LABELS, encoding="utf-8")
    table = query(str(file), "--endpoint", endpoint)
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines() == ["label", *NAMES_CSV.decode().split("\r\n")[1:-1]]


def test_errors_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    syntax = query("SELECT ?x WHERE { ?x ?p }")
    assert syntax.exit_code == 2
    assert syntax.stderr.startswith("error: query: SPARQL syntax error at line 1, column ")
    broken = tmp_path / "broken.rq"
    broken.write_text("SELECT * WHERE {\n  ?s ?p \n}", encoding="utf-8")
    in_file = query(str(broken))
    assert in_file.exit_code == 2 and in_file.stderr.startswith(
        f"error: {broken}: SPARQL syntax error at line 3"
    )
    missing = query(str(tmp_path / "missing.rq"))
    assert (missing.exit_code, missing.stderr) == (2, f"error: {tmp_path / 'missing.rq'}: no such file\n")
    unknown = query("cq99-nothing")
    assert unknown.exit_code == 2
    assert unknown.stderr == (
        "error: no saved query named 'cq99-nothing' and no such .rq file; `kdgraph query --list` shows them\n"
    )
    params = query(LABELS, "--param", "x=1")
    assert params.exit_code == 2 and "--param applies to saved queries only" in params.stderr
    for result in (syntax, in_file, missing, unknown, params):
        assert "Traceback" not in result.output

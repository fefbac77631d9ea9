"""``kdgraph validate`` on copies of the data broken the way people break it (issue 24).

Each test edits one thing in a copy of the bundled data, runs the command in-process (click's
runner) and asserts the exact exit code and where the message points: the file and line of
the statement at fault, found in the edited file by the text the edit wrote, so the tests do
not depend on line numbers that change when the data is edited.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from kdgraph.cli import main
from kdgraph.pipeline.locations import Locations
from kdgraph.resources import bundled_paths

from .conftest import edited_data

DOSSIER_FILE = "productietechniek/01-dossier.trig"
PT_LABEL = 'rdfs:label "Productietechnicus"@nl ;'  # the anchor: a qualification's label line
KD = "https://w3id.org/kdgraph/def/kd#"
KS = "https://w3id.org/kdgraph/def/shapes#"
PT = "https://w3id.org/kdgraph/id/qualification/productietechnicus"


def validate(*args: str) -> Result:
    return CliRunner().invoke(main, ["validate", *args])


def line_of(path: Path, text: str) -> int:
    """The one line of ``path`` that contains ``text`` (1-based)."""
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line]
    assert len(lines) == 1, f"{text!r} is on lines {lines} of {path}"
    return lines[0]


def add_to_productietechnicus(tmp_path: Path, statement: str) -> tuple[Path, str]:
    """A copy of the data with ``statement`` added to productietechnicus's description (on a
    line of its own after its label), and the ``file:line`` of that new line."""
    data = edited_data(tmp_path, PT_LABEL, f"{PT_LABEL}\n        {statement}")
    target = data / DOSSIER_FILE
    return data, f"{target}:{line_of(target, statement)}"


def findings(result: Result) -> list[dict]:
    return json.loads(result.stdout)["results"]


def test_an_ill_typed_literal_is_an_input_error_at_its_line(tmp_path: Path) -> None:
    data = edited_data(tmp_path, '"2022-09-08"^^xsd:date', '"2022-09-31"^^xsd:date')
    result = validate(str(data))
    assert result.exit_code == 2
    target = data / DOSSIER_FILE
    where = f"{target}:{line_of(target, '2022-09-31')}"
    assert result.stderr == (
        f'error: {where}: "2022-09-31" is no valid xsd:date: write the value in that datatype\'s form '
        "(e.g. 2023-08-01), or change the datatype\n"
    )
    assert "Traceback" not in result.output and result.stdout == ""


def test_a_trig_syntax_error_is_an_input_error_at_its_line(tmp_path: Path) -> None:
    data, where = add_to_productietechnicus(tmp_path, 'oops:x "y" ;')
    result = validate(str(data))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {where}:")
    assert "oops" in result.stderr and "Traceback" not in result.output


def test_a_datatype_range_of_the_ontology_is_checked_at_the_statement(tmp_path: Path) -> None:
    data, where = add_to_productietechnicus(tmp_path, 'kd:position "drie" ;')
    result = validate(str(data), "--format", "json")
    assert result.exit_code == 1
    hits = [f for f in findings(result) if f["shape"] == f"{KS}OntologyRange-kd-position"]
    assert [(f["focus"], f["value"], f["location"]) for f in hits] == [(PT, "drie", where)]
    assert "xsd:integer" in hits[0]["messages"]["en"][0] and "xsd:integer" in hits[0]["messages"]["nl"][0]
    # the statement's own line, not where productietechnicus is first described
    target = data / DOSSIER_FILE
    assert where != f"{target}:{line_of(target, 'qual:productietechnicus a kd:Qualification')}"


def test_a_class_range_and_a_domain_of_the_ontology_are_checked(tmp_path: Path) -> None:
    data, where = add_to_productietechnicus(tmp_path, "kd:minimumLevel mbo:4 ;")
    result = validate(str(data), "--format", "json")
    assert result.exit_code == 1
    about = {(f["shape"].replace(KS, ""), f["path"]) for f in findings(result) if f["location"] == where}
    assert about == {
        ("OntologyRange-kd-minimumLevel", f"{KD}minimumLevel"),  # mbo:4 is no kd:CefrLevel
        (
            "OntologyDomain-kd-minimumLevel",
            f"{KD}minimumLevel",
        ),  # a qualification is no kd:LanguageRequirement
    }


def test_an_nlqf_level_off_the_mapping_is_a_violation_at_its_statement(tmp_path: Path) -> None:
    data, where = add_to_productietechnicus(tmp_path, "kd:eqfLevel <http://data.europa.eu/snb/eqf/2> ;")
    result = validate(str(data), "--format", "json")
    assert result.exit_code == 1
    hits = [f for f in findings(result) if f["shape"] == "kd:levelMapping"]
    assert [(f["focus"], f["path"], f["value"], f["location"]) for f in hits] == [
        (PT, f"{KD}eqfLevel", "<http://data.europa.eu/snb/eqf/2>", where)
    ]
    assert "<http://data.europa.eu/snb/eqf/4>" in hits[0]["messages"]["en"][0]


EXCEPTION = """
# Outside source: a level statement of its own (MBO Raad: some level-4 qualifications are EQF 5)
src:mbo-raad-eqf-5 {
    src:mbo-raad-eqf-5 a kd:SourceDocument ;
        rdfs:label "MBO Raad: mbo-4 en EQF 5"@nl , "MBO Raad: MBO 4 and EQF 5"@en ;
        dcterms:title "MBO 4 en EQF 5"@nl ;
        schema:url <https://www.mboraad.nl/> ;
        dcterms:source <https://www.mboraad.nl/> .

    qual:productietechnicus kd:eqfLevel <http://data.europa.eu/snb/eqf/5> .
    <http://data.europa.eu/snb/eqf/5> a skos:Concept ;
        skos:prefLabel "EQF niveau 5"@nl , "EQF level 5"@en .
}
"""


def test_a_level_exception_in_a_graph_of_its_own_outside_source_passes(tmp_path: Path) -> None:
    data = edited_data(tmp_path, PT_LABEL, PT_LABEL)
    target = data / DOSSIER_FILE
    target.write_text(target.read_text(encoding="utf-8") + EXCEPTION, encoding="utf-8")
    result = validate(str(data), "--format", "json")
    assert [f for f in findings(result) if f["shape"] == "kd:levelMapping"] == []
    assert result.exit_code == 0, [f for f in findings(result) if f["severity"] == "Violation"]


def test_two_qualifications_of_one_dossier_may_not_share_a_label(tmp_path: Path) -> None:
    data = edited_data(
        tmp_path, 'rdfs:label "Researchinstrumentmaker"@nl ;', 'rdfs:label "Productietechnicus"@nl ;'
    )
    result = validate(str(data), "--format", "json")
    assert result.exit_code == 1
    target = data / DOSSIER_FILE
    hits = {
        (f["focus"].rsplit("/", 1)[-1], f["location"])
        for f in findings(result)
        if f["shape"].endswith("#UniqueQualificationLabelRule")
    }
    lines = [n for n, line in enumerate(target.read_text().splitlines(), 1) if PT_LABEL in line]
    assert hits == {
        ("productietechnicus", f"{target}:{lines[0]}"),
        ("researchinstrumentmaker", f"{target}:{lines[1]}"),
    }


def test_a_date_after_today_is_a_warning_at_its_statement(tmp_path: Path) -> None:
    data, where = add_to_productietechnicus(tmp_path, 'dcterms:date "2999-01-01"^^xsd:date ;')
    result = validate(str(data), "--format", "json")
    assert result.exit_code == 0  # a warning: the verdict may not flip with the calendar
    hits = [f for f in findings(result) if f["shape"] == "kd:dateInTheFuture"]
    assert [(f["severity"], f["focus"], f["location"]) for f in hits] == [("Warning", PT, where)]
    assert validate(str(data), "--strict").exit_code == 1


def test_a_prefix_typo_gives_one_hint_naming_the_prefix_line(tmp_path: Path) -> None:
    right = "<https://w3id.org/kdgraph/id/qualification/>"
    data = edited_data(
        tmp_path, f"qual:     {right}", "qual:     <https://w3id.org/kdgraph/id/qualifcation/>"
    )
    result = validate(str(data))
    assert result.exit_code == 1
    target = data / DOSSIER_FILE
    hints = [line for line in result.stdout.splitlines() if line.startswith("hint:")]
    assert len(hints) == 1
    assert hints[0].startswith(f"hint: {target}:{line_of(target, 'qualifcation/')}: prefix qual:")
    assert hints[0].endswith(f"did you mean {right}?")


INFO_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix kd: <https://w3id.org/kdgraph/def/kd#> .
<urn:test:NoteEveryQualification> a sh:NodeShape ;
    sh:targetClass kd:Qualification ;
    sh:property [ sh:path kd:noSuchProperty ; sh:minCount 1 ; sh:severity sh:Info ; sh:message "a note"@en ] .
"""


def test_info_results_are_printed_only_with_verbose(tmp_path: Path) -> None:
    shapes = tmp_path / "info.ttl"
    shapes.write_text(INFO_SHAPES, encoding="utf-8")
    quiet = validate("--shapes", str(shapes))
    assert quiet.exit_code == 0
    assert "INFO" not in quiet.stdout and "a note" not in quiet.stdout
    assert quiet.stdout.strip().endswith("conforms: 0 violations, 0 warnings, 4 infos (--verbose)")
    verbose = validate("--shapes", str(shapes), "--verbose")
    assert verbose.exit_code == 0
    assert verbose.stdout.count("  INFO      urn:test:NoteEveryQualification") == 4
    assert verbose.stdout.strip().endswith("conforms: 0 violations, 0 warnings, 4 infos")


def test_one_file_is_validated_in_the_context_of_its_folder(tmp_path: Path) -> None:
    data, where = add_to_productietechnicus(tmp_path, 'kd:position "drie" ;')
    edited = validate(str(data / DOSSIER_FILE), "--format", "json")
    assert edited.exit_code == 1
    report = json.loads(edited.stdout)
    assert {f["location"].rsplit(":", 1)[0] for f in report["results"]} == {str(data / DOSSIER_FILE)}
    assert [f["location"] for f in report["results"] if f["severity"] == "Violation"] == [where]
    other = data / "productietechniek/05-section-4.trig"
    untouched = validate(str(other))
    assert untouched.exit_code == 0, untouched.stdout  # its references resolve in its folder
    others = len(list(other.parent.glob("*.trig"))) - 1
    assert f"{other} (in the context of {others} files beside it) conforms: 0 violations" in untouched.stdout


def test_alone_validates_a_file_by_itself(tmp_path: Path) -> None:
    """Without its context, a part of a dossier refers to resources no file describes."""
    other = bundled_paths().data / "productietechniek/05-section-4.trig"
    alone = validate(str(other), "--alone")
    assert alone.exit_code == 1
    assert "(in the context of" not in alone.stdout


def test_a_broken_file_beside_the_one_named_is_named_as_context(tmp_path: Path) -> None:
    data = edited_data(tmp_path, PT_LABEL, f"{PT_LABEL} oops")
    result = validate(str(data / "productietechniek/05-section-4.trig"))
    assert result.exit_code == 2
    assert str(data / DOSSIER_FILE) in result.stderr
    assert result.stderr.rstrip().endswith(
        "(a file beside the one named, read as its context; --alone skips it)"
    )


def test_a_statement_on_a_continuation_line_is_located_on_that_line(graph) -> None:  # type: ignore[no-untyped-def]
    """The issue's case: productietechnicus named at the start of an object-list line."""
    dossier = ox.NamedNode("https://w3id.org/kdgraph/id/dossier/productietechniek")
    triple = ox.Triple(dossier, ox.NamedNode(KD + "hasQualification"), ox.NamedNode(PT))
    target = bundled_paths().data / DOSSIER_FILE
    path, _, line = Locations(graph).statement(triple).rpartition(":")
    assert path == str(target)
    assert (
        target.read_text(encoding="utf-8").splitlines()[int(line) - 1].strip() == "qual:productietechnicus ,"
    )


def test_serve_refuses_an_ill_typed_literal_with_its_file_and_line(tmp_path: Path) -> None:
    """The same input error where the data is prepared for serving (a start or a reload): the
    reason /health and `serve` give is the file:line, not an error from inside pyshacl."""
    from kdgraph.store.served_data import DataRejected, prepare, read_current

    data = edited_data(tmp_path, '"2022-09-08"^^xsd:date', '"2022-09-31"^^xsd:date')
    target = data / DOSSIER_FILE
    with pytest.raises(DataRejected) as refused:
        prepare(tmp_path / "state", [data])
    assert str(refused.value).startswith(
        f'{target}:{line_of(target, "2022-09-31")}: "2022-09-31" is no valid'
    )
    assert read_current(tmp_path / "state") is None


def test_publish_refuses_an_ill_typed_literal_before_any_request(tmp_path: Path) -> None:
    data = edited_data(tmp_path, '"2022-09-08"^^xsd:date', '"2022-09-31"^^xsd:date')
    target = data / DOSSIER_FILE
    result = CliRunner().invoke(main, ["publish", "--to", "http://127.0.0.1:9", "--data", str(data)])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f'error: {target}:{line_of(target, "2022-09-31")}: "2022-09-31" is no valid'
    )

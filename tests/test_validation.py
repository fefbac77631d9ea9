"""SHACL rules: the bundled data conforms, and every rule catches a real mutation of it.

Mutations are made from the real data (copy the files, change one thing), not from tiny
hand-written graphs, so each rule is proven against data as maintainers write it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kdgraph.checks.validation import ValidationReport, load_shapes, validate
from kdgraph.pipeline.loading import load_graph
from kdgraph.resources import bundled_paths

ID = "https://w3id.org/kdgraph/id/"
KS = "https://w3id.org/kdgraph/def/shapes#"
KD = "https://w3id.org/kdgraph/def/kd#"
PT, RIM = f"{ID}qualification/productietechnicus", f"{ID}qualification/researchinstrumentmaker"
MP, AMP = (
    f"{ID}qualification/medewerker-productietechniek",
    f"{ID}qualification/allround-medewerker-productietechniek",
)
DOSSIER = f"{ID}dossier/productietechniek"


@pytest.fixture(scope="module")
def shapes():  # type: ignore[no-untyped-def]
    return load_shapes()


@pytest.fixture(scope="module")
def baseline(shapes) -> ValidationReport:  # type: ignore[no-untyped-def]
    return validate(load_graph(), shapes)


def test_bundled_data_conforms(baseline: ValidationReport) -> None:
    assert baseline.conforms
    assert baseline.count("Violation") == 0


def test_source_document_after_validation_is_a_warning(baseline: ValidationReport) -> None:
    warnings = [(f.shape, f.focus) for f in baseline.findings if f.severity == "Warning"]
    assert warnings == [(f"{KS}SourceAfterValidationRule", DOSSIER)]
    finding = next(f for f in baseline.findings if f.severity == "Warning")
    assert "panteia-2024" in finding.message("en") and "2024" in finding.message("nl")


def test_generic_and_profession_specific_levels_are_not_a_conflict(baseline: ValidationReport) -> None:
    """B1 (generic exam) and A2 (the tables) are two kinds of requirement (issue 24); levels are
    compared within one kind only (tests/test_language_requirement_kinds.py has the mutations)."""
    infos = {(f.shape, f.focus) for f in baseline.findings if f.severity == "Info"}
    assert infos == set()


def mutate(tmp_path: Path, file: str, old: str, new: str, count: int = 1) -> Path:
    """Copy ontology and data to tmp_path and replace ``old`` by ``new`` in one file."""
    for kind in ("ontology", "data"):
        shutil.copytree(getattr(bundled_paths(), kind), tmp_path / kind)
    target = tmp_path / file
    text = target.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"mutation anchor not found in {file}: {old!r}"
    target.write_text(text.replace(old, new, count), encoding="utf-8")
    return tmp_path


DATA = "data/productietechniek/"
MUTATIONS = {
    "mbo-level-7": (
        DATA + "01-dossier.trig",
        "kd:mboLevel mbo:2 .",
        "kd:mboLevel <https://w3id.org/kdgraph/def/mbo-level/7> .",
        f"{KS}QualificationShape {KD}mboLevel",
        MP,
    ),
    "cefr-z9": (
        DATA + "06-sections-5-7.trig",
        "kd:minimumLevel cefr:B1 .",
        "kd:minimumLevel cefr:Z9 .",
        f"{KS}LanguageRequirementShape {KD}minimumLevel",
        f"{ID}language-requirement/productietechniek-generiek-engels-niveau-4-lezen",
    ),
    "skill-unknown": (
        DATA + "06-sections-5-7.trig",
        "kd:skill skill:lezen ;",
        "kd:skill skill:zingen ;",
        f"{KS}LanguageRequirementShape {KD}skill",
        f"{ID}language-requirement/productietechniek-generiek-engels-niveau-4-lezen",
    ),
    "route-level-4-to-2": (
        DATA + "07-section-8.trig",
        "kd:routeFrom qual:productietechnicus ;\n        kd:routeTo role:werkvoorbereider ;",
        "kd:routeFrom qual:productietechnicus ;\n        kd:routeTo qual:medewerker-productietechniek ;",
        f"{KS}RouteNeverDownwardRule",
        f"{ID}route/productietechnicus-naar-werkvoorbereider",
    ),
    "date-as-string": (
        DATA + "01-dossier.trig",
        'kd:validFrom "2023-08-01"^^xsd:date',
        'kd:validFrom "2023-08-01"',
        f"{KS}DossierShape {KD}validFrom",
        DOSSIER,
    ),
    "validated-after-valid-from": (
        DATA + "01-dossier.trig",
        '"2022-09-08"^^xsd:date',
        '"2023-09-08"^^xsd:date',
        f"{KS}ValidationBeforeValidFromRule",
        DOSSIER,
    ),
    "qualification-without-nl-label": (
        DATA + "01-dossier.trig",
        'qual:productietechnicus a kd:Qualification ;\n        rdfs:label "Productietechnicus"@nl ;',
        "qual:productietechnicus a kd:Qualification ;",
        f"{KS}QualificationShape http://www.w3.org/2000/01/rdf-schema#label",
        PT,
    ),
    "statement-without-provenance": (
        DATA + "03-sections-1-2.trig",
        "# Section 1, page 4\n",
        "doc:toekomstverkenning-opleidingen-metaal-en-metalektro-2019 kd:position 9 .\n",
        "kd:statementSource",
        f"{ID}document/toekomstverkenning-opleidingen-metaal-en-metalektro-2019",
    ),
    "duplicate-slug": (
        DATA + "01-dossier.trig",
        'kd:slug "allround-medewerker-productietechniek" ;',
        'kd:slug "medewerker-productietechniek" ;',
        f"{KS}UniqueSlugRule",
        AMP,
    ),
    "duplicate-crebo": (
        DATA + "01-dossier.trig",
        'kd:slug "productietechnicus" ;',
        'kd:slug "productietechnicus" ;\n    kd:crebo "25999" ;\n    kd:sameAs "x" ;'.replace(
            '\n    kd:sameAs "x" ;', ""
        ),
        f"{KS}UniqueCreboRule",
        PT,
    ),
    "level-4-without-generic-english": (
        DATA + "06-sections-5-7.trig",
        "lstmt:productietechniek-generiek-engels-niveau-4 kd:appliesTo qual:productietechnicus , ",
        "lstmt:productietechniek-generiek-engels-niveau-4 kd:appliesTo ",
        f"{KS}Level4HasGenericEnglishRule",
        PT,
    ),
    "ontology-term-without-english-label": (
        "ontology/kd.ttl",
        'rdfs:label "kwalificatie"@nl , "qualification"@en ;',
        'rdfs:label "kwalificatie"@nl ;',
        f"{KS}OntologyTermRule http://www.w3.org/2000/01/rdf-schema#label",
        f"{KD}Qualification",
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_is_caught(name: str, tmp_path: Path, shapes) -> None:  # type: ignore[no-untyped-def]
    file, old, new, shape, focus = MUTATIONS[name]
    root = mutate(tmp_path, file, old, new)
    if name == "duplicate-crebo":  # a second qualification with the same code
        target = root / file
        target.write_text(
            target.read_text(encoding="utf-8").replace(
                'kd:slug "researchinstrumentmaker" ;',
                'kd:slug "researchinstrumentmaker" ;\n    kd:crebo "25999" ;',
            ),
            encoding="utf-8",
        )
    report = validate(load_graph([root / "ontology", root / "data"], with_ontology=False), shapes)
    assert not report.conforms
    hits = [f for f in report.findings if f.shape == shape and f.focus == focus]
    assert hits, f"expected {shape} on {focus}; got {[(f.shape, f.focus) for f in report.findings]}"
    assert {f.severity for f in hits} == {"Violation"}
    assert all(f.message("nl") and f.message("en") and f.message("nl") != f.message("en") for f in hits)
    if focus.startswith(ID):
        assert hits[0].location and hits[0].location.split(":")[0].endswith(".trig")

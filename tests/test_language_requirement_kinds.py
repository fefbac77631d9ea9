"""Generic and profession-specific language requirements (issue 24), checked by the shapes.

The generic exam component English (B1 for reading and listening) and the profession's tables
(A2) are two kinds of requirement: the generic covers the profession-specific one (kd:covers).
A difference of level within one kind is still reported; covering a higher level is a violation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kdgraph.checks.validation import load_shapes, validate
from kdgraph.pipeline.loading import load_graph

from .test_validation import DATA, ID, KS, PT, mutate

REQ = f"{ID}language-requirement/productietechniek-"
COVERS = "lreq:productietechniek-generiek-engels-niveau-4-spreken kd:covers "


@pytest.fixture(scope="module")
def shapes():  # type: ignore[no-untyped-def]
    return load_shapes()


def findings(root: Path, shapes) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    report = validate(load_graph([root / "ontology", root / "data"], with_ontology=False), shapes)
    return [(f.severity, f.shape, f.focus) for f in report.findings]


def test_two_levels_within_the_profession_specific_kind_are_still_reported(tmp_path: Path, shapes) -> None:  # type: ignore[no-untyped-def]
    """The rationale "Lezen (A2)" changed to B2: two profession-specific levels for reading."""
    root = mutate(
        tmp_path,
        DATA + "06-sections-5-7.trig",
        "        kd:skill skill:lezen ;\n        kd:minimumLevel cefr:A2 .",
        "        kd:skill skill:lezen ;\n        kd:minimumLevel cefr:B2 .",
    )
    found = findings(root, shapes)
    assert ("Info", f"{KS}LanguageConflictInfo", PT) in found
    # and B2 is above the generic B1 that claims to cover it
    assert (
        "Violation",
        f"{KS}CoversSameSkillAtNoHigherLevelRule",
        f"{REQ}generiek-engels-niveau-4-lezen",
    ) in found


def test_covering_another_skill_is_a_violation(tmp_path: Path, shapes) -> None:  # type: ignore[no-untyped-def]
    root = mutate(
        tmp_path,
        DATA + "06-sections-5-7.trig",
        COVERS + "lreq:productietechniek-tabel-productietechnicus-spreken",
        COVERS + "lreq:productietechniek-tabel-productietechnicus-schrijven",
    )
    found = findings(root, shapes)
    assert [f for f in found if f[0] == "Violation"] == [
        ("Violation", f"{KS}CoversSameSkillAtNoHigherLevelRule", f"{REQ}generiek-engels-niveau-4-spreken")
    ]

"""Work that is not repeated when the inputs did not change, and always redone when they did.

A restart on the same files serves the store prepared before; ``kdgraph validate`` leaves its
verdict for ``serve`` and ``publish``. Both are keyed by the bytes of every input file, so an
edit (even one that brings a violation) is never hidden by what was prepared earlier.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kdgraph.checks import validation
from kdgraph.checks.verdicts import fingerprint
from kdgraph.cli import main
from kdgraph.pipeline.loading import load_graph, read_inputs
from kdgraph.store.served_data import DataRejected, prepare, read_current

from .conftest import edited_data

DOSSIER = "productietechniek/01-dossier.trig"


def test_fingerprint_follows_content_not_file_times_or_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a.ttl", tmp_path / "b.ttl"
    a.write_text("<urn:a> <urn:p> 1 .\n")
    b.write_text("<urn:b> <urn:p> 2 .\n")

    def digests(*paths: Path) -> list[str]:
        return [source.digest for source in read_inputs(paths)]

    before = fingerprint(digests(a, b), "x")
    os.utime(a, (0, 0))
    assert fingerprint(digests(b, a), "x") == before
    assert fingerprint(digests(a, b), "y") != before
    b.write_text("<urn:b> <urn:p> 3 .\n")
    assert fingerprint(digests(a, b), "x") != before


def test_restart_on_the_same_files_serves_what_was_prepared(tmp_path: Path) -> None:
    data = edited_data(tmp_path, "kd:mboLevel mbo:2 .", "kd:mboLevel mbo:2 .")  # an unchanged copy
    first = prepare(tmp_path / "state", [data])
    again = prepare(tmp_path / "state", [data])
    assert again == first  # same store directory, same load time: nothing was redone
    assert Path(first.store_path).is_dir() and first.conforms


def test_an_edit_is_prepared_anew_and_a_violation_is_refused(tmp_path: Path) -> None:
    data = edited_data(tmp_path, "kd:mboLevel mbo:2 .", "kd:mboLevel mbo:2 .")
    state = tmp_path / "state"
    first = prepare(state, [data])
    dossier = data / DOSSIER
    original = dossier.read_text(encoding="utf-8")

    dossier.write_text(original.replace("kd:mboLevel mbo:2 .", "kd:mboLevel mbo:7 ."), encoding="utf-8")
    with pytest.raises(DataRejected, match=r"1 SHACL violations, e\.g\. .*mbo"):
        prepare(state, [data])
    assert read_current(state) == first  # still serving the conforming version

    dossier.write_text(original.replace('"Productietechniek"@nl', '"Productietechniek (herzien)"@nl'))
    second = prepare(state, [data])
    assert second.version != first.version and second.store_path != first.store_path
    assert not Path(first.store_path).exists()  # the old store is retired once replaced


def test_a_load_error_in_the_preparing_process_names_file_and_line(tmp_path: Path) -> None:
    data = edited_data(tmp_path, '"2023-08-01"^^xsd:date', '"2023-08-01')
    with pytest.raises(DataRejected, match=r"01-dossier\.trig:\d+"):
        prepare(tmp_path / "state", [data])
    assert read_current(tmp_path / "state") is None


def test_validate_leaves_its_verdict_for_serve_and_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = edited_data(tmp_path, "kd:mboLevel mbo:2 .", "kd:mboLevel mbo:2 .")
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(data)])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)

    def no_shacl(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("validated again although these files were validated before")

    monkeypatch.setattr(validation, "validate", no_shacl)
    verdict = validation.checked(load_graph([data]))
    assert (verdict.conforms, verdict.violations, verdict.warnings, verdict.infos) == (
        True,
        0,
        counts["warnings"],
        counts["infos"],
    )

    # one more byte (a comment) and the remembered verdict no longer applies
    dossier = data / DOSSIER
    dossier.write_text(dossier.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="validated again"):
        validation.checked(load_graph([data]))


def test_a_verdict_with_violations_is_remembered_too(tmp_path: Path) -> None:
    data = edited_data(tmp_path, "kd:mboLevel mbo:2 .", "kd:mboLevel mbo:7 .")
    result = CliRunner().invoke(main, ["validate", str(data)])
    assert result.exit_code == 1
    verdict = validation.checked(load_graph([data]))
    assert verdict.violations == 1 and not verdict.conforms and "mbo" in verdict.example.lower()


def test_a_remembered_verdict_skips_shacl_and_the_store_holds_what_was_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = edited_data(tmp_path, "kd:mboLevel mbo:2 .", "kd:mboLevel mbo:2 .")
    dossier = data / DOSSIER
    dossier.write_text(dossier.read_text(encoding="utf-8") + "# a version of its own\n", encoding="utf-8")
    validated_now = prepare(tmp_path / "one", [data])

    def no_shacl(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("validated again although these bytes were validated before")

    monkeypatch.setattr(validation, "validate", no_shacl)
    monkeypatch.setattr("kdgraph.store.served_data.validate", no_shacl)
    verdict_known = prepare(tmp_path / "two", [data])
    assert verdict_known.store_path != validated_now.store_path
    assert verdict_known.version == validated_now.version
    assert verdict_known.data_triples == validated_now.data_triples == len(load_graph([data]))


@pytest.mark.server
def test_kdgraph_serve_restarted_on_the_same_state_directory_serves_the_prepared_store(
    tmp_path: Path,
) -> None:
    import requests

    from .server_process import ServerProcess

    data = edited_data(tmp_path, "kd:mboLevel mbo:2 .", "kd:mboLevel mbo:2 .")
    with ServerProcess(["--data", str(data), "--workers", "1"], tmp_path / "state") as first:
        before = requests.get(f"{first.url}/health", timeout=30).json()
    with ServerProcess(["--data", str(data), "--workers", "1"], tmp_path / "state") as again:
        after = requests.get(f"{again.url}/health", timeout=30).json()
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?q a <https://w3id.org/kdgraph/def/kd#Qualification> }"
        answer = requests.get(f"{again.url}/sparql", params={"query": count}, timeout=30)
        assert answer.json()["results"]["bindings"][0]["n"]["value"] == "4"  # the four of the source
    assert (after["version"], after["loaded_at"]) == (before["version"], before["loaded_at"])
    # background jobs (preparation, warm-up) are nobody's business at exit: no worker tries to
    # stop or join them (a traceback per worker when multiprocessing tracked them)
    for server in (first, again):
        assert not [line for line in server.log if "Traceback" in line or "Error" in line], server.log

"""Hostile and broken SBB XML (issue 20): a clear refusal naming file:line, or a warning, never a
traceback, never a silent drop, never half an import; a serving server keeps its last good data.

Every fixture is written here (a small dossier, SMALL, edited per case); the cases that need SBB's
real files (a truncated download, the byte-order mark, UTF-16, ISO dates) read them from
../shared/sbb-xml and skip with a reason where it is absent. ``kdgraph import`` and
``kdgraph validate`` run in-process (click's CliRunner); the reload runs a real server.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner, Result

from kdgraph.cli import main

from .conftest import BASE, SBB_XML
from .server_process import KDGRAPH, ServerProcess

# A dossier with one of everything the cases below edit. Edits keep the line structure, so the
# line an error names is the line of SMALL that holds the edited text (see line_of).
SMALL = """<?xml version="1.0" encoding="utf-8"?>
<sbb>
  <domeinen>
    <domein nr="4135" titel="Zorg en welzijn" crebo="79140" />
  </domeinen>
  <sectorkamers>
    <sectorkamer nr="7" titel="Zorg, welzijn en sport" />
  </sectorkamers>
  <competenties>
    <competentie nr="3094" titel="Vakdeskundigheid toepassen" code="K" />
    <competentie nr="3103" titel="Instructies en procedures opvolgen" code="T" />
  </competenties>
  <dossiers>
    <dossier nr="9001" titel="Proefdossier" status="Vastgesteld" referentiedomein="4135">
      <dossiercrebos>
        <dossiercrebo Geldig_vanaf="01-08-2015">23999</dossiercrebo>
      </dossiercrebos>
      <basis>
        <basistaken>
          <basiskerntaken>
            <kerntaak nr="11" titel="Voert werkzaamheden uit" hoofdstuk="1">
              <basiswerkprocessen>
                <werkproces nr="12" titel="Bereidt werkzaamheden voor" hoofdstuk="1">
                  <werkprocesresultaat><![CDATA[De werkzaamheden zijn voorbereid.]]></werkprocesresultaat>
                  <werkprocescompetenties>
                    <competentie referentie="3094" />
                    <competentie referentie="3103" />
                  </werkprocescompetenties>
                </werkproces>
              </basiswerkprocessen>
            </kerntaak>
          </basiskerntaken>
        </basistaken>
      </basis>
      <profielen>
        <profiel nr="21" titel="Proefmedewerker" hoofdstuk="1" niveau="2">
          <creboinformatie>
            <crebo Geldig_vanaf="01-08-2015" Datum_einde_instroom="31-07-2026">25999</crebo>
          </creboinformatie>
        </profiel>
      </profielen>
      <verantwoordingsinformatie>
        <taalbeheersingseisen titel="Beroepsspecifieke moderne vreemde talen" hoofdstuk="6">
          <taalbeheersingseis titel="Beroepsspecifieke moderne vreemde talen">
            <profiel referentie="21">
              <taal titel="Engels">
                <taalvaardigheden>
                  <taalvaardigheid titel="Luisteren" niveau="B1" />
                  <taalvaardigheid titel="Lezen" niveau="" />
                </taalvaardigheden>
              </taal>
            </profiel>
          </taalbeheersingseis>
        </taalbeheersingseisen>
      </verantwoordingsinformatie>
    </dossier>
  </dossiers>
</sbb>
"""
NAME = "dossier.xml"
NEWLINE = b"\n"
REAL = SBB_XML / "2755-Dienstverlening.xml"
needs_real_files = pytest.mark.skipif(
    not REAL.is_file(),
    reason=f"SBB's sample XML is not at {SBB_XML} (it comes with the workplace's shared/ folder)",
)


def line_of(text: str, needle: str) -> int:
    """The line of ``text`` that holds ``needle`` (which must occur once)."""
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


def edited(old: str, new: str, text: str = SMALL) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def write(folder: Path, content: str | bytes, name: str = NAME) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def run(*args: str) -> Result:
    """A kdgraph command in-process: exit code, stdout and stderr apart (stderr has the messages)."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def imported(path: Path, output: Path) -> Result:
    return run("import", str(path), "-o", str(output))


def output_files(output: Path, sha256: str) -> dict[str, str]:
    """The TriG files written, the file's own hash (in graph names and kd:checksum) made neutral."""
    return {
        p.name: p.read_text(encoding="utf-8").replace(sha256, "SHA256").replace(sha256[:12], "KEY")
        for p in sorted(output.iterdir())
    }


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ refusals: exit 2, file:line

DOCTYPE = "a DOCTYPE declaration is not accepted in SBB XML (refused unread)"
REFUSALS: dict[str, tuple[str, str, str]] = {
    # case: (edited SMALL, the text on the line the error names, the message after file:line)
    "internal entity": (
        edited("<sbb>\n", '<!DOCTYPE sbb [<!ENTITY titel "Proef">]><sbb>\n'),
        "<!DOCTYPE",
        DOCTYPE,
    ),
    "billion laughs": (
        edited(
            "<sbb>\n",
            '<!DOCTYPE sbb [<!ENTITY a "lollollollollollollollollollol">'
            + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
            + ']><sbb titel="&j;">\n',
        ),
        "<!DOCTYPE",
        DOCTYPE,
    ),
    "external entity": (
        edited("<sbb>\n", '<!DOCTYPE sbb [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><sbb>\n').replace(
            'titel="Proefdossier"', 'titel="&xxe;"'
        ),
        "<!DOCTYPE",
        DOCTYPE,
    ),
    "parameter entity": (
        edited(
            "<sbb>\n", '<!DOCTYPE sbb [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]><sbb>\n'
        ),
        "<!DOCTYPE",
        DOCTYPE,
    ),
    "not SBB XML": (
        '<?xml version="1.0"?>\n<foo>\n  <sbb/>\n</foo>\n',
        "<foo>",
        "the root element is <foo>; SBB dossier XML has <sbb> (with <dossiers>) at its root",
    ),
    "RDF/XML": (
        '<?xml version="1.0"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about="https://w3id.org/kdgraph/id/dossier/x"/>\n'
        "</rdf:RDF>\n",
        "<rdf:RDF",
        "the root element is <rdf:RDF>: RDF/XML, not SBB dossier XML (<sbb> with <dossiers>); "
        "name an RDF/XML file .rdf to load it as RDF",
    ),
    "mismatched tags": (
        edited("            </kerntaak>", "            </kerntaken>"),
        "</kerntaken>",
        "not well-formed XML: mismatched tag",
    ),
    "missing required attribute": (
        edited(' hoofdstuk="1" niveau="2"', ' hoofdstuk="1"'),
        '<profiel nr="21"',
        "<profiel> needs a non-empty attribute niveau=",
    ),
    "dangling reference": (
        edited('<competentie referentie="3103" />', '<competentie referentie="3999" />'),
        'referentie="3999"',
        "competentie referentie='3999' names no <competentie nr> in <competenties>",
    ),
    "bad date": (
        edited('<crebo Geldig_vanaf="01-08-2015"', '<crebo Geldig_vanaf="31-02-2015"'),
        '"31-02-2015"',
        "Geldig_vanaf '31-02-2015' is not a date (expected dd-mm-yyyy or yyyy-mm-dd)",
    ),
    "CEFR level Z9": (
        edited('niveau="B1"', 'niveau="Z9"'),
        'niveau="Z9"',
        "niveau='Z9' is not a CEFR level (A1, A2, B1, B2, C1 or C2)",
    ),
    "a profiel reference to nothing": (
        edited('<profiel referentie="21">', '<profiel referentie="22">'),
        'referentie="22"',
        "profiel referentie='22' names no <profiel nr> of this dossier",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_import_refuses_with_file_line_and_what_was_expected_and_writes_nothing(
    tmp_path: Path, case: str
) -> None:
    text, needle, message = REFUSALS[case]
    path = write(tmp_path / "in", text)
    result = imported(path, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert re.fullmatch(
        re.escape(f"error: {path}:{line_of(text, needle)}") + r"(:\d+)?" + re.escape(f": {message}\n"),
        result.stderr,
    ), result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["billion laughs", "external entity", "missing required attribute"])
def test_validate_refuses_the_same_way(tmp_path: Path, case: str) -> None:
    text, needle, message = REFUSALS[case]
    path = write(tmp_path / "in", text)
    result = run("validate", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}:{line_of(text, needle)}: {message}\n"


def test_the_external_entity_is_never_read(tmp_path: Path) -> None:
    """Refused at the DOCTYPE: nothing of /etc/passwd reaches any message or file."""
    text = REFUSALS["external entity"][0]
    result = imported(write(tmp_path / "in", text), tmp_path / "out")
    assert result.exit_code == 2 and "root:" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_failed_import_leaves_an_earlier_import_untouched_even_when_other_files_are_good(
    tmp_path: Path,
) -> None:
    good = write(tmp_path / "in", SMALL)
    assert imported(good, tmp_path / "out").exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert sorted(before) == ["sbb-9001.trig", "sbb-lists.trig"]
    changed = edited('titel="Proefdossier"', 'titel="Proefdossier (herzien)"')
    write(tmp_path / "in", changed)
    bad = write(tmp_path / "in", REFUSALS["bad date"][0], "later.xml")
    result = run("import", str(tmp_path / "in"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {bad}:")
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


# ------------------------------------------------------------------ files that are not XML at all


def test_an_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"")
    result = imported(path, tmp_path / "out")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {path}:1: the file is empty (expected SBB dossier XML: <sbb> with <dossiers>)\n"
    )
    assert not (tmp_path / "out").exists()


NOT_TEXT = (
    "not well-formed XML: bytes that are not UTF-8 text (expected text in the encoding the <?xml?> "
    "declaration names, UTF-8 if none; a compressed download must be unpacked)"
)


def test_bytes_that_are_not_utf8_garbage(tmp_path: Path) -> None:
    """A compressed download saved as .xml: refused at line 1, as not text."""
    path = write(tmp_path, gzip.compress(SMALL.encode(), mtime=0))
    result = imported(path, tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}:1: {NOT_TEXT}\n"
    assert not (tmp_path / "out").exists()


def test_latin1_bytes_in_a_file_that_says_utf8_name_their_line(tmp_path: Path) -> None:
    latin = SMALL.replace("Proefmedewerker", "Proefmedewerker café").encode("latin-1")
    path = write(tmp_path, latin)
    result = imported(path, tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}:{line_of(SMALL, 'Proefmedewerker')}: {NOT_TEXT}\n"


@needs_real_files
def test_a_truncated_download(tmp_path: Path) -> None:
    """The first 60 % of a real file's bytes: refused at its last line, saying it looks truncated."""
    content = REAL.read_bytes()
    truncated = content[: len(content) * 60 // 100]
    path = write(tmp_path, truncated, REAL.name)
    result = imported(path, tmp_path / "out")
    assert result.exit_code == 2
    last = truncated.count(b"\n") + 1
    assert re.fullmatch(
        re.escape(f"error: {path}:{last}:")
        + r"\d+: not well-formed XML: (unclosed token|no element found) "
        + re.escape("(the file ends before its elements are closed: truncated?)\n"),
        result.stderr,
    ), result.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ what can be skipped: a warning


KNOWN_IN_WERKPROCES = (
    "(known: werkprocescompetenties, werkprocesgedrag, werkprocesomschrijving, werkprocesresultaat)"
)


def assert_warned_and_imported(tmp_path: Path, text: str, line: int, warning: str) -> None:
    """``text`` imports with exit 0 and one warning, ``file:line: warning: ...``, into exactly
    what SMALL imports to (the edits keep every line, so provenance stays the same)."""
    path, clean = write(tmp_path / "in", text), write(tmp_path / "clean", SMALL)
    result = imported(path, tmp_path / "out")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[:-1] == [f"{path}:{line}: warning: {warning}"]
    assert "warning" not in imported(clean, tmp_path / "clean-out").stderr
    assert output_files(tmp_path / "out", sha256_of(path)) == output_files(
        tmp_path / "clean-out", sha256_of(clean)
    )


def test_an_unknown_element_is_a_warning_and_the_rest_is_imported(tmp_path: Path) -> None:
    text = edited("<werkprocesresultaat>", "<vakmanschap>Goed</vakmanschap><werkprocesresultaat>")
    warning = (
        f"<vakmanschap> in <werkproces> is not known to the importer and was skipped {KNOWN_IN_WERKPROCES}"
    )
    assert_warned_and_imported(tmp_path, text, line_of(text, "<vakmanschap>"), warning)


def test_an_unknown_attribute_is_a_warning(tmp_path: Path) -> None:
    text = edited('<profiel nr="21"', '<profiel kleur="rood" nr="21"')
    warning = "attribute kleur= of <profiel> is not known to the importer and was skipped"
    assert_warned_and_imported(tmp_path, text, line_of(text, "kleur="), warning)


def test_100000_nested_unknown_elements_are_one_warning_not_a_crash(tmp_path: Path) -> None:
    """Neither the interpreter's stack nor memory: every walk of the tree is iterative, and no
    element stores its whole path (100,000 paths of that depth would be 25 GB)."""
    depth = 100_000
    text = edited("<werkprocesresultaat>", "<a>" * depth + "</a>" * depth + "<werkprocesresultaat>")
    warning = f"<a> in <werkproces> is not known to the importer and was skipped {KNOWN_IN_WERKPROCES}"
    assert_warned_and_imported(tmp_path, text, line_of(SMALL, "<werkprocesresultaat>"), warning)


def test_an_empty_cefr_level_is_no_requirement_and_no_error(tmp_path: Path) -> None:
    result = imported(write(tmp_path / "in", SMALL), tmp_path / "out")
    assert result.exit_code == 0
    assert result.stderr == f"imported 1 dossier (148 quads) from 1 file into {tmp_path / 'out'}\n"
    quads = ox.parse(path=str(tmp_path / "out" / "sbb-9001.trig"))
    levels = {
        (q.subject.value.rsplit("/", 1)[1], q.object.value.rsplit("/", 1)[1])
        for q in quads
        if q.predicate.value == f"{BASE}def/kd#minimumLevel"
    }
    assert levels == {("25999-9001-1-luisteren", "B1")}  # Lezen niveau="": nothing said


# ------------------------------------------------------------------ encodings and date forms


def same_import(tmp_path: Path, original: bytes, variant: bytes) -> None:
    """Both import with exit 0 and no warning to the same TriG, apart from the file's own hash."""
    a, b = write(tmp_path / "a", original, REAL.name), write(tmp_path / "b", variant, REAL.name)
    for path, out in ((a, "a-out"), (b, "b-out")):
        result = imported(path, tmp_path / out)
        assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    first, second = (
        output_files(tmp_path / "a-out", sha256_of(a)),
        output_files(tmp_path / "b-out", sha256_of(b)),
    )
    assert sorted(first) == ["sbb-2755.trig", "sbb-lists.trig"]
    assert first == second


@needs_real_files
def test_utf8_with_bom_and_the_same_file_as_utf16_import_the_same(tmp_path: Path) -> None:
    original = REAL.read_bytes()
    assert original.startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>')  # as SBB writes
    text = original.decode("utf-8-sig").replace('encoding="utf-8"', 'encoding="utf-16"', 1)
    utf16 = text.encode("utf-16")  # with its byte-order mark
    assert utf16.startswith(b"\xff\xfe")
    same_import(tmp_path, original, utf16)


@needs_real_files
def test_iso_dates_are_the_same_dates_as_dd_mm_yyyy(tmp_path: Path) -> None:
    original = REAL.read_bytes()
    # Every date value (attributes and <vastgesteldop>), not dates inside narrative text or a link.
    iso, count = re.subn(rb"([\">])(\d\d)-(\d\d)-(\d{4})([\"<])", rb"\1\4-\3-\2\5", original)
    assert count == 13  # 4 crebo validity dates, the vaststelling, 8 source documents
    assert b"2015-08-01" in iso and b"01-08-2015" not in iso
    same_import(tmp_path, original, iso)


def test_iso_and_dd_mm_yyyy_dates_in_the_small_dossier(tmp_path: Path) -> None:
    iso = edited('Geldig_vanaf="01-08-2015" Datum', 'Geldig_vanaf="2015-08-01" Datum').replace(
        "31-07-2026", "2026-07-31"
    )
    path = write(tmp_path / "in", iso)
    assert imported(path, tmp_path / "out").exit_code == 0
    quads = ox.parse(path=str(tmp_path / "out" / "sbb-9001.trig"))
    registration = f"{BASE}id/crebo-registration/25999-9001"
    dates = {q.predicate.value.rsplit("#", 1)[1]: q.object for q in quads if q.subject.value == registration}
    date = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
    assert dates["validFrom"] == ox.Literal("2015-08-01", datatype=date)
    assert dates["intakeEnds"] == ox.Literal("2026-07-31", datatype=date)


# ------------------------------------------------------------------ a serving server


def wait_for(check: Callable[[], dict | None], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError("never happened")


DOSSIER_TITLE = (
    "SELECT ?title WHERE { <https://w3id.org/kdgraph/id/dossier/sbb-2755> "
    "<http://purl.org/dc/terms/title> ?title }"
)


@pytest.mark.server
@needs_real_files
def test_a_truncated_file_at_reload_keeps_the_last_good_data_and_health_says_where(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    served = data / REAL.name
    shutil.copyfile(REAL, served)
    with ServerProcess(["--data", str(data), "--workers", "2"], tmp_path / "state") as server:
        health = requests.get(f"{server.url}/health", timeout=30).json()
        assert health["status"] == "ok", health
        content = REAL.read_bytes()
        truncated = content[: len(content) * 60 // 100]
        served.write_bytes(truncated)
        before = health["last_reload"]
        server.hup()

        def reloaded() -> dict | None:
            current = requests.get(f"{server.url}/health", timeout=30).json()
            return current if current["last_reload"] != before else None

        failed = wait_for(reloaded, 180)
        where = f"{served}:{truncated.count(NEWLINE) + 1}:"
        assert failed["status"] == "degraded" and failed["last_reload"]["ok"] is False
        assert where in failed["last_reload"]["error"] and "truncated?" in failed["last_reload"]["error"]
        assert "the last reload failed" in failed["reasons"][0] and where in failed["reasons"][0]
        assert failed["version"] == health["version"]
        answer = requests.get(
            f"{server.url}/sparql",
            params={"query": DOSSIER_TITLE},
            headers={"Accept": "text/csv"},
            timeout=30,
        )
        assert answer.status_code == 200 and answer.text.splitlines() == ["title", "Dienstverlening"]


@pytest.mark.server
@needs_real_files
def test_serve_refuses_to_start_on_a_truncated_file_and_says_where(tmp_path: Path) -> None:
    content = REAL.read_bytes()
    truncated = content[: len(content) * 60 // 100]
    path = write(tmp_path / "data", truncated, REAL.name)
    done = subprocess.run(
        [KDGRAPH, "serve", "--port", "0", "--state-dir", str(tmp_path / "state"), "--data", str(path.parent)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"error: not serving: {path}:{truncated.count(NEWLINE) + 1}:" in done.stderr
    assert "(the file ends before its elements are closed: truncated?)" in done.stderr

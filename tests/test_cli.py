"""The installed ``kdgraph`` command, run as a user runs it (a subprocess, from another directory)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from kdgraph.resources import bundled_paths

from .conftest import RENAMED_DOSSIER, edited_data

# The command installed next to this interpreter (the venv under test), else the one on PATH.
_BESIDE = Path(sys.executable).parent / "kdgraph"
KDGRAPH = str(_BESIDE) if _BESIDE.exists() else shutil.which("kdgraph")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert KDGRAPH, "the kdgraph command is not installed"
    return subprocess.run([KDGRAPH, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("fmt", "rdflib_format"), [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_export_round_trips(fmt: str, rdflib_format: str, tmp_path: Path, graph) -> None:
    out = tmp_path / f"graph.{fmt}"
    result = run("export", "--format", fmt, "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    g = rdflib.Graph().parse(out, format=rdflib_format)
    assert len(g) == len(graph)
    assert (
        rdflib.URIRef("https://w3id.org/kdgraph/id/dossier/productietechniek"),
        rdflib.URIRef("https://w3id.org/kdgraph/def/kd#validFrom"),
        rdflib.Literal("2023-08-01", datatype=rdflib.XSD.date),
    ) in g


def test_export_to_stdout_is_identical_on_two_runs(tmp_path: Path) -> None:
    first, second = (
        run("export", "--format", "nt", cwd=tmp_path),
        run("export", "--format", "nt", cwd=tmp_path),
    )
    assert first.returncode == 0 and first.stdout == second.stdout and first.stdout.count("\n") > 3000


def test_malformed_turtle_reports_file_and_line(tmp_path: Path) -> None:
    source = bundled_paths().data / "productietechniek" / "01-dossier.trig"
    lines = source.read_text(encoding="utf-8").splitlines()
    broken_line = next(i for i, line in enumerate(lines, 1) if "kd:validFrom" in line)
    lines[broken_line - 1] = lines[broken_line - 1].replace('"2023-08-01"', '"2023-08-01')
    data = tmp_path / "data"
    shutil.copytree(bundled_paths().data, data)
    (data / "productietechniek" / "01-dossier.trig").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("export", "--data", str(data), "-o", str(tmp_path / "out.ttl"), cwd=tmp_path)
    assert result.returncode == 2
    assert f"01-dossier.trig:{broken_line}:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.ttl").exists()


def test_query_json_output(tmp_path: Path) -> None:
    result = run("query", "cq06-end-functions", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    bindings = json.loads(result.stdout)["results"]["bindings"]
    assert [b["qualificationLabel"]["value"] for b in bindings] == [
        "Productietechnicus",
        "Researchinstrumentmaker",
    ]


def test_query_with_parameter_as_table(tmp_path: Path) -> None:
    result = run(
        "query",
        "cq07-hbo-programmes",
        "--param",
        "qualification=https://w3id.org/kdgraph/id/qualification/researchinstrumentmaker",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    for programme in ("Werktuigbouw", "Technische Natuurkunde", "Elektrotechniek", "lerarenopleiding"):
        assert programme in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("query", "no-such-query"), "no saved query named 'no-such-query'"),
        (("query", "cq02-routes-reachable"), "parameter 'qualification': required"),
        (("query", "cq02-routes-reachable", "-p", "qualification=not an iri"), "expected an absolute IRI"),
        (("query", "cq03-english-requirements", "-p", "minimumRank=B1"), "expected an integer"),
        (("query", "cq06-end-functions", "-p", "colour=red"), "unknown parameter"),
        (("export", "--data", "/no/such/dir"), "no such file or directory"),
    ],
)
def test_bad_input_is_exit_2_with_a_message(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_list_shows_every_saved_query(tmp_path: Path) -> None:
    result = run("query", "--list", "--lang", "en", cwd=tmp_path)
    assert result.returncode == 0
    names = {p.stem for p in bundled_paths().queries.glob("*.rq")}
    assert {line.split()[0] for line in result.stdout.splitlines()} == names


def test_validate_bundled_data_exits_0_with_one_line_summary(tmp_path: Path) -> None:
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    # not "1 warnings" (issue 15); no infos: B1 and A2 are two kinds of requirement (issue 24)
    assert summary.endswith("conforms: 0 violations, 1 warning, 0 infos")


def test_validate_strict_fails_on_the_warning(tmp_path: Path) -> None:
    assert run("validate", "--strict", cwd=tmp_path).returncode == 1


def test_validate_mutation_exits_1_naming_rule_focus_and_location(tmp_path: Path) -> None:
    data = edited_data(tmp_path, "kd:mboLevel mbo:2 .", "kd:mboLevel mbo:7 .")
    result = run("validate", str(data), "--lang", "nl", cwd=tmp_path)
    assert result.returncode == 1
    assert "QualificationShape" in result.stdout
    assert "https://w3id.org/kdgraph/id/qualification/medewerker-productietechniek" in result.stdout
    assert "01-dossier.trig:" in result.stdout
    assert "mbo-niveau, 1 tot en met 4" in result.stdout


def test_validate_json_parses(tmp_path: Path) -> None:
    result = run("validate", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert (report["conforms"], report["violations"], report["warnings"]) == (True, 0, 1)


def test_validate_malformed_turtle_is_exit_2_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "unterminated .\n', encoding="utf-8")
    result = run("validate", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{bad}:2:" in result.stderr and "Traceback" not in result.stderr


def test_jsonld_with_remote_context_is_refused_without_fetching(tmp_path: Path) -> None:
    """A JSON-LD @context URL is a way out; loading never fetches it."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(3)
    connections: list[object] = []

    def accept() -> None:
        try:
            connections.append(listener.accept())
        except OSError:
            return

    thread = threading.Thread(target=accept)
    thread.start()
    data = tmp_path / "remote.jsonld"
    port = listener.getsockname()[1]
    data.write_text(
        json.dumps({"@context": f"http://127.0.0.1:{port}/ctx.jsonld", "@id": "urn:a", "name": "x"})
    )
    result = run("export", "--data", str(data), cwd=tmp_path)
    thread.join()
    listener.close()
    assert result.returncode == 2 and "remote.jsonld" in result.stderr and "remote context" in result.stderr
    assert connections == []


def test_diff_lists_changes_per_resource_and_as_rdf(tmp_path: Path) -> None:
    new = edited_data(tmp_path, *RENAMED_DOSSIER)
    same = run("diff", str(bundled_paths().data), str(bundled_paths().data), cwd=tmp_path)
    assert same.returncode == 0 and same.stdout.startswith("no changes (version ")
    text = run("diff", str(bundled_paths().data), str(new), cwd=tmp_path)
    assert text.returncode == 1
    assert "CHANGED <https://w3id.org/kdgraph/id/dossier/productietechniek>" in text.stdout
    assert '  - <http://www.w3.org/2000/01/rdf-schema#label> "Productietechniek"@nl' in text.stdout
    assert '  + <http://www.w3.org/2000/01/rdf-schema#label> "Productietechniek (herzien)"@nl' in text.stdout
    turtle = run("diff", str(bundled_paths().data), str(new), "--format", "turtle", cwd=tmp_path)
    graph = rdflib.Graph().parse(data=turtle.stdout, format="turtle")
    cs = rdflib.Namespace("http://purl.org/vocab/changeset/schema#")
    (changeset,) = graph.subjects(rdflib.RDF.type, cs.ChangeSet)
    assert graph.value(changeset, cs.subjectOfChange) == rdflib.URIRef(
        "https://w3id.org/kdgraph/id/dossier/productietechniek"
    )
    added = graph.value(changeset, cs.addition)
    assert graph.value(added, rdflib.RDF.object) == rdflib.Literal("Productietechniek (herzien)", lang="nl")


def test_query_table_keeps_iris_whole(tmp_path: Path) -> None:
    """Regression for issue 15: table cells were cut at 60 characters, IRIs included."""
    result = run(
        "query",
        "cq02-routes-reachable",
        "--param",
        "qualification=https://w3id.org/kdgraph/id/qualification/productietechnicus",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "route:productietechnicus-naar-technisch-meewerkend-leidinggevende " in result.stdout
    assert "role:technisch-meewerkend-leidinggevende " in result.stdout
    assert "…" not in result.stdout
    assert result.stderr.strip() == "(7 rows)"


def test_help_lists_every_command_with_a_whole_summary_and_typical_use(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    commands = result.stdout.split("Commands:")[1]
    for command in ("diff", "export", "publish", "query", "serve", "validate"):
        line = next(line for line in commands.splitlines() if line.strip().startswith(command + " "))
        assert line.rstrip().endswith(".") and "..." not in line, line
        assert f"kdgraph {command} " in result.stdout.split("Commands:")[0], command  # in "Typical use"


def test_publish_help_says_where_the_store_it_names_comes_from(tmp_path: Path) -> None:
    """Regression for issue 15: it told people to run ``oxigraph serve``, which pip install . lacks."""
    text = " ".join(run("publish", "--help", cwd=tmp_path).stdout.split())
    assert (
        "oxigraph serve" in text and "not installed with kdgraph" in text and "pip install oxigraph" in text
    )


def test_serve_on_a_port_in_use_exits_2_before_preparing(tmp_path: Path) -> None:
    """Regression for issue 15: the port was found taken only after the whole preparation, then
    the server retried and exited 1. Now: exit 2 with a message, nothing prepared."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        state = tmp_path / "state"
        result = run("serve", "--port", str(port), "--state-dir", str(state), cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"error: port {port} on 127.0.0.1 is already in use; stop what runs there or choose --port"
    )
    assert not state.exists()  # stopped before any preparation


# ---------------------------------------------------------------- configuration: one object


def _documented_settings() -> list[list[str]]:
    """The rows of the configuration table in docs/endpoint.md (key, option, variable, default, what)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "endpoint.md").read_text(encoding="utf-8")
    section = text.split("### Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip().strip("`") for cell in row] for row in rows]


def test_the_documented_configuration_is_serverconfig() -> None:
    """datasette-style docs that are checked: every key of the table is a field of ServerConfig,
    with its option and variable, and every field is in the table."""
    from kdgraph import config

    documented = [(key, option, variable) for key, option, variable, *_ in _documented_settings()]
    assert documented == [(s.name, config.option_name(s), config.env_name(s.name)) for s in config.settings()]


def test_every_setting_is_an_option_of_serve(tmp_path: Path) -> None:
    from kdgraph import config

    shown = run("serve", "--help", cwd=tmp_path).stdout
    for setting in config.settings():
        assert config.option_name(setting) in shown and f"${config.env_name(setting.name)}" in shown


def test_an_argument_wins_over_the_environment_and_both_over_the_default(tmp_path: Path) -> None:
    from kdgraph.config import ServerConfig

    environ = {
        "KDGRAPH_STATE_DIR": str(tmp_path),
        "KDGRAPH_THREADS": "16",
        "KDGRAPH_QUERY_TIMEOUT": "2.5",
        "KDGRAPH_ALLOWED_SERVICES": "https://a.example/sparql https://b.example/sparql",
        "KDGRAPH_PUBLIC_URL": "https://env.example",
    }
    arguments = {"threads": 8, "public_url": None, "allowed_services": (), "port": 0}
    made = ServerConfig.from_sources(arguments, environ)
    assert (made.state_dir, made.threads, made.query_timeout, made.port) == (tmp_path, 8, 2.5, 0)
    assert made.allowed_services == {"https://a.example/sparql", "https://b.example/sparql"}
    assert made.public_url == "https://env.example"
    assert (made.engine_wait, made.connections_per_address) == (2.0, 64)  # the defaults
    given = ServerConfig.from_sources({"allowed_services": ("https://c.example/",)}, environ)
    assert given.allowed_services == {"https://c.example/"}
    temporary = ServerConfig.from_sources({}, {}, state_dir=lambda: tmp_path / "made")
    assert temporary.state_dir == tmp_path / "made"


def test_a_variable_that_is_not_its_type_stops_serve_with_exit_2(tmp_path: Path) -> None:
    environment = {**os.environ, "KDGRAPH_THREADS": "many"}
    result = subprocess.run(
        [str(KDGRAPH), "serve", "--state-dir", str(tmp_path / "state")],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: KDGRAPH_THREADS='many' is not an integer"
    assert not (tmp_path / "state").exists()


def test_a_value_no_server_runs_with_is_refused_naming_option_and_variable(tmp_path: Path) -> None:
    from kdgraph.config import ConfigError, ServerConfig

    with pytest.raises(ConfigError) as refused:
        ServerConfig.from_sources({"threads": 0}, {}, state_dir=lambda: tmp_path)
    assert str(refused.value) == "threads is 0, below its least value 1 (--threads, KDGRAPH_THREADS)"
    temporary = tmp_path / "tmp"  # where serve would make its temporary state directory
    temporary.mkdir()
    result = subprocess.run(
        [str(KDGRAPH), "serve", "--workers", "0"],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(temporary)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    expected = "error: workers is 0, below its least value 1 (--workers, KDGRAPH_WORKERS)"
    assert result.stderr.strip() == expected
    assert list(temporary.iterdir()) == []  # the temporary state directory made for it is gone

"""The ``kdgraph`` command: one entry point for every maintainer and researcher task.

Exit codes work as CI gates: 0 success, 1 a check failed (validation), 2 usage or input error.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import click
import pyoxigraph as ox

from kdgraph import DEFAULT_BASE, __version__, config
from kdgraph.catalogue.saved_queries import QueryFileError, SavedQuery, load_saved_queries
from kdgraph.checks.validation import (
    IllTypedLiterals,
    ValidationReport,
    checked,
    load_shapes,
    remember,
    validate,
)
from kdgraph.namespaces import prefixes
from kdgraph.pipeline.loading import KnowledgeGraph, LoadError, collect_files, load_graph
from kdgraph.query import media
from kdgraph.query.engine import AskResult, EmbeddedEngine, Engine, Query, SelectResult
from kdgraph.query.errors import QueryPathError
from kdgraph.query.media import Wanted
from kdgraph.query.remote import RemoteEngine
from kdgraph.query.sparql_client import Endpoints, SparqlClient
from kdgraph.resources import bundled_paths
from kdgraph.store.state_dir import StateDir, StateError, atomic_write

EXPORT_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "trig": ox.RdfFormat.TRIG,  # the quads: each statement in its named graph
    "nq": ox.RdfFormat.N_QUADS,
}

data_option = click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Turtle file or directory to use instead of the bundled dossier data (repeatable). "
    "The ontology and vocabularies are always included.",
)
base_option = click.option(
    "--base",
    default=DEFAULT_BASE,
    show_default=True,
    envvar="KDGRAPH_BASE",
    help="Base IRI for our URIs ({base}id/..., {base}def/...); IRIs in the data are rewritten to it.",
)


def plural(count: int, noun: str) -> str:
    """'1 warning', '2 warnings', '0 warnings'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def load_or_fail(data: Sequence[Path], base: str) -> KnowledgeGraph:
    try:
        graph = load_graph(list(data) or None, base=base)
    except LoadError as error:
        fail(str(error))
        raise  # unreachable; keeps type checkers content
    for warning in graph.warnings:  # what an import of SBB XML skipped: said, never silent
        click.echo(warning, err=True)
    return graph


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kdgraph")
def main() -> None:
    """kdgraph: the knowledge graph of Dutch MBO qualification dossiers.

    \b
    Typical use:
      kdgraph validate data/                       check edited data against the SHACL shapes
      kdgraph serve --port 8000                    SPARQL endpoint, pages and query UI
      kdgraph export --format ttl -o graph.ttl     the whole graph as one file
      kdgraph query --list                         the saved (competency) queries
      kdgraph query cq01-qualifications-levels     run one of them, as a table
      kdgraph query question.rq --format csv       run your own SPARQL (a file or the text)
      kdgraph diff old/data data                   what changed between two versions
      kdgraph publish --to http://127.0.0.1:7878   load into an external SPARQL store

    Run kdgraph COMMAND --help for each command's options.
    """


@main.command(name="import", short_help="Import SBB dossier XML into readable TriG, a file per dossier.")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the TriG files to (created if missing; files of the same dossiers replaced).",
)
@base_option
def import_command(sources: Sequence[Path], output: Path, base: str) -> None:
    """Import SBB's dossier XML (files, or directories of .xml files) as TriG in our model.

    Writes OUTPUT/sbb-{nr}.trig per dossier edition (its qualifications, kerntaken,
    werkprocessen, competences, CEFR levels and verantwoordingsinformatie) and
    OUTPUT/sbb-lists.trig (the lists every SBB file repeats: domains, sector chambers,
    competences, and the source files). Every statement sits in a named graph naming the
    file, element and line it comes from. Validate the result with `kdgraph validate OUTPUT`;
    `kdgraph serve --data` also takes the XML itself.

    \b
    Exit codes: 0 imported (warnings on stderr name what was skipped, as FILE:LINE),
                2 input error (not SBB XML, malformed or truncated XML, a DOCTYPE or entity,
                  a missing required element or attribute), nothing written.
    """
    from kdgraph.pipeline.loading import SBB_XML_SUFFIX, collect_files
    from kdgraph.pipeline.sbb_import import import_sbb
    from kdgraph.pipeline.trig_writer import by_dossier, write_trig

    try:
        files = [path for path in collect_files(sources) if path.suffix == SBB_XML_SUFFIX]
        skipped = [path for path in sources if path.is_file() and path.suffix != SBB_XML_SUFFIX]
        if skipped:
            fail(f"{skipped[0]}: not SBB XML (an .xml file is expected)")
        if not files:
            fail(f"no .xml files in {', '.join(map(str, sources))}")
        quads: list[ox.Quad] = []
        for path in files:
            imported = import_sbb(path, path.read_bytes(), base)
            for warning in imported.warnings:
                click.echo(warning, err=True)
            quads.extend(imported.quads)
    except LoadError as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot read: {error}")
    names = [path.name for path in files]
    try:
        output.mkdir(parents=True, exist_ok=True)
        groups = by_dossier(list(dict.fromkeys(quads)), base)
        for name, stated in sorted(groups.items()):
            write_trig(stated, output / f"{name}.trig", base, names)
    except OSError as error:
        fail(f"cannot write to {output}: {error.strerror or error}")
    dossiers = sum(1 for name in groups if name != "sbb-lists")
    click.echo(
        f"imported {plural(dossiers, 'dossier')} ({len(quads)} quads) from {plural(len(files), 'file')} "
        f"into {output}",
        err=True,
    )


@main.command(short_help="Write the whole graph, or each qualification as Europass ELM.")
@click.option(
    "--profile",
    type=click.Choice(["full", "elm"]),
    default="full",
    show_default=True,
    help="full: the whole graph. elm: each qualification as the European Learning Model's LOQ profile "
    "(Europass), in a named graph of its own, validated against the official LOQ shapes.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(EXPORT_FORMATS)),
    help="Serialisation: Turtle, N-Triples or JSON-LD (the merged graph), or TriG or N-Quads "
    "(each statement in its named graph). Default: ttl; trig for --profile elm (trig or nq only).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--isced-mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --profile elm: a CSV (qualification,isced_f,source) giving each qualification (crebo "
    "code or IRI) its ISCED-F field, every row citing its source; the sources themselves have none.",
)
@data_option
@base_option
def export(
    profile: str,
    fmt: str | None,
    output: Path | None,
    isced_mapping: Path | None,
    data: Sequence[Path],
    base: str,
) -> None:
    """Write the whole graph (ontology, vocabularies, data) in one serialisation, or with
    --profile elm each qualification as ELM (LOQ profile), checked by the official shapes.

    A syntax error in any input file is reported as FILE:LINE:COLUMN with the parser's
    message, and nothing is written (exit 2).

    \b
    --profile elm exit codes:
      0 the export conforms to the LOQ shapes;
      1 it does not: the file is still written (it says all the sources say), and a report on
        stderr lists per qualification what the shapes require and the sources lack;
      2 input error (bad data, a bad mapping file as FILE:LINE), nothing written.
    """
    if profile == "elm":
        _export_elm(fmt or "trig", output, isced_mapping, data, base)
        return
    if isced_mapping:
        fail("--isced-mapping is for --profile elm")
    fmt = fmt or "ttl"
    graph = load_or_fail(data, base)
    # sorted: stable output, same input, same bytes
    ordered: list[ox.Quad] | list[ox.Triple] = (
        sorted(graph.quads, key=str) if fmt in ("trig", "nq") else sorted(graph.triples, key=str)
    )
    names = prefixes(base) if fmt in ("ttl", "trig") else None
    payload = ox.serialize(ordered, format=EXPORT_FORMATS[fmt], prefixes=names) or b""
    what = f"{len(graph.quads)} quads" if fmt in ("trig", "nq") else f"{len(graph)} triples"
    _write_export(payload, output, what)


def _write_export(payload: bytes, output: Path | None, what: str) -> None:
    if output:
        try:
            atomic_write(output, payload)  # a full disk leaves the previous file, not half a graph
        except OSError as error:
            fail(f"cannot write {output}: {error.strerror}")
        click.echo(f"wrote {what} to {output}", err=True)
    else:
        sys.stdout.buffer.write(payload)


def _export_elm(fmt: str, output: Path | None, mapping: Path | None, data: Sequence[Path], base: str) -> None:
    from kdgraph.pipeline.elm_export import (
        export_elm,
        read_isced_mapping,
        report_lines,
        serialize,
        validate_elm,
    )

    if fmt not in ("trig", "nq"):
        fail("the ELM export is a named graph per qualification: --format trig or nq")
    graph = load_or_fail(data, base)
    try:
        rows = read_isced_mapping(mapping) if mapping else []
        exported = export_elm(graph, rows, mapping)
    except LoadError as error:
        fail(str(error))
        raise  # unreachable
    if not exported.qualifications:  # an empty export would "conform": say so instead
        fail("no qualification (kd:Qualification) in the data: nothing to export")
    gaps = validate_elm(exported)
    count = len(exported.qualifications)
    _write_export(
        serialize(exported, base, EXPORT_FORMATS[fmt]), output, f"{plural(count, 'qualification')} as ELM"
    )
    lines = report_lines(exported, gaps, base)
    if not gaps:
        click.echo(f"conforms to the LOQ profile: {plural(count, 'qualification')}, 0 violations", err=True)
        return
    failing = len({gap.qualification for gap in gaps})
    click.echo(
        f"does not conform to the LOQ profile: {failing} of {plural(count, 'qualification')}, "
        f"{plural(len(gaps), 'violation')}; what the sources lack:",
        err=True,
    )
    for line in lines:
        click.echo(line, err=True)
    sys.exit(1)


def _parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            fail(f"--param expects NAME=VALUE, got {pair!r}")
        params[name] = value
    return params


def _remote_engine(endpoint: str, graph: str | None, base: str) -> RemoteEngine:
    """The engine on ``endpoint``; on a version ``graph`` made by ``kdgraph publish``, with that
    version's provenance graphs as named graphs if it is current (none if it is older: publish)."""
    from kdgraph.store.publish import named_graphs_of

    client = SparqlClient(Endpoints(endpoint), timeout=300)
    return RemoteEngine(client, graph, named_graphs=named_graphs_of(client, base, graph) if graph else ())


def _list_queries(queries: dict[str, SavedQuery], lang: str) -> None:
    for query in queries.values():
        params = ", ".join(f"{p.name}{'' if p.required else '?'}:{p.type}" for p in query.parameters)
        click.echo(f"{query.name:32} {query.title[lang]}" + (f"  [{params}]" if params else ""))


def _print_table(result: SelectResult, base: str) -> None:
    """Aligned columns, every value whole: IRIs are never cut, only written short with our
    prefixes (qualification:productietechnicus), so that what is printed can be pasted back."""
    names = sorted(prefixes(base).items(), key=lambda item: -len(item[1]))

    def cell(term: object) -> str:
        if term is None:
            return ""
        value = getattr(term, "value", "")
        if isinstance(term, ox.NamedNode):
            for prefix, namespace in names:
                rest = value[len(namespace) :]
                if value.startswith(namespace) and rest and all(c.isalnum() or c in "-_." for c in rest):
                    return f"{prefix}:{rest}"
        return value.replace("\n", " ")

    rows = [[cell(row.get(v)) for v in result.variables] for row in result.rows]
    widths = [max([len(v)] + [len(r[i]) for r in rows]) for i, v in enumerate(result.variables)]
    click.echo("  ".join(v.ljust(w) for v, w in zip(result.variables, widths, strict=True)).rstrip())
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    click.echo(f"({plural(len(rows), 'row')})", err=True)


def _query_text(given: str) -> tuple[str, str]:
    """(what to call it in messages, the SPARQL text) for a .rq file, ``-`` (standard input)
    or SPARQL text itself; exit 2 for a name that is neither a saved query nor a file."""
    if given == "-":
        return "<stdin>", sys.stdin.read()
    path = Path(given)
    if path.suffix in (".rq", ".sparql") or (len(given) < 4096 and "\n" not in given and path.is_file()):
        try:
            return str(path), path.read_text(encoding="utf-8")
        except FileNotFoundError:
            fail(f"{path}: no such file")
        except (OSError, UnicodeDecodeError) as error:
            fail(f"{path}: cannot read the query: {error}")
    if not any(c.isspace() or c in "{}" for c in given):
        fail(f"no saved query named {given!r} and no such .rq file; `kdgraph query --list` shows them")
    return "query", given


@main.command(short_help="Run a saved query, a .rq file or SPARQL text.")
@click.argument("name", required=False, metavar="NAME|FILE.rq|SPARQL")
@click.option(
    "--param",
    "-p",
    "param_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter of a saved query (repeatable); see --list for what each query takes.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", *(f.name for f in (*media.RESULT_FORMATS, *media.RDF_FORMATS))]),
    default="table",
    show_default=True,
    help="table for people; json/xml/csv/tsv for SELECT/ASK, ttl/nt/jsonld/rdfxml/trig/nq for CONSTRUCT.",
)
@click.option("--list", "list_only", is_flag=True, help="List the saved queries and their parameters.")
@click.option(
    "--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True, help="Language of titles."
)
@click.option(
    "--endpoint",
    metavar="URL",
    default=None,
    help="Run against a remote SPARQL endpoint (e.g. http://host:8000/sparql) instead of the data.",
)
@click.option(
    "--graph",
    "default_graph",
    metavar="IRI",
    default=None,
    help="With --endpoint: the graph to query as default graph (e.g. a version made by kdgraph publish; "
    "if it is the current one, its provenance graphs are the named graphs).",
)
@data_option
@base_option
def query(
    name: str | None,
    param_pairs: Sequence[str],
    fmt: str,
    list_only: bool,
    lang: str,
    endpoint: str | None,
    default_graph: str | None,
    data: Sequence[Path],
    base: str,
) -> None:
    """Run SPARQL against the bundled data, --data files or --endpoint.

    NAME|FILE.rq|SPARQL is the name of a saved query (from queries/, see --list), a file of
    SPARQL (.rq or .sparql; - reads standard input), or the text of a query itself. Locally
    the query runs on the same engine as the server's (pyoxigraph, with the named graphs of
    the data's provenance); with --endpoint it is sent to that SPARQL endpoint. Output formats
    are the endpoint's. A syntax error, a failed query or an unreachable endpoint: exit 2.

    \b
    Examples:
      kdgraph query --list
      kdgraph query cq02-routes-reachable \\
          --param qualification=https://w3id.org/kdgraph/id/qualification/productietechnicus
      kdgraph query cq03-english-requirements --format csv
      kdgraph query my-question.rq --format json
      kdgraph query 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
      kdgraph query cq06-end-functions --endpoint http://127.0.0.1:8000/sparql
    """
    try:
        queries = load_saved_queries(bundled_paths().queries)
    except QueryFileError as error:
        fail(str(error))
    if list_only or not name:
        _list_queries(queries, lang)
        return
    saved = queries.get(name)
    if saved is not None:
        label = name
    elif param_pairs:
        fail(f"--param applies to saved queries only, and there is none named {name!r}")
    else:
        label, text = _query_text(name)
    engine: Engine | None = None
    try:
        query = saved.query(saved.bind(_parse_params(param_pairs))) if saved else Query(text)
        engine = (
            _remote_engine(endpoint, default_graph, base)
            if endpoint
            else EmbeddedEngine.of_quads(load_or_fail(data, base).quads)
        )
        if fmt == "table":
            result = engine.run(query)
            if isinstance(result, AskResult):
                click.echo("true" if result.value else "false")
            elif not isinstance(result, SelectResult):
                fail("this query does not return a table; use --format ttl (or another RDF format)")
            else:
                _print_table(result, base)
        else:
            chosen = media.BY_NAME[fmt]
            refused = f"--format {fmt} does not fit this query's results; use " + (
                "json, xml, csv or tsv" if chosen.kind == media.RDF else "ttl, nt, jsonld, rdfxml, trig or nq"
            )
            wanted = Wanted(chosen, refused) if chosen.kind == media.RESULTS else Wanted(refused, chosen)
            sys.stdout.buffer.write(engine.answer(query, wanted).body)
    except QueryPathError as error:
        fail(f"{label}: {error.message}")
    finally:
        if engine is not None:
            engine.close()


def _print_text_report(report: ValidationReport, lang: str, verbose: bool, graph: KnowledgeGraph) -> None:
    """Hints first, then the findings by dossier and qualification (imported data reaches
    hundreds of each), each focus node with its findings and the FILE:LINE of each."""
    from kdgraph.checks.findings import places

    for hint in report.hints:
        click.echo(f"hint: {hint}")
    shown = [f for f in report.findings if f.severity != "Info" or verbose]
    where = places(graph.triples, {f.focus for f in shown}, graph.base)
    ordered = sorted(  # stable: within a place, the findings keep the report's order
        shown, key=lambda f: (where[f.focus].dossier or "\uffff", where[f.focus].qualification or "")
    )
    current, place = None, None
    for finding in ordered:
        if where[finding.focus] != place:
            place = where[finding.focus]
            if place.dossier or place.qualification:
                heading = place.dossier or ""
                heading += f" / {place.qualification}" if place.qualification else ""
                click.echo(f"\n== {heading}")
            current = None
        if finding.focus != current:
            current = finding.focus
            click.echo(f"\n{finding.focus}")
        detail = f" [{finding.path}]" if finding.path and finding.path not in finding.shape else ""
        click.echo(f"  {finding.severity.upper():9} {finding.shape}{detail}")
        if finding.location:
            click.echo(f"            at {finding.location}")
        click.echo(f"            {finding.message(lang)}")
        if finding.value and finding.value != finding.focus:
            click.echo(f"            value: {finding.value}")


def _with_context(paths: Sequence[Path], alone: bool) -> tuple[list[Path], set[str] | None, int]:
    """What to load for PATHS, the files to report on (None: everything loaded), and how many
    files of context were added.

    A file given on its own is one part of a dossier: its statements refer to resources the
    other files of its folder describe. So the files of the same kind beside it (same suffix,
    same folder, not below it) are loaded as context, as the dossier is served, and only the
    findings on the named files' own statements are reported. Directories are validated whole;
    ``--alone`` validates the named files by themselves.
    """
    if not paths or alone or any(path.is_dir() for path in paths):
        return list(paths), None, 0
    try:
        named = collect_files(paths)
    except LoadError as error:
        fail(str(error))
    kinds = dict.fromkeys((path.parent, path.suffix) for path in named)
    beside = [p for folder, suffix in kinds for p in sorted(folder.glob(f"*{suffix}")) if p.is_file()]
    context = [p for p in beside if p not in named]
    return [*named, *context], {str(path) for path in named}, len(context)


@main.command(name="validate", short_help="Check data against the SHACL shapes (exit 1 on violations).")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--lang",
    type=click.Choice(["nl", "en"]),
    default="en",
    show_default=True,
    help="Language of the messages.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "turtle", "json"]),
    default="text",
    show_default=True,
    help="text for people; json (every finding, infos too) or turtle (pyshacl's report graph, of "
    "everything loaded, without the checks made outside SHACL) for machines.",
)
@click.option("--strict", is_flag=True, help="Also fail (exit 1) on warnings.")
@click.option("--verbose", "-v", is_flag=True, help="Also print the INFO results (notes, not faults).")
@click.option(
    "--alone",
    is_flag=True,
    help="Validate the named files by themselves, not in the context of the files beside them.",
)
@click.option(
    "--shapes",
    "shape_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Shapes file or directory instead of the bundled shapes/ (repeatable).",
)
def validate_command(
    paths: Sequence[Path],
    lang: str,
    fmt: str,
    strict: bool,
    verbose: bool,
    alone: bool,
    shape_paths: Sequence[Path],
) -> None:
    """Check data files against the SHACL shapes before anything is published.

    PATHS are Turtle, TriG or N-Quads files or directories (default: the bundled data). The
    ontology and vocabularies are always included, and checked too. A file named on its own
    is checked in the context of the files of the same kind beside it (the rest of its
    dossier), and only findings on its own statements are reported (--alone: by itself).

    \b
    Besides the shapes in shapes/, validation checks:
      - every literal against its datatype ("2022-09-31"^^xsd:date is an input error, exit 2);
      - the rdfs:range and rdfs:domain of every property the ontology declares;
      - a qualification's NLQF/EQF level against the mapping its MBO level cites, unless the
        statement sits in the graph of a source of its own (see the README);
      - that statements about id/ resources in TriG/N-Quads sit in a graph that says where
        they come from;
      - dates after today (a warning; validity dates such as kd:validFrom may lie ahead).
    Each finding names the FILE:LINE of the statement at fault; a prefix line whose namespace
    nothing else uses (a typo) is named in a hint before the findings.

    The verdict is remembered for exactly these file contents (in $KDGRAPH_CACHE_DIR, default
    ~/.cache/kdgraph), so `kdgraph serve` and `kdgraph publish` on the same files do not
    validate again; any edit to a data, ontology or shapes file makes them validate anew.

    \b
    Exit codes: 0 conforms (warnings allowed unless --strict), 1 violations,
                2 usage or input error (malformed Turtle or an ill-typed literal, as FILE:LINE).
    """
    load, reported, added = _with_context(paths, alone)
    try:
        graph = load_graph(load or None)
    except LoadError as error:
        context = added and str(error.path) not in (reported or ())
        fail(
            f"{error}"
            + (" (a file beside the one named, read as its context; --alone skips it)" if context else "")
        )
    try:
        shapes = load_shapes(list(shape_paths) or None)
    except (LoadError, SyntaxError, ValueError) as error:
        fail(f"cannot read shapes: {error}")
    try:
        report = validate(graph, shapes)
    except IllTypedLiterals as error:
        fail(str(error).replace("\n", "\nerror: "))
    remember(graph, report, shapes)  # serve and publish need not check these bytes again
    if reported is not None:
        report = report.only(reported)
    violations, warnings, infos = (report.count(s) for s in ("Violation", "Warning", "Info"))
    failed = violations > 0 or (strict and warnings > 0)
    if fmt == "json":
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    elif fmt == "turtle":
        click.echo(report.report_graph.serialize(format="turtle"))
    else:
        _print_text_report(report, lang, verbose, graph)
        verdict = "FAILS" if failed else "conforms"
        what = (
            f"{', '.join(sorted(reported))} (in the context of {plural(added, 'file')} beside it)"
            if reported is not None
            else f"{len(graph)} triples from {len(graph.files)} files"
        )
        shown = [plural(violations, "violation"), plural(warnings, "warning")]
        shown.append(
            plural(infos, "info") if verbose or not infos else f"{plural(infos, 'info')} (--verbose)"
        )
        printed = report.hints or any(f.severity != "Info" or verbose for f in report.findings)
        click.echo(f"{chr(10) if printed else ''}{what} {verdict}: {', '.join(shown)}")
    sys.exit(1 if failed else 0)


def serve_options(command: Callable[..., None]) -> Callable[..., None]:
    """One option per setting of ``ServerConfig``, named, typed and explained by the setting
    itself; each defaults to "not given", so that ``ServerConfig.from_sources`` can let an
    argument win over ``KDGRAPH_*`` and both over the default (shown in the help)."""
    for setting in reversed(config.settings()):
        multiple = setting.type == "frozenset[str]"
        kind: object = {"int": int, "float": float}.get(str(setting.type), str)
        if setting.type == "Path":
            kind = click.Path(file_okay=False, path_type=Path)
        value = config.default(setting)
        shown = "none" if value is None or value == frozenset() else str(value)
        where = f"${config.env_name(setting.name)}"
        help_text = setting.metadata["help"]
        if "default:" not in help_text:  # (the help names a default that depends on the machine)
            where = f"default: {shown}; {where}"
        command = click.option(
            config.option_name(setting),
            setting.name,
            type=kind,
            multiple=multiple,
            default=None,
            metavar="URL" if multiple else None,
            help=f"{help_text} [{where}]",
        )(command)
    return command


@main.command(short_help="Serve the SPARQL endpoint, pages, query UI and API (granian).")
@data_option
@click.option(
    "--sparql-backend",
    "backend",
    metavar="URL",
    default=None,
    help="Serve from an external store that `kdgraph publish --to URL` filled (Oxigraph server root), "
    "instead of a local copy; SIGHUP re-reads which version is current.",
)
@serve_options
def serve(data: Sequence[Path], backend: str | None, **arguments: object) -> None:
    """Serve the SPARQL endpoint, query UI and health check with granian's WSGI server.

    The data is loaded and SHACL-validated first; data with violations is not served (exit 2).
    A verdict that `kdgraph validate` left for exactly these files is reused, and with a
    lasting --state-dir a restart on unchanged files skips the preparation altogether.
    Send SIGHUP to reload edited data: it is validated aside and replaces the served graph
    for all workers only if it conforms; otherwise the old graph keeps serving and /health
    says why the reload failed.

    \b
    Example:
      kdgraph serve --port 8000
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE { ?s ?p ?o } LIMIT 3' \\
           http://127.0.0.1:8000/sparql
    """
    import shutil
    import signal
    import tempfile

    from kdgraph.child_processes import end_children
    from kdgraph.config import ConfigError, ServerConfig
    from kdgraph.log_lines import log_event
    from kdgraph.serving.serve import run
    from kdgraph.store.served_data import DataRejected, prepare, prepare_backend

    made: list[Path] = []  # the temporary state directory, if one was made

    def temporary_state_dir() -> Path:
        # removed at exit; those of killed servers are removed here
        StateDir.remove_abandoned_temporaries(Path(tempfile.gettempdir()), "kdgraph-")
        made.append(Path(tempfile.mkdtemp(prefix="kdgraph-")))
        return made[0]

    try:
        settings = ServerConfig.from_sources(arguments, os.environ, state_dir=temporary_state_dir)
        port_is_free_or_fail(settings.host, settings.port)  # before the preparation, which can be long
    except (ConfigError, SystemExit) as error:  # nothing is left behind: no temporary directory
        for directory in made:
            shutil.rmtree(directory, ignore_errors=True)
        if isinstance(error, ConfigError):
            fail(str(error))
        raise
    temporary = bool(made)
    state = settings.state_dir
    owner = os.getpid()  # only this process (not a forked child) removes it
    hup_while_preparing: list[int] = []  # SIGHUP would end the process before granian handles it
    signal.signal(signal.SIGHUP, lambda number, frame: hup_while_preparing.append(number))
    try:
        state_dir = StateDir(state)
        state_dir.create()
        state_dir.hold_lock()
        if temporary:
            state_dir.mark_temporary()
        served = (
            prepare_backend(state, backend, settings.base, at_start=True)
            if backend
            else prepare(state, list(data) or None, settings.base, at_start=True)
        )
        log_event(
            f"serving {served.triples} triples (version {served.version}) from {state}",
            triples=served.triples,
            version=served.version,
            state_dir=str(state),
        )
        run(
            settings,
            list(data) or None,
            settings.host,
            settings.port,
            settings.workers,
            served,
            backend,
            hup_while_preparing,
        )
    except (DataRejected, StateError) as error:
        fail(f"not serving: {error}")  # a refusal to start, like every command's: exit 2, FILE:LINE
    finally:
        if os.getpid() == owner:  # no child (the preparation) outlives the server
            end_children()
            if temporary:
                shutil.rmtree(state, ignore_errors=True)


def port_is_free_or_fail(host: str, port: int) -> None:
    """Exit 2 with a clear message if ``host:port`` cannot be bound (in use, or not ours to use).

    Bound with SO_REUSEADDR (as granian binds), then released: a port only in TIME_WAIT is free.
    """
    import errno
    import socket

    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is already in use; stop what runs there or choose --port")
            fail(f"cannot listen on {host}:{port}: {error.strerror}")


@main.command(name="diff", short_help="What changed between two versions of the data.")
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "turtle"]),
    default="text",
    show_default=True,
    help="text: a readable list per resource; turtle: an RDF changelog (ChangeSet vocabulary).",
)
@click.option(
    "--reason", default="data release", show_default=True, help="cs:changeReason for the changelog."
)
def diff_command(old: Path, new: Path, fmt: str, reason: str) -> None:
    """What changed between two versions of the data (files or directories).

    URIs are stable across versions, so the changes are removed and added statements,
    grouped by resource. A statement is a triple in its named graph (the source it comes
    from): moving a statement to another source's graph is a change too. A resource is
    ADDED or REMOVED when one side says nothing about it, CHANGED otherwise. Versions are
    named as the server's /health names them. Exit codes as diff(1): 0 no changes,
    1 changes, 2 input error.

    \b
    Example:
      git worktree add /tmp/v1 v1 && kdgraph diff /tmp/v1/data data
    """
    from kdgraph.pipeline.diff import as_rdf, as_text, diff, used_prefixes
    from kdgraph.store.served_data import saved_queries_rdf, served_version

    before, after = load_or_fail([old], DEFAULT_BASE), load_or_fail([new], DEFAULT_BASE)
    changes = diff(before, after)
    _, catalogue = saved_queries_rdf(DEFAULT_BASE)
    versions = served_version(before, catalogue), served_version(after, catalogue)
    if fmt == "turtle":
        triples = as_rdf(changes, reason, *versions)
        candidates = {"cs": "http://purl.org/vocab/changeset/schema#", **prefixes(DEFAULT_BASE)}
        names = used_prefixes(triples, candidates)
        sys.stdout.buffer.write(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=names) or b"")
    else:
        click.echo(as_text(changes, *versions), nl=False)
    sys.exit(1 if changes else 0)


@main.command(short_help="Load the validated graph into an external SPARQL store.")
@click.option(
    "--to",
    "root",
    required=True,
    metavar="URL",
    help="The store's root URL; with Oxigraph's server its /query, /update and /store are used.",
)
@click.option("--query-endpoint", default=None, help="SPARQL query endpoint, if not ROOT/query.")
@click.option("--update-endpoint", default=None, help="SPARQL update endpoint, if not ROOT/update.")
@click.option("--store-endpoint", default=None, help="Graph Store Protocol endpoint, if not ROOT/store.")
@data_option
@base_option
def publish(
    root: str,
    query_endpoint: str | None,
    update_endpoint: str | None,
    store_endpoint: str | None,
    data: Sequence[Path],
    base: str,
) -> None:
    """Load the validated graph into an external SPARQL store, with its provenance graphs.

    The data must conform (exit 1 otherwise). The merged graph is PUT into {base}graph/{version}
    and each provenance graph into {base}graph/{version}/... (Graph Store Protocol), the triple
    counts are verified, and only then, in one update, are the provenance graphs copied to their
    own IRIs and the pointer graph {base}graph/current switched. Older versions keep their
    merged graph and their copies (see the README: an external store).

    Any SPARQL 1.1 store with the Graph Store Protocol will do. Oxigraph's server is not
    installed with kdgraph; it comes with the oxigraph package (pip install oxigraph):

    \b
      oxigraph serve --location /var/lib/kdgraph --bind 127.0.0.1:7878 &
      kdgraph publish --to http://127.0.0.1:7878
    """
    from kdgraph.store.publish import Endpoints, PublishError
    from kdgraph.store.publish import publish as publish_graph

    graph = load_or_fail(data, base)
    try:
        verdict = checked(graph)
    except IllTypedLiterals as error:
        fail(str(error))
    if verdict.violations:
        fail(
            f"not publishing: {verdict.violations} SHACL violations, e.g. {verdict.example} "
            "(run kdgraph validate)",
            code=1,
        )
    defaults = Endpoints.oxigraph(root)
    endpoints = Endpoints(
        query_endpoint or defaults.query, update_endpoint or defaults.update, store_endpoint or defaults.store
    )
    try:
        target = publish_graph(graph, endpoints, base)
    except PublishError as error:
        fail(str(error))
    click.echo(f"published {len(graph)} triples as <{target}>; it is now current")

"""SHACL validation of the graph, reported per focus node with its place in the Turtle/TriG files.

pyshacl runs the shapes in shapes/ over ontology + vocabularies + data together (the ontology
is part of the data graph, so class targets see subclasses without extra inference, and the
ontology itself is checked by the same run). The report is turned into plain records so the
CLI can print text, Turtle or JSON, and tests can assert on (shape, focus node, severity).
SHACL sees the merged graph (every triple of every named graph, once); one more check, that
every statement about an ``id/`` resource says where it comes from, needs the graphs and is
done here too (``unsourced_statements``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from kdgraph import __version__
from kdgraph.checks.findings import SEVERITY_ORDER, Finding
from kdgraph.checks.ontology_shapes import DOMAIN_PREFIX, RANGE_PREFIX, ontology_shapes
from kdgraph.checks.statement_checks import dates_in_the_future, level_mapping
from kdgraph.checks.verdicts import fingerprint, read_entry, write_entry
from kdgraph.namespaces import prefixes
from kdgraph.pipeline.loading import KnowledgeGraph, LoadError, collect_files, read_inputs
from kdgraph.pipeline.locations import Locations, namespace_hints
from kdgraph.resources import bundled_paths

__all__ = ["SEVERITY_ORDER", "Finding", "IllTypedLiterals", "ValidationReport", "validate"]


@dataclass
class ValidationReport:
    conforms: bool
    findings: list[Finding]
    report_graph: rdflib.Graph
    hints: list[str] = field(default_factory=list)  # likely causes (a prefix typo), file:line first

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def as_json(self) -> dict:
        return {
            "conforms": self.conforms,
            "violations": self.count("Violation"),
            "warnings": self.count("Warning"),
            "infos": self.count("Info"),
            "hints": self.hints,
            "results": [asdict(f) for f in self.findings],
        }

    def only(self, files: set[str]) -> ValidationReport:
        """The findings whose statement is written in one of ``files`` (what a maintainer
        validating one file of a dossier asked about; the rest of the folder is its context)."""
        kept = [f for f in self.findings if f.location and f.location.rsplit(":", 1)[0] in files]
        hints = [h for h in self.hints if h.split(":", 1)[0] in files]
        conforms = not any(f.severity == "Violation" for f in kept)
        return ValidationReport(conforms, kept, self.report_graph, hints)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@lru_cache(maxsize=256)
def _prepared(text: str) -> Query:
    return prepareQuery(text)


class IllTypedLiterals(LoadError):
    """Literals whose text is not of their datatype ("2022-09-31"^^xsd:date): an input error.

    pyoxigraph keeps them as written; rdflib logs a traceback for each and pyshacl then fails
    on them, so they are refused before any check runs, each at its ``file:line``.
    """

    def __init__(self, wrong: list[tuple[str | None, ox.Literal]]) -> None:
        lines = [f"{where or 'input'}: {_advice(literal)}" for where, literal in wrong]
        first, _, line = (wrong[0][0] or "input").rpartition(":")
        super().__init__(Path(first), _advice(wrong[0][1]), int(line) if line.isdigit() else None)
        self.lines = lines

    def __str__(self) -> str:
        return "\n".join(self.lines)


_EXAMPLES = {
    "date": "2023-08-01",
    "dateTime": "2023-08-01T09:00:00",
    "gYear": "2023",
    "gYearMonth": "2023-08",
    "integer": "3",
    "decimal": "3.5",
    "boolean": "true or false",
    "duration": "P5Y",
}


def _advice(literal: ox.Literal) -> str:
    kind = literal.datatype.value.rsplit("#", 1)[-1]
    example = f" (e.g. {_EXAMPLES[kind]})" if kind in _EXAMPLES else ""
    return (
        f'"{literal.value}" is no valid xsd:{kind}: write the value in that datatype\'s form{example}, '
        "or change the datatype"
    )


@contextmanager
def _quiet_rdflib() -> object:
    """rdflib logs a traceback for every literal it cannot convert; those are reported here."""
    logger = logging.getLogger("rdflib.term")
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


class _DataGraph(rdflib.Graph):
    """An rdflib graph that parses each SPARQL text once.

    pyshacl sends a SHACL-SPARQL constraint as text, once per focus node, and rdflib parses it
    every time (several ms each): on 200 dossiers that was a fifth of the validation time.
    A prepared query with the focus node as initial binding is rdflib's own way to reuse one.
    """

    def query(  # type: ignore[no-untyped-def,override]
        self, query_object, processor="sparql", result="sparql", initNs=None, *args, **kwargs
    ):
        if isinstance(query_object, str) and not initNs:
            query_object = _prepared(query_object)
        return super().query(query_object, processor, result, initNs, *args, **kwargs)


def to_rdflib(graph: KnowledgeGraph) -> rdflib.Graph:
    """The graph as an in-memory rdflib graph for pyshacl.

    Terms are converted directly and each distinct term once (IRIs repeat a lot): twice as fast
    as serialising to N-Triples and parsing that with rdflib, which matters at 200+ dossiers.
    """
    converted: dict[ox.NamedNode | ox.BlankNode | ox.Literal, rdflib.term.Identifier] = {}

    def term(node):  # type: ignore[no-untyped-def]
        known = converted.get(node)
        if known is None:
            if isinstance(node, ox.NamedNode):
                known = rdflib.URIRef(node.value)
            elif isinstance(node, ox.BlankNode):
                known = rdflib.BNode(node.value)
            elif node.language:
                known = rdflib.Literal(node.value, lang=node.language)
            else:
                datatype = node.datatype.value
                known = rdflib.Literal(
                    node.value, datatype=None if datatype == _XSD_STRING else rdflib.URIRef(datatype)
                )
                if known.ill_typed:
                    g.ill_typed.append(node)
            converted[node] = known
        return known

    g = _DataGraph()
    g.ill_typed: list[ox.Literal] = []
    with _quiet_rdflib():
        g.addN((term(t.subject), term(t.predicate), term(t.object), g) for t in graph.triples)
    g.back = {known: node for node, known in converted.items()}
    return g


def shape_files(paths: Sequence[Path] | None = None) -> list[Path]:
    return collect_files(paths or [bundled_paths().shapes])


@dataclass(frozen=True)
class Shapes:
    """The shapes graph and the digests of the bytes it was parsed from (for the verdict cache)."""

    graph: rdflib.Graph
    digests: tuple[str, ...]


def load_shapes(paths: Sequence[Path] | None = None) -> Shapes:
    """Parse the shape files (default: the bundled shapes/), each read once."""
    shapes = rdflib.Graph()
    digests = []
    for source in read_inputs(shape_files(paths)):
        shapes.parse(data=source.content, format="turtle" if source.path.suffix == ".ttl" else None)
        digests.append(source.digest)
    return Shapes(shapes, tuple(digests))


SOURCED_SHAPE = "kd:statementSource"  # the name findings of unsourced_statements carry


def unsourced_statements(graph: KnowledgeGraph, locations: Locations | None = None) -> list[Finding]:
    """Triples about ``{base}id/`` resources in no graph that says where they come from.

    Every such triple must sit in at least one named graph that is a ``kd:SourceLocation``, an
    outside source (under ``{base}id/external-source/``) or a ``kd:Interpretation`` (see the
    README on provenance). Only quads from TriG and N-Quads files are checked: Turtle files
    have no graphs to say it with. One finding per triple, at the file:line of that triple.
    """
    locations = locations or Locations(graph)
    kd, ids = f"{graph.base}def/kd#", f"{graph.base}id/"
    outside = f"{ids}external-source/"
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    kinds = {
        ox.NamedNode(kd + name) for name in ("SourceLocation", "XmlLocation", "SourceFile", "Interpretation")
    }
    typed = {t.subject for t in graph.triples if t.predicate == rdf_type and t.object in kinds}

    def says_where(name: object) -> bool:
        return isinstance(name, ox.NamedNode) and (name in typed or name.value.startswith(outside))

    sourced = {q.triple for q in graph.quads if says_where(q.graph_name)}
    findings: dict[ox.Triple, Finding] = {}
    for source in graph.inputs:
        if not source.has_quads:
            continue
        for quad in graph.per_file.get(source.path, []):
            triple = quad.triple
            subject = triple.subject
            if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(ids):
                continue
            if triple in sourced or triple in findings:
                continue
            findings[triple] = Finding(
                severity="Violation",
                shape=SOURCED_SHAPE,
                focus=subject.value,
                path=triple.predicate.value,
                value=str(triple.object),
                messages={
                    "en": [
                        "statement in no graph that says where it comes from (a kd:SourceLocation, "
                        "an outside source under id/external-source/, or a kd:Interpretation)"
                    ],
                    "nl": [
                        "bewering in geen graaf die zegt waar ze vandaan komt (een kd:SourceLocation, "
                        "een externe bron onder id/external-source/ of een kd:Interpretation)"
                    ],
                },
                location=locations.statement(triple) or str(source.path),
            )
    return list(findings.values())


def _short(term: rdflib.term.Node | None, g: rdflib.Graph) -> str | None:
    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return str(term)
    if isinstance(term, rdflib.BNode):
        # Property shapes are blank nodes: name them by their node shape and path.
        path, parent = g.value(term, SH.path), g.value(None, SH.property, term)
        if path is not None:
            return f"{parent} {path}" if parent is not None else str(path)
        return "[anonymous]"
    return str(term)


def _message_templates(
    shapes: rdflib.Graph, report: rdflib.Graph, *nodes: rdflib.term.Node | None
) -> list[tuple[re.Pattern[str], str]]:
    """The language-tagged sh:message templates behind a result, as patterns to recognise them.

    pyshacl drops the language tag when it fills in a SPARQL message template, so the
    language of each result message is recovered by matching it against the tagged templates.
    """
    templates = []
    for node in nodes:
        if node is None:
            continue
        for g in (shapes, report):
            for template in g.objects(node, SH.message):
                language = getattr(template, "language", None)
                if language:
                    parts = re.split(r"\{[?$]\w+\}", str(template))
                    pattern = re.compile("^" + ".*".join(re.escape(p) for p in parts) + "$", re.DOTALL)
                    templates.append((pattern, language))
    return templates


def _language_of(message: rdflib.term.Node, templates: list[tuple[re.Pattern[str], str]]) -> str:
    language = getattr(message, "language", None)
    if language:
        return str(language)
    return next((lang for pattern, lang in templates if pattern.match(str(message))), "")


def validate(
    graph: KnowledgeGraph, shapes: Shapes | None = None, *, today: dt.date | None = None, locate: bool = True
) -> ValidationReport:
    """Every check on the merged graph: the shapes in shapes/, the shapes the ontology's own
    ranges and domains make (ontology_shapes), and the checks that need the named graphs or
    today's date (statement_checks, unsourced_statements). Each finding is located at the
    statement at fault (``locate=False``: not, but for ill-typed literals). Raises
    ``IllTypedLiterals`` (an input error) before any check runs."""
    data = to_rdflib(graph)
    locations = Locations(graph, enabled=locate)
    if data.ill_typed:
        locations = Locations(graph)
        wrong = set(data.ill_typed)
        raise IllTypedLiterals(
            [(locations.statement(t), t.object) for t in graph.triples if t.object in wrong]
        )
    shapes_graph = (shapes or load_shapes()).graph + ontology_shapes(data, graph.base)
    conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes_graph, allow_warnings=True, allow_infos=True, advanced=True, inplace=True
    )
    findings = [
        *unsourced_statements(graph, locations),
        *level_mapping(graph, locations),
        *dates_in_the_future(graph, locations, today or dt.date.today()),
    ]
    conforms = conforms and not any(f.severity == "Violation" for f in findings)
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        severity = str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        source_shape = report.value(result, SH.sourceShape)
        templates = _message_templates(
            shapes_graph, report, source_shape, report.value(result, SH.sourceConstraint)
        )
        messages: dict[str, list[str]] = {}
        for message in report.objects(result, SH.resultMessage):
            messages.setdefault(_language_of(message, templates), []).append(str(message))
        focus, value = report.value(result, SH.focusNode), report.value(result, SH.value)
        path = report.value(result, SH.resultPath)
        if path is None:  # a node shape on the subjects of one property (an rdfs:domain): that property
            targets = list(shapes_graph.objects(source_shape, SH.targetSubjectsOf))
            path = targets[0] if len(targets) == 1 else None
        findings.append(
            Finding(
                severity=severity,
                shape=_short(source_shape, shapes_graph) or "",
                focus=str(focus),
                path=_short(path, report),
                value=_short(value, report),
                messages=messages,
                location=locations.find(
                    data.back.get(focus),
                    ox.NamedNode(str(path)) if isinstance(path, rdflib.URIRef) else None,
                    data.back.get(value) if value is not None else None,
                ),
            )
        )
    findings = _without_repeats(findings)
    findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.focus, f.shape, f.path or ""))
    known = [*prefixes(graph.base).values(), *(str(ns) for _, ns in shapes_graph.namespaces())]
    hints = namespace_hints(graph, known) if not conforms else []
    return ValidationReport(bool(conforms), findings, report, hints)


def _without_repeats(findings: list[Finding]) -> list[Finding]:
    """Drop a range or domain finding when a hand-written shape reports the same statement: one
    fault, one finding (``kd:mboLevel mbo:7`` breaks the qualification shape's list of levels and
    the range kd:MboLevel; the hand-written message says more)."""
    generated = (RANGE_PREFIX, DOMAIN_PREFIX)
    written = {
        (f.focus, f.path, f.value)
        for f in findings
        if f.severity == "Violation" and not f.shape.startswith(generated)
    }
    return [
        f for f in findings if not (f.shape.startswith(generated) and (f.focus, f.path, f.value) in written)
    ]


@dataclass(frozen=True)
class Verdict:
    """What serving and publishing need to know of a validation: may this graph go out?"""

    conforms: bool
    violations: int
    warnings: int
    infos: int
    example: str  # the first violation, for an error message; "" when there is none
    version: str  # of the graph that was validated (KnowledgeGraph.version), so no one hashes it again

    @classmethod
    def of(cls, report: ValidationReport, graph: KnowledgeGraph) -> Verdict:
        first = next((f for f in report.findings if f.severity == "Violation"), None)
        example = f"{first.shape} on {first.focus}: {first.message('en')}" if first else ""
        counts = (report.count(severity) for severity in ("Violation", "Warning", "Info"))
        return cls(report.conforms, *counts, example, graph.version)


def _verdict_key(graph: KnowledgeGraph, shapes: Shapes) -> str:
    # Today's date is part of the key: a date that lay ahead yesterday may not any more.
    return fingerprint(
        [*(source.digest for source in graph.inputs), *shapes.digests],
        "shacl",
        dt.date.today().isoformat(),
        graph.base,
        __version__,
        pyshacl.__version__,
        rdflib.__version__,
    )


def remember(graph: KnowledgeGraph, report: ValidationReport, shapes: Shapes | None = None) -> Verdict:
    """Keep the verdict on exactly these bytes, so serve and publish need not validate them again."""
    verdict = Verdict.of(report, graph)
    if graph.inputs:  # a graph built in memory has nothing to recognise it by
        write_entry("validation", _verdict_key(graph, shapes or load_shapes()), asdict(verdict))
    return verdict


def known_verdict(graph: KnowledgeGraph, shapes: Shapes | None = None) -> Verdict | None:
    """The verdict on exactly the bytes ``graph`` was parsed from, if one was remembered.

    SHACL on thousands of dossiers takes minutes, and the outcome for the same bytes against
    the same shapes with the same pyshacl cannot differ. The key is the hash of the bytes that
    were read for ``graph``, never of the files as they are now on disk.
    """
    if not graph.inputs:
        return None
    entry = read_entry("validation", _verdict_key(graph, shapes or load_shapes()))
    try:
        verdict = Verdict(**entry) if entry is not None else None
    except TypeError:
        return None  # written by another kdgraph version: validate again
    return verdict if verdict is not None and verdict.version == graph.version else None


def checked(graph: KnowledgeGraph) -> Verdict:
    """The verdict on ``graph`` (as ``load_graph`` read it) against the bundled shapes."""
    shapes = load_shapes()
    return known_verdict(graph, shapes) or remember(graph, validate(graph, shapes), shapes)

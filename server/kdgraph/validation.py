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

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query

from . import DEFAULT_BASE, __version__
from .cache import fingerprint, read_entry, write_entry
from .loading import SBB_XML_SUFFIX, InputFile, KnowledgeGraph, collect_files, read_inputs
from .pipeline.sbb_import import element_lines
from .resources import bundled_paths

SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
_PREFIX = re.compile(r"(?:@prefix|PREFIX)\s+([A-Za-z][\w-]*)?:\s*<([^>]+)>", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    severity: str  # Violation | Warning | Info
    shape: str
    focus: str
    path: str | None
    value: str | None
    messages: dict[str, list[str]]  # language -> messages
    location: str | None  # file:line where the focus node is described, if found

    def message(self, lang: str) -> str:
        texts = self.messages.get(lang) or self.messages.get("en") or self.messages.get("") or []
        return " — ".join(texts)


@dataclass
class ValidationReport:
    conforms: bool
    findings: list[Finding]
    report_graph: rdflib.Graph

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def as_json(self) -> dict:
        return {
            "conforms": self.conforms,
            "violations": self.count("Violation"),
            "warnings": self.count("Warning"),
            "infos": self.count("Info"),
            "results": [asdict(f) for f in self.findings],
        }


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@lru_cache(maxsize=256)
def _prepared(text: str) -> Query:
    return prepareQuery(text)


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
            converted[node] = known
        return known

    g = _DataGraph()
    g.addN((term(t.subject), term(t.predicate), term(t.object), g) for t in graph.triples)
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


def subject_lines(source: InputFile) -> dict[str, int]:
    """Where each subject block starts in one Turtle or TriG file: IRI -> line number.

    pyoxigraph does not report positions per triple, and the data follows one subject block per
    resource, starting a line (indented inside a TriG graph block) with a prefixed name or an
    IRI; a line ending in ``{`` opens a graph block and is not a subject. Read from the bytes
    that were loaded, not from the file as it is now.
    """
    if source.path.suffix == SBB_XML_SUFFIX:
        return element_lines(source.path, source.content)
    if source.path.suffix not in (".ttl", ".trig"):
        return {}
    trig = source.path.suffix == ".trig"
    prefixes: dict[str, str] = {}
    where: dict[str, int] = {}
    for number, line in enumerate(source.content.decode("utf-8", "replace").splitlines(), 1):
        declared = _PREFIX.match(line.strip())
        if declared:
            prefixes[declared.group(1) or ""] = declared.group(2)
            continue
        text = line.strip() if trig else line
        if not text or text[0] in " \t#@}" or (trig and text.endswith("{")):
            continue
        head = text.split(None, 1)[0]
        if head.startswith("<") and head.endswith(">"):
            iri = head[1:-1]
        elif ":" in head:
            prefix, _, local = head.partition(":")
            if prefix not in prefixes:
                continue
            iri = prefixes[prefix] + local
        else:
            continue
        where.setdefault(iri, number)
    return where


def subject_locations(inputs: Sequence[InputFile]) -> dict[str, str]:
    """Where each subject is first described: IRI -> ``file:line``."""
    where: dict[str, str] = {}
    for source in inputs:
        for iri, number in subject_lines(source).items():
            where.setdefault(iri, f"{source.path}:{number}")
    return where


SOURCED_SHAPE = "kd:statementSource"  # the name findings of unsourced_statements carry


def unsourced_statements(graph: KnowledgeGraph) -> list[Finding]:
    """Triples about ``{base}id/`` resources in no graph that says where they come from.

    Every such triple must sit in at least one named graph that is a ``kd:SourceLocation``, an
    outside source (under ``{base}id/external-source/``) or a ``kd:Interpretation`` (see the
    README on provenance). Only quads from TriG and N-Quads files are checked: Turtle files
    have no graphs to say it with. One finding per triple, at the file:line of its subject.
    """
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
        lines = subject_lines(source)
        for quad in graph.per_file.get(source.path, []):
            triple = quad.triple
            subject = triple.subject
            if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(ids):
                continue
            if triple in sourced or triple in findings:
                continue
            as_written = DEFAULT_BASE + subject.value[len(graph.base) :]
            line = lines.get(as_written) or lines.get(subject.value)
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
                location=f"{source.path}:{line}" if line else str(source.path),
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


def validate(graph: KnowledgeGraph, shapes: Shapes | None = None) -> ValidationReport:
    """SHACL on the merged graph (every triple of every graph, each once)."""
    data = to_rdflib(graph)
    shapes_graph = (shapes or load_shapes()).graph
    conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes_graph, allow_warnings=True, allow_infos=True, advanced=True, inplace=True
    )
    locations = subject_locations(graph.inputs)
    findings = unsourced_statements(graph)
    conforms = conforms and not findings
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        severity = str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        templates = _message_templates(
            shapes_graph,
            report,
            report.value(result, SH.sourceShape),
            report.value(result, SH.sourceConstraint),
        )
        messages: dict[str, list[str]] = {}
        for message in report.objects(result, SH.resultMessage):
            messages.setdefault(_language_of(message, templates), []).append(str(message))
        focus = report.value(result, SH.focusNode)
        findings.append(
            Finding(
                severity=severity,
                shape=_short(report.value(result, SH.sourceShape), shapes_graph) or "",
                focus=str(focus),
                path=_short(report.value(result, SH.resultPath), report),
                value=_short(report.value(result, SH.value), report),
                messages=messages,
                location=locations.get(str(focus)),
            )
        )
    findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.focus, f.shape, f.path or ""))
    return ValidationReport(bool(conforms), findings, report)


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
    return fingerprint(
        [*(source.digest for source in graph.inputs), *shapes.digests],
        "shacl",
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

"""Where a statement is written (``file:line`` of the triple itself), and hints at prefix typos.

A finding is only useful if it points at the line to edit. The parser gives no positions, so
each file is parsed once more, a line at a time (``loading.statement_lines``), which pairs
every quad of ``KnowledgeGraph.per_file`` with its line. That costs about a second parse of
the data, so it is done only when there is something to locate.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import pyoxigraph as ox

from kdgraph.pipeline.loading import InputFile, KnowledgeGraph, statement_lines

_PREFIX = re.compile(r"\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)

Subject = ox.NamedNode | ox.BlankNode


class Locations:
    """Lookups from statements and resources to the ``file:line`` where they are written."""

    def __init__(self, graph: KnowledgeGraph, enabled: bool = True) -> None:
        """``enabled=False``: every lookup answers None (serving needs counts, not lines, and
        the second parse would add to every start on large data)."""
        self._graph = graph if enabled else KnowledgeGraph([])

    @cached_property
    def _index(
        self,
    ) -> tuple[dict[ox.Triple, str], dict[tuple[Subject, ox.NamedNode], str], dict[object, str]]:
        statements: dict[ox.Triple, str] = {}
        by_predicate: dict[tuple[Subject, ox.NamedNode], str] = {}
        subjects: dict[object, str] = {}
        for source in self._graph.inputs:
            quads = self._graph.per_file.get(source.path, [])
            for quad, line in zip(quads, statement_lines(source), strict=False):
                where = f"{source.path}:{line}"
                triple = quad.triple
                statements.setdefault(triple, where)
                if not isinstance(triple.subject, ox.Triple):  # (no quoted triples in our data)
                    by_predicate.setdefault((triple.subject, triple.predicate), where)
                subjects.setdefault(triple.subject, where)
        return statements, by_predicate, subjects

    def statement(self, triple: ox.Triple) -> str | None:
        return self._index[0].get(triple)

    def find(self, subject: object, predicate: object = None, value: object = None) -> str | None:
        """The triple itself if known, else the subject's first statement with that predicate,
        else the subject's first statement (for a finding about something missing)."""
        statements, by_predicate, subjects = self._index
        if isinstance(subject, ox.NamedNode | ox.BlankNode) and isinstance(predicate, ox.NamedNode):
            if isinstance(value, ox.NamedNode | ox.BlankNode | ox.Literal):
                found = statements.get(ox.Triple(subject, predicate, value))
                if found:
                    return found
            found = by_predicate.get((subject, predicate))
            if found:
                return found
        return subjects.get(subject)


@dataclass(frozen=True)
class Declaration:
    source: InputFile
    line: int
    prefix: str
    namespace: str


def declarations(source: InputFile) -> list[Declaration]:
    """The prefix declarations of one Turtle/TriG file (read from the bytes that were loaded)."""
    if source.path.suffix not in (".ttl", ".trig"):
        return []
    found = []
    for number, line in enumerate(source.content.decode("utf-8", "replace").splitlines(), 1):
        declared = _PREFIX.match(line)
        if declared:
            found.append(Declaration(source, number, declared.group(1) or "", declared.group(2)))
    return found


def namespace_hints(graph: KnowledgeGraph, known: Iterable[str]) -> list[str]:
    """One hint per prefix line whose namespace no one else uses, when IRIs of the file use it.

    A typo in a prefix line (``qual: <.../qualifcation/>``) silently moves every IRI written
    with that prefix to a namespace of its own; what SHACL then reports are dozens of
    consequences (untyped references, missing labels) far from the cause. A namespace is known
    when kdgraph's own prefixes or the ontology and vocabulary files name it, or when at least
    two input files declare it. An unknown one is suspect when it is nearly a known one (a
    character or two apart); the hint names the prefix line and the known namespace.
    """
    declared = [d for source in graph.inputs for d in declarations(source)]
    files_per_namespace: dict[str, set[str]] = {}
    for d in declared:
        files_per_namespace.setdefault(d.namespace, set()).add(str(d.source.path))
    trusted = {*known, *(d.namespace for d in declared if d.source.ontology)}
    trusted |= {ns for ns, files in files_per_namespace.items() if len(files) > 1}
    hints = []
    for d in declared:
        if d.namespace in trusted or d.source.ontology or not d.namespace:
            continue
        near = difflib.get_close_matches(d.namespace, sorted(trusted), n=1, cutoff=0.95)
        if not near:
            continue
        used = _iris_under(graph.per_file.get(d.source.path, []), d.namespace)
        if not used:
            continue
        advice = f"; did you mean <{near[0]}>?"
        hints.append(
            f"{d.source.path}:{d.line}: prefix {d.prefix}: names <{d.namespace}>, which no other file "
            f"and no known vocabulary uses ({used} IRIs of this file are under it){advice}"
        )
    return hints


def _iris_under(quads: Sequence[ox.Quad], namespace: str) -> int:
    terms = {t for q in quads for t in (q.subject, q.predicate, q.object) if isinstance(t, ox.NamedNode)}
    return sum(1 for t in terms if t.value.startswith(namespace))

"""What changed between two versions of the data: a readable list and an RDF changelog.

URIs are stable across versions, so a change is a set of removed and added statements. A
statement is a quad: the triple and the named graph that says where it comes from, so a
statement that moves from one source's graph to another's is a change (one removal, one
addition), though the merged graph stays the same. Changes are grouped by the resource they
are about; a resource is ADDED when the old version says nothing about it, REMOVED when the
new one says nothing about it, and CHANGED otherwise (removing one of its statements included).
The RDF form uses the Talis ChangeSet vocabulary (cs:ChangeSet per resource, reified
cs:addition / cs:removal statements, each with its graph as dcterms:source). Blank nodes are
compared by label; the data has none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from kdgraph.pipeline.loading import KnowledgeGraph

CS = "http://purl.org/vocab/changeset/schema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SOURCE = "http://purl.org/dc/terms/source"
LABELS = {"http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel"}
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


@dataclass
class ResourceChange:
    subject: ox.NamedNode | ox.BlankNode
    label: str | None
    kind: str  # added | removed | changed
    added: list[ox.Quad]
    removed: list[ox.Quad]


def diff(old: KnowledgeGraph, new: KnowledgeGraph) -> list[ResourceChange]:
    before, after = set(old.quads), set(new.quads)
    added, removed = after - before, before - after
    by_subject: dict = defaultdict(lambda: ([], []))
    for quad in added:
        by_subject[quad.subject][0].append(quad)
    for quad in removed:
        by_subject[quad.subject][1].append(quad)
    described_before = {q.subject for q in old.quads}
    described_after = {q.subject for q in new.quads}
    labels: dict = {}
    for triple in [*new.triples, *old.triples]:
        if triple.predicate.value in LABELS and isinstance(triple.object, ox.Literal):
            labels.setdefault(triple.subject, triple.object.value)

    def kind(subject: object) -> str:
        if subject not in described_before:
            return "added"
        return "removed" if subject not in described_after else "changed"

    ordered = sorted(by_subject.items(), key=lambda item: str(item[0]))
    return [
        ResourceChange(subject, labels.get(subject), kind(subject), sorted(a, key=str), sorted(r, key=str))
        for subject, (a, r) in ordered
    ]


def _graph(quad: ox.Quad) -> str:
    return "" if isinstance(quad.graph_name, ox.DefaultGraph) else f"  in {quad.graph_name}"


def as_text(changes: list[ResourceChange], old_version: str, new_version: str) -> str:
    if not changes:
        return f"no changes (version {new_version})\n"
    lines = []
    for change in changes:
        name = f"{change.subject} ({change.label})" if change.label else change.subject
        lines.append(f"{change.kind.upper()} {name}")
        lines += [f"  - {q.predicate} {q.object}{_graph(q)}" for q in change.removed]
        lines += [f"  + {q.predicate} {q.object}{_graph(q)}" for q in change.added]
    counts = {k: sum(1 for c in changes if c.kind == k) for k in ("added", "changed", "removed")}
    lines.append(
        f"\nresources: {counts['added']} added, {counts['changed']} changed, {counts['removed']} removed; "
        f"statements: {sum(len(c.added) for c in changes)} added, {sum(len(c.removed) for c in changes)} "
        f"removed; version {old_version} -> {new_version}"
    )
    return "\n".join(lines) + "\n"


def as_rdf(changes: list[ResourceChange], reason: str, old_version: str, new_version: str) -> list[ox.Triple]:
    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    now = ox.Literal(
        dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        datatype=n("http://www.w3.org/2001/XMLSchema#dateTime"),
    )
    out: list[ox.Triple] = []
    for index, change in enumerate(changes):
        changeset = ox.BlankNode(f"change{index}")
        out += [
            ox.Triple(changeset, n(RDF + "type"), n(CS + "ChangeSet")),
            ox.Triple(changeset, n(CS + "subjectOfChange"), change.subject),
            ox.Triple(changeset, n(CS + "createdDate"), now),
            ox.Triple(
                changeset,
                n(CS + "changeReason"),
                ox.Literal(f"{reason} ({old_version} -> {new_version}): {change.kind}"),
            ),
        ]
        for kind, quads in (("addition", change.added), ("removal", change.removed)):
            for number, quad in enumerate(quads):
                statement = ox.BlankNode(f"change{index}{kind}{number}")
                out += [
                    ox.Triple(changeset, n(CS + kind), statement),
                    ox.Triple(statement, n(RDF + "type"), n(RDF + "Statement")),
                    ox.Triple(statement, n(RDF + "subject"), quad.subject),
                    ox.Triple(statement, n(RDF + "predicate"), quad.predicate),
                    ox.Triple(statement, n(RDF + "object"), quad.object),
                ]
                if isinstance(quad.graph_name, ox.NamedNode):
                    out.append(ox.Triple(statement, n(SOURCE), quad.graph_name))
    return out


def used_prefixes(triples: list[ox.Triple], candidates: dict[str, str]) -> dict[str, str]:
    """The prefixes of ``candidates`` that shorten at least one IRI of ``triples``: a file that
    declares only what it uses reads better and says which vocabularies it draws on."""
    terms = [t for triple in triples for t in (triple.subject, triple.predicate, triple.object)]
    iris = {t.value for t in terms if isinstance(t, ox.NamedNode)}
    iris |= {t.datatype.value for t in terms if isinstance(t, ox.Literal) and not t.language}
    return {
        prefix: namespace
        for prefix, namespace in candidates.items()
        if any(iri.startswith(namespace) and _LOCAL_NAME.fullmatch(iri[len(namespace) :]) for iri in iris)
    }

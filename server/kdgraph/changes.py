"""What changed between two versions of the data: a readable list and an RDF changelog.

URIs are stable across versions, so a change is exactly a set of removed and added triples,
grouped by the resource they are about. The RDF form uses the Talis ChangeSet vocabulary
(cs:ChangeSet per resource, reified cs:addition / cs:removal statements).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from .loading import KnowledgeGraph

CS = "http://purl.org/vocab/changeset/schema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
LABELS = {"http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel"}


@dataclass
class ResourceChange:
    subject: ox.NamedNode | ox.BlankNode
    label: str | None
    added: list[ox.Triple]
    removed: list[ox.Triple]

    @property
    def kind(self) -> str:
        if not self.removed:
            return "added"
        return "removed" if not self.added else "changed"


def diff(old: KnowledgeGraph, new: KnowledgeGraph) -> list[ResourceChange]:
    before, after = set(old.triples), set(new.triples)
    added, removed = after - before, before - after
    by_subject: dict = defaultdict(lambda: ([], []))
    for triple in added:
        by_subject[triple.subject][0].append(triple)
    for triple in removed:
        by_subject[triple.subject][1].append(triple)
    labels: dict = {}
    for triple in [*new.triples, *old.triples]:
        if triple.predicate.value in LABELS and isinstance(triple.object, ox.Literal):
            labels.setdefault(triple.subject, triple.object.value)
    ordered = sorted(by_subject.items(), key=lambda item: str(item[0]))
    return [
        ResourceChange(subject, labels.get(subject), sorted(a, key=str), sorted(r, key=str))
        for subject, (a, r) in ordered
    ]


def as_text(changes: list[ResourceChange]) -> str:
    if not changes:
        return "no changes\n"
    lines = []
    for change in changes:
        name = f"{change.subject} ({change.label})" if change.label else change.subject
        lines.append(f"{change.kind.upper()} {name}")
        lines += [f"  - {t.predicate} {t.object}" for t in change.removed]
        lines += [f"  + {t.predicate} {t.object}" for t in change.added]
    counts = {k: sum(1 for c in changes if c.kind == k) for k in ("added", "changed", "removed")}
    lines.append(
        f"\n{len(changes)} resources: {counts['added']} added, {counts['changed']} changed, "
        f"{counts['removed']} removed; {sum(len(c.added) for c in changes)} triples added, "
        f"{sum(len(c.removed) for c in changes)} removed"
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
        for kind, triples in (("addition", change.added), ("removal", change.removed)):
            for number, triple in enumerate(triples):
                statement = ox.BlankNode(f"change{index}{kind}{number}")
                out += [
                    ox.Triple(changeset, n(CS + kind), statement),
                    ox.Triple(statement, n(RDF + "type"), n(RDF + "Statement")),
                    ox.Triple(statement, n(RDF + "subject"), triple.subject),
                    ox.Triple(statement, n(RDF + "predicate"), triple.predicate),
                    ox.Triple(statement, n(RDF + "object"), triple.object),
                ]
    return out

"""One result of a check, whichever check made it (a SHACL shape or a direct check in Python)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@dataclass(frozen=True)
class Finding:
    severity: str  # Violation | Warning | Info
    shape: str
    focus: str
    path: str | None
    value: str | None
    messages: dict[str, list[str]]  # language -> messages
    location: str | None  # file:line of the statement at fault (else of the focus node's first one)

    def message(self, lang: str) -> str:
        texts = self.messages.get(lang) or self.messages.get("en") or self.messages.get("") or []
        return " — ".join(texts)


@dataclass(frozen=True)
class Place:
    """The dossier and qualification a finding's focus belongs to (their Dutch labels), if any."""

    dossier: str | None = None
    qualification: str | None = None


def places(triples: Iterable[ox.Triple], focuses: Iterable[str], base: str) -> dict[str, Place]:
    """For each focus IRI, the dossier and qualification it belongs to, read from the graph.

    A maintainer fixing a national import reads a report per dossier and qualification, not a
    flat list of IRIs: a resource belongs to the dossier it names (``kd:dossier``,
    ``kd:inDossier``) or is one, and to the qualification it applies to (``kd:appliesTo``) or is
    one; a werkproces through its kerntaak, a requirement through its statement.
    """
    kd = f"{base}def/kd#"
    up = {f"{kd}dossier", f"{kd}inDossier", f"{kd}statedIn", f"{kd}appliesTo", f"{kd}addsTo"}
    parents: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for t in triples:
        s, p, o = t.subject.value, t.predicate.value, t.object
        if p in up and isinstance(o, ox.NamedNode):
            parents.setdefault(s, []).append(o.value)
        elif p == f"{kd}hasWorkProcess" and isinstance(o, ox.NamedNode):
            parents.setdefault(o.value, []).append(s)
        elif p == _RDFS_LABEL and isinstance(o, ox.Literal) and o.language == "nl":
            labels.setdefault(s, o.value)
        elif p == _RDF_TYPE and o.value in (f"{kd}QualificationDossier", f"{kd}Qualification"):
            kinds[s] = o.value.rsplit("#", 1)[1]
    found: dict[str, Place] = {}
    for focus in focuses:
        dossier = qualification = None
        seen, queue = set(), [focus]
        while queue and not (dossier and qualification):
            node = queue.pop(0)
            if node in seen:
                continue
            seen.add(node)
            if kinds.get(node) == "QualificationDossier" and dossier is None:
                dossier = node
            elif kinds.get(node) == "Qualification" and qualification is None:
                qualification = node
            queue.extend(parents.get(node, ()))
        found[focus] = Place(
            f"{labels.get(dossier, dossier)} <{dossier}>" if dossier else None,
            f"{labels.get(qualification, qualification)} <{qualification}>" if qualification else None,
        )
    return found

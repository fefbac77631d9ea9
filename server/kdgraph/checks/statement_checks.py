"""Checks SHACL cannot state: they need the named graphs or today's date.

SHACL sees the merged graph, so it cannot tell in which source a statement is made; and a
shape that compares with ``NOW()`` gives a verdict that changes overnight. Both checks are
here, report ``Finding``s like the shapes do, and point at the statement at fault.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from kdgraph.checks.findings import Finding
from kdgraph.pipeline.loading import KnowledgeGraph
from kdgraph.pipeline.locations import Locations

_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_SOURCE = ox.NamedNode("http://purl.org/dc/terms/source")
_URL = ox.NamedNode("https://schema.org/url")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_OBJECT_PROPERTY = ox.NamedNode("http://www.w3.org/2002/07/owl#ObjectProperty")
_SUBPROPERTY = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subPropertyOf")

LEVEL_SHAPE = "kd:levelMapping"
FUTURE_SHAPE = "kd:dateInTheFuture"

# Dates that may lie ahead: when something starts or stops being valid (and their subproperties).
VALIDITY = frozenset(
    {
        "https://schema.org/validFrom",
        "https://schema.org/validThrough",
        "https://schema.org/expires",
        "http://purl.org/dc/terms/valid",
    }
)


def level_mapping(graph: KnowledgeGraph, locations: Locations) -> list[Finding]:
    """A qualification's NLQF/EQF (or any mapped) level must follow its MBO level's mapping.

    The mapping is what the level concept itself says: ``mbo:4 kd:eqfLevel eqf:4`` (with its
    ``dcterms:source``). For a resource with ``kd:mboLevel M``, each value of an ontology object
    property that ``M`` also carries must be one of ``M``'s values, or be stated in the graph of
    an outside source of its own: a named graph under ``id/external-source/`` that is no
    ``kd:Interpretation`` and cites (``dcterms:source``, ``schema:url``) something other than
    the mapping's source. So a sourced exception (MBO Raad: some level-4 qualifications are
    referenced to EQF 5) passes when it sits in that source's graph, and a typo in a derived
    level, or a level added to a page of the dossier, does not.
    """
    kd = f"{graph.base}def/kd#"
    mbo_level = ox.NamedNode(kd + "mboLevel")
    interpretation = ox.NamedNode(kd + "Interpretation")
    outside = f"{graph.base}id/external-source/"
    # Few passes, and only the values the rule reads are kept: the graph may have millions of triples.
    levels: dict[Any, set[Any]] = defaultdict(set)  # resource -> its MBO levels (pyoxigraph terms)
    object_properties: set[Any] = set()
    interpretations: set[Any] = set()
    for t in graph.triples:
        if t.predicate == mbo_level:
            levels[t.subject].add(t.object)
        elif t.predicate == _RDF_TYPE and t.object == _OBJECT_PROPERTY:
            object_properties.add(t.subject)
        elif t.predicate == _RDF_TYPE and t.object == interpretation:
            interpretations.add(t.subject)
    object_properties.discard(mbo_level)
    level_concepts = {level for values in levels.values() for level in values}
    values: dict[tuple[Any, Any], set[Any]] = defaultdict(set)
    for t in graph.triples:
        mapped = t.predicate in object_properties and (t.subject in levels or t.subject in level_concepts)
        cited = t.predicate in (_SOURCE, _URL) and (t.subject in level_concepts or _under(t.subject, outside))
        if mapped or cited:
            values[(t.subject, t.predicate)].add(t.object)
    off: dict[ox.Triple, tuple[object, set[object]]] = {}  # statement -> (level, the mapping's values)
    for subject, its_levels in levels.items():
        for level in its_levels:
            for prop in object_properties:
                expected = values.get((level, prop))
                if not expected:  # the level maps nothing for this property
                    continue
                for value in values.get((subject, prop), set()) - expected:
                    off[ox.Triple(subject, prop, value)] = (level, expected)
    graphs_of: dict[ox.Triple, list[object]] = defaultdict(list)
    if off:
        for q in graph.quads:
            if q.triple in off:
                graphs_of[q.triple].append(q.graph_name)

    def cites(name: object) -> set[object]:
        return values.get((name, _SOURCE), set()) | values.get((name, _URL), set())

    def own_source(name: object, mapping_sources: set[object]) -> bool:
        if name in interpretations:
            return False
        own = cites(name)
        return _under(name, outside) and bool(own) and not (own & mapping_sources)

    findings = []
    for statement, (level, expected) in sorted(off.items(), key=lambda item: str(item[0])):
        subject, prop, value = statement.subject, statement.predicate, statement.object
        mapping_sources = values.get((level, _SOURCE), set())
        if any(own_source(g, mapping_sources) for g in graphs_of[statement]):
            continue
        wanted = ", ".join(sorted(str(v) for v in expected))
        findings.append(
            Finding(
                severity="Violation",
                shape=LEVEL_SHAPE,
                focus=subject.value,
                path=prop.value,
                value=str(value),
                messages={
                    "en": [
                        f"{level} maps to {wanted} (the mapping's source: "
                        f"{', '.join(sorted(map(str, mapping_sources))) or 'none stated'}); "
                        "a different level must sit in the graph of an outside source of its own "
                        "(under id/external-source/, citing a source other than the mapping's)"
                    ],
                    "nl": [
                        f"{level} hoort bij {wanted} (bron van die indeling: "
                        f"{', '.join(sorted(map(str, mapping_sources))) or 'geen'}); "
                        "een afwijkend niveau hoort in de graaf van een eigen externe bron (onder "
                        "id/external-source/, met een andere bron dan die van de indeling)"
                    ],
                },
                location=locations.statement(statement),
            )
        )
    return findings


def _under(term: object, namespace: str) -> bool:
    return isinstance(term, ox.NamedNode) and term.value.startswith(namespace)


_PARSERS: dict[str, Callable[[str], dt.date]] = {
    _XSD + "date": lambda v: dt.date.fromisoformat(v[:10]),
    _XSD + "dateTime": lambda v: dt.date.fromisoformat(v[:10]),
    _XSD + "gYear": lambda v: dt.date(int(v[:4]), 1, 1),
    _XSD + "gYearMonth": lambda v: dt.date(int(v[:4]), int(v[5:7]), 1),
}


def dates_in_the_future(graph: KnowledgeGraph, locations: Locations, today: dt.date) -> list[Finding]:
    """A date after ``today`` on anything but a validity date: most likely a typo (2029 for 2022).

    A warning, not a violation: a decision can be announced with a date ahead, and a verdict
    that flips with the calendar must not make ``serve`` refuse data it served yesterday (nor the
    other way round); ``validate --strict`` fails on it. A gYear counts from its first day.
    Validity dates (schema:validFrom, schema:validThrough, dcterms:valid and their
    subproperties, such as kd:validFrom) may lie ahead.
    """
    parents = [
        (t.subject.value, t.object.value)
        for t in graph.triples
        if t.predicate == _SUBPROPERTY and _under(t.subject, "") and _under(t.object, "")
    ]
    may_lie_ahead = set(VALIDITY)
    grew = True
    while grew:
        before = len(may_lie_ahead)
        may_lie_ahead |= {child for child, parent in parents if parent in may_lie_ahead}
        grew = len(may_lie_ahead) > before
    findings = []
    for t in graph.triples:
        literal = t.object
        if not isinstance(literal, ox.Literal) or t.predicate.value in may_lie_ahead:
            continue
        parse = _PARSERS.get(literal.datatype.value)
        if parse is None:
            continue
        try:
            when = parse(literal.value)
        except ValueError:
            continue  # ill-typed literals are refused before any check runs
        if when <= today:
            continue
        findings.append(
            Finding(
                severity="Warning",
                shape=FUTURE_SHAPE,
                focus=str(t.subject.value if isinstance(t.subject, ox.NamedNode) else t.subject),
                path=t.predicate.value,
                value=str(literal),
                messages={
                    "en": [f"{literal.value} lies after today ({today.isoformat()}): a typo?"],
                    "nl": [f"{literal.value} ligt na vandaag ({today.isoformat()}): een tikfout?"],
                },
                location=locations.statement(t),
            )
        )
    return findings

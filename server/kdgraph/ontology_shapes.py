"""SHACL shapes made from the ontology's own rdfs:range and rdfs:domain statements.

The ontology says that ``kd:position`` takes an ``xsd:integer`` and that ``kd:mboLevel`` points
at a ``kd:MboLevel``; hand-written shapes repeated a few of those facts and missed the rest.
These shapes are generated from whatever ontology is loaded with the data (every property with
a range or a domain, in any namespace), so a term added to the ontology is checked the moment
it is declared, with the same SHACL run and report as the hand-written shapes.

- A datatype range (an XSD datatype or ``rdf:langString``) is ``sh:datatype`` on every value.
- A class range is ``sh:class`` on every value that is a resource (a literal is caught too).
- A domain is ``sh:class`` on every subject of the property.

``sh:class`` follows ``rdfs:subClassOf`` in the data graph, which holds the ontology.
"""

from __future__ import annotations

import rdflib
import rdflib.collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

from . import DEFAULT_BASE
from .namespaces import prefixes

SHAPES = rdflib.Namespace(f"{DEFAULT_BASE}def/shapes#")
RANGE_SHAPE = SHAPES.OntologyRangeShape  # one node shape, one property shape per property
DOMAIN_SHAPE = SHAPES.OntologyDomainShape  # one node shape per property (its target differs)
_UNCHECKED = {RDFS.Resource, OWL.Thing, RDFS.Literal}


def _datatype(term: rdflib.term.Node) -> bool:
    return str(term).startswith(str(XSD)) or term in (RDF.langString, RDF.HTML, RDF.XMLLiteral)


def _short(term: rdflib.term.Node, names: list[tuple[str, str]]) -> str:
    value = str(term)
    for prefix, namespace in names:
        if value.startswith(namespace) and len(value) > len(namespace):
            return f"{prefix}:{value[len(namespace) :]}"
    return f"<{value}>"


def ontology_shapes(data: rdflib.Graph, base: str = DEFAULT_BASE) -> rdflib.Graph:
    """The range and domain shapes for the ontology in ``data``."""
    names = sorted(prefixes(base).items(), key=lambda item: -len(item[1]))
    shapes = rdflib.Graph()
    ranged = sorted((p, r) for p, r in data.subject_objects(RDFS.range) if r not in _UNCHECKED)
    if ranged:
        shapes.add((RANGE_SHAPE, RDF.type, SH.NodeShape))
        shapes.add((RANGE_SHAPE, SH.severity, SH.Violation))
    for prop, kind in ranged:
        if not isinstance(prop, rdflib.URIRef) or not isinstance(kind, rdflib.URIRef):
            continue
        p, k = _short(prop, names), _short(kind, names)
        # Each property shape has its own target (the subjects of its property): one node shape
        # targeting the subjects of every ranged property checked each subject against all 126
        # property shapes, one at a time in pyshacl (180 imported dossiers: no answer in 900 s of
        # validation; with a target per property, serving them validated in 118 s).
        rule = rdflib.BNode()  # reported as "OntologyRangeShape <property>"
        shapes.add((RANGE_SHAPE, SH.property, rule))
        shapes.add((rule, RDF.type, SH.PropertyShape))
        shapes.add((rule, SH.targetSubjectsOf, prop))
        shapes.add((rule, SH.severity, SH.Violation))
        shapes.add((rule, SH.path, prop))
        if _datatype(kind):
            shapes.add((rule, SH.datatype, kind))
            en = f"{p} takes a literal of datatype {k} (its rdfs:range in the ontology)"
            nl = f"{p} neemt een literal van datatype {k} (het rdfs:range in de ontologie)"
        else:
            # A value typed as something else is wrong; a value described nowhere in the data at
            # hand (a vocabulary concept's kd:sourceLocation when only SBB XML is validated) is a
            # reference into data not loaded, which the hand-written shapes and the prefix hints
            # judge. A literal where a resource belongs is caught by the node kind.
            shapes.add((rule, SH.nodeKind, SH.BlankNodeOrIRI))
            untyped = rdflib.BNode()
            shapes.add((untyped, SH.path, RDF.type))
            shapes.add((untyped, SH.minCount, rdflib.Literal(1)))
            typed_as, not_typed, negated = rdflib.BNode(), rdflib.BNode(), rdflib.BNode()
            shapes.add((typed_as, SH["class"], kind))
            shapes.add((negated, SH.property, untyped))
            shapes.add((not_typed, SH["not"], negated))
            options = rdflib.BNode()
            rdflib.collection.Collection(shapes, options, [typed_as, not_typed])
            shapes.add((rule, SH["or"], options))
            en = f"{p} points at a {k} (its rdfs:range in the ontology); the value is typed as something else"
            nl = f"{p} verwijst naar een {k} (het rdfs:range in de ontologie); de waarde heeft een ander type"
        shapes.add((rule, SH.message, rdflib.Literal(en, lang="en")))
        shapes.add((rule, SH.message, rdflib.Literal(nl, lang="nl")))
    domains = sorted((p, d) for p, d in data.subject_objects(RDFS.domain) if d not in _UNCHECKED)
    for number, (prop, kind) in enumerate(domains):
        if not isinstance(prop, rdflib.URIRef) or not isinstance(kind, rdflib.URIRef):
            continue
        p, k = _short(prop, names), _short(kind, names)
        shape = SHAPES[f"OntologyDomainShape-{number}"]
        shapes.add((shape, RDF.type, SH.NodeShape))
        shapes.add((shape, SH.targetSubjectsOf, prop))
        shapes.add((shape, SH["class"], kind))
        shapes.add((shape, SH.severity, SH.Violation))
        en = f"a subject of {p} is a {k} (its rdfs:domain in the ontology); this one is not typed as one"
        nl = f"een onderwerp van {p} is een {k} (het rdfs:domain in de ontologie); dit heeft dat type niet"
        shapes.add((shape, SH.message, rdflib.Literal(en, lang="en")))
        shapes.add((shape, SH.message, rdflib.Literal(nl, lang="nl")))
    return shapes

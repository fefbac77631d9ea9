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

from kdgraph import DEFAULT_BASE
from kdgraph.namespaces import prefixes

SHAPES = rdflib.Namespace(f"{DEFAULT_BASE}def/shapes#")
# One shape per property, named after it (kd:position -> ks:OntologyRange-kd-position): a shape
# that targets the subjects of every ranged property at once made pyshacl try every range on
# every such subject (seven times the validation time at 100 dossiers).
RANGE_PREFIX = str(SHAPES) + "OntologyRange-"
DOMAIN_PREFIX = str(SHAPES) + "OntologyDomain-"
_UNCHECKED = {RDFS.Resource, OWL.Thing, RDFS.Literal}


def _datatype(term: rdflib.term.Node) -> bool:
    return str(term).startswith(str(XSD)) or term in (RDF.langString, RDF.HTML, RDF.XMLLiteral)


def _short(term: rdflib.term.Node, names: list[tuple[str, str]]) -> str:
    value = str(term)
    for prefix, namespace in names:
        if value.startswith(namespace) and len(value) > len(namespace):
            return f"{prefix}:{value[len(namespace) :]}"
    return f"<{value}>"


def _named(prefix: str, short: str, number: int) -> rdflib.URIRef:
    name = short.replace(":", "-")
    return rdflib.URIRef(prefix + (name if name.replace("-", "").isalnum() else str(number)))


def ontology_shapes(data: rdflib.Graph, base: str = DEFAULT_BASE) -> rdflib.Graph:
    """The range and domain shapes for the ontology in ``data``."""
    names = sorted(prefixes(base).items(), key=lambda item: -len(item[1]))
    shapes = rdflib.Graph()
    facts = [(RDFS.range, p, k) for p, k in data.subject_objects(RDFS.range)]
    facts += [(RDFS.domain, p, k) for p, k in data.subject_objects(RDFS.domain)]
    for number, (fact, prop, kind) in enumerate(sorted(facts)):
        if kind in _UNCHECKED or not isinstance(prop, rdflib.URIRef) or not isinstance(kind, rdflib.URIRef):
            continue
        p, k = _short(prop, names), _short(kind, names)
        if fact == RDFS.domain:
            shape = _named(DOMAIN_PREFIX, p, number)
            shapes.add((shape, RDF.type, SH.NodeShape))
            shapes.add((shape, SH["class"], kind))
            en = f"a subject of {p} is a {k} (its rdfs:domain in the ontology); this one is not typed as one"
            nl = (
                f"een onderwerp van {p} is een {k} (het rdfs:domain in de ontologie); dit heeft dat type niet"
            )
        else:
            shape = _named(RANGE_PREFIX, p, number)
            shapes.add((shape, RDF.type, SH.PropertyShape))
            shapes.add((shape, SH.path, prop))
            if _datatype(kind):
                shapes.add((shape, SH.datatype, kind))
                en = f"{p} takes a literal of datatype {k} (its rdfs:range in the ontology)"
                nl = f"{p} neemt een literal van datatype {k} (het rdfs:range in de ontologie)"
            else:
                # A value typed as something else is wrong; a value described nowhere in the data
                # at hand (a vocabulary concept's kd:sourceLocation when only SBB XML is validated)
                # is a reference into data not loaded, which the hand-written shapes and the prefix
                # hints judge. A literal where a resource belongs is caught by the node kind.
                shapes.add((shape, SH.nodeKind, SH.BlankNodeOrIRI))
                untyped, typed_as, not_typed, negated = (rdflib.BNode() for _ in range(4))
                shapes.add((untyped, SH.path, RDF.type))
                shapes.add((untyped, SH.minCount, rdflib.Literal(1)))
                shapes.add((typed_as, SH["class"], kind))
                shapes.add((negated, SH.property, untyped))
                shapes.add((not_typed, SH["not"], negated))
                options = rdflib.BNode()
                rdflib.collection.Collection(shapes, options, [typed_as, not_typed])
                shapes.add((shape, SH["or"], options))
                en = f"{p} points at a {k} (its rdfs:range in the ontology); the value has another type"
                nl = f"{p} verwijst naar een {k} (het rdfs:range in de ontologie); de waarde heeft ander type"
        shapes.add((shape, SH.targetSubjectsOf, prop))
        shapes.add((shape, SH.severity, SH.Violation))
        shapes.add((shape, SH.message, rdflib.Literal(en, lang="en")))
        shapes.add((shape, SH.message, rdflib.Literal(nl, lang="nl")))
    return shapes

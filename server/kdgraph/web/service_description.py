"""The SPARQL 1.1 Service Description of this endpoint, as RDF."""

from __future__ import annotations

import pyoxigraph as ox

from kdgraph.query import engine, media
from kdgraph.store.served_data import ServedData

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def service_description(endpoint: str, served: ServedData) -> list[ox.Triple]:
    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    service, dataset, default_graph = n(endpoint), ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    count = ox.Literal(str(served.triples), datatype=n("http://www.w3.org/2001/XMLSchema#integer"))
    triples = [
        ox.Triple(service, RDF_TYPE, n(SD + "Service")),
        ox.Triple(service, n(SD + "endpoint"), service),
        ox.Triple(service, n(SD + "supportedLanguage"), n(SD + "SPARQL11Query")),
        ox.Triple(service, n(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, n(SD + "Dataset")),
        ox.Triple(dataset, n(SD + "defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, n(SD + "Graph")),
        ox.Triple(default_graph, n(VOID + "triples"), count),
    ]
    if engine.UNION_DEFAULT_GRAPH:
        triples.append(ox.Triple(service, n(SD + "feature"), n(SD + "UnionDefaultGraph")))
    for i, name in enumerate(served.graphs):
        named = ox.BlankNode(f"named{i}")
        triples += [
            ox.Triple(dataset, n(SD + "namedGraph"), named),
            ox.Triple(named, RDF_TYPE, n(SD + "NamedGraph")),
            ox.Triple(named, n(SD + "name"), n(name)),
        ]
    for fmt in (*media.RESULT_FORMATS, *media.RDF_FORMATS):
        triples.append(ox.Triple(service, n(SD + "resultFormat"), n(media.W3C_FORMATS + str(fmt.w3c))))
    return triples

"""The VoID + DCAT description of the served dataset, with counts taken from the graph itself."""

from __future__ import annotations

import pyoxigraph as ox

from kdgraph import __version__

VOID, DCAT, DCT = "http://rdfs.org/ns/void#", "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
XSD_INT = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
# Turtle, N-Triples and JSON-LD dumps hold the merged default graph; TriG and N-Quads the quads.
DUMPS = {
    "kdgraph.ttl": "text/turtle",
    "kdgraph.nt.gz": "application/n-triples",
    "kdgraph.jsonld": "application/ld+json",
    "kdgraph.trig": "application/trig",  # the quads: every statement in the graph that sources it
    "kdgraph.nq.gz": "application/n-quads",
}

COUNTS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties)
       (COUNT(DISTINCT ?o) AS ?objects)
WHERE {{ ?s ?p ?o }}
"""
ENTITIES = """
SELECT (COUNT(DISTINCT ?s) AS ?entities)
WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{space}")) }}
"""
CLASSES = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?entities)
WHERE {{ ?s a ?class FILTER(STRSTARTS(STR(?s), "{space}")) }}
GROUP BY ?class ORDER BY ?class
"""


def void_triples(
    base: str,
    public: str,
    version: str,
    counts: dict[str, int],
    classes: list[tuple[str, int]],
    published: str = "",
) -> list[ox.Triple]:
    """``published``: when this data version was published on this server (ISO date-time), the
    only date true of the version; the publisher is the project that publishes the graph."""

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def integer(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=XSD_INT)

    dataset = n(f"{base}dataset")
    out = [
        ox.Triple(dataset, RDF_TYPE, n(VOID + "Dataset")),
        ox.Triple(dataset, RDF_TYPE, n(DCAT + "Dataset")),
        ox.Triple(dataset, n(DCT + "title"), ox.Literal("kdgraph: kwalificatiedossiers mbo", language="nl")),
        ox.Triple(
            dataset, n(DCT + "title"), ox.Literal("kdgraph: Dutch MBO qualification dossiers", language="en")
        ),
        ox.Triple(
            dataset,
            n(DCT + "description"),
            ox.Literal(
                "De verantwoordingsinformatie van mbo-kwalificatiedossiers als kennisgraaf, "
                "met herkomst tot op sectie en pagina.",
                language="nl",
            ),
        ),
        ox.Triple(
            dataset,
            n(DCT + "description"),
            ox.Literal(
                "The justification information of Dutch MBO qualification dossiers as a knowledge graph, "
                "with provenance down to section and page.",
                language="en",
            ),
        ),
        ox.Triple(dataset, n(DCT + "license"), n("https://creativecommons.org/licenses/by/4.0/")),
        ox.Triple(dataset, n("http://www.w3.org/2002/07/owl#versionInfo"), ox.Literal(version)),
        ox.Triple(dataset, n(DCT + "hasVersion"), n(f"{base}dataset/{version}")),
        ox.Triple(dataset, n(DCT + "creator"), ox.Literal("kdgraph developers")),
        ox.Triple(dataset, n(DCT + "publisher"), n(f"{base}dataset#publisher")),
        ox.Triple(n(f"{base}dataset#publisher"), RDF_TYPE, n("http://xmlns.com/foaf/0.1/Organization")),
        ox.Triple(n(f"{base}dataset#publisher"), n("http://xmlns.com/foaf/0.1/name"), ox.Literal("kdgraph")),
        ox.Triple(n(f"{base}dataset/{version}"), n(DCT + "isVersionOf"), dataset),
        ox.Triple(dataset, n(DCT + "conformsTo"), n(f"{base}def/kd")),
        ox.Triple(dataset, n(VOID + "vocabulary"), n(f"{base}def/kd#")),
        ox.Triple(dataset, n(VOID + "uriSpace"), ox.Literal(f"{base}id/")),
        ox.Triple(dataset, n(VOID + "sparqlEndpoint"), n(f"{public}/sparql")),
        ox.Triple(dataset, n(VOID + "exampleResource"), n(f"{base}id/dossier/productietechniek")),
        ox.Triple(dataset, n(VOID + "exampleResource"), n(f"{base}id/qualification/productietechnicus")),
        ox.Triple(dataset, n(VOID + "triples"), integer(counts["triples"])),
        ox.Triple(dataset, n(VOID + "distinctSubjects"), integer(counts["subjects"])),
        ox.Triple(dataset, n(VOID + "distinctObjects"), integer(counts["objects"])),
        ox.Triple(dataset, n(VOID + "properties"), integer(counts["properties"])),
        ox.Triple(dataset, n(VOID + "entities"), integer(counts["entities"])),
        ox.Triple(dataset, n(VOID + "classes"), integer(len(classes))),
        ox.Triple(dataset, n("https://schema.org/softwareVersion"), ox.Literal(__version__)),
    ]
    if published:
        stamp = ox.Literal(published, datatype=n("http://www.w3.org/2001/XMLSchema#dateTime"))
        out += [
            ox.Triple(dataset, n(DCT + "modified"), stamp),
            ox.Triple(n(f"{base}dataset/{version}"), n(DCT + "issued"), stamp),
        ]
    for name, media in DUMPS.items():
        url = n(f"{public}/dumps/{name}")
        distribution = n(f"{base}dataset#dump-{name.replace('.', '-')}")
        out += [
            ox.Triple(dataset, n(VOID + "dataDump"), url),
            ox.Triple(dataset, n(DCAT + "distribution"), distribution),
            ox.Triple(distribution, RDF_TYPE, n(DCAT + "Distribution")),
            ox.Triple(distribution, n(DCAT + "downloadURL"), url),
            ox.Triple(
                distribution,
                n(DCAT + "mediaType"),
                n(f"https://www.iana.org/assignments/media-types/{media}"),
            ),
        ]
        if name.endswith(".gz"):
            out.append(
                ox.Triple(
                    distribution,
                    n(DCAT + "compressFormat"),
                    n("https://www.iana.org/assignments/media-types/application/gzip"),
                )
            )
    for klass, entities in classes:
        partition = n(f"{base}dataset#class-{klass.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}")
        out += [
            ox.Triple(dataset, n(VOID + "classPartition"), partition),
            ox.Triple(partition, n(VOID + "class"), n(klass)),
            ox.Triple(partition, n(VOID + "entities"), integer(entities)),
        ]
    return out

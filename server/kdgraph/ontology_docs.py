"""Human documentation of the ontology and the SKOS schemes, generated with pyLODE.

Generated when the data is prepared for serving (the build step of what is served), never
hand-written: ``index.html`` documents the kd ontology (pyLODE OntPub). The concept schemes
are documented by their own generated pages (``/def/{scheme}``, which list every concept);
pyLODE's VocPub renders none of our concepts, so it is not used for them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import rdflib

from .resources import bundled_paths


def build_docs(target: Path) -> list[str]:
    """Write the pages into ``target``; returns their file names."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    from pylode import OntPub  # imported here (it configures logging on import): only needed at build time

    target.mkdir(parents=True, exist_ok=True)
    paths = bundled_paths()
    written = []
    try:
        ontology = rdflib.Graph().parse(paths.ontology / "kd.ttl")
        (target / "index.html").write_text(OntPub(ontology=ontology).make_html(), encoding="utf-8")
        written.append("index.html")
        schemes = []
        for vocabulary in sorted((paths.ontology / "vocabularies").glob("*.ttl")):
            graph = rdflib.Graph().parse(vocabulary)
            for scheme in graph.subjects(rdflib.RDF.type, rdflib.SKOS.ConceptScheme):
                label = graph.value(scheme, rdflib.SKOS.prefLabel) or scheme
                schemes.append((str(scheme).rsplit("/", 1)[-1], str(label)))
        (target / "schemes.json").write_text(json.dumps(sorted(schemes)), encoding="utf-8")
    finally:  # pyLODE configures the root logger; put ours back
        root.setLevel(level)
        root.handlers[:] = handlers
    return written

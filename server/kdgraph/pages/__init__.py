"""What pages for people are made of, apart from the web layer: page models and citations.

Each page-model module here turns the SPARQL SELECT rows the engine answers (the one engine seam,
``runtime().engine.answer``) into dataclasses the templates render: the index of every dossier,
an imported dossier, a qualification, a comparison; ``cite`` makes a page's citation (text,
BibTeX, CSL-JSON). Nothing here parses RDF bytes or knows Flask, so a page model can be tested
from rows alone and every page shows exactly what its queries returned (the compare page links
the very query it ran).
"""

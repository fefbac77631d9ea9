""" "Cite this": one resource of the graph as a plain-text reference, BibTeX and CSL-JSON.

What is cited is what the reader sees: this graph's resource (its IRI), in the data version
served, published by the kdgraph project. The date is the day that data version was published on
this server (the served version's ``loaded_at``), the only date the server knows to be true of it.
The three forms are made from one record, so they cannot disagree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

PUBLISHER = "kdgraph"
AUTHOR = "kdgraph developers"
GRAPH_NAME = {
    "nl": "kdgraph, kennisgraaf kwalificatiedossiers mbo",
    "en": "kdgraph, knowledge graph of MBO qualification dossiers",
}


@dataclass(frozen=True)
class Citation:
    text: str
    bibtex: str
    csl_json: str


def cite(title: str, iri: str, version: str, published: str, lang: str) -> Citation:
    """``published``: an ISO date or date-time (its date is used); ``version``: the data version."""
    day = published[:10]
    year, month, date = (int(part) for part in day.split("-"))
    graph = GRAPH_NAME["en" if lang == "en" else "nl"]
    version_words = "data version" if lang == "en" else "dataversie"
    text = f"{AUTHOR} ({year}). {title}. In: {graph}, {version_words} {version}, {day}. {iri}"
    key = "kdgraph-" + (
        re.sub(r"[^a-z0-9]+", "-", iri.rstrip("/").rsplit("/", 1)[-1].lower()).strip("-") or "graph"
    )
    bibtex = "\n".join(
        [
            f"@misc{{{key},",
            f"  author = {{{{{AUTHOR}}}}},",
            f"  title = {{{{{_bibtex_text(title)}}}}},",
            f"  howpublished = {{{_bibtex_text(graph)}}},",
            f"  publisher = {{{PUBLISHER}}},",
            f"  version = {{{version}}},",
            f"  year = {{{year}}},",
            f"  date = {{{day}}},",
            f"  url = {{{iri}}},",
            "}",
        ]
    )
    record = {
        "id": key,
        "type": "dataset",
        "title": title,
        "author": [{"literal": AUTHOR}],
        "publisher": PUBLISHER,
        "container-title": graph,
        "version": version,
        "issued": {"date-parts": [[year, month, date]]},
        "URL": iri,
    }
    return Citation(text, bibtex, json.dumps(record, ensure_ascii=False, indent=1))


def _bibtex_text(text: str) -> str:
    """Characters BibTeX treats specially, escaped (accented letters stay: biblatex reads UTF-8)."""
    return re.sub(r"([&%$#_{}])", r"\\\1", text)

"""The route diagram marks its labels' language when it is not the page's (issue 23: one
language per page, `lang` on every foreign fragment)."""

from __future__ import annotations

import re

from kdgraph.pages.route_diagram import DiagramNode, RouteEdge, render

NODES = [
    DiagramNode("urn:a", "Medewerker productietechniek", "mbo 2", "/id/qualification/a"),
    DiagramNode("urn:b", "Allround medewerker productietechniek", "mbo 3", "/id/qualification/b"),
]
EDGES = [RouteEdge("urn:a", "urn:b", None)]


def labels(svg: str) -> list[str]:
    return re.findall(r'<text font-size="12" fill="#1d2430"([^>]*)>', svg)


def test_dutch_labels_on_an_english_page_are_marked() -> None:
    svg = render(NODES, EDGES, "Progression routes: x", "en", labels_lang="nl")
    assert labels(svg) == [' lang="nl"', ' lang="nl"']


def test_labels_in_the_page_language_are_not_marked() -> None:
    assert labels(render(NODES, EDGES, "Routes: x", "en", labels_lang="en")) == ["", ""]
    assert labels(render(NODES, EDGES, "Ontwikkelmogelijkheden: x", "nl", labels_lang="nl")) == ["", ""]

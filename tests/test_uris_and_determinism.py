"""URIs are stable, readable and deterministic; two builds give the same graph."""

from __future__ import annotations

import re

import pyoxigraph as ox

from kdgraph.pipeline.loading import load_graph

from .conftest import BASE

ID_PATTERN = re.compile(rf"^{re.escape(BASE)}id/[a-z][a-z-]*/[a-z0-9][a-z0-9-]*$")
DEF_PATTERN = re.compile(rf"^{re.escape(BASE)}def/(kd(#[A-Za-z]+|/\d+\.\d+\.\d+)?|[a-z-]+(/[A-Za-z0-9-]+)?)$")


def terms(graph):  # type: ignore[no-untyped-def]
    for t in graph.triples:
        yield from (t.subject, t.predicate, t.object)


def test_no_blank_nodes(graph) -> None:
    assert not [t for t in terms(graph) if isinstance(t, ox.BlankNode)]


def test_our_uris_follow_the_pattern(graph) -> None:
    ours = {t.value for t in terms(graph) if isinstance(t, ox.NamedNode) and t.value.startswith(BASE)}
    bad = sorted(u for u in ours if not (ID_PATTERN.match(u) or DEF_PATTERN.match(u)))
    assert not bad, bad
    assert f"{BASE}id/qualification/productietechnicus" in ours


def test_building_twice_gives_identical_uris_and_triples(graph) -> None:
    again = load_graph()
    assert sorted(map(str, again.triples)) == sorted(map(str, graph.triples))
    assert again.version == graph.version


def test_base_is_configurable(graph) -> None:
    moved = load_graph(base="https://example.org/kd/")
    assert len(moved) == len(graph)
    subjects = {t.subject.value for t in moved.triples if isinstance(t.subject, ox.NamedNode)}
    assert "https://example.org/kd/id/qualification/productietechnicus" in subjects
    assert not any(s.startswith(BASE) for s in subjects)

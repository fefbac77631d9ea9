"""Imported quads as readable TriG files, one per dossier edition, the same bytes every run.

A maintainer curates imported data further in these files, so they are written to be read: our
prefixes, graphs in a stable order (the dossier's own graph first, then by the line of the
element they come from), each graph's own description first, statements grouped by subject.
The files are written atomically (a full disk leaves the previous file, never half a dossier).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from kdgraph.namespaces import prefixes
from kdgraph.store.state_dir import atomic_write

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

HEADER = """# Imported by `kdgraph import` from SBB's dossier XML: {sources}.
# Every graph is a kd:XmlLocation (the file, element, path and line its statements come from).
# Curate freely; `kdgraph validate` checks the result. Re-importing the same XML writes the same bytes.

"""


def readable_order(quads: Sequence[ox.Quad], base: str) -> list[ox.Quad]:
    """Graphs by the line of their element (then name), each graph's self-description first."""
    line = f"{base}def/kd#line"
    lines = {q.graph_name: int(q.object.value) for q in quads if q.predicate.value == line}

    def key(quad: ox.Quad) -> tuple:
        graph = quad.graph_name
        return (lines.get(graph, 0), str(graph), quad.subject != graph, str(quad.subject),
                quad.predicate.value != RDF_TYPE, str(quad.predicate), str(quad.object))  # fmt: skip

    return sorted(quads, key=key)


def by_dossier(quads: Sequence[ox.Quad], base: str) -> dict[str, list[ox.Quad]]:
    """The quads of each dossier edition (its slug ``sbb-{nr}``), and the shared lists (``sbb-lists``)."""
    dossier_of: dict[ox.NamedNode | ox.BlankNode | ox.DefaultGraph, str] = {}
    dossier = f"{base}def/kd#dossier"
    for quad in quads:
        if quad.subject == quad.graph_name and quad.predicate.value == dossier:
            dossier_of[quad.graph_name] = quad.object.value.rsplit("/", 1)[1]
    grouped: dict[str, list[ox.Quad]] = defaultdict(list)
    for quad in quads:
        grouped[dossier_of.get(quad.graph_name, "sbb-lists")].append(quad)
    return dict(grouped)


def _uses(body: str, name: str) -> bool:
    r"""Whether ``body`` writes a name with prefix ``name:`` (not inside a longer word or an IRI).

    The same test as the regex ``(?<![\w:/#-])name:``, but found by str.find: the regex has no
    literal to skip ahead to, so for each of our 49 prefixes it stepped through every character of
    the body (49 of the 73 s of importing 180 dossiers); str.find skips in C.
    """
    at = body.find(f"{name}:")
    while at != -1:
        before = body[at - 1] if at else " "
        if not (before.isalnum() or before in "_:/#-"):
            return True
        at = body.find(f"{name}:", at + 1)
    return False


def write_trig(quads: Sequence[ox.Quad], path: Path, base: str, sources: Sequence[str]) -> None:
    """``quads`` as TriG at ``path``: the prefixes it uses, sorted, then the graphs (see readable_order)."""
    known = prefixes(base)
    ordered = readable_order(quads, base)
    text = (ox.serialize(ordered, format=ox.RdfFormat.TRIG, prefixes=known) or b"").decode()
    # pyoxigraph declares every prefix it was given, in an order of its own: declare the used ones, sorted.
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("@prefix "))
    used = sorted(name for name in known if _uses(body, name))
    declared = "".join(f"@prefix {name}: <{known[name]}> .\n" for name in used)
    atomic_write(path, (HEADER.format(sources=", ".join(sources)) + declared + "\n" + body).encode())
    path.chmod(0o644)  # a data file for people to edit, not a private temporary

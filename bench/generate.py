"""Deterministic generator of N dossiers in our ontology, for benchmarks.

Each synthetic dossier is the bundled Productietechniek data with every resource under
{base}id/ renamed (slug suffix -gNNNN) and every kd:slug made unique the same way, so the
result conforms to the shapes just as the real data does: same qualifications, routes,
language requirements and provenance per dossier. The first dossier keeps the real names (N=1
is the bundled graph itself), so that the saved queries' example parameters, which name the real
dossier and its qualifications, find it among the N at every size.

When the loaded data carries named graphs (quads: the graph that says where a statement comes
from), graph names under {base}id/ are renamed with the resources, and the output is N-Quads;
otherwise N-Triples. ``data_suffix()`` says which, so callers name the file accordingly.

    python bench/generate.py 200 -o /tmp/kd-200.nt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pyoxigraph as ox

from kdgraph import DEFAULT_BASE
from kdgraph.pipeline.loading import load_graph

ID = f"{DEFAULT_BASE}id/"
SLUG = ox.NamedNode(f"{DEFAULT_BASE}def/kd#slug")


def _statements() -> list:  # type: ignore[type-arg]
    graph = load_graph(with_ontology=False)
    return list(getattr(graph, "quads", None) or graph.triples)


def data_suffix() -> str:
    """``.nq`` when the data has named graphs, else ``.nt``."""
    return ".nq" if _is_quads(_statements()) else ".nt"


def _is_quads(statements: list) -> bool:  # type: ignore[type-arg]
    return bool(statements) and isinstance(statements[0], ox.Quad)


def generate(n: int) -> list:  # type: ignore[type-arg]
    """The data statements (triples, or quads when the data has graphs) of n dossiers; no ontology."""
    base = _statements()
    if n == 1:
        return base
    quads = _is_quads(base)

    def rename(term, suffix):  # type: ignore[no-untyped-def]
        if isinstance(term, ox.NamedNode) and term.value.startswith(ID):
            return ox.NamedNode(term.value + suffix)
        return term

    out: list = list(base)  # type: ignore[type-arg]  # the first dossier: the real one
    for i in range(1, n):
        suffix = f"-g{i:04d}"
        for t in base:
            obj = ox.Literal(t.object.value + suffix) if t.predicate == SLUG else rename(t.object, suffix)
            subject = rename(t.subject, suffix)
            if quads:
                out.append(ox.Quad(subject, t.predicate, obj, rename(t.graph_name, suffix)))
            else:
                out.append(ox.Triple(subject, t.predicate, obj))
    return out


def write(statements: list, path: Path) -> None:  # type: ignore[type-arg]
    fmt = ox.RdfFormat.N_QUADS if _is_quads(statements) else ox.RdfFormat.N_TRIPLES
    ox.serialize(statements, output=str(path), format=fmt)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, help="number of dossiers")
    parser.add_argument("-o", "--output", type=Path, required=True, help="file to write (.nt or .nq)")
    args = parser.parse_args()
    statements = generate(args.n)
    write(statements, args.output)
    print(f"{args.n} dossiers, {len(statements)} statements -> {args.output}")


if __name__ == "__main__":
    main()

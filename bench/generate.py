"""Deterministic generator of N dossiers in our ontology, for benchmarks.

Each synthetic dossier is the bundled Productietechniek data with every resource under
{base}id/ renamed (slug suffix -gNNNN) and every kd:slug made unique the same way, so the
result conforms to the shapes just as the real data does: same qualifications, routes,
language requirements and provenance per dossier. N=1 is the bundled graph itself.

    python bench/generate.py 200 -o /tmp/kd-200.nt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pyoxigraph as ox

from kdgraph import DEFAULT_BASE
from kdgraph.loading import load_graph

ID = f"{DEFAULT_BASE}id/"
SLUG = ox.NamedNode(f"{DEFAULT_BASE}def/kd#slug")


def generate(n: int) -> list[ox.Triple]:
    """The data triples of n dossiers (ontology not included)."""
    base = load_graph(with_ontology=False).triples
    if n == 1:
        return list(base)

    def rename(term, suffix):  # type: ignore[no-untyped-def]
        if isinstance(term, ox.NamedNode) and term.value.startswith(ID):
            return ox.NamedNode(term.value + suffix)
        return term

    out: list[ox.Triple] = []
    for i in range(n):
        suffix = f"-g{i:04d}"
        for t in base:
            obj = ox.Literal(t.object.value + suffix) if t.predicate == SLUG else rename(t.object, suffix)
            out.append(ox.Triple(rename(t.subject, suffix), t.predicate, obj))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, help="number of dossiers")
    parser.add_argument("-o", "--output", type=Path, required=True, help="N-Triples file to write")
    args = parser.parse_args()
    triples = generate(args.n)
    ox.serialize(triples, output=str(args.output), format=ox.RdfFormat.N_TRIPLES)
    print(f"{args.n} dossiers, {len(triples)} triples -> {args.output}")


if __name__ == "__main__":
    main()

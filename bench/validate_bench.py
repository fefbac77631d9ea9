"""Validation time of ``kdgraph validate`` on the bundled data and on generated data sets.

Measures, in the same run and on the same machine:
  * ours      : ``kdgraph validate FILE`` end to end (a fresh process: load, convert, SHACL, report);
  * reference : pyshacl's own command line (``pyshacl -s shapes -d data``), the tool a maintainer
                would run without kdgraph, on the same data (ontology included) and shapes.
Prints a markdown table with wall-clock seconds, peak memory and the ratio ours/reference.

    python bench/validate_bench.py            # N = 1 and 200
    python bench/validate_bench.py 1 20 200
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from generate import data_suffix, generate, write  # type: ignore[import-not-found]
from kdgraph.pipeline.loading import load_graph
from kdgraph.resources import bundled_paths

BIN = Path(sys.executable).parent


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB of the child, exit code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    code = subprocess.run(cmd, capture_output=True, check=False).returncode
    elapsed = time.perf_counter() - start
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    return elapsed, peak, code


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 200])
    args = parser.parse_args()
    ontology = load_graph([], with_ontology=True).triples
    import rdflib

    shapes = Path(tempfile.mkdtemp()) / "shapes.ttl"  # pyshacl's CLI takes one shapes file
    merged_shapes = rdflib.Graph()
    for path in sorted(bundled_paths().shapes.glob("*.ttl")):
        merged_shapes.parse(path)
    merged_shapes.serialize(shapes, format="turtle")
    print(
        f"machine: {platform.processor() or platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {__import__('os').cpu_count()} cores\n"
    )
    print("| dossiers | triples | kdgraph validate (s) | pyshacl CLI (s) | ratio | kdgraph peak MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            data = Path(tmp) / f"kd-{n}{data_suffix()}"
            statements = generate(n)
            write(statements, data)
            merged = Path(tmp) / f"kd-{n}-with-ontology.nt"  # pyshacl validates the merged triples
            triples = [getattr(s, "triple", s) for s in statements]
            ox.serialize([*ontology, *triples], output=str(merged), format=ox.RdfFormat.N_TRIPLES)
            ours, peak, code = timed([str(BIN / "kdgraph"), "validate", str(data)])
            assert code == 0, f"kdgraph validate exited {code} on {n} dossiers"
            reference = [str(BIN / "pyshacl"), "-s", str(shapes), "-a", "-f", "human", str(merged)]
            ref, _, ref_code = timed(reference)
            # pyshacl exits 1 when there are warnings or infos (it has no "allow" flags for both)
            assert ref_code in (0, 1), f"pyshacl failed (exit {ref_code}) on {n} dossiers"
            triples = len(merged.read_bytes().splitlines())
            print(f"| {n} | {triples} | {ours:.2f} | {ref:.2f} | {ours / ref:.2f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()

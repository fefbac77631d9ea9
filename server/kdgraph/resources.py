"""Where the bundled ontology, data, shapes and queries are.

An installed wheel carries them as ``kdgraph/_bundled/...``; a source checkout (editable
install, tests run from the repository) has them at the repository root. Looking in both
places lets the same ``kdgraph`` command work wherever it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_KINDS = ("ontology", "data", "shapes", "queries")


@dataclass(frozen=True)
class BundledPaths:
    ontology: Path
    data: Path
    shapes: Path
    queries: Path


def _root() -> Path:
    bundled = _PACKAGE_DIR / "_bundled"
    if (bundled / "ontology").is_dir():
        return bundled
    checkout = _PACKAGE_DIR.parent.parent  # server/kdgraph -> repository root
    if (checkout / "ontology").is_dir():
        return checkout
    raise FileNotFoundError(
        f"kdgraph cannot find its bundled RDF files: neither {bundled} nor {checkout} holds ontology/"
    )


def bundled_paths() -> BundledPaths:
    root = _root()
    return BundledPaths(*(root / kind for kind in _KINDS))

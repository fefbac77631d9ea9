"""The source text of the bundled dossier, split into its pages as the README describes.

Pages: the line ``N van 9`` closes page N (pages 2 and 3 have such a footer); every other page
starts at a line that begins with an ASCII space, and the title page ends at the line that holds
only a no-break space. Text is compared after whitespace normalisation (every run of spaces,
no-break spaces and line breaks is one space), because the text's line breaks are layout.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from kdgraph.resources import bundled_paths

FOOTER = re.compile(r"^(\d+) van 9$")


def source_path() -> Path:
    return (
        bundled_paths().data
        / "productietechniek"
        / "source"
        / "verantwoordingsinformatie-productietechniek.txt"
    )


def normalise(text: str) -> str:
    """One space for every run of whitespace (including no-break spaces and line breaks)."""
    return " ".join(text.split())


@cache
def pages() -> dict[int, str]:
    """Page number -> normalised text of that page."""
    found: list[list[str]] = [[]]
    closed = False
    for line in source_path().read_text(encoding="utf-8").splitlines():
        if FOOTER.match(line.strip()):
            found[-1].append(line)
            found.append([])
            closed = True
            continue
        if not closed and (line.startswith(" ") or line == "\xa0") and any(s.strip() for s in found[-1]):
            found.append([])
        closed = False
        found[-1].append(line)
    texts = [normalise("\n".join(lines)) for lines in found]
    return {number: text for number, text in enumerate((t for t in texts if t), start=1)}


@cache
def whole_text() -> str:
    return normalise(source_path().read_text(encoding="utf-8"))


@cache
def paragraphs() -> list[str]:
    """The normalised paragraphs of the source (runs of lines between blank lines), in order;
    joined by single spaces they are ``whole_text()``."""
    raw = source_path().read_text(encoding="utf-8")
    found = [normalise(block) for block in re.split(r"\n\s*\n", raw)]
    return [p for p in found if p]

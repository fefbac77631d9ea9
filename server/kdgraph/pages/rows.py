"""What every page model needs from rows (``engine.run``'s solutions: variable -> pyoxigraph term):
values, texts in the page's language, where a statement is in SBB's XML, and a source text's
paragraphs and lists."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kdgraph.query.engine import Query, Term

# SBB's language skills in the order of its tables (the language-skill scheme's own order).
SKILLS = ("luisteren", "lezen", "gesprekken-voeren", "spreken", "schrijven")
Row = dict[str, Term]  # one solution: variable -> term (unbound variables are absent)


@dataclass(frozen=True)
class Text:
    """A literal as a page shows it: its words and its language ("" when it has none)."""

    value: str
    lang: str = ""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Citation:
    """Where the XML says something: the location's IRI (a kd:XmlLocation graph), file and line."""

    iri: str
    file: str
    line: int


@dataclass
class Block:
    """A paragraph (``lines``) or a list (``items``) of a source text."""

    lines: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    lang: str = ""


def bound(text: str, **terms: Term) -> Query:
    """A page's query with its parameters written into its text (``?this`` becomes ``<iri>``).

    Not pyoxigraph's substitutions: those are joined at the root of the query, so they drive no
    index lookup (742 ms against 94 ms at 200 dossiers) and a variable inside a UNION branch is
    unbound there (``BIND(?this AS ?r)`` once read the whole store). A term's N-Triples form
    (pyoxigraph escapes it) is never text pasted from a request.
    """
    for name, term in terms.items():
        text = re.sub(rf"\?{name}\b", _as_is(str(term)), text)
    return Query(text)


def _as_is(replacement: str) -> Callable[[re.Match[str]], str]:
    """A replacement ``re.sub`` inserts as it is (in a string, it would read backslashes as escapes)."""
    return lambda _: replacement


def plain(term: Term | ox.Triple) -> Term:
    """A statement's subject or object as the term it is in our data: pyoxigraph types each as
    possibly a quoted triple (RDF-star), which the loader refuses, so one here is a broken
    invariant and says so (a quoted triple has no ``.value`` to show)."""
    if isinstance(term, ox.Triple):
        raise ValueError(f"a quoted triple, which kdgraph's data never holds: {term}")
    return term


def value(row: Row, name: str) -> str | None:
    cell = row.get(name)
    return cell.value if cell is not None else None


def text(row: Row, name: str) -> Text | None:
    cell = row.get(name)
    return literal_text(cell) if cell is not None else None


def literal_text(term: Term) -> Text:
    """A term as a text with its language ("" for an IRI or an untagged literal)."""
    return Text(term.value, (term.language or "") if isinstance(term, ox.Literal) else "")


def add_text(texts: list[Text], found: Text | None) -> None:
    """Collect a label once per language and wording (rows repeat it for every other binding)."""
    if found is not None and found not in texts:
        texts.append(found)


def pick(texts: list[Text], lang: str) -> Text | None:
    """The text in the page's language, else the Dutch one, else an untagged one, else any."""
    for wanted in (lang, "nl", ""):
        for candidate in texts:
            if candidate.lang == wanted:
                return candidate
    return texts[0] if texts else None


def blocks(source: Text) -> list[Block]:
    """SBB's clean text (paragraphs split by blank lines, list items as "- ") as blocks to render:
    within a paragraph, runs of "- " lines become one list, other lines stay lines."""
    result: list[Block] = []
    for paragraph in source.value.split("\n\n"):
        current: Block | None = None
        for line in paragraph.split("\n"):
            if not line.strip():
                continue
            item = line.startswith("- ")
            if current is None or bool(current.items) != item:
                current = Block(lang=source.lang)
                result.append(current)
            (current.items if item else current.lines).append(line[2:] if item else line)
    return result


def tail(iri: str) -> str:
    """The last segment of an IRI (a notation such as a CEFR level's "B1")."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]

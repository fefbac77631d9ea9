"""SBB's narrative chapters as clean text: paragraphs, headings and list items, no markup.

SBB writes its narrative chapters as HTML escaped inside CDATA, sometimes wrapped in
``<labeltext>`` or ``<xhtml>``, sometimes escaped twice (``&lt;p&gt;`` inside the CDATA), and
sometimes as plain text with blank lines between paragraphs. Readers and search need the words,
not the tags, and the structure the author gave: each paragraph or heading a block separated by
a blank line, each list item a line starting with "- ". Nothing is added or reworded: only
markup is dropped and white space inside a line folded, so every sentence stays as SBB wrote
it. The stdlib's HTMLParser is the one HTML reader here (it never fetches or runs anything).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Tags that look like markup when a text still holds escaped HTML after one round of decoding.
_MARKUP = re.compile(
    r"<\s*/?\s*(?:p|br|h[1-6]|ul|ol|li|span|div|strong|em|b|i|u|table|tr|td|th|a|xhtml|labeltext|font)\b[^>]*>",
    re.IGNORECASE,
)
_BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "xhtml"})


class _Blocks(HTMLParser):
    """Collects text as blocks: a block ends at a block tag, a <br> or a list item."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.item = False  # the current block is a list item

    def _end_block(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(("- " if self.item else "") + text)
        self.current, self.item = [], False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS or tag == "br":
            self._end_block()
        elif tag == "li":
            self._end_block()
            self.item = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS or tag == "li":
            self._end_block()

    def handle_data(self, data: str) -> None:
        # A line break in HTML source is white space, except in text without any tag, where
        # the author's blank lines are the paragraphs (handled in clean_text).
        self.current.append(data)


def _decoded(text: str) -> str:
    """The text with one level of markup removed (tags dropped, entities decoded)."""
    parser = _Blocks()
    parser.feed(text)
    parser.close()
    parser._end_block()
    joined = parser.blocks[:1]
    for previous, block in zip(parser.blocks, parser.blocks[1:], strict=False):  # list items: a line each
        joined.append(("\n" if block.startswith("- ") and previous.startswith("- ") else "\n\n") + block)
    return "".join(joined)


def _plain(text: str) -> str:
    """Plain text: lines as written, spaces folded in each line, paragraphs at blank lines."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = []
    for paragraph in paragraphs:
        lines = [" ".join(line.split()) for line in paragraph.split("\n")]
        block = "\n".join(line for line in lines if line)
        if block:
            cleaned.append(block)
    return "\n\n".join(cleaned)


def clean_text(raw: str) -> str:
    """``raw`` as SBB wrote it, without markup: blocks separated by a blank line ("" if empty).

    Markup is decoded round by round (escaped markup inside real markup, ``<labeltext>&lt;p&gt;``,
    shows only after the outer round); text without markup keeps its own lines and paragraphs.
    """
    text = raw
    for _ in range(3):  # markup escaped twice is what SBB writes; a third level is unheard of
        if not _MARKUP.search(text):
            break
        text = _decoded(text)
    return _plain(raw) if text is raw else text

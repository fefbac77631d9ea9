"""SBB's dossier XML read safely into elements that know their line.

The XML comes from outside (a download from SBB's register, or anyone's copy of one), so it is
parsed with defusedxml: a DOCTYPE, an entity declaration (billion laughs) or an external entity
is refused before anything expands, whatever the file says. Expat reads the bytes as given, so
a byte-order mark, UTF-8 and UTF-16 work without guessing. Each element gets ``sourceline``
(the line of its start tag), which every imported statement's provenance graph records and every
error message names.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from kdgraph.pipeline.loading import LoadError


class SbbFormatError(LoadError):
    """SBB XML that cannot be imported: ``file:line: what was found, what was expected``."""


class Element(ET.Element):
    """An element that knows the line of its start tag (``sourceline``) and, once numbered
    (``sbb_import._number_paths``), its parent and its step (``tag[n]``) below it."""

    sourceline: int = 0
    parent: Element | None = None
    step: str = ""

    @property
    def path(self) -> str:
        """The element's XPath (``/sbb/dossiers[1]/dossier[1]/...``), built when asked for.

        Built on demand, not stored per element: stored, the paths of a hostile file nested
        100,000 deep would take 100,000 strings averaging 250 kB (25 GB), where the few elements
        that get a provenance graph sit a dozen levels deep.
        """
        steps = []
        node: Element | None = self
        while node is not None:
            steps.append(node.step or node.tag)
            node = node.parent
        return "/" + "/".join(reversed(steps))


class _LineRecorder(ET.TreeBuilder):
    """A tree builder that stamps each element with the line its start tag is on."""

    def __init__(self) -> None:
        super().__init__(element_factory=Element)
        self.expat = None

    def start(self, tag, attrs):  # type: ignore[no-untyped-def,override]
        element = super().start(tag, attrs)
        element.sourceline = self.expat.CurrentLineNumber  # type: ignore[attr-defined,union-attr]
        return element


RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
UTF8_BOM = b"\xef\xbb\xbf"
_DECLARED = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _undecodable(content: bytes) -> tuple[str, int] | None:
    """(encoding, line) of the first bytes that are not text in the file's encoding, or None.

    Asked only once expat has refused the file, to say *why* where expat says "invalid token":
    the encoding is the byte-order mark's, else the declaration's, else UTF-8 (as expat reads it).
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "UTF-16"
    elif content.startswith(UTF8_BOM):
        encoding = "UTF-8"
    else:
        declared = _DECLARED.match(content)
        encoding = declared.group(1).decode("ascii").upper() if declared else "UTF-8"
    try:
        content.decode(encoding)
    except UnicodeDecodeError as error:
        if encoding == "UTF-16":
            return encoding, content[: error.start].decode(encoding, "replace").count("\n") + 1
        return encoding, content[: error.start].count(b"\n") + 1
    except LookupError:
        return None  # an encoding Python does not know: expat's own message says enough
    return None


def parse_sbb_xml(path: Path, content: bytes) -> Element:
    """The root element of SBB XML ``content`` (read from ``path``), every element with its line.

    Raises SbbFormatError for anything that is not well-formed XML without DTD, or whose root is
    not ``<sbb>``.
    """
    target = _LineRecorder()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    target.expat = parser.parser
    try:
        parser.feed(content)
        root = parser.close()
    except DTDForbidden:
        raise SbbFormatError(
            path,
            "a DOCTYPE declaration is not accepted in SBB XML (refused unread)",
            parser.parser.CurrentLineNumber,
        ) from None
    except EntitiesForbidden:
        raise SbbFormatError(
            path,
            "an entity declaration is not accepted in SBB XML (refused unexpanded)",
            parser.parser.CurrentLineNumber,
        ) from None
    except ExternalReferenceForbidden:
        raise SbbFormatError(
            path,
            "an external reference is not accepted in SBB XML (nothing was fetched)",
            parser.parser.CurrentLineNumber,
        ) from None
    except ET.ParseError as error:
        line, column = error.position
        reason = str(error).split(":")[0]
        if not content.removeprefix(UTF8_BOM).strip():
            raise SbbFormatError(
                path, "the file is empty (expected SBB dossier XML: <sbb> with <dossiers>)", 1
            ) from None
        undecodable = _undecodable(content)
        if undecodable is not None:
            encoding, line = undecodable
            raise SbbFormatError(
                path,
                f"not well-formed XML: bytes that are not {encoding} text (expected text in the encoding "
                "the <?xml?> declaration names, UTF-8 if none; a compressed download must be unpacked)",
                line,
            ) from None
        if "no element found" in reason or reason.startswith("unclosed"):
            reason += " (the file ends before its elements are closed: truncated?)"
        raise SbbFormatError(path, f"not well-formed XML: {reason}", line, column + 1) from None
    if root.tag == f"{{{RDF}}}RDF":
        raise SbbFormatError(
            path,
            "the root element is <rdf:RDF>: RDF/XML, not SBB dossier XML (<sbb> with <dossiers>); "
            "name an RDF/XML file .rdf to load it as RDF",
            root.sourceline,
        )
    if root.tag != "sbb":
        raise SbbFormatError(
            path,
            f"the root element is <{root.tag}>; SBB dossier XML has <sbb> (with <dossiers>) at its root",
            root.sourceline,
        )
    return root  # type: ignore[no-any-return]

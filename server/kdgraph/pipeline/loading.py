"""Loading RDF files into one graph of quads, with errors a maintainer can act on.

Each file is read once into memory; those bytes are what is hashed, parsed, validated and
(by data_state) loaded into the served store, so nothing can change between check and use.
Parsing is done by pyoxigraph: it is fast enough for thousands of dossiers and reports the
line and column of a syntax error, which becomes ``file:line:column: message``. Nothing is
half-loaded: either every file parses, or a ``LoadError`` names the first that does not.

TriG and N-Quads files keep their named graphs (a named graph says where its statements come
from, see the README on provenance). Triples from a Turtle file of the ontology and
vocabularies go to the named graph ``{base}graph/ontology``; triples from other triple files
stay in the default graph. The merge of everything (``KnowledgeGraph.triples``) is what SHACL
checks and what the store's default graph holds.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from kdgraph import DEFAULT_BASE
from kdgraph.resources import bundled_paths

# File extension -> pyoxigraph format.
RDF_FILE_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
# SBB's dossier XML, imported into our model on load (kdgraph.pipeline.sbb_import): its statements
# come in provenance graphs, like TriG's.
SBB_XML_SUFFIX = ".xml"
INPUT_SUFFIXES = frozenset({*RDF_FILE_FORMATS, SBB_XML_SUFFIX})
QUAD_SUFFIXES = frozenset({".trig", ".nq", SBB_XML_SUFFIX})


def ontology_graph_iri(base: str) -> str:
    """The named graph of the ontology and vocabularies (Turtle under ontology/)."""
    return f"{base}graph/ontology"


class LoadError(Exception):
    """An input file that cannot be read or parsed; ``str()`` is ``file:line:col: message``."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None):
        self.path, self.message, self.line, self.column = path, message, line, column
        where = str(path) + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class InputFile:
    """The bytes of one input file as read once: what is hashed is what is parsed and served."""

    path: Path
    content: bytes
    ontology: bool = False  # part of the ontology and vocabularies (its triples: the ontology graph)

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def has_quads(self) -> bool:
        return self.path.suffix in QUAD_SUFFIXES


@dataclass
class KnowledgeGraph:
    """The loaded quads, what each file said, and what identifies this exact content."""

    quads: list[ox.Quad]  # distinct, in the order first read
    inputs: list[InputFile] = field(default_factory=list)
    base: str = DEFAULT_BASE
    per_file: dict[Path, list[ox.Quad]] = field(default_factory=dict)  # as stated (and rebased)
    warnings: list[str] = field(default_factory=list)  # what an import skipped, ``file:line: ...``

    @property
    def files(self) -> list[Path]:
        return [source.path for source in self.inputs]

    @cached_property
    def triples(self) -> list[ox.Triple]:
        """The merge of all graphs, each triple once: what SHACL checks and the default graph holds."""
        return list(dict.fromkeys(quad.triple for quad in self.quads))

    @cached_property
    def graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""
        return sorted({q.graph_name.value for q in self.quads if isinstance(q.graph_name, ox.NamedNode)})

    @cached_property
    def version(self) -> str:
        """A content hash of the quads: same quads, same version, whatever the file order."""
        # Sorted N-Quads lines: serialising in Rust and sorting bytes is 3x faster than str()
        # per quad, which counts at millions of quads.
        lines = ox.serialize(self.quads, format=ox.RdfFormat.N_QUADS).split(b"\n")
        lines.sort()
        return hashlib.sha256(b"\n".join(lines)).hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.triples)


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Expand directories to the RDF and SBB XML files below them, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in INPUT_SUFFIXES))
        elif path.is_file():
            if path.suffix not in INPUT_SUFFIXES:
                known = ", ".join(sorted(INPUT_SUFFIXES))
                raise LoadError(
                    path, f"unknown file type '{path.suffix}' (known: {known}; .xml is SBB dossier XML)"
                )
            files.append(path)
        else:
            raise LoadError(path, "no such file or directory")
    return files


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn pyoxigraph's errors on ``path`` into a LoadError that says ``file:line:column``."""
    try:
        yield
    except SyntaxError as error:
        raise LoadError(path, error.msg or str(error), error.lineno, error.offset) from None
    except (OSError, ValueError) as error:
        raise LoadError(path, str(error)) from None


def read_inputs(files: Sequence[Path], ontology: Sequence[Path] = ()) -> list[InputFile]:
    """Each file's bytes, read once (``ontology``: the files whose triples are the ontology graph)."""
    marked = set(ontology)
    inputs = []
    for path in files:
        with _reading(path):
            inputs.append(InputFile(path, path.read_bytes(), path in marked))
    return inputs


def parse_input(
    source: InputFile, base: str = DEFAULT_BASE, warnings: list[str] | None = None
) -> list[ox.Quad]:
    """The quads of one file, rebased; a triple file's triples in its graph (see the module doc).

    SBB XML is imported into our model (what its import skipped is added to ``warnings``).
    """
    if source.path.suffix == SBB_XML_SUFFIX:
        # Imported here, not at the top: the importer's errors are LoadErrors of this module.
        from kdgraph.pipeline.sbb_import import import_sbb

        imported = import_sbb(source.path, source.content, base)
        if warnings is not None:
            warnings.extend(imported.warnings)
        return imported.quads
    with _reading(source.path):
        # No base IRI on purpose: a relative IRI in the data is a mistake and should be reported.
        quads = list(ox.parse(source.content, format=RDF_FILE_FORMATS[source.path.suffix]))
    if source.ontology and not source.has_quads:
        graph = ox.NamedNode(ontology_graph_iri(DEFAULT_BASE))
        quads = [ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads]
    return rebase(quads, base)


class _OneLineAtATime(io.RawIOBase):
    """The bytes of a file handed to the parser at most one line per read, counting the lines.

    pyoxigraph's streaming parser yields a statement as soon as its object has ended, and an
    object ends on the line it is written on (before the line's newline), so the count when a
    statement comes out is the line of the statement itself: its object's line, also for an
    object-list continuation line or a subject block that spans many lines.
    """

    def __init__(self, content: bytes) -> None:
        self._lines = content.splitlines(keepends=True)
        self._rest = b""
        self.line = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._rest:
            if self.line >= len(self._lines):
                return 0
            self._rest = self._lines[self.line]
            self.line += 1
        size = min(len(buffer), len(self._rest))
        buffer[:size] = self._rest[:size]
        self._rest = self._rest[size:]
        return size


LINE_FORMATS = frozenset({".ttl", ".trig", ".nt", ".nq"})


def statement_lines(source: InputFile) -> list[int]:
    """The line of each statement of ``source``, in the order ``parse_input`` returns them.

    The same parser on the same bytes yields the statements in the same order, so the n-th
    line belongs to the n-th quad of ``KnowledgeGraph.per_file`` (blank nodes included, whose
    labels differ between two parses). Parsing this way costs about twice a plain parse, so it
    is done only to say where findings are. Empty for formats that are not line-based.
    """
    if source.path.suffix == SBB_XML_SUFFIX:
        return _xml_statement_lines(source)
    if source.path.suffix not in LINE_FORMATS:
        return []
    reader = _OneLineAtATime(source.content)
    with _reading(source.path):
        # (a raw binary stream: pyoxigraph reads any object with read(); the stubs name IO only)
        parsed = ox.parse(reader, format=RDF_FILE_FORMATS[source.path.suffix])  # type: ignore[arg-type]
        return [reader.line for _ in parsed]


def _xml_statement_lines(source: InputFile) -> list[int]:
    """For SBB XML: each statement's line is that of the element its provenance graph names."""
    from kdgraph.pipeline.sbb_import import import_sbb

    quads = import_sbb(source.path, source.content).quads  # the same order as parse_input's
    line = ox.NamedNode(f"{DEFAULT_BASE}def/kd#line")
    lines = {
        q.graph_name: int(q.object.value) for q in quads if q.predicate == line and q.subject == q.graph_name
    }
    return [lines.get(q.graph_name, 0) for q in quads]


def rebase(quads: Sequence[ox.Quad], base: str) -> list[ox.Quad]:
    """Rewrite IRIs under the default base to ``base``, so a deployment can mint its own URIs."""
    if base == DEFAULT_BASE:
        return list(quads)

    def move(term):
        if isinstance(term, ox.NamedNode) and term.value.startswith(DEFAULT_BASE):
            return ox.NamedNode(base + term.value[len(DEFAULT_BASE) :])
        return term

    return [ox.Quad(move(q.subject), move(q.predicate), move(q.object), move(q.graph_name)) for q in quads]


def ontology_files() -> list[Path]:
    return collect_files([bundled_paths().ontology])


def input_files(data: Sequence[Path] | None = None, *, with_ontology: bool = True) -> list[Path]:
    """The files ``load_graph`` reads for ``data``: the ontology and vocabularies first."""
    files = ontology_files() if with_ontology else []
    files.extend(collect_files(data if data is not None else [bundled_paths().data]))
    return files


def graph_from(inputs: Sequence[InputFile], base: str = DEFAULT_BASE) -> KnowledgeGraph:
    """Parse bytes already read into one KnowledgeGraph."""
    per_file: dict[Path, list[ox.Quad]] = {}
    warnings: list[str] = []
    for source in inputs:
        per_file[source.path] = parse_input(source, base, warnings)
    quads = list(dict.fromkeys(q for stated in per_file.values() for q in stated))
    return KnowledgeGraph(quads, list(inputs), base, per_file, warnings)


def load_graph(
    data: Sequence[Path] | None = None, *, with_ontology: bool = True, base: str = DEFAULT_BASE
) -> KnowledgeGraph:
    """Load the ontology and vocabularies plus ``data`` (default: the bundled dossier data)."""
    files = input_files(data, with_ontology=with_ontology)
    return graph_from(read_inputs(files, ontology_files() if with_ontology else ()), base)

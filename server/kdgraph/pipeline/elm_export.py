"""Qualifications as the European Learning Model's LOQ profile (Europass, the QDR), checked by its shapes.

**Why new nodes.** The LOQ class shapes are closed: an ``elm:Qualification`` may carry only the
properties the profile lists. Our qualifications carry our own terms (``kd:crebo``, ``kd:mboLevel``
...), so the export builds a node of its own per qualification, ``{base}id/elm/qualification/{slug}``,
with only ELM properties; its ``adms:identifier``s hold the crebo code and our qualification's IRI
(which dereferences to its page), and the graph that holds it says ``prov:wasDerivedFrom`` our IRI.
Each qualification is a named graph of its own, ``{base}graph/elm/{slug}``, complete in itself:
the qualification, its learning outcomes with their notes, and the descriptions of the EU concepts
it uses (typed ``skos:Concept``, in their EU scheme, typed ``skos:ConceptScheme``: what the shapes
check), so that a consumer can take one graph alone.

**What maps to what** (nothing the sources do not say):
- ``dcterms:title``: the qualification's ``rdfs:label`` in each language;
- ``elm:EQFLevel``: the EQF concept of its MBO level (``def/mbo-level/N`` ``kd:eqfLevel``, or the
  qualification's own ``kd:eqfLevel``), ``http://data.europa.eu/snb/eqf/{n}`` from eqf.xsd;
- ``elm:NQFLevel``: the QDR concept whose label in nqf.xsd is "NLQF Level {n}", n the notation of
  the NLQF level of its MBO level (mbo n = NLQF n, after Nuffic, see ontology/vocabularies);
- ``elm:learningOutcome``: every werkproces of the qualification's profile kerntaken and of its
  dossier's basis kerntaken (which hold for all its qualifications), as an ``elm:LearningOutcome``
  with the werkproces title, its omschrijving as an ``elm:additionalNote`` and the werkproces IRI
  as an ``adms:identifier`` (the graph says ``prov:wasDerivedFrom`` each werkproces too);
- ``elm:volumeOfLearning``: SBB's study load (sbu) in hours, as ``PT{n}H``;
- ``elm:ISCEDFCode``: in none of the sources. A maintainer supplies it in a mapping file
  (``read_isced_mapping``), every row citing its source; the cited sources are named by the
  graph (``prov:wasDerivedFrom``).

**Validation.** pyshacl with the two official shape files (bundled under ``pipeline/elm/``, unchanged)
on each graph alone, as a consumer may take it (about 0.1 s a graph: a minute for SBB's 500
qualifications). What a shape finds missing on a qualification is reported per qualification with
what the sources lack (``Gap``).

**Why no foaf:homepage.** It would be the natural link to our page, but the LOQ shapes check it
with a URL pattern that is not a Python regular expression (``^(?i)`` not at the start, ``\\p{L}``),
which stops pyshacl; an ``elm:Identifier`` with our IRI carries the link instead.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from defusedxml.ElementTree import fromstring
from rdflib.namespace import SH

from kdgraph.namespaces import prefixes
from kdgraph.pipeline.loading import KnowledgeGraph, LoadError
from kdgraph.pipeline.trig_writer import readable_order

PROFILE_DIR = Path(__file__).resolve().parent / "elm"
SHAPE_FILES = ("LOQ-constraints.ttl", "LOQ-constraints-mdr.ttl")

ELM = "http://data.europa.eu/snb/model/elm/"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
ADMS = "http://www.w3.org/ns/adms#"
FOAF = "http://xmlns.com/foaf/0.1/"
ISCED_F = "http://data.europa.eu/snb/isced-f/"
_XS = "{http://www.w3.org/2001/XMLSchema}"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
CONCEPT = ox.NamedNode(SKOS + "Concept")
CONCEPT_SCHEME = ox.NamedNode(SKOS + "ConceptScheme")
MAPPING_COLUMNS = ("qualification", "isced_f", "source")
CREBO_SCHEME = "CREBO (Centraal register beroepsopleidingen)"

# What the sources lack, by the ELM property a shape finds missing: the sentence the report adds.
LACKS = {
    ELM + "ISCEDFCode": "the ISCED-F field of education is in none of the sources: "
    "supply it with --isced-mapping FILE",
    ELM + "learningOutcome": "the sources give no werkprocessen for this qualification",
    ELM + "EQFLevel": "the sources give no MBO level with an EQF level for this qualification",
    ELM + "NQFLevel": "the sources give no MBO level with an NLQF level for this qualification",
    DCTERMS + "title": "the sources give no name for this qualification",
}


@dataclass(frozen=True)
class CodeList:
    """An EU code list as its XSD enumerates it: the scheme (the XSD's target namespace) and
    each concept IRI with its label (the enumeration's documentation, white space folded)."""

    scheme: str
    labels: dict[str, str]

    def concept(self, label: str) -> str | None:
        return next((iri for iri, text in self.labels.items() if text == label), None)


@cache
def code_list(name: str) -> CodeList:
    """One of the bundled XSD code lists (``eqf``, ``nqf``, ``isced-f``), read once."""
    root = fromstring((PROFILE_DIR / f"{name}.xsd").read_bytes())
    labels = {
        item.attrib["value"]: " ".join("".join(item.itertext()).split())
        for item in root.iter(f"{_XS}enumeration")
    }
    return CodeList(root.attrib["targetNamespace"], labels)


@dataclass(frozen=True)
class IscedRow:
    """One row of a mapping file: a qualification (crebo code or IRI), an ISCED-F concept, its source."""

    qualification: str
    concept: str
    source: str
    line: int


def read_isced_mapping(path: Path) -> list[IscedRow]:
    """Read a maintainer's ISCED-F mapping: CSV with the header ``qualification,isced_f,source``.

    One row a line; blank lines and lines starting with ``#`` are comments. ``qualification`` is a
    crebo code or a qualification's IRI, ``isced_f`` a code of isced-f.xsd (``0922``) or its IRI,
    ``source`` the http(s) URL that supports the mapping. Any fault is a ``LoadError`` naming
    ``file:line`` (the CLI's exit 2).
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise LoadError(path, f"cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise LoadError(path, f"not UTF-8 text ({error.reason})") from None
    isced = code_list("isced-f").labels
    rows: list[IscedRow] = []
    seen: dict[tuple[str, str], int] = {}
    header: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([raw]))]
        if header is None:
            header = cells
            if tuple(cells) != MAPPING_COLUMNS:
                raise LoadError(path, f"expected the header {','.join(MAPPING_COLUMNS)}, got {raw!r}", number)
            continue
        if len(cells) != len(MAPPING_COLUMNS):
            raise LoadError(path, f"expected {len(MAPPING_COLUMNS)} columns, got {len(cells)}", number)
        qualification, code, source = cells
        if not (qualification.isdigit() or qualification.startswith(("http://", "https://"))):
            raise LoadError(
                path, f"qualification {qualification!r} is neither a crebo code nor an IRI", number
            )
        concept = code if code.startswith(ISCED_F) else ISCED_F + code
        if concept not in isced:
            raise LoadError(path, f"{code!r} is not an ISCED-F 2013 field of isced-f.xsd", number)
        if not re.fullmatch(r"https?://\S+", source):
            raise LoadError(path, f"source {source!r} is not an http(s) URL: every mapping cites one", number)
        if (qualification, concept) in seen:
            raise LoadError(path, f"repeats line {seen[qualification, concept]}", number)
        seen[qualification, concept] = number
        rows.append(IscedRow(qualification, concept, source, number))
    if header is None:
        raise LoadError(path, f"empty: expected the header {','.join(MAPPING_COLUMNS)}")
    return rows


@dataclass
class Exported:
    """One exported qualification: our IRI, its ELM node and graph, and what a reader needs to know it."""

    iri: str
    node: str
    graph: str
    titles: dict[str, str]
    crebos: list[str]
    outcomes: int

    @property
    def name(self) -> str:
        return self.titles.get("nl") or self.titles.get("en") or next(iter(self.titles.values()), "")


@dataclass
class ElmExport:
    quads: list[ox.Quad]
    qualifications: list[Exported] = field(default_factory=list)


_QUERY_PREFIXES = "PREFIX kd: <{kd}> PREFIX rdfs: <{rdfs}> PREFIX skos: <{skos}>\n"


class _Reader:
    """SPARQL over the merged graph, one query per kind of fact."""

    def __init__(self, graph: KnowledgeGraph):
        self.store = ox.Store()
        self.store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in graph.triples)
        self.head = _QUERY_PREFIXES.format(kd=graph.base + "def/kd#", rdfs=RDFS, skos=SKOS)

    def rows(self, query: str) -> Iterable[ox.QuerySolution]:
        return self.store.query(self.head + query)  # type: ignore[return-value]

    def values(self, query: str) -> dict[str, list[ox.NamedNode | ox.Literal]]:
        """``?q`` -> the distinct ``?v`` values, in a stable order."""
        found: dict[str, list] = defaultdict(list)
        for row in self.rows(query + " ORDER BY ?q ?v"):
            if row["v"] not in found[row["q"].value]:
                found[row["q"].value].append(row["v"])
        return found


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


_LEVELS = "{{ ?q kd:{own} ?n }} UNION {{ ?q kd:mboLevel/kd:{own} ?n }}"


@dataclass
class _Facts:
    """What the graph says of its qualifications and werkprocessen, read once (``?q`` -> values)."""

    qualifications: list[str]
    titles: dict[str, list]
    crebos: dict[str, list]
    eqf: dict[str, list]
    nlqf: dict[str, list]  # the NLQF level's notation ("4")
    hours: dict[str, list]
    outcomes: dict[str, list[str]]  # qualification -> werkprocessen
    outcome_titles: dict[str, list]
    outcome_descriptions: dict[str, list]

    @classmethod
    def read(cls, graph: KnowledgeGraph) -> _Facts:
        read = _Reader(graph)
        qualification = "SELECT ?q ?v WHERE { ?q a kd:Qualification . "
        outcomes: dict[str, list[str]] = defaultdict(list)
        for row in read.rows(
            "SELECT DISTINCT ?q ?wp WHERE { ?q a kd:Qualification ."
            " { ?q kd:hasCoreTask ?ct } UNION { ?q kd:inDossier/kd:hasCoreTask ?ct }"  # profile, basis
            " ?ct kd:hasWorkProcess ?wp } ORDER BY ?q ?wp"
        ):
            outcomes[row["q"].value].append(row["wp"].value)
        return cls(
            [row["q"].value for row in read.rows("SELECT ?q WHERE { ?q a kd:Qualification } ORDER BY ?q")],
            read.values(qualification + "?q rdfs:label ?v }"),
            read.values(qualification + "?q kd:crebo ?v }"),
            read.values(qualification + _LEVELS.format(own="eqfLevel") + " BIND(?n AS ?v) }"),
            read.values(qualification + _LEVELS.format(own="nlqfLevel") + " ?n skos:notation ?v }"),
            read.values(qualification + "?q kd:studyLoadHours ?v }"),
            outcomes,
            read.values("SELECT (?wp AS ?q) ?v WHERE { ?wp a kd:WorkProcess ; rdfs:label ?v }"),
            read.values("SELECT (?wp AS ?q) ?v WHERE { ?wp a kd:WorkProcess ; kd:description ?v }"),
        )


class _GraphBuilder:
    """The statements of one qualification's named graph."""

    def __init__(self, base: str, slug: str, quads: list[ox.Quad]):
        self.base, self.quads = base, quads
        self.graph = ox.NamedNode(f"{base}graph/elm/{slug}")

    def add(self, subject: ox.NamedNode, predicate: str, obj: ox.NamedNode | ox.Literal) -> None:
        self.quads.append(ox.Quad(subject, ox.NamedNode(predicate), obj, self.graph))

    def node(self, kind: str, slug: str, cls: str) -> ox.NamedNode:
        """A new node of ours under ``id/elm/{kind}/``, typed with an ELM class."""
        node = ox.NamedNode(f"{self.base}id/elm/{kind}/{slug}")
        self.quads.append(ox.Quad(node, RDF_TYPE, ox.NamedNode(ELM + cls), self.graph))
        return node

    def concept(self, value: str, codes: CodeList, notation: str | None = None) -> ox.NamedNode:
        """An EU concept as the shapes check it (typed, in its typed scheme), from its code list."""
        term, scheme = ox.NamedNode(value), ox.NamedNode(codes.scheme)
        self.quads.append(ox.Quad(term, RDF_TYPE, CONCEPT, self.graph))
        self.quads.append(ox.Quad(scheme, RDF_TYPE, CONCEPT_SCHEME, self.graph))
        self.add(term, SKOS + "inScheme", scheme)
        self.add(term, SKOS + "prefLabel", ox.Literal(codes.labels[value], language="en"))
        if notation:
            self.add(term, SKOS + "notation", ox.Literal(notation))
        return term

    def identifier(self, slug: str, notation: ox.Literal, scheme: str) -> ox.NamedNode:
        identifier = self.node("identifier", slug, "Identifier")
        self.add(identifier, SKOS + "notation", notation)
        self.add(identifier, ELM + "schemeName", ox.Literal(scheme))
        return identifier


def _isced_by_qualification(
    facts: _Facts, mapping: Sequence[IscedRow], mapping_path: Path | None
) -> dict[str, list[IscedRow]]:
    """The mapping rows of each qualification; a row naming no qualification of the data is a
    ``LoadError`` at its line (a mistyped crebo code must not pass silently)."""
    by_key: dict[str, list[str]] = defaultdict(list)
    for iri in facts.qualifications:
        by_key[iri].append(iri)
        for crebo in facts.crebos.get(iri, []):
            by_key[crebo.value].append(iri)
    isced: dict[str, list[IscedRow]] = defaultdict(list)
    for row in mapping:
        if row.qualification not in by_key:
            kind = "crebo code" if row.qualification.isdigit() else "IRI"
            where = mapping_path or Path("mapping")
            raise LoadError(where, f"no qualification with {kind} {row.qualification} in the data", row.line)
        for iri in by_key[row.qualification]:
            isced[iri].append(row)
    return isced


def export_elm(
    graph: KnowledgeGraph, mapping: Sequence[IscedRow] = (), mapping_path: Path | None = None
) -> ElmExport:
    """Every ``kd:Qualification`` of ``graph`` as an LOQ qualification in a named graph of its own."""
    facts = _Facts.read(graph)
    isced = _isced_by_qualification(facts, mapping, mapping_path)
    eqf_list, nqf_list, isced_list = code_list("eqf"), code_list("nqf"), code_list("isced-f")
    quads: list[ox.Quad] = []
    exported: list[Exported] = []
    for iri in facts.qualifications:
        slug = _slug(iri)
        out = _GraphBuilder(graph.base, slug, quads)
        node = out.node("qualification", slug, "Qualification")
        for title in facts.titles.get(iri, []):
            out.add(node, DCTERMS + "title", title)
        for crebo in facts.crebos.get(iri, []):
            out.add(node, ADMS + "identifier", out.identifier(f"crebo-{crebo.value}", crebo, CREBO_SCHEME))
        ours = ox.Literal(iri, datatype=ox.NamedNode(XSD + "anyURI"))
        out.add(node, ADMS + "identifier", out.identifier(slug, ours, "kdgraph"))
        for level in facts.eqf.get(iri, []):
            if level.value in eqf_list.labels:
                out.add(node, ELM + "EQFLevel", out.concept(level.value, eqf_list, _slug(level.value)))
        for number in facts.nlqf.get(iri, []):
            found = nqf_list.concept(f"NLQF Level {number.value}")
            if found:
                out.add(node, ELM + "NQFLevel", out.concept(found, nqf_list))
        for row in isced.get(iri, []):
            out.add(node, ELM + "ISCEDFCode", out.concept(row.concept, isced_list, _slug(row.concept)))
        for value in facts.hours.get(iri, []):
            hours = ox.Literal(f"PT{value.value}H", datatype=ox.NamedNode(XSD + "duration"))
            out.add(node, ELM + "volumeOfLearning", hours)
        for wp in facts.outcomes.get(iri, []):
            outcome = out.node("learning-outcome", _slug(wp), "LearningOutcome")
            out.add(node, ELM + "learningOutcome", outcome)
            ours = ox.Literal(wp, datatype=ox.NamedNode(XSD + "anyURI"))
            out.add(outcome, ADMS + "identifier", out.identifier(_slug(wp), ours, "kdgraph"))
            out.add(out.graph, PROV + "wasDerivedFrom", ox.NamedNode(wp))
            for title in facts.outcome_titles.get(wp, []):
                out.add(outcome, DCTERMS + "title", title)
            for description in facts.outcome_descriptions.get(wp, []):
                note = out.node("note", _slug(wp), "Note")
                out.add(outcome, ELM + "additionalNote", note)
                out.add(note, ELM + "noteLiteral", description)
        out.add(out.graph, PROV + "wasDerivedFrom", ox.NamedNode(iri))
        for row in isced.get(iri, []):
            out.add(out.graph, PROV + "wasDerivedFrom", ox.NamedNode(row.source))
        titles = {t.language or "": t.value for t in facts.titles.get(iri, [])}
        crebos = [c.value for c in facts.crebos.get(iri, [])]
        count = len(facts.outcomes.get(iri, []))
        exported.append(Exported(iri, node.value, out.graph.value, titles, crebos, count))
    return ElmExport(readable_order(list(dict.fromkeys(quads)), graph.base), exported)


def serialize(export: ElmExport, base: str, fmt: ox.RdfFormat = ox.RdfFormat.TRIG) -> bytes:
    """TriG (or N-Quads), graph by graph, each sorted: same data, same bytes."""
    names = {
        **prefixes(base),
        "adms": ADMS,
        "foaf": FOAF,
        "isced": ISCED_F,
        "qdr": "http://data.europa.eu/snb/qdr/",
        "elmq": f"{base}id/elm/qualification/",
        "outcome": f"{base}id/elm/learning-outcome/",
        "elmgraph": f"{base}graph/elm/",
    }
    return ox.serialize(export.quads, format=fmt, prefixes=names if fmt == ox.RdfFormat.TRIG else None) or b""


@dataclass(frozen=True)
class Gap:
    """A shape's finding, with the qualification it concerns."""

    qualification: str  # our IRI
    focus: str
    path: str | None
    name: str | None  # the property shape's sh:name, e.g. "thematic area"
    component: str  # e.g. MinCountConstraintComponent
    message: str

    @property
    def missing(self) -> bool:
        return self.component == "MinCountConstraintComponent"


@cache
def loq_shapes() -> rdflib.Graph:
    shapes = rdflib.Graph()
    for name in SHAPE_FILES:
        shapes.parse(PROFILE_DIR / name, format="turtle")
    return shapes


def validate_elm(export: ElmExport) -> list[Gap]:
    """pyshacl with the official LOQ shapes on each qualification's graph alone (a consumer may
    take one graph without the others), each result tied to that qualification."""
    shapes = loq_shapes()
    triples: dict[str, list[ox.Triple]] = defaultdict(list)
    for quad in export.quads:
        triples[quad.graph_name.value].append(quad.triple)
    gaps: list[Gap] = []
    for qualification in export.qualifications:
        data = rdflib.Graph()
        nt = ox.serialize(triples[qualification.graph], format=ox.RdfFormat.N_TRIPLES)
        data.parse(data=nt, format="nt")
        _conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, allow_warnings=True)
        found: set[Gap] = set()
        for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
            path = report.value(result, SH.resultPath)
            source = report.value(result, SH.sourceShape)
            name = shapes.value(source, SH.name) if source is not None else None
            component = str(report.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1]
            found.add(
                Gap(
                    qualification.iri,
                    str(report.value(result, SH.focusNode)),
                    str(path) if path else None,
                    str(name) if name else None,
                    component,
                    str(report.value(result, SH.resultMessage) or ""),
                )
            )
        gaps.extend(sorted(found, key=lambda gap: (gap.focus, gap.path or "", gap.component, gap.message)))
    return gaps


def _short(iri: str, base: str) -> str:
    for prefix, namespace in (("elm", ELM), ("dcterms", DCTERMS), ("skos", SKOS)):
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri[len(base) :] if iri.startswith(base) else iri


def report_lines(export: ElmExport, gaps: Sequence[Gap], base: str) -> list[str]:
    """What the sources lack, per qualification: a heading line, then one indented line per gap."""
    by_qualification: dict[str, list[Gap]] = defaultdict(list)
    for gap in gaps:
        by_qualification[gap.qualification].append(gap)
    lines: list[str] = []
    for q in export.qualifications:
        found = by_qualification.pop(q.iri, [])
        if not found:
            continue
        crebo = f" (crebo {', '.join(q.crebos)})" if q.crebos else ""
        lines.append(f"{_short(q.iri, base)} {q.name}{crebo}:")
        said: set[tuple[str, str | None]] = set()  # the two shape files may both find the same gap
        for gap in found:
            if gap.missing and gap.focus == q.node:
                if (gap.focus, gap.path) in said:
                    continue
                said.add((gap.focus, gap.path))
                path = gap.path or ""
                lines.append(
                    f"  missing {_short(path, base)} ({gap.name}): {LACKS.get(path, 'the sources lack it')}"
                )
            else:
                where = _short(gap.focus, base) + (f" {_short(gap.path, base)}" if gap.path else "")
                lines.append(f"  {where}: {gap.message}")
    return lines

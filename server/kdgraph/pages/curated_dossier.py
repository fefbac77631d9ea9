"""The dossier as a page to read: its verantwoordingsinformatie section by section (1-14), from the graph.

One CONSTRUCT (``bundle_query``) brings everything the page shows: the dossier, what belongs to
it (``kd:dossier``, its qualifications, the sections of its justification document, the sources it
is based on), the literals and links of what those point at, and their labels, and what a reader
needs of a named graph (PROVENANCE.md): its section and page, the outside source's name, or the
interpretation's reason. One SELECT (``statements_query``) gives each of those resources'
statements with the named graph it sits in, a row each (it was a reified CONSTRUCT: four triples
and a blank node per statement, 6,355 of the page's 8,819 triples). So every fact cites the graphs
of its own statement, never those of another statement about the same resource (issue 14: the
qualifications' MBO levels 2 and 3 showed the page that names them, as if the source gave them).

The page model is built here in Python, in one language. Each resource is placed in the section
its source location names; each kind of resource has its own block (qualifications with levels,
the English requirements as the source's skills x CEFR table with conflicting statements side by
side, trends by theme with technologies and horizons, the maintenance agenda, history as a
timeline, stakeholders by role); anything of a kind without a block of its own is still shown,
as a card with its label and text, so new kinds of data appear without a change here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox
from markupsafe import Markup

from kdgraph.pages.description import Source
from kdgraph.pages.documents import Index, marked
from kdgraph.pages.rows import Row, bound
from kdgraph.query.engine import Query

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"

PREFIXES = """PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX kd:   <{kd}>
"""
# What belongs to the dossier ?this: itself, what names it, its qualifications, the sources it is
# based on, its justification document and that document's sections, its lead and validator.
MEMBERS = """
    {{ BIND(?this AS ?r) }} UNION {{ ?r kd:dossier ?this }} UNION {{ ?this kd:hasQualification ?r }}
    UNION {{ ?this kd:basedOn ?r }} UNION {{ ?this kd:justification ?r }}
    UNION {{ ?this kd:justification/dcterms:hasPart ?r }}
    UNION {{ ?this kd:leadOrganisation|kd:validatedBy ?r }}"""
BUNDLE = (
    PREFIXES
    + """CONSTRUCT {{
  ?r ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 .
  ?g kd:page ?gpage ; kd:section ?gsec ; a ?gtype ; kd:reason ?greason ; rdfs:label ?glabel .
  ?gsec kd:sectionNumber ?gnum .
}} WHERE {{
  {{"""
    + MEMBERS
    + """
    ?r ?p ?o .
    OPTIONAL {{
      ?o ?p2 ?o2 .
      FILTER(isLiteral(?o2) || ?p2 IN (rdf:type, kd:section, kd:stakeholder, kd:stakeholderRole,
                                       kd:mboLevel, skos:inScheme, kd:trendTheme, kd:minimumLevel,
                                       kd:tickedLevel, kd:statedIn, kd:skill, kd:horizon,
                                       kd:statementKind, kd:covers, kd:justifiesLevelOf))
      OPTIONAL {{ ?o2 ?p3 ?o3 . FILTER(?p3 IN (rdfs:label, skos:prefLabel, skos:notation, kd:sectionNumber,
                                               kd:levelNumber, kd:rank, kd:page, kd:section)) }}
    }}
  }}
  UNION {{ ?g kd:section ?gsec ; kd:page ?gpage . ?gsec kd:sectionNumber ?gnum }}
  UNION {{ ?g a kd:Interpretation . BIND(kd:Interpretation AS ?gtype) OPTIONAL {{ ?g kd:reason ?greason }} }}
  UNION {{ ?g a kd:SourceDocument . FILTER(STRSTARTS(STR(?g), "{base}id/external-source/"))
           ?g rdfs:label ?glabel }}
}}
"""
)
# Each statement about a member (and about the requirements its language statements set) with the
# named graph it sits in: a row per statement and graph, so a fact cites its own statement's graphs.
STATEMENTS = (
    PREFIXES
    + """SELECT ?s ?p ?o ?g WHERE {{"""
    + MEMBERS
    + """
  {{ GRAPH ?g {{ ?r ?p ?o }} BIND(?r AS ?s) }}
  UNION
  {{ ?r kd:hasRequirement ?s . GRAPH ?g {{ ?s ?p ?o }} }}
}}
"""
)


def bundle_query(base: str, iri: str) -> Query:
    """The page's CONSTRUCT with the dossier written into its text (``rows.bound``: with a
    substitution, ``BIND(?this AS ?r)`` inside a UNION branch saw ``?this`` unbound, and the page
    read every statement of the store: 28,764 triples for 8,683 on the bundled data, 66,550 and
    32 s on a loaded server with three SBB dossiers beside it)."""
    return bound(BUNDLE.format(kd=f"{base}def/kd#", base=base), this=ox.NamedNode(iri))


def statements_query(base: str, iri: str) -> Query:
    """The page's SELECT of its statements and their graphs, the dossier written into its text."""
    return bound(STATEMENTS.format(kd=f"{base}def/kd#"), this=ox.NamedNode(iri))


@dataclass(frozen=True)
class Ref:
    """A link to a resource with its label in the page's language."""

    href: str
    label: str
    iri: str = ""


@dataclass
class Item:
    """One fact of the page: a resource, its text, the details the block shows, and its sources."""

    ref: Ref
    text: str = ""
    sources: list[Source] = field(default_factory=list)
    details: list[tuple[str, list[Ref | str]]] = field(default_factory=list)  # (label, values)
    cited: dict[str, list[Source]] = field(default_factory=dict)  # detail key -> sources the item's lack
    kind: str = ""
    date: str = ""
    position: int = 0


@dataclass
class CefrTable:
    """The skills x CEFR levels grid of one qualification; a cell lists the statements setting that level."""

    qualification: Ref
    skills: list[Ref]
    levels: list[Ref]  # C2 first, as the source prints them
    cells: dict[
        tuple[str, str], list[tuple[Ref, Ref, bool]]
    ]  # (level, skill) -> (requirement, statement, differs)
    conflicts: list[tuple[Ref, list[tuple[Ref, Ref, list[Source]]]]]  # skill -> (level, statement, sources)
    ticks: set[tuple[str, str]] = field(default_factory=set)  # (level, skill) the source's table ticks
    # skill -> (level, statement, sources, note key) generic first, then what it covers; the link's sources
    relations: list[tuple[Ref, list[tuple[Ref, Ref, list[Source], str]], list[Source]]] = field(
        default_factory=list
    )


@dataclass
class Block:
    kind: str  # names the template macro
    items: list[Item] = field(default_factory=list)
    groups: list[tuple[Ref, list[Item]]] = field(default_factory=list)
    tables: list[CefrTable] = field(default_factory=list)
    title: str = ""  # the class of what a generic block shows, in the page's language


@dataclass
class Section:
    number: int
    title: str
    ref: Ref
    pages: str
    blocks: list[Block] = field(default_factory=list)
    not_applicable: list[Item] = field(default_factory=list)


@dataclass
class Qualification:
    """A row of the qualifications table; ``sources`` cites each level statement's own graphs:
    (word keys of the levels, their sources), levels with the same sources together."""

    ref: Ref
    levels: list[tuple[str, Ref | None]]  # (word key, level)
    sources: list[tuple[list[str], list[Source]]]


@dataclass
class DossierPage:
    ref: Ref
    title: str
    facts: list[tuple[str, list[Ref | str], list[Source]]]  # (word key, values, sources)
    qualifications: list[Qualification]
    sections: list[Section]
    route_dossier_iri: str


class Graph(Index):
    """The bundle, indexed for the page: values, texts and labels in the page's language, and the
    graphs each statement sits in (a source location, an outside source or an interpretation)."""

    def __init__(
        self, triples: list[ox.Triple], statements: list[Row], lang: str, local: Callable[[str], str], kd: str
    ):
        super().__init__(triples)
        self.lang, self.local, self.kd = lang, local, kd
        self._labels: dict[str, str] = {}
        self.statements: dict[tuple[str, str, object], set[Source]] = {}
        self.located: dict[str, set[Source]] = {}  # subject -> the graphs of its statements
        graphs: dict[str, Source | None] = {}
        for row in statements:
            g = row["g"].value
            if g not in graphs:
                graphs[g] = self._graph(g)
            source = graphs[g]
            if source is not None:
                subject = row["s"].value
                self.statements.setdefault((subject, row["p"].value, row["o"]), set()).add(source)
                self.located.setdefault(subject, set()).add(source)

    def _graph(self, g: str) -> Source | None:
        """What a reader is told about a graph: section and page, reason, or the outside source's name."""
        section, page = self.one(g, self.kd + "section"), self.number(g, self.kd + "page")
        number = self.number(section, self.kd + "sectionNumber") if section else None
        if number is not None and page is not None:
            return Source(g, number, page)
        if self.kd + "Interpretation" in self.iris(g, RDF_TYPE):
            return Source(g, reason=self.text(g, self.kd + "reason") or None)
        if "/id/external-source/" in g:
            return Source(g, label=self.text(g, RDFS + "label") or g.rsplit("/", 1)[-1])
        return None

    kd = ""
    conflicts: list[str] = []  # noqa: RUF012  (set per page by build)

    def one(self, subject: str, predicate: str) -> str | None:
        found = self.iris(subject, predicate)
        return found[0] if found else None

    def text(self, subject: str, predicate: str, *languages: str) -> str:
        return super().text(subject, predicate, *(languages or (self.lang, "", "nl", "en")))

    def number(self, subject: str, predicate: str) -> int | None:
        text = self.text(subject, predicate)
        return int(text) if text.lstrip("-").isdigit() else None

    def types(self, subject: str) -> set[str]:
        return {iri.rsplit("#", 1)[-1] for iri in self.iris(subject, RDF_TYPE)}

    def label(self, subject: str) -> str:
        """Its name in the page's language (worked out once per subject: a page names a
        qualification or a section hundreds of times)."""
        found = self._labels.get(subject)
        if found is None:
            found = self._labels[subject] = self._label(subject)
        return found

    def _label(self, subject: str) -> str:
        for predicate in (SKOS + "prefLabel", RDFS + "label", DCT + "title"):
            found = self.text(subject, predicate)
            if found:
                return found
        org, role = self.one(subject, self.kd + "stakeholder"), self.one(subject, self.kd + "stakeholderRole")
        if org and role:
            return f"{self.label(org)} — {self.label(role)}"
        return subject.rsplit("/", 1)[-1]

    def ref(self, iri: str) -> Ref:
        return Ref(self.local(iri), self.label(iri), iri)

    def stated(self, subject: str, predicate: str, value: object | None = None) -> list[Source]:
        """The graphs of the statement(s) ``subject predicate value`` (any value if None)."""
        found: set[Source] = set()
        for node in self.values(subject, predicate) if value is None else [value]:
            key = ox.NamedNode(node) if isinstance(node, str) else node
            found |= self.statements.get((subject, predicate, key), set())
        return ordered(found)

    def passage(self, subject: str) -> str:
        """The subject's kd:text, a passage split at a page break joined again for reading.

        Each page's graph quotes only its part (issue 24: "... echt relevant" on page 5, "wordt. ..."
        on page 6); a part that stops mid-sentence goes on with the next page's part that starts
        in lower case. Texts that do not continue each other: the first, as before."""
        parts = [v for v in self.values(subject, self.kd + "text") if isinstance(v, ox.Literal)]
        if len(parts) < 2:
            return self.text(subject, self.kd + "text")

        def page(part: ox.Literal) -> int:
            return min((s.page for s in self.stated(subject, self.kd + "text", part) if s.page), default=0)

        parts.sort(key=lambda part: (page(part), part.value))
        text, at = parts[0].value, page(parts[0])
        while text.rstrip()[-1:] not in '.!?:"”' and (
            following := [p for p in parts if page(p) == at + 1 and p.value[:1].islower()]
        ):
            text, at = f"{text.rstrip()} {following[0].value.lstrip()}", at + 1
        return text

    def sources(self, subject: str) -> list[Source]:
        """The source locations of all statements about ``subject``: the sections it is placed in."""
        return ordered({s for s in self.located.get(subject, set()) if s.section is not None})

    def introduced(self, subject: str) -> list[Source]:
        """Where ``subject`` itself is stated: the graphs of its type, its text and its names in the
        source's language (an English name is a translation, a note on the name, not on the thing)."""
        found: set[Source] = set()
        for predicate in (RDF_TYPE, self.kd + "text", self.kd + "statedAs", *NAMES):
            for value in self.values(subject, predicate):
                if not (isinstance(value, ox.Literal) and value.language not in (None, "", "nl")):
                    found |= set(self.stated(subject, predicate, value))
        return ordered(found)


NAMES = (SKOS + "prefLabel", RDFS + "label", DCT + "title")


def ordered(sources: set[Source] | list[Source]) -> list[Source]:
    """Source locations by section and page, then outside sources and interpretations."""
    return sorted(set(sources), key=lambda s: (s.section is None, s.section or 0, s.page or 0, s.iri))


def build(
    iri: str,
    triples: list[ox.Triple],
    statements: list[Row],
    base: str,
    lang: str,
    local: Callable[[str], str],
) -> DossierPage:
    """The page model from the triples of ``bundle_query`` and the rows of ``statements_query``;
    every fact cites the graphs of its own statement (PROVENANCE.md)."""
    kd = f"{base}def/kd#"
    graph = Graph(triples, statements, lang, local, kd)
    members = [s for s in graph.out if iri in graph.iris(s, kd + "dossier") and s != iri]
    facts: list[tuple[str, list[Ref | str], list[Source]]] = []
    for key, predicate in (
        ("valid_from", "validFrom"),
        ("lead", "leadOrganisation"),
        ("validated_by", "validatedBy"),
        ("validated_on", "validationDate"),
    ):
        values: list[Ref | str] = [graph.ref(v) for v in graph.iris(iri, kd + predicate)] or (
            [graph.text(iri, kd + predicate)] if graph.text(iri, kd + predicate) else []
        )
        if values:
            facts.append((key, values, graph.stated(iri, kd + predicate)))
    qualifications = sorted(
        (_qualification(graph, q) for q in graph.iris(iri, kd + "hasQualification")),
        key=lambda q: (graph.number(q.ref.iri, kd + "position") or 99, q.ref.label),
    )
    sections: dict[int, Section] = {}
    document = graph.one(iri, kd + "justification")
    for part in graph.iris(document, DCT + "hasPart") if document else []:
        number = graph.number(part, kd + "sectionNumber")
        if number is None or number == 0:
            continue
        start, end = graph.number(part, SCHEMA + "pageStart"), graph.number(part, SCHEMA + "pageEnd")
        pages = f"{start}" if start == end else f"{start}-{end}"
        sections[number] = Section(number, graph.label(part), graph.ref(part), pages)
    placed: dict[int, dict[str, list[str]]] = {}
    graph.conflicts = [m for m in members if "RequirementConflict" in graph.types(m)]  # shown in the table
    for member in members:
        if member in graph.conflicts:
            continue
        kind = _kind(graph, member)
        if kind == "NotApplicableStatement":
            about = graph.one(member, kd + "aboutSection")
            number = graph.number(about, kd + "sectionNumber") if about else None
        else:
            numbers = [s.section for s in graph.sources(member) if s.section]
            number = min(numbers) if numbers else None
        if number is None:
            number = max(sections) if sections else 14
        placed.setdefault(number, {}).setdefault(kind, []).append(member)
    _collect(placed, "Involvement")
    for number, kinds in sorted(placed.items()):
        section = sections.setdefault(number, Section(number, str(number), Ref("", str(number)), ""))
        for kind, resources in sorted(kinds.items(), key=lambda kv: ORDER.get(kv[0], 50)):
            if kind == "NotApplicableStatement":
                section.not_applicable = [_item(graph, r) for r in _by_position(graph, resources)]
                for item, resource in zip(
                    section.not_applicable, _by_position(graph, resources), strict=True
                ):
                    item.text = graph.text(resource, kd + "statedAs")
                    item.details = [
                        ("qualifications", [graph.ref(q) for q in graph.iris(resource, kd + "appliesTo")])
                    ]
                continue
            section.blocks.append(BLOCKS.get(kind, _cards)(graph, kind, resources))
    if 1 in sections:  # the competency profiles the dossier is based on
        based = [_item(graph, r) for r in graph.iris(iri, kd + "basedOn")]
        for item in based:
            year = graph.text(item.ref.iri, kd + "publicationYear")
            item.details = [("year", [year])] if year else []
        if based:
            sections[1].blocks.insert(0, Block("list", sorted(based, key=lambda i: i.ref.label)))
    if 10 in sections:
        item = Item(graph.ref(iri))
        for key, predicate in (("change_category", "changeCategory"), ("predecessors", "predecessor")):
            values = [graph.ref(v) for v in graph.iris(iri, kd + predicate)]
            if values:
                item.details.append((key, values))
                item.cited[key] = graph.stated(iri, kd + predicate)
        sections[10].blocks.insert(0, Block("facts", [item]))
    for section in sections.values():
        for block in section.blocks:
            for item in [*block.items, *(i for _, items in block.groups for i in items)]:
                _cite_details(graph, item)
        for item in section.not_applicable:
            _cite_details(graph, item)
    return DossierPage(
        graph.ref(iri),
        graph.label(iri),
        facts,
        qualifications,
        [sections[n] for n in sorted(sections)],
        iri,
    )


ORDER = {
    "LabourMarketBottleneck": 1,
    "LabourMarketFinding": 2,
    "Trend": 3,
    "TechnologyOutlook": 4,
    "EndFunctionStatement": 60,
    "Aim": 70,
}


GROUPS = {"Advice": "Decision", "DossierEvent": "Decision"}  # one timeline for the history


def _kind(graph: Graph, resource: str) -> str:
    """The kind that names the resource's block: one with a block of its own if it has one."""
    kinds = {GROUPS.get(k, k) for k in graph.types(resource)}
    known = sorted(kinds & (set(BLOCKS) | {"NotApplicableStatement"}))
    return (known or sorted(kinds) or ["Thing"])[0]


def _collect(placed: dict[int, dict[str, list[str]]], kind: str) -> None:
    """All resources of ``kind`` into one block, in the section that holds most of them."""
    counts = {n: len(kinds.get(kind, [])) for n, kinds in placed.items()}
    if not any(counts.values()):
        return
    home = max(counts, key=lambda n: (counts[n], -n))
    gathered = [r for kinds in placed.values() for r in kinds.pop(kind, [])]
    placed[home][kind] = gathered


PROV = "http://www.w3.org/ns/prov#"
DETAIL_PREDICATES = {  # a detail's key -> the predicates (kd: unless a full IRI) whose statements it shows
    "technologies": ("mentionsTechnology",),
    "theme": ("trendTheme",),
    "horizon": ("horizon", "horizonText", "horizonMinYears", "horizonMaxYears"),
    "status_text": ("statusText", "expectedRole"),
    "from": ("routeFrom",),
    "to": ("routeTo",),
    "training_provider": ("trainingProvider",),
    "who": ("who", "actor"),
    "qualifications": ("appliesTo",),
    "year": ("publicationYear",),
    "note": (SKOS + "editorialNote",),
    "attributed": (PROV + "wasAttributedTo",),
}


def _cite_details(graph: Graph, item: Item) -> None:
    """Each detail whose statements sit in graphs other than the item's own cites those graphs, so
    an outside fact or the modeller's reading is never shown under the item's page of the source."""
    for key, _ in item.details:
        if key in item.cited or key == "involvements":
            continue
        predicates = [p if ":" in p else graph.kd + p for p in DETAIL_PREDICATES.get(key, (key,))]
        found = {s for p in predicates for s in graph.stated(item.ref.iri, p)}
        if not found <= set(item.sources):
            item.cited[key] = ordered(found)


LEVELS = (("mbo_level", "mboLevel"), ("nlqf_level", "nlqfLevel"), ("eqf_level", "eqfLevel"))


def _qualification(graph: Graph, qualification: str) -> Qualification:
    """A qualification with its levels, each level cited by the graphs of its own statement: the
    source's page where it states the level, else the outside source (never the page that names
    the qualification)."""
    levels = [(key, _level(graph, qualification, graph.kd + predicate)) for key, predicate in LEVELS]
    cited: dict[tuple[Source, ...], list[str]] = {}
    for key, predicate in LEVELS:
        found = tuple(graph.stated(qualification, graph.kd + predicate))
        if found:
            cited.setdefault(found, []).append(key)
    return Qualification(graph.ref(qualification), levels, [(keys, list(s)) for s, keys in cited.items()])


def _level(graph: Graph, subject: str, predicate: str) -> Ref | None:
    level = graph.one(subject, predicate)
    if level is None:
        return None
    notation = graph.text(level, SKOS + "notation") or level.rstrip("/").rsplit("/", 1)[-1]
    return Ref(graph.local(level), notation, level)


def _by_position(graph: Graph, resources: list[str]) -> list[str]:
    return sorted(resources, key=lambda r: (graph.number(r, graph.kd + "position") or 999, graph.label(r)))


def _item(graph: Graph, resource: str) -> Item:
    kinds = graph.types(resource)
    return Item(
        graph.ref(resource),
        graph.passage(resource),
        graph.introduced(resource) or graph.sources(resource),
        kind=sorted(kinds)[0] if kinds else "",
        date=graph.text(resource, DCT + "date"),
        position=graph.number(resource, graph.kd + "position") or 0,
    )


def _links(graph: Graph, resource: str, predicate: str) -> list[Ref | str]:
    return [graph.ref(v) for v in graph.iris(resource, graph.kd + predicate)]


def _cards(graph: Graph, kind: str, resources: list[str]) -> Block:
    """Any kind without a block of its own: label, text and the links it has, as cards."""
    items = []
    for resource in _by_position(graph, resources):
        item = _item(graph, resource)
        for predicate in CARD_LINKS:
            values = _links(graph, resource, predicate)
            if values:
                item.details.append((predicate, values))
        for predicate in CARD_TEXTS:
            value = graph.text(resource, graph.kd + predicate)
            if value:
                item.details.append((predicate, [value]))
        items.append(item)
    long_text = max((len(i.text) for i in items), default=0) > 300
    name = graph.label(graph.kd + kind)
    return Block("prose" if long_text else "cards", items, title=name[:1].upper() + name[1:])


CARD_LINKS = (
    "appliesTo",
    "qualification",
    "endFunctionDomain",
    "actor",
    "aimOf",
    "consequenceOf",
    "elaborates",
    "enabledBy",
)
CARD_TEXTS = (
    "summary",
    "statedReason",
    "causeText",
    "effectText",
    "drawbackText",
    "caveatText",
    "duration",
    "durationYears",
)


def _trends(graph: Graph, kind: str, resources: list[str]) -> Block:
    """Trends in the source's order, each with its theme, technologies, domains and horizon."""
    kd = graph.kd
    items = []
    for resource in _by_position(graph, resources):
        item = _item(graph, resource)
        theme = graph.one(resource, kd + "trendTheme")
        if theme:
            item.details.append(("theme", [graph.ref(theme)]))
        for key, predicate in (
            ("technologies", "mentionsTechnology"),
            ("mentionsRegulation", "mentionsRegulation"),
            ("concernsDomain", "concernsDomain"),
            ("partOfTrend", "partOfTrend"),
            ("drivenBy", "drivenBy"),
        ):
            values = _links(graph, resource, predicate)
            if values:
                item.details.append((key, values))
        horizon = _horizon(graph, resource)
        if horizon:
            item.details.append(("horizon", [horizon]))
        status = graph.text(resource, kd + "statusText")
        if status:
            item.details.append(("status_text", [status]))
        attributed: list[Ref | str] = [
            graph.ref(a) for a in graph.iris(resource, "http://www.w3.org/ns/prov#wasAttributedTo")
        ]
        if attributed:
            item.details.append(("attributed", attributed))
        items.append(item)
    return Block("trends", items)


def _outlooks(graph: Graph, kind: str, resources: list[str]) -> Block:
    """Technology outlooks as a table: the technology, its horizon (the kind, and the source's own
    words and years), its status or expected role, what it depends on, the trend it belongs to."""
    kd = graph.kd
    items = []
    for resource in _by_position(graph, resources):
        item = _item(graph, resource)
        item.details = [
            ("technologies", _links(graph, resource, "mentionsTechnology")),
            ("horizon", [_horizon(graph, resource)] if _horizon(graph, resource) else []),
            (
                "status_text",
                [
                    t
                    for t in (
                        graph.text(resource, kd + "statusText"),
                        graph.text(resource, kd + "expectedRole"),
                    )
                    if t
                ],
            ),
            (
                "prerequisite",
                [graph.text(resource, kd + "prerequisite")]
                if graph.text(resource, kd + "prerequisite")
                else [],
            ),
            ("partOfTrend", _links(graph, resource, "partOfTrend")),
        ]
        items.append(item)
    return Block("outlooks", items)


def _horizon(graph: Graph, subject: str) -> Markup:
    """The kind of horizon (kd:horizon), the source's words for it, and its years where given."""
    kd = graph.kd
    kind = graph.one(subject, kd + "horizon")
    words = graph.text(subject, kd + "horizonText")
    low, high = graph.number(subject, kd + "horizonMinYears"), graph.number(subject, kd + "horizonMaxYears")
    years = "jaar" if graph.lang == "nl" else "years"
    span = (
        (f"{low}-{high} {years}" if low != high else f"{low} {years}")
        if low is not None and high is not None
        else ""
    )
    # One value of three parts, each marked with its own language where it is not the page's (the
    # source's words are Dutch on an English page): a Markup the templates show as it is.
    parts = [marked(graph.label(kind), graph.lang) if kind else Markup("")]
    parts.append(Markup("“{}”").format(marked(words, graph.lang)) if words else Markup(""))
    parts.append(Markup("({})").format(span) if span else Markup(""))
    return Markup(" ").join(p for p in parts if p)


def _covering(
    graph: Graph, qualification: str, skills: list[str], requirements: list[tuple[str, str]]
) -> list[tuple[Ref, list[tuple[Ref, Ref, list[Source], str]], list[Source]]]:
    """Per skill, a generic requirement of this qualification and the requirements of another level
    it covers (kd:covers), each with its level, statement and sources; a rationale is marked as
    justifying the table's level (kd:justifiesLevelOf). Equal levels need no explanation."""
    kd = graph.kd

    def side(req: str) -> tuple[Ref, Ref, list[Source], str] | None:
        level, statement = graph.one(req, kd + "minimumLevel"), graph.one(req, kd + "statedIn")
        if not level or not statement:
            return None
        note = "justifies" if graph.iris(req, kd + "justifiesLevelOf") else ""
        return graph.ref(level), graph.ref(statement), graph.stated(req, kd + "minimumLevel", level), note

    found = []
    for skill in skills:
        for req, statement in requirements:
            if graph.one(req, kd + "skill") != skill or qualification not in graph.iris(
                statement, kd + "appliesTo"
            ):
                continue
            level = graph.one(req, kd + "minimumLevel")
            covered = [
                c
                for c in graph.iris(req, kd + "covers")
                if graph.one(c, kd + "minimumLevel") != level
                and qualification in graph.iris(graph.one(c, kd + "statedIn") or "", kd + "appliesTo")
            ]
            sides = [s for s in (side(r) for r in [req, *covered]) if s]
            if covered and len(sides) > 1:
                via = list(dict.fromkeys(src for c in covered for src in graph.stated(req, kd + "covers", c)))
                found.append((graph.ref(skill), sides, via))
    return found


def _language(graph: Graph, kind: str, resources: list[str]) -> Block:
    """The source's tables: per qualification, skills as columns and CEFR levels C2..A1 as rows.
    A cell shows the levels the source's table ticks (x) and names each statement that sets that
    level; the conflicts the data records (kd:RequirementConflict) are shown side by side, and so is
    a generic requirement with the profession-specific ones of another level that it covers
    (kd:covers: two kinds of requirement, not a conflict), with the interpretation that links them."""
    kd = graph.kd
    statements = _by_position(graph, resources)
    requirements = [
        (req, statement) for statement in statements for req in graph.iris(statement, kd + "hasRequirement")
    ]
    qualifications = sorted(
        {q for statement in statements for q in graph.iris(statement, kd + "appliesTo")},
        key=lambda q: graph.label(q),
    )
    skill_iris = sorted(
        {s for req, _ in requirements if (s := graph.one(req, kd + "skill"))},
        key=lambda s: SKILL_ORDER.get(s.rsplit("/", 1)[-1], 9),
    )
    found_level = next((lv for req, _ in requirements if (lv := graph.one(req, kd + "minimumLevel"))), None)
    level_base = found_level.rsplit("/", 1)[0] if found_level else ""
    in_conflict = {req for c in graph.conflicts for req in graph.iris(c, kd + "conflictingRequirement")}
    in_conflict |= {  # a covered requirement of another level, and what covers it: shown below
        r
        for req, _ in requirements
        for c in graph.iris(req, kd + "covers")
        if graph.one(c, kd + "minimumLevel") != graph.one(req, kd + "minimumLevel")
        for r in (req, c)
    }
    tables = []
    for qualification in qualifications:
        cells: dict[tuple[str, str], list[tuple[Ref, Ref, bool]]] = {}
        ticks: set[tuple[str, str]] = set()
        for req, statement in requirements:
            if qualification not in graph.iris(statement, kd + "appliesTo"):
                continue
            skill, level = graph.one(req, kd + "skill"), graph.one(req, kd + "minimumLevel")
            if not skill or not level:
                continue
            kind_ref = graph.one(statement, kd + "statementKind")
            short = graph.label(kind_ref) if kind_ref else graph.label(statement)
            cells.setdefault((level, skill), []).append(
                (Ref(graph.local(req), short, req), graph.ref(statement), req in in_conflict)
            )
            ticks |= {(ticked, skill) for ticked in graph.iris(req, kd + "tickedLevel")}
        conflicts = []
        for conflict in graph.conflicts:
            if qualification not in graph.iris(conflict, kd + "appliesTo"):
                continue
            sides = []
            for req in graph.iris(conflict, kd + "conflictingRequirement"):
                level, stated_in = graph.one(req, kd + "minimumLevel"), graph.one(req, kd + "statedIn")
                if level and stated_in:
                    sides.append(
                        (
                            graph.ref(level),
                            graph.ref(stated_in),
                            graph.stated(req, kd + "minimumLevel", level),
                        )
                    )
            skill = graph.one(conflict, kd + "skill")
            conflicts.append(
                (graph.ref(skill) if skill else graph.ref(conflict), sorted(sides, key=lambda x: x[0].label))
            )
        conflicts.sort(key=lambda c: SKILL_ORDER.get(c[0].iri.rsplit("/", 1)[-1], 9))
        levels = [Ref(graph.local(f"{level_base}/{n}"), n, f"{level_base}/{n}") for n in CEFR]
        table = CefrTable(
            graph.ref(qualification), [graph.ref(s) for s in skill_iris], levels, cells, conflicts
        )
        table.ticks = ticks
        table.relations = _covering(graph, qualification, skill_iris, requirements)
        tables.append(table)
    items = [_item(graph, s) for s in statements]
    for item, statement in zip(items, statements, strict=True):
        for key, predicate in (
            ("summary", kd + "summary"),
            ("statedReason", kd + "statedReason"),
            ("note", SKOS + "editorialNote"),
        ):
            value = graph.text(statement, predicate)
            if value:
                item.details.append((key, [value]))
    return Block("language", items=items, tables=tables)


CEFR = ("C2", "C1", "B2", "B1", "A2", "A1")
SKILL_ORDER = {"luisteren": 0, "lezen": 1, "gesprekken-voeren": 2, "spreken": 3, "schrijven": 4}


def _routes(graph: Graph, kind: str, resources: list[str]) -> Block:
    kd = graph.kd
    items = []
    for resource in _by_position(graph, resources):
        item = _item(graph, resource)
        for key, predicate in (
            ("from", "routeFrom"),
            ("to", "routeTo"),
            ("routeDomain", "routeDomain"),
            ("practiceContext", "practiceContext"),
            ("training_provider", "trainingProvider"),
        ):
            values = _links(graph, resource, predicate)
            if values:
                item.details.append((key, values))
        condition = graph.text(resource, kd + "condition")
        if condition:
            item.details.append(("condition", [condition]))
        items.append(item)
    return Block("routes", items)


def _agenda(graph: Graph, kind: str, resources: list[str]) -> Block:
    kd = graph.kd
    items = []
    for resource in _by_position(graph, resources):
        item = _item(graph, resource)
        item.details = [
            ("subject", [graph.text(resource, kd + "subject")]),
            ("action", [graph.text(resource, kd + "action")]),
            ("who", [graph.text(resource, kd + "who"), *_links(graph, resource, "actor")]),
            ("when", [graph.text(resource, kd + "when")]),
        ]
        items.append(item)
    return Block("agenda", items)


def _history(graph: Graph, kind: str, resources: list[str]) -> Block:
    items = [_item(graph, r) for r in _by_position(graph, resources)]
    for item in items:
        actors = _links(graph, item.ref.iri, "actor")
        if actors:
            item.details.append(("actor", actors))
        concerns = _links(graph, item.ref.iri, "concernsDossier")
        if concerns:
            item.details.append(("concernsDossier", concerns))
        note = graph.text(item.ref.iri, SKOS + "editorialNote")
        if note:
            item.details.append(("note", [note]))
    return Block("timeline", items)


def _stakeholders(graph: Graph, kind: str, resources: list[str]) -> Block:
    """Involvements by role: each organisation once per role, with the sources of its involvement."""
    kd = graph.kd
    roles: dict[str, dict[str, Item]] = {}
    for resource in resources:
        role, org = graph.one(resource, kd + "stakeholderRole"), graph.one(resource, kd + "stakeholder")
        if not role or not org:
            continue
        item = roles.setdefault(role, {}).setdefault(
            org, Item(graph.ref(org), details=[("involvements", [])])
        )
        item.details[0][1].append(graph.ref(resource))
        item.sources = ordered({*item.sources, *graph.introduced(resource)})
    groups = [
        (graph.ref(role), sorted(orgs.values(), key=lambda i: i.ref.label.lower()))
        for role, orgs in sorted(roles.items(), key=lambda kv: graph.label(kv[0]))
    ]
    return Block("stakeholders", groups=groups)


BLOCKS: dict[str, Callable[[Graph, str, list[str]], Block]] = {
    "Trend": _trends,
    "TechnologyOutlook": _outlooks,
    "LanguageRequirementStatement": _language,
    "ProgressionRoute": _routes,
    "MaintenanceAgendaItem": _agenda,
    "Decision": _history,
    "Involvement": _stakeholders,
}

"""Every media type the server speaks, and all content negotiation: one table, one set of rules.

Three kinds of representation: SPARQL results (SELECT/ASK), RDF documents (CONSTRUCT/DESCRIBE
results, the service description, VoID, Linked Data documents) and HTML pages. Each format
has a short name (CLI ``--format``, HTTP ``format=``), its media type, and the aliases real
clients send: SPARQLWrapper repeats its choice in ``format``, ``output`` and ``results``
(``rdf+xml``, ``application/rdf+xml``, ``rdf``, ``n3``, ``json-ld`` ...) next to an Accept
header, YASGUI sends Accept only, browsers send ``*/*``-laden headers.

The rules (:func:`choose`): the first ``format``/``output``/``results`` value that names a
format of the kind wanted wins; values that name a format of the *other* kind are ignored (a
client that asked for Turtle on a SELECT gets results); then Accept decides, ``*/*`` or none
meaning our default. A value that names nothing we know is a typo only if Accept does not name
something we can produce. The serialisers live here too, so that a format's name, its media
type and the bytes written for it cannot drift apart; Oxigraph writes a carriage return raw in
XML, where every parser reads it back as a line feed, so it is escaped here (``&#13;``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kdgraph.query.errors import NotAcceptable
from kdgraph.query.request_reader import format_values

RESULTS, RDF, PAGE = "results", "rdf", "page"
Parameters = Mapping[str, Sequence[str]]  # a request's parameters, each name with its values in order
W3C_FORMATS = "http://www.w3.org/ns/formats/"


def content_type(media_type: str) -> str:
    """The Content-Type header for ``media_type``: every text we write is UTF-8 and says so, once.

    The one place a charset is added (a dump served through Werkzeug's ``send_file`` with a
    media type that already named it said ``charset=utf-8`` twice). A gzip file has no charset.
    """
    if media_type == "application/gzip" or "charset=" in media_type:
        return media_type
    return f"{media_type}; charset=utf-8"


@dataclass(frozen=True)
class Format:
    name: str  # short name
    media_type: str
    kind: str  # RESULTS | RDF | PAGE
    label: str
    aliases: tuple[str, ...] = ()  # more names or media types clients use for it
    w3c: str | None = None  # its IRI under http://www.w3.org/ns/formats/

    @property
    def content_type(self) -> str:
        return content_type(self.media_type)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.media_type, *self.aliases)


# In order of preference: the first of each kind is the default.
RESULT_FORMATS = (
    Format(
        "json",
        "application/sparql-results+json",
        RESULTS,
        "JSON",
        ("srj", "application/json"),
        "SPARQL_Results_JSON",
    ),
    Format("xml", "application/sparql-results+xml", RESULTS, "XML", ("srx",), "SPARQL_Results_XML"),
    Format("csv", "text/csv", RESULTS, "CSV", (), "SPARQL_Results_CSV"),
    Format("tsv", "text/tab-separated-values", RESULTS, "TSV", (), "SPARQL_Results_TSV"),
)
RDF_FORMATS = (
    Format(
        "ttl",
        "text/turtle",
        RDF,
        "Turtle",
        # Turtle is N3 for every graph we can produce: SPARQLWrapper's N3 asks for these
        (
            "turtle",
            "n3",
            "application/turtle",
            "application/x-turtle",
            "text/n3",
            "text/rdf+n3",
            "application/n3",
        ),
        "Turtle",
    ),
    Format(
        "jsonld",
        "application/ld+json",
        RDF,
        "JSON-LD",
        ("json-ld", "json", "application/json", "application/x-json+ld"),
        "JSON-LD",
    ),
    Format("rdfxml", "application/rdf+xml", RDF, "RDF/XML", ("rdf", "rdf+xml", "xml", "owl"), "RDF_XML"),
    # text/plain: N-Triples' media type before application/n-triples was registered (RDF 1.1), what
    # rdflib's Graph().parse(url, format="nt") and other older clients still send; the answer
    # says application/n-triples (the same bytes: N-Triples is ASCII-safe UTF-8 text)
    Format(
        "nt", "application/n-triples", RDF, "N-Triples", ("ntriples", "n-triples", "text/plain"), "N-Triples"
    ),
    Format("trig", "application/trig", RDF, "TriG", (), "TriG"),
    Format("nq", "application/n-quads", RDF, "N-Quads", ("nquads", "n-quads"), "N-Quads"),
)
HTML = Format("html", "text/html", PAGE, "HTML", ("application/xhtml+xml",))
JSON_DOCUMENT = Format("json", "application/json", PAGE, "JSON")  # our own JSON (listings, OpenAPI)

BY_NAME = {f.name: f for f in RDF_FORMATS} | {f.name: f for f in RESULT_FORMATS}  # CLI --format
# Linked Data documents: the extensions a link may carry (/doc/id/x.ttl) and what they mean.
EXTENSIONS = {"ttl": "ttl", "jsonld": "jsonld", "nt": "nt", "rdf": "rdfxml", "html": "html"}
DOCUMENT_FORMATS = (HTML, *(f for f in RDF_FORMATS if f.name in EXTENSIONS.values()))

_RESULT_SERIALISERS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_RDF_SERIALISERS = {
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "nt": ox.RdfFormat.N_TRIPLES,
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
}
_XML = frozenset({"xml", "rdfxml"})


def _lookup(formats: Iterable[Format]) -> dict[str, Format]:
    table: dict[str, Format] = {}
    for fmt in formats:
        for name in fmt.names:
            table.setdefault(name.lower(), fmt)
    return table


_KNOWN = _lookup((*RESULT_FORMATS, *RDF_FORMATS, HTML, JSON_DOCUMENT))


def requested_formats(values: Parameters) -> list[str]:
    """Every ``format``/``output``/``results`` value a client sent, in order, without blanks."""
    return [value.strip().lower() for value in format_values(values) if value.strip()]


def choose(offered: Sequence[Format], accept: str, requested: Sequence[str], what: str) -> Format:
    """The format to answer with, out of ``offered`` (first = default); see the module docstring.

    ``accept`` is the Accept header as sent. Clients send few distinct headers and format values,
    so the choice is remembered: negotiation costs a dictionary lookup per request.
    """
    return _choose(tuple(offered), accept, tuple(requested), what)


@functools.lru_cache(maxsize=1024)
def _choose(offered: tuple[Format, ...], header: str, requested: tuple[str, ...], what: str) -> Format:
    names = _lookup(offered)
    for value in requested:
        if value in names:
            return names[value]
    accept = parse_accept_header(header, MIMEAccept)
    candidates = [name for fmt in offered for name in (fmt.media_type, *fmt.aliases) if "/" in name]
    if accept and accept.best not in (None, "*/*"):
        best = accept.best_match(candidates)
        if best is None:
            raise NotAcceptable(
                f"none of the accepted media types ({header}) can be produced for {what}; "
                f"available: {', '.join(f.media_type for f in offered)}"
            )
        return names[best.lower()]
    unknown = [value for value in requested if value not in _KNOWN]
    if unknown:
        raise NotAcceptable(
            f"format={unknown[0]!r} is not a format this server knows; for {what} use one of: "
            + ", ".join(f.name for f in offered)
        )
    return offered[0]


def negotiate(
    offered: Sequence[Format], accept: str, values: Parameters, what: str, lenient: bool = False
) -> Format:
    """:func:`choose` for a request's Accept header (as sent) and URL parameters (``values``).

    ``lenient``: an RDF-only document linked from our pages (VoID, the saved queries as RDF)
    answers in its default format rather than 406 when Accept names only HTML.
    """
    try:
        return choose(offered, accept, requested_formats(values), what)
    except NotAcceptable:
        if lenient:
            return offered[0]
        raise


def page_or_rdf(accept: str, values: Parameters, what: str) -> Format:
    """For a URL that is a page for people and an RDF document for machines at once (the service
    description at /sparql): the page only when Accept prefers HTML strictly to Turtle (a browser);
    otherwise the RDF format negotiated, Turtle for ``*/*`` or no Accept at all."""
    fmt = negotiate((HTML, *RDF_FORMATS), accept, values, what)
    if fmt is not HTML:
        return fmt
    parsed = parse_accept_header(accept, MIMEAccept)
    return HTML if parsed["text/html"] > parsed["text/turtle"] else RDF_FORMATS[0]


@dataclass(frozen=True)
class Wanted:
    """What a query's answer may be, decided before the engine says which kind it is.

    A refusal is kept as a message, raised only if the query turns out to be of that kind:
    a syntax error is reported as such even when the Accept header could not be met.
    """

    results: Format | str  # a Format, or why none fits
    rdf: Format | str

    def for_kind(self, kind: str) -> Format:
        chosen = self.results if kind == RESULTS else self.rdf
        if isinstance(chosen, str):
            raise NotAcceptable(chosen)
        return chosen

    @classmethod
    def of(cls, results: str, rdf: str) -> Wanted:
        """By short names (CLI, internal callers)."""
        return cls(BY_NAME[results], BY_NAME[rdf])


def _or_refusal(offered: Sequence[Format], accept: str, requested: Sequence[str], what: str) -> Format | str:
    try:
        return choose(offered, accept, requested, what)
    except NotAcceptable as refusal:
        return refusal.message


def wanted_for_query(accept: str, values: Parameters) -> Wanted:
    """Both choices for a query whose form is not known yet (the engine will tell); ``accept``
    is the Accept header as sent."""
    return _wanted(accept, tuple(requested_formats(values)))


@functools.lru_cache(maxsize=1024)
def _wanted(accept: str, requested: tuple[str, ...]) -> Wanted:
    return Wanted(
        _or_refusal(RESULT_FORMATS, accept, requested, "SELECT/ASK results"),
        _or_refusal(RDF_FORMATS, accept, requested, "CONSTRUCT/DESCRIBE results"),
    )


# ---------------------------------------------------------------- serialisation


def escape_cr(fmt: Format, body: bytes) -> bytes:
    # In XML a raw CR is normalised to LF by every parser; Oxigraph writes it raw, inside text only.
    return body.replace(b"\r", b"&#13;") if fmt.name in _XML else body


def serialize_results(result: ox.QuerySolutions | ox.QueryBoolean, fmt: Format) -> bytes:
    return escape_cr(fmt, result.serialize(format=_RESULT_SERIALISERS[fmt.name]) or b"")


def serialize_triples(
    triples: Iterable[ox.Triple], fmt: Format, prefixes: Mapping[str, str] | None = None
) -> bytes:
    names = dict(prefixes) if prefixes and fmt.name in ("ttl", "trig") else None
    return escape_cr(fmt, ox.serialize(triples, format=_RDF_SERIALISERS[fmt.name], prefixes=names) or b"")


def rdf_parser(fmt: Format) -> ox.RdfFormat:
    return _RDF_SERIALISERS[fmt.name]


def result_parser(fmt: Format) -> ox.QueryResultsFormat:
    return _RESULT_SERIALISERS[fmt.name]

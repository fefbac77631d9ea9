"""A lexical pre-check of a SPARQL request, so that refusals and limits get a friendly answer.

This is not a parser and does not decide the query form: the engine parses the query, once,
and reports syntax errors. The pre-check only reads the *tokens* of the text, following the
lexical rules of the SPARQL 1.1 grammar (https://www.w3.org/TR/sparql11-query/#grammar):

- codepoint escapes ``\\uXXXX`` / ``\\UXXXXXXXX`` are replaced before anything else (§19.2), so
  ``\\u0053ERVICE`` is the keyword SERVICE;
- a comment runs from ``#`` outside an IRI or a string to the next CR (0x0D) or LF (0x0A) only
  (§19.4): form feed, NEL (U+0085) and LINE SEPARATOR (U+2028) do *not* end it;
- strings in all four quote forms with their escapes, IRIREFs, prefixed names (with ``%XX``
  and ``\\``-escapes in local names, so ``ex:a\\#b`` holds no comment), blank node labels,
  variables, numbers, keywords in any case, and ``a``.

Its findings: whether the text is an update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD,
MOVE, COPY, WITH: the endpoint is read-only), every SERVICE call (endpoint resolved against the
PREFIX and BASE declarations, or a variable; SILENT or not), and the sizes the engine cannot
cope with (nesting depth, operator chains, triple patterns, length).

Two readings, one verdict. pyoxigraph 0.5.13 does not do the §19.2 replacement (it only
unescapes inside IRIs and strings), and its keywords need no token boundary
(``SERVICEex:x {…}`` is a SERVICE call to ``ex:x``; a grammar-exact lexer reads one prefixed
name). So the text is read both ways, the grammar's and the engine's, and what either reading
finds counts (``'\\u0027' SERVICE …`` hides the call from the grammar's reading only). Even so
this is a guard for friendly 403s and 400s, not the safety guarantee: that is
``isolation.isolate_network``, which leaves the engine process without any network at all, so
a query the two tokenisers read differently still cannot reach anything.

The limits were measured on pyoxigraph 0.5.13 (8 MB stack, each case in its own process):
its recursive parser and optimiser kill the process (SIGSEGV) at about 900 nested function
calls (``STR(STR(…))``), 2,500 nested braces, 3,000 nested OPTIONAL groups, 5,000 OPTIONAL,
MINUS or BIND in one group, 7,000 chained ``+`` or UNION, 10,000 FILTERs and 20,000 ``|`` path
alternatives (each extends the algebra tree by one level); its join planner takes 0.1 s for 85
joined triple patterns, 0.45 s for 128 and 2.8 s for 200 (more runs into the deadline), while
100,000 VALUES rows or IN members are cheap and need no limit.
The defaults below stay far under the crashes and at the point where planning stays short.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from kdgraph.query.engine import Term
from kdgraph.query.errors import BadRequest, Forbidden, QueryPathError

UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)


@dataclass(frozen=True)
class Limits:
    """What the engine is asked to parse at most; above it the answer is 400 with what to fix."""

    max_depth: int = 128  # nested { ( [ of any kind
    max_operators: int = 1000  # operators and UNION/MINUS/OPTIONAL/BIND/FILTER: each one deepens the tree
    max_patterns: int = 200  # triple patterns: separators . ; , and the last one of a group or [ … ]
    max_length: int = 1_000_000  # characters


@dataclass(frozen=True)
class ServiceCall:
    """One SERVICE in the text; ``endpoint`` is the absolute IRI, or None for a variable."""

    endpoint: str | None
    written: str  # as in the query: <…>, ex:name or ?var
    silent: bool
    line: int
    column: int

    def describe(self) -> str:
        where = f"line {self.line}, column {self.column}"
        if self.endpoint is None:
            return f"SERVICE {self.written} ({where})"
        return f"SERVICE <{self.endpoint}> ({where})"


@dataclass(frozen=True)
class Scan:
    """What the tokens of one request say (both readings merged)."""

    update_keyword: str | None  # the first update keyword, e.g. "INSERT"
    services: tuple[ServiceCall, ...]
    depth: int
    operators: int
    patterns: int
    length: int


# ------------------------------------------------------------------ the grammar's terminals

_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_ECHAR = r"""\\[tbnrf\\"']"""
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PN_PREFIX = rf"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = rf"%{_HEX}{_HEX}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
_VARNAME = rf"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_EXPONENT = "[eE][+-]?[0-9]+"

# One alternative per terminal, in the order longest-match needs (long strings before short,
# numbers before '.', prefixed names before keywords, IRIREF before the '<' operator); numbers
# first, as no other terminal starts with a digit (or with '.' and a digit): the commonest token
# of a long VALUES block is then found at the first try.
# UCHAR is allowed in IRIs and strings for the engine's reading (no §19.2 replacement there).
# Whitespace and comments are skipped inside each match, possessively, rather than matched as
# tokens of their own: half as many matches in a long VALUES block, each one a token.
_TOKEN = re.compile(
    rf"""
    (?:[\x20\t\r\n]|\#[^\r\n]*)*+
    (?:
    (?P<number>[0-9]+(?:\.[0-9]*{_EXPONENT}|{_EXPONENT}|\.[0-9]+)?|\.[0-9]+(?:{_EXPONENT})?)
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*'''
              |\"\"\"(?:(?:"|"")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*\"\"\"
              |'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*'
              |"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*")
  | (?P<var>[?$]{_VARNAME})
  | (?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)
  | (?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)
  | (?P<operator>\^\^|\|\||&&|!=|<=|>=|[!=<>+\-*/|^])
  | (?P<open>[{{(\[])
  | (?P<close>[}})\]])
  | (?P<separator>[.;,])
  | (?P<other>.)
    )?
    """,
    re.VERBOSE | re.DOTALL,
)
_CODEPOINT = re.compile(rf"\\u({_HEX}{{4}})|\\U({_HEX}{{8}})")
_CHAIN_KEYWORDS = frozenset({"UNION", "MINUS", "OPTIONAL", "BIND", "FILTER"})
_PATTERN_CONTEXTS = frozenset("{[")
_CLOSING = {"}": "{", ")": "(", "]": "["}
_TERMS = frozenset({"iri", "string", "var", "bnode", "pname", "number", "name", "langtag"})
_INERT = _TERMS - {"pname", "name"}  # terms that only matter as the token before a bracket


def replace_codepoint_escapes(text: str) -> str:
    """§19.2: ``\\uXXXX`` and ``\\UXXXXXXXX`` become their character before the text is parsed."""

    def character(match: re.Match[str]) -> str:
        value = int(match.group(1) or match.group(2), 16)
        if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            return match.group(0)  # not a character: left for the engine to report
        return chr(value)

    return _CODEPOINT.sub(character, text)


@dataclass
class _Reading:
    """The tokens of one reading of the text, walked once."""

    text: str
    engine_keywords: bool  # also match keywords without a token boundary, as pyoxigraph does
    base: str | None = None
    prefixes: dict[str, str] = field(default_factory=dict)
    update_keyword: str | None = None
    services: list[ServiceCall] = field(default_factory=list)
    depth: int = 0
    operators: int = 0
    patterns: int = 0

    def tokens(self) -> list[tuple[str, str, int]]:
        """(kind, text, offset) of every token but whitespace and comments.

        A character that starts no SPARQL token is a token "other" of its own (the engine will
        reject it); the scan goes on after it.
        """
        return [
            (kind, match[kind], match.start(kind))
            for match in _TOKEN.finditer(self.text)
            if (kind := match.lastgroup) is not None  # None: only whitespace and comments, at the end
        ]

    def where(self, offset: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def read(self) -> _Reading:
        tokens = self.tokens()
        stack: list[str] = []
        for index, (kind, value, _) in enumerate(tokens):
            if kind in _INERT:  # most tokens of a long VALUES block: nothing to count
                continue
            if kind == "open":
                stack.append(value)
                self.depth = max(self.depth, len(stack))
            elif kind == "close":
                before = tokens[index - 1] if index else ("start", "", 0)
                if value in "}]" and (before[0] in _TERMS or before[1] == "]"):
                    self.patterns += 1  # the group's last pattern, which no separator follows
                if stack and stack[-1] == _CLOSING[value]:
                    stack.pop()
            elif kind == "separator":
                if stack and stack[-1] in _PATTERN_CONTEXTS:
                    self.patterns += 1
            elif kind == "operator":
                self.operators += 1
            elif kind == "name":
                self._keyword(value.upper(), tokens, index)
            elif kind == "pname" and self.engine_keywords:
                self._glued_service(value, tokens, index)
        return self

    def _keyword(self, word: str, tokens: list[tuple[str, str, int]], index: int) -> None:
        following = tokens[index + 1] if index + 1 < len(tokens) else ("end", "", len(self.text))
        if word in UPDATE_KEYWORDS and self.update_keyword is None:
            self.update_keyword = word
        elif word in _CHAIN_KEYWORDS:
            self.operators += 1
        elif word == "PREFIX" and following[0] == "pname" and index + 2 < len(tokens):
            iri = tokens[index + 2]
            if iri[0] == "iri":
                namespace = self._absolute(replace_codepoint_escapes(iri[1][1:-1]))
                self.prefixes[following[1].split(":", 1)[0]] = namespace
        elif word == "BASE" and following[0] == "iri":
            self.base = self._absolute(replace_codepoint_escapes(following[1][1:-1]))
        elif word == "SERVICE" or (self.engine_keywords and word.startswith("SERVICE")):
            silent = word.removeprefix("SERVICE") == "SILENT"
            if not silent and word != "SERVICE":
                return  # SERVICEfoo: no call in either reading
            target = following
            if not silent and following[0] == "name" and following[1].upper() == "SILENT":
                silent = True
                target = tokens[index + 2] if index + 2 < len(tokens) else ("end", "", len(self.text))
            self._service(target, silent, tokens[index][2])

    def _glued_service(self, value: str, tokens: list[tuple[str, str, int]], index: int) -> None:
        """pyoxigraph reads ``SERVICEex:x {`` (and ``SERVICESILENTex:x {``) as SERVICE ex:x.

        Only where a group follows: elsewhere (``?s serviceTerms:p ?o``) it reads a prefixed name.
        """
        offset = tokens[index][2]
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if not value.upper().startswith("SERVICE") or following != "{":
            return
        rest, silent = value[len("SERVICE") :], False
        if rest.upper().startswith("SILENT"):
            rest, silent = rest[len("SILENT") :], True
        self._service(("pname", rest, offset), silent, offset)

    def _service(self, target: tuple[str, str, int], silent: bool, offset: int) -> None:
        kind, written, _ = target
        endpoint: str | None
        if kind == "iri":
            endpoint = self._absolute(replace_codepoint_escapes(written[1:-1]))
        elif kind == "pname":
            prefix, local = written.split(":", 1)
            namespace = self.prefixes.get(prefix)
            endpoint = namespace + _unescape_local(local) if namespace is not None else written
        elif kind == "var":  # bound at run time: never allow-listed
            endpoint = None
        else:  # no endpoint at all: the engine rejects the syntax
            return
        line, column = self.where(offset)
        self.services.append(ServiceCall(endpoint, written or "(nothing)", silent, line, column))

    def _absolute(self, reference: str) -> str:
        return resolve(self.base, reference)


def _unescape_local(local: str) -> str:
    """A prefixed name's local part as part of an IRI: ``\\`` escapes dropped, %XX kept (§19.5)."""
    return re.sub(r"\\(.)", r"\1", local)


def resolve(base: str | None, reference: str) -> str:
    """``reference`` resolved against ``base`` by the engine's own IRI code (RFC 3987, oxiri).

    Without a base, or when the engine cannot resolve it, the reference is returned as written:
    it is then no allow-listed endpoint, which is the safe answer.
    """
    if base is None:
        return reference
    try:
        triple = next(
            iter(ox.parse(f"<{reference}> <urn:p> <urn:o> .", format=ox.RdfFormat.TURTLE, base_iri=base))
        )
    except (SyntaxError, ValueError, StopIteration):
        return reference
    subject = triple.subject
    return subject.value if isinstance(subject, ox.NamedNode) else reference


def scan(text: str, base: str | None = None) -> Scan:
    """Read ``text`` the grammar's way and the engine's way; what either finds counts."""
    readings = [_Reading(text, engine_keywords=True, base=base).read()]  # positions as sent
    replaced = replace_codepoint_escapes(text)
    if replaced != text:  # without escapes the grammar's reading finds a subset of the engine's
        readings.append(_Reading(replaced, engine_keywords=False, base=base).read())
    services: dict[tuple[str, bool], ServiceCall] = {}
    for reading in readings:
        for call in reading.services:
            services.setdefault((call.endpoint or call.written, call.silent), call)
    return Scan(
        update_keyword=next((r.update_keyword for r in readings if r.update_keyword), None),
        services=tuple(services.values()),
        depth=max(r.depth for r in readings),
        operators=max(r.operators for r in readings),
        patterns=max(r.patterns for r in readings),
        length=len(text),
    )


def refusal(
    found: Scan, allowed_services: frozenset[str] = frozenset(), limits: Limits | None = None
) -> QueryPathError | None:
    """The friendly refusal for what ``scan`` found (an error of the query path's family, with
    its status: 403 or 400), or None when the engine may have the query."""
    limits = limits or Limits()
    if found.update_keyword:
        return Forbidden(
            f"this endpoint is read-only: SPARQL Update ({found.update_keyword}) is refused and "
            "nothing was changed",
        )
    for call in found.services:
        if call.endpoint is None:
            return Forbidden(
                f"{call.describe()} is refused: a SERVICE endpoint must be a fixed IRI "
                "that the operator allow-listed, not a variable",
            )
        if call.endpoint not in allowed_services:
            allowed = ", ".join(sorted(allowed_services)) or "none"
            return Forbidden(
                f"{call.describe()} is refused: this endpoint makes no outbound requests "
                f"except to the endpoints its operator allow-listed ({allowed})",
            )
    for size, limit, message in (
        (
            found.length,
            limits.max_length,
            "the query is {size} characters long; at most {limit} are accepted: send a shorter query",
        ),
        (
            found.depth,
            limits.max_depth,
            "the query nests brackets {size} deep; at most {limit} levels "
            "are accepted: flatten the nested groups, sub-queries or expressions",
        ),
        (
            found.operators,
            limits.max_operators,
            "the query chains {size} operators and "
            "UNION/MINUS/OPTIONAL/BIND/FILTER; at most {limit} are accepted: use VALUES or IN instead "
            "of long chains, or split the query",
        ),
        (
            found.patterns,
            limits.max_patterns,
            "the query joins {size} triple patterns; at most {limit} "
            "are accepted: split it into several queries or use VALUES",
        ),
    ):
        if size > limit:
            return BadRequest(message.format(size=size, limit=limit))
    return None


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def query_form(text: str) -> str | None:
    """The form of a query whose form is needed before the engine parses it (a saved query's
    description): the first of SELECT, ASK, CONSTRUCT, DESCRIBE among its tokens, so that a
    comment, a string or an IRI that holds one of the words does not count; None if none."""
    for kind, value, _ in _Reading(text, engine_keywords=False).tokens():
        if kind == "name" and value.upper() in QUERY_FORMS:
            return value.upper()
    return None


def with_values(sparql: str, bindings: Mapping[str, Term]) -> str:
    """The query with the bindings as a VALUES block at the start of its WHERE group.

    For engines without variable substitution (a remote SPARQL endpoint) and for showing a saved
    query with its parameters. The WHERE group is found by this module's tokens (one reading of
    SPARQL text in the project: a ``{`` or ``WHERE`` in a comment, string or IRI is no syntax).
    The terms are serialised by pyoxigraph (escaped, validated), never pasted from user text, and
    the block goes inside the WHERE group so that FILTERs see the values (a trailing VALUES would
    not).
    """
    if not bindings:
        return sparql
    names = sorted(bindings)
    variables = " ".join("?" + n for n in names)
    values = " ".join(str(bindings[n]) for n in names)
    block = f"VALUES ({variables}) {{ ({values}) }}"
    seen_where = False
    for kind, value, offset in _Reading(sparql, engine_keywords=False).tokens():
        if kind == "name" and value.upper() == "WHERE":
            seen_where = True
        elif kind == "open" and value == "{" and seen_where:
            end = offset + 1
            return sparql[:end] + "\n  " + block + "\n" + sparql[end:]
    raise BadRequest("cannot bind parameters for a remote endpoint: the query has no WHERE { ... } group")

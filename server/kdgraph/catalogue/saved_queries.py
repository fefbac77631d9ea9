"""Saved queries: ``queries/*.rq`` files with a YAML header in ``#+`` comment lines.

The header (title and description in nl and en, parameters, example, tags) is YAML so that it
can grow without a home-made parser. Parameters are bound as typed RDF terms through the
engine's variable substitution, never pasted into the query text, so a parameter value can
never change the structure of a query.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import yaml

from kdgraph.query.engine import Query, Term
from kdgraph.query.errors import BadParameter
from kdgraph.query.lexer import query_form, with_values

PARAMETER_TYPES = ("iri", "string", "integer", "date", "language")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


class QueryFileError(ValueError):
    """A saved-query file whose header is missing or malformed."""


class ParameterError(BadParameter):
    """A parameter value that is missing or does not fit its declared type (400 over HTTP)."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool
    description: dict[str, str]
    default: str | None = None
    values: tuple[str, ...] = ()

    def to_term(self, raw: str) -> Term:
        """Turn the raw text of a value into a typed RDF term, or say what was expected."""
        if self.values and raw not in self.values:
            raise ParameterError(self.name, f"expected one of {', '.join(self.values)}, got {raw!r}")
        if self.type == "iri":
            try:
                if _IRI.match(raw):
                    return ox.NamedNode(raw)
            except ValueError:  # the pattern lets through code points an IRI may not hold (issue 15)
                pass
            raise ParameterError(self.name, f"expected an absolute IRI such as https://..., got {raw!r}")
        if self.type == "integer":
            try:
                return ox.Literal(
                    str(int(raw)), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
                )
            except ValueError:
                raise ParameterError(self.name, f"expected an integer, got {raw!r}") from None
        if self.type == "date":
            try:
                return ox.Literal(
                    dt.date.fromisoformat(raw).isoformat(),
                    datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"),
                )
            except ValueError:
                raise ParameterError(self.name, f"expected a date as YYYY-MM-DD, got {raw!r}") from None
        if self.type == "language":
            if not _LANGUAGE_TAG.match(raw):
                raise ParameterError(self.name, f"expected a language tag such as nl or en, got {raw!r}")
            return ox.Literal(raw.lower())
        return ox.Literal(raw)


@dataclass(frozen=True)
class SavedQuery:
    name: str
    path: Path
    sparql: str
    title: dict[str, str]
    description: dict[str, str]
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    example: str = ""

    @property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE, by the lexer's tokens (the header is comments)."""
        return query_form(self.sparql) or "SELECT"

    def paged(self, limit: int, offset: int) -> str:
        """The query text with LIMIT/OFFSET appended (validated integers: no injection)."""
        return f"{self.sparql.rstrip()}\nLIMIT {int(limit)} OFFSET {int(offset)}\n"

    def bound_text(self, raw: Mapping[str, str]) -> str:
        """The query with ``raw`` parameters checked and bound in a VALUES block (as the UI shows it)."""
        return with_values(self.sparql, self.bind(raw))

    def example_text(self) -> str:
        """The query with its example parameters bound: what the UI opens and scripts send."""
        return self.bound_text(self.example_parameters())

    def query(self, bound: Mapping[str, Term]) -> Query:
        """The whole query with ``bound`` parameters, as the engine substitutes them."""
        return Query.bound(self.sparql, bound)

    def api_queries(self, bound: Mapping[str, Term], limit: int, offset: int) -> tuple[Query, Query | None]:
        """What GET /queries/{name} evaluates: the page asked for and, for SELECT, the whole
        result whose rows it counts. One definition, so the warm-up answers exactly these."""
        if self.form != "SELECT":
            return self.query(bound), None
        return Query.bound(self.paged(limit, offset), bound), self.query(bound)

    def example_parameters(self) -> dict[str, str]:
        """The ``--param NAME=VALUE`` pairs of the header's example call."""
        return dict(re.findall(r"--param\s+([A-Za-z_]\w*)=(\S+)", self.example))

    def bind(self, raw: Mapping[str, str]) -> dict[str, Term]:
        """Check raw parameter values against the header and turn them into RDF terms."""
        known = {p.name for p in self.parameters}
        unknown = sorted(set(raw) - known)
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise ParameterError(unknown[0], f"unknown parameter (this query takes: {allowed})")
        bound: dict[str, Term] = {}
        for parameter in self.parameters:
            value = raw.get(parameter.name, parameter.default)
            # An empty string is a value only for string parameters (e.g. "no filter").
            if value is None or (value == "" and parameter.type != "string"):
                if parameter.required:
                    raise ParameterError(parameter.name, f"required ({parameter.type}) but not given")
                continue
            bound[parameter.name] = parameter.to_term(value)
        return bound


def _lang_map(value: object, what: str, path: Path) -> dict[str, str]:
    if not isinstance(value, dict) or not {"nl", "en"} <= set(value):
        raise QueryFileError(f"{path}: header field '{what}' needs an 'nl' and an 'en' text")
    return {str(k): str(v).strip() for k, v in value.items()}


def parse_query_file(path: Path) -> SavedQuery:
    text = path.read_text(encoding="utf-8")
    header_lines = [
        line[3:] if line.startswith("#+ ") else line[2:]
        for line in text.splitlines()
        if line.startswith("#+")
    ]
    if not header_lines:
        raise QueryFileError(f"{path}: no '#+' header (title, description, parameters)")
    try:
        header = yaml.safe_load("\n".join(header_lines)) or {}
    except yaml.YAMLError as error:
        raise QueryFileError(f"{path}: header is not valid YAML: {error}") from None
    parameters = []
    for item in header.get("parameters") or []:
        kind = item.get("type", "string")
        if kind not in PARAMETER_TYPES:
            raise QueryFileError(f"{path}: parameter {item.get('name')!r} has unknown type {kind!r}")
        parameters.append(
            Parameter(
                name=str(item["name"]),
                type=kind,
                required=bool(item.get("required", False)),
                description=_lang_map(
                    item.get("description"), f"parameters.{item['name']}.description", path
                ),
                default=None if item.get("default") is None else str(item["default"]),
                values=tuple(str(v) for v in item.get("values") or ()),
            )
        )
    return SavedQuery(
        name=path.stem,
        path=path,
        sparql=text,
        title=_lang_map(header.get("title"), "title", path),
        description=_lang_map(header.get("description"), "description", path),
        tags=tuple(str(t) for t in header.get("tags") or ()),
        parameters=tuple(parameters),
        example=str(header.get("example", "")).strip(),
    )


def query_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.rq"))


def load_saved_queries(directory: Path) -> dict[str, SavedQuery]:
    return {q.name: q for q in (parse_query_file(p) for p in query_files(directory))}


def without_header(sparql: str) -> str:
    """The query text without its leading ``#+`` YAML header lines (what people read and edit;
    the header is the saved-query API's description)."""
    lines = sparql.splitlines()
    while lines and (lines[0].startswith("#+") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines) + "\n"

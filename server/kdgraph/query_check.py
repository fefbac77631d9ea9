"""The safety check every query passes before evaluation.

Read-only, and no way out: SPARQL Update (including LOAD) is refused, SERVICE is refused unless
the operator allow-listed that endpoint, and FROM / FROM NAMED may only name our own graph.
rdflib's SPARQL parser does the parsing (an established parser, not a hand-made scanner);
its result is cached per query text, so repeated queries pay nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


class QueryRejected(Exception):
    """A query that must not run; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class CheckedQuery:
    form: str  # SELECT | ASK | CONSTRUCT | DESCRIBE
    default_graphs: tuple[str, ...]  # FROM
    named_graphs: tuple[str, ...]  # FROM NAMED


def _walk(node: object) -> Iterator[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple)) or hasattr(node, "asList"):
        for value in node:  # type: ignore[attr-defined]
            yield from _walk(value)


def _syntax_message(error: ParseException) -> str:
    return (
        f"SPARQL syntax error at line {error.lineno}, column {error.col}: {error.msg} (found {error.line!r})"
    )


@lru_cache(maxsize=4096)
def check_query(text: str, own_graphs: frozenset[str], allowed_services: frozenset[str]) -> CheckedQuery:
    if not text.strip():
        raise QueryRejected(400, "the query is empty; send a SPARQL query in the 'query' parameter")
    try:
        tree = parseQuery(text)
    except ParseException as error:
        try:
            parseUpdate(text)
        except ParseException:
            raise QueryRejected(400, _syntax_message(error)) from None
        raise QueryRejected(
            403,
            "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, "
            "DROP, CREATE, ...) is refused and nothing was changed",
        ) from None
    nodes = list(_walk(tree))
    form = next((FORMS[n.name] for n in nodes if n.name in FORMS), "SELECT")
    for node in nodes:
        if node.name == "ServiceGraphPattern":
            endpoint = str(node.get("term"))
            if endpoint not in allowed_services:
                raise QueryRejected(
                    403,
                    f"SERVICE <{endpoint}> is refused: this endpoint makes no outbound "
                    "requests (operators can allow-list federation endpoints)",
                )
    defaults, named = [], []
    for node in nodes:
        if node.name == "DatasetClause":
            iri, target = (
                (str(node["default"]), defaults) if "default" in node else (str(node["named"]), named)
            )
            if iri not in own_graphs:
                raise QueryRejected(
                    403,
                    f"FROM <{iri}> is refused: only this dataset's own graphs can be named "
                    f"({', '.join(sorted(own_graphs))})",
                )
            target.append(iri)
    return CheckedQuery(form, tuple(defaults), tuple(named))


def check_graph_parameters(iris: list[str], own_graphs: frozenset[str]) -> None:
    """default-graph-uri / named-graph-uri: the same rule as FROM / FROM NAMED."""
    for iri in iris:
        if iri not in own_graphs:
            raise QueryRejected(
                403,
                f"graph <{iri}> is refused: only this dataset's own graphs can be named "
                f"({', '.join(sorted(own_graphs))})",
            )

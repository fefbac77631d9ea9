"""The OpenAPI 3 description of the HTTP API, generated from the saved-query headers."""

from __future__ import annotations

from collections.abc import Iterable

from . import __version__
from .query import media as _media
from .saved_queries import Parameter, SavedQuery

RESERVED = ("limit", "offset", "format")
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1_000
TABULAR_MEDIA_TYPES = {f.media_type: f.name for f in _media.RESULT_FORMATS}
GRAPH_MEDIA_TYPES = {f.media_type: f.name for f in _media.RDF_FORMATS}


def _schema(parameter: Parameter) -> dict:
    schema: dict = {
        "iri": {"type": "string", "format": "uri"},
        "integer": {"type": "integer"},
        "date": {"type": "string", "format": "date"},
        "language": {"type": "string", "pattern": "^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
        "string": {"type": "string"},
    }[parameter.type]
    if parameter.values:
        schema["enum"] = list(parameter.values)
    if parameter.default is not None:
        schema["default"] = int(parameter.default) if parameter.type == "integer" else parameter.default
    return schema


def _error(description: str) -> dict:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


ERRORS = {
    "400": _error("A parameter is missing or does not fit its type; the body names it."),
    "404": _error("No saved query by that name."),
    "406": _error("None of the accepted media types can be produced."),
    "503": _error("The query did not finish within the deadline."),
}


def _query_operation(query: SavedQuery) -> dict:
    parameters = [
        {
            "name": p.name,
            "in": "query",
            "required": p.required,
            "schema": _schema(p),
            "description": f"{p.description['en']} / {p.description['nl']}",
        }
        for p in query.parameters
    ]
    parameters += [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Page size.",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "description": "Rows to skip.",
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
        {
            "name": "format",
            "in": "query",
            "required": False,
            "description": "Result format, instead of the Accept header.",
            "schema": {"type": "string", "enum": sorted(set(TABULAR_MEDIA_TYPES.values()))},
        },
    ]
    media = GRAPH_MEDIA_TYPES if query.form in ("CONSTRUCT", "DESCRIBE") else TABULAR_MEDIA_TYPES
    return {
        "operationId": query.name.replace("-", "_"),
        "summary": query.title["en"],
        "description": f"{query.description['en']}\n\n{query.title['nl']}: {query.description['nl']}",
        "tags": ["saved queries"],
        "parameters": parameters,
        "responses": {
            "200": {
                "description": "The result, one page of it (see the Link header).",
                "content": {m: {"schema": {"type": "string"}} for m in media},
            },
            **ERRORS,
        },
    }


def openapi_document(queries: Iterable[SavedQuery], server_url: str) -> dict:
    paths: dict = {
        "/queries": {
            "get": {
                "operationId": "list_queries",
                "summary": "The saved queries and their parameters.",
                "responses": {
                    "200": {
                        "description": "The list.",
                        "content": {
                            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                            "text/html": {"schema": {"type": "string"}},
                        },
                    }
                },
            }
        },
        "/sparql": {
            "get": {
                "operationId": "sparql_query",
                "summary": "SPARQL 1.1 Protocol query (read-only); without a query: the service description.",
                "parameters": [
                    {"name": "query", "in": "query", "required": False, "schema": {"type": "string"}},
                    {
                        "name": "default-graph-uri",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "uri"},
                    },
                    {"name": "format", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "Query results or service description.",
                        "content": {
                            m: {"schema": {"type": "string"}}
                            for m in [*TABULAR_MEDIA_TYPES, *GRAPH_MEDIA_TYPES]
                        },
                    },
                    "400": _error("Malformed query (with line and column)."),
                    "403": _error("Refused: update, LOAD, or SERVICE to an endpoint not allow-listed."),
                    "406": ERRORS["406"],
                    "413": _error("Request or result too large."),
                    "503": ERRORS["503"],
                },
            }
        },
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Data version, triple count, conformance, last reload.",
                "responses": {
                    "200": {
                        "description": "Health.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }
    for query in queries:
        paths[f"/queries/{query.name}"] = {"get": _query_operation(query)}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "kdgraph API",
            "version": __version__,
            "description": "Saved, parameterised questions over the knowledge graph of Dutch MBO "
            "qualification dossiers, and a read-only SPARQL endpoint.",
        },
        "servers": [{"url": server_url}],
        "externalDocs": {
            "description": "Human-readable list of saved queries",
            "url": f"{server_url}/queries",
        },
        "paths": paths,
    }

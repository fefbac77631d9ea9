"""The OpenAPI 3 description of the HTTP API, generated from the saved-query headers.

Every saved query's JSON answer has its own schema (``{Name}Results``): SPARQL 1.1 JSON results
whose bindings have exactly the columns the query's SELECT projects (read by the engine that runs
it, from the query itself), each an RDF term; CSV, TSV and XML are text. So a generated client
gets typed rows, and schemathesis checks every answer against its schema.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kdgraph import __version__
from kdgraph.catalogue.saved_queries import Parameter, SavedQuery
from kdgraph.query import media as _media

RESERVED = ("limit", "offset", "format")
MAX_LIMIT = 10_000
MAX_OFFSET = 1_000_000_000  # documented bound: far above any result, within the engine's integers
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
    # answered by the HTTP server's parser (hyper: 65,534 bytes at most), without a body
    "414": {"description": "The URL is longer than the server accepts (64 KB); POST the query instead."},
    "429": _error(
        "Queries from your address are already being evaluated, as many as one client may "
        "have at once; retry after the seconds in Retry-After."
    ),
    "503": _error(
        "The query did not finish within the deadline, or every engine is busy; "
        "retry after the seconds in Retry-After."
    ),
}


RDF_TERM = {
    "type": "object",
    "description": "An RDF term in SPARQL 1.1 JSON results.",
    "required": ["type", "value"],
    "properties": {
        "type": {"type": "string", "enum": ["uri", "literal", "bnode", "triple"]},
        "value": {"type": "string"},
        "xml:lang": {"type": "string"},
        "datatype": {"type": "string"},
    },
}


def columns(query: SavedQuery) -> list[str]:
    """The variables the query's SELECT projects, in order (the engine parses it; no data needed)."""
    result = ox.Store().query(query.sparql)
    return [v.value for v in result.variables] if isinstance(result, ox.QuerySolutions) else []


def schema_name(query: SavedQuery) -> str:
    return "".join(part.capitalize() for part in query.name.replace("_", "-").split("-"))


def results_schemas(query: SavedQuery) -> dict[str, dict]:
    """``{Name}Binding`` (one row: its columns, each optional as in SPARQL) and ``{Name}Results``."""
    name, variables = schema_name(query), columns(query)
    return {
        f"{name}Binding": {
            "type": "object",
            "properties": {v: {"$ref": "#/components/schemas/RdfTerm"} for v in variables},
            "additionalProperties": False,
        },
        f"{name}Results": {
            "type": "object",
            "required": ["head", "results"],
            "properties": {
                "head": {
                    "type": "object",
                    "required": ["vars"],
                    "properties": {"vars": {"type": "array", "items": {"type": "string", "enum": variables}}},
                },
                "results": {
                    "type": "object",
                    "required": ["bindings"],
                    "properties": {
                        "bindings": {
                            "type": "array",
                            "items": {"$ref": f"#/components/schemas/{name}Binding"},
                        }
                    },
                },
            },
        },
    }


def _content(query: SavedQuery, media: Iterable[str]) -> dict:
    json_schema = {"$ref": f"#/components/schemas/{schema_name(query)}Results"}
    return {
        m: {"schema": json_schema if m == "application/sparql-results+json" else {"type": "string"}}
        for m in media
    }


def _query_operation(query: SavedQuery) -> dict:
    parameters = [
        {
            "name": p.name,
            "in": "query",
            "required": p.required,
            "schema": _schema(p),
            "description": f"{p.description['en']} / {p.description['nl']}",
            # an empty value is taken as not given (the default applies), as HTML forms send it
            **({} if p.required else {"allowEmptyValue": True}),
        }
        for p in query.parameters
    ]
    parameters += [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Page size.",
            "allowEmptyValue": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "description": "Rows to skip.",
            "allowEmptyValue": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        },
        {
            "name": "format",
            "in": "query",
            "required": False,
            "description": "Result format, instead of the Accept header.",
            "allowEmptyValue": True,
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
                "content": _content(query, media),
            },
            **ERRORS,
        },
    }


def openapi_document(queries: Iterable[SavedQuery], server_url: str) -> dict:
    paths: dict = _paths()
    paths["/sparql"]["post"] = {
        "operationId": "sparql_query_post",
        "summary": "SPARQL 1.1 Protocol query by POST (read-only): a form with query=, or the query itself.",
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["query"],
                        "properties": {"query": {"type": "string", "minLength": 1}},
                    }
                },
                "application/sparql-query": {"schema": {"type": "string", "minLength": 1}},
            },
        },
        "responses": {
            **paths["/sparql"]["get"]["responses"],
            "415": _error("The body is neither a form nor application/sparql-query."),
        },
    }
    paths["/search"] = {"get": SEARCH_OPERATION}
    schemas: dict[str, dict] = {
        "RdfTerm": RDF_TERM,
        "SparqlResults": SPARQL_RESULTS,
        "SavedQuery": SAVED_QUERY,
        "SearchResults": SEARCH_RESULTS,
    }
    for query in queries:
        paths[f"/queries/{query.name}"] = {"get": _query_operation(query)}
        schemas.update(results_schemas(query))
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
        "components": {"schemas": schemas},
    }


def _paths() -> dict:
    return {
        "/queries": {
            "get": {
                "operationId": "list_queries",
                "summary": "The saved queries and their parameters.",
                "responses": {
                    "200": {
                        "description": "The list.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/SavedQuery"},
                                }
                            },
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
                    {
                        "name": "query",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "minLength": 1},
                    },
                    {
                        "name": "default-graph-uri",
                        "in": "query",
                        "required": False,
                        "description": "Repeatable (SPARQL 1.1 Protocol); a graph this dataset does not "
                        "hold is empty (never fetched).",
                        "schema": {"type": "array", "items": {"type": "string"}},
                        "style": "form",
                        "explode": True,
                    },
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "description": "Short name of the answer's format (Accept decides without it); "
                        "clients' aliases such as n3, rdf+xml or json-ld are understood too.",
                        "schema": {
                            "type": "string",
                            "enum": sorted(
                                {f.name for f in (*_media.RESULT_FORMATS, *_media.RDF_FORMATS, _media.HTML)}
                            ),
                        },
                    },
                ],
                "responses": {
                    "200": {
                        "description": "Query results or service description.",
                        "content": {
                            m: {"schema": SPARQL_SCHEMAS.get(m, {"type": "string"})}
                            for m in [*TABULAR_MEDIA_TYPES, *GRAPH_MEDIA_TYPES]
                        },
                    },
                    "400": _error("Malformed query (with line and column)."),
                    "403": _error("Refused: update, LOAD, or SERVICE to an endpoint not allow-listed."),
                    "406": ERRORS["406"],
                    "413": _error("Request or result too large."),
                    "429": ERRORS["429"],
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


LANG_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
SPARQL_RESULTS = {
    "type": "object",
    "description": "SPARQL 1.1 JSON results: a table (SELECT) or a boolean (ASK).",
    "required": ["head"],
    "properties": {
        "head": {"type": "object", "properties": {"vars": {"type": "array", "items": {"type": "string"}}}},
        "results": {
            "type": "object",
            "required": ["bindings"],
            "properties": {
                "bindings": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/components/schemas/RdfTerm"},
                    },
                }
            },
        },
        "boolean": {"type": "boolean"},
    },
}
SPARQL_SCHEMAS = {
    "application/sparql-results+json": {"$ref": "#/components/schemas/SparqlResults"},
    "application/ld+json": {},  # JSON-LD: an object or an array, as the graph needs
}
SAVED_QUERY = {
    "type": "object",
    "required": ["name", "iri", "url", "title", "description", "tags", "form", "parameters"],
    "properties": {
        "name": {"type": "string"},
        "iri": {"type": "string"},
        "url": {"type": "string"},
        "title": LANG_MAP,
        "description": LANG_MAP,
        "tags": {"type": "array", "items": {"type": "string"}},
        "form": {"type": "string", "enum": ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]},
        "example": {"type": "string"},
        "try_url": {"type": "string"},
        "parameters": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "type", "required"],
                "properties": {
                    "name": {"type": "string"},
                    "type": {"type": "string"},
                    "required": {"type": "boolean"},
                    "default": {"type": "string", "nullable": True},
                    "values": {"type": "array", "items": {"type": "string"}, "nullable": True},
                    "description": LANG_MAP,
                },
            },
        },
    },
}
SEARCH_RESULTS = {
    "type": "object",
    "required": ["query", "ranking", "limit", "hits"],
    "properties": {
        "query": {"type": "string"},
        "ranking": {"type": "string", "description": "How the hits are ordered, in words."},
        "limit": {"type": "integer"},
        "hits": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["iri", "href", "label", "type", "match", "text"],
                "properties": {
                    "iri": {"type": "string"},
                    "href": {"type": "string"},
                    "label": {"type": "string"},
                    "type": {
                        "type": "object",
                        "required": ["iri", "label"],
                        "properties": {"iri": {"type": "string"}, "label": {"type": "string"}},
                    },
                    "match": {
                        "type": "string",
                        "enum": ["exact_label", "label_prefix", "word_in_label", "word_in_text"],
                    },
                    "text": {"type": "string"},
                },
            },
        },
    },
}
SEARCH_OPERATION = {
    "operationId": "search",
    "summary": "Search labels and texts (nl and en), ranked: exact label, prefix, word in label, in text.",
    "tags": ["search"],
    "parameters": [
        {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200}},
        {
            "name": "format",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["json", "html"]},
        },
        {
            "name": "lang",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["nl", "en"]},
        },
    ],
    "responses": {
        "200": {
            "description": "The hits, best first (at most 100).",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        "400": _error("The search term is too long, or format or lang is not one of the listed values."),
        "414": ERRORS["414"],
    },
}

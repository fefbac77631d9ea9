"""query.lexer: the pre-check reads SPARQL by the grammar's lexical rules (and pyoxigraph's).

Pure unit tests: what the tokens say about updates, SERVICE endpoints and sizes. That the
server acts on it, and that no connection is made either way, is tests/test_safety_evasion.py.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kdgraph.query.errors import BadRequest
from kdgraph.query.lexer import (
    Limits,
    query_form,
    refusal,
    replace_codepoint_escapes,
    resolve,
    scan,
    with_values,
)

EVIL = "http://127.0.0.1:9/sparql"


def endpoints(text: str, base: str | None = None) -> list[str | None]:
    return [call.endpoint for call in scan(text, base).services]


# ------------------------------------------------------------------ comments (§19.4)


@pytest.mark.parametrize("terminator", ["\r", "\n", "\r\n"], ids=["CR", "LF", "CRLF"])
def test_cr_and_lf_end_a_comment_so_the_service_after_it_is_found(terminator: str) -> None:
    text = f"SELECT * WHERE {{ BIND(1 AS ?x) #{terminator} SERVICE <{EVIL}> {{ ?s ?p ?o }}\n }}"
    assert endpoints(text) == [EVIL]
    assert refusal(scan(text)).status == 403  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "terminator", ["\x0c", "\x85", "\u2028", "\u2029", "\x0b"], ids=["FF", "NEL", "LS", "PS", "VT"]
)
def test_other_line_breaks_do_not_end_a_comment(terminator: str) -> None:
    """The grammar and pyoxigraph agree: only CR and LF end a comment; the rest stays comment."""
    text = f"SELECT * WHERE {{ BIND(1 AS ?x) #{terminator} SERVICE <{EVIL}> {{ ?s ?p ?o }}\n }}"
    assert endpoints(text) == []


def test_a_hash_inside_an_iri_a_string_or_an_escaped_local_name_starts_no_comment() -> None:
    for hiding in ("<urn:x#>", "'#'", '"#"', "'''#'''", "ex:a\\#b"):
        text = f"PREFIX ex: <urn:e#> SELECT * WHERE {{ ?s ?p {hiding} . SERVICE <{EVIL}> {{}} }}"
        assert endpoints(text) == [EVIL], hiding


# ------------------------------------------------------------------ strings and names


@pytest.mark.parametrize(
    "text",
    [
        f"SELECT * WHERE {{ ?s ?p 'SERVICE <{EVIL}> {{}}' }}",
        f'SELECT * WHERE {{ ?s ?p "SERVICE <{EVIL}> {{}}" }}',
        f"SELECT * WHERE {{ ?s ?p '''a\nSERVICE <{EVIL}> {{}}''' }}",
        f'SELECT * WHERE {{ ?s ?p """a\n"SERVICE <{EVIL}> {{}}""" }}',
        f"SELECT * WHERE {{ ?s ?p 'it\\'s SERVICE <{EVIL}> {{}}' }}",
        "SELECT ?service WHERE { ?service ?p ?o }",
        "PREFIX serviceTerms: <urn:t#> SELECT * WHERE { ?s serviceTerms:p ?o }",
        "PREFIX ex: <urn:e#> SELECT * WHERE { ?s ex:SERVICE ?o }",
        "SELECT * WHERE { ?s <urn:insert> 'DELETE' }",
    ],
    ids=["single", "double", "long1", "long2", "escaped-quote", "variable", "prefix", "local", "iri"],
)
def test_service_and_update_words_inside_strings_iris_and_names_are_not_keywords(text: str) -> None:
    found = scan(text)
    assert found.services == () and found.update_keyword is None
    assert refusal(found) is None


@pytest.mark.parametrize("spelling", ["SERVICE", "service", "Service", "sErViCe"])
def test_keywords_in_any_case(spelling: str) -> None:
    assert endpoints(f"SELECT * WHERE {{ {spelling} <{EVIL}> {{}} }}") == [EVIL]


def test_silent_and_variable_endpoints() -> None:
    (call,) = scan(f"SELECT * WHERE {{ SERVICE silent <{EVIL}> {{}} }}").services
    assert call.silent and call.endpoint == EVIL
    (call,) = scan(f"SELECT * WHERE {{ VALUES ?x {{ <{EVIL}> }} SERVICE ?x {{}} }}").services
    assert call.endpoint is None and call.written == "?x"
    assert "variable" in refusal(scan("SELECT * WHERE { SERVICE $x {} }")).message  # type: ignore[union-attr]


# ------------------------------------------------------------------ codepoint escapes (§19.2)


def test_codepoint_escapes_are_replaced_before_tokens_are_read() -> None:
    assert replace_codepoint_escapes("\\u0053ERVICE \\U0001F600") == "SERVICE \U0001f600"
    assert endpoints(f"SELECT * WHERE {{ \\u0053ERVICE <{EVIL}> {{}} }}") == [EVIL]
    assert endpoints("SELECT * WHERE { SERVICE <http://127.0.0.1:9/\\u0073parql> {} }") == [EVIL]
    assert endpoints("SELECT * WHERE { SERVICE \\u003Chttp://127.0.0.1:9/sparql> {} }") == [EVIL]


def test_an_escape_that_hides_the_service_from_the_grammar_reading_is_caught_by_the_engine_reading() -> None:
    """§19.2 turns '\\u0027' into ''' (a long string up to the comment), pyoxigraph into "'": both count."""
    text = f"SELECT * WHERE {{ BIND('\\u0027' AS ?a) SERVICE <{EVIL}> {{}} #'''\n}}"
    assert endpoints(text) == [EVIL]


def test_keyword_glued_to_a_prefixed_name_as_pyoxigraph_reads_it() -> None:
    """pyoxigraph 0.5.13 calls ex:x for ``SERVICEex:x {`` (measured); the grammar reads one name."""
    text = "PREFIX ex: <http://127.0.0.1:9/> SELECT * WHERE { SERVICEex:sparql {} }"
    assert endpoints(text) == [EVIL]
    (call,) = scan("PREFIX ex: <http://127.0.0.1:9/> SELECT * WHERE { SERVICESILENTex:sparql {} }").services
    assert call.silent and call.endpoint == EVIL


# ------------------------------------------------------------------ resolving endpoints


def test_prefixed_names_resolve_against_prefix_declarations() -> None:
    assert endpoints("PREFIX e: <http://127.0.0.1:9/> SELECT * { SERVICE e:sparql {} }") == [EVIL]
    assert endpoints("PREFIX : <http://127.0.0.1:9/> SELECT * { SERVICE :sparql {} }") == [EVIL]
    assert endpoints("PREFIX e: <http://127.0.0.1:9/> SELECT * { SERVICE e:sp\\~q {} }") == [
        "http://127.0.0.1:9/sp~q"
    ]


def test_relative_iris_resolve_against_base_declarations_and_the_given_base() -> None:
    assert endpoints("BASE <http://127.0.0.1:9/a/b> SELECT * { SERVICE <../sparql> {} }") == [EVIL]
    assert endpoints("BASE <http://127.0.0.1:9/> PREFIX e: <x/> SELECT * { SERVICE e:y {} }") == [
        "http://127.0.0.1:9/x/y"
    ]
    assert endpoints("SELECT * { SERVICE <sparql> {} }", base="http://127.0.0.1:9/") == [EVIL]
    assert endpoints("SELECT * { SERVICE <sparql> {} }") == ["sparql"]  # unresolved: never allowed
    assert resolve("http://a/b/c", "?q") == "http://a/b/c?q"


def test_allow_listed_endpoints_pass_and_everything_else_is_refused() -> None:
    allowed = frozenset({EVIL})
    assert refusal(scan(f"SELECT * {{ SERVICE <{EVIL}> {{}} }}"), allowed) is None
    found = scan(f"SELECT * {{ SERVICE <{EVIL}> {{}} SERVICE <http://127.0.0.1:9/other> {{}} }}")
    answer = refusal(found, allowed)
    assert answer is not None and answer.status == 403 and "http://127.0.0.1:9/other" in answer.message


# ------------------------------------------------------------------ updates


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "DELETE DATA { <urn:a> <urn:b> <urn:c> }",
        "DELETE WHERE { ?s ?p ?o }",
        f"LOAD <{EVIL}>",
        "CLEAR ALL",
        "DROP GRAPH <urn:g>",
        "CREATE GRAPH <urn:g>",
        "ADD DEFAULT TO <urn:g>",
        "MOVE <urn:g> TO <urn:h>",
        "COPY DEFAULT TO <urn:g>",
        "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "PREFIX e: <urn:e#> insert { ?s e:p 1 } where { ?s ?p ?o }",
        "\\u0049NSERT DATA { <urn:a> <urn:b> <urn:c> }",
    ],
)
def test_every_update_form_is_read_only_403(update: str) -> None:
    answer = refusal(scan(update))
    assert answer is not None and answer.status == 403 and "read-only" in answer.message


# ------------------------------------------------------------------ limits


def test_limits_give_400_saying_what_to_fix() -> None:
    deep = "SELECT * WHERE " + "{" * 1000 + "}" * 1000
    answer = refusal(scan(deep))
    assert answer is not None and answer.status == 400 and "1000 deep" in answer.message
    assert refusal(scan("SELECT * WHERE " + "{" * 30 + "}" * 30)) is None
    joins = "SELECT * WHERE { " + " . ".join(["?q a <urn:Q>"] * 5000) + " }"
    assert "5000 triple patterns" in refusal(scan(joins)).message  # type: ignore[union-attr]
    assert scan("SELECT * WHERE { " + " . ".join(["?q a <urn:Q>"] * 85) + " }").patterns == 85
    assert scan("SELECT * WHERE { ?s ?p 1, 2 ; ?q [ ?r 3 ] . ?t ?u ?v . }").patterns == 5
    chain = "SELECT * WHERE { FILTER(" + " + ".join(["1"] * 5000) + ") }"
    assert "operators" in refusal(scan(chain)).message  # type: ignore[union-attr]
    values = "SELECT * WHERE { VALUES ?x { " + "1 " * 100_000 + "} }"
    assert refusal(scan(values)) is None  # flat and cheap for the engine: no limit
    assert refusal(scan("ASK {}"), limits=Limits(max_length=3)).status == 400  # type: ignore[union-attr]


def test_positions_point_into_the_text_as_sent() -> None:
    (call,) = scan(f"SELECT *\nWHERE {{\n  SERVICE <{EVIL}> {{}} }}").services
    assert (call.line, call.column) == (3, 3)


def test_whitespace_and_comments_at_the_end_are_no_token() -> None:
    """Regression for the faster tokenizer, which skips whitespace and comments inside each match:
    text that ends in them yields no token (not an 'other' one), and offsets are the tokens' own."""
    from kdgraph.query.lexer import _Reading

    tokens = _Reading("ASK # c\n { 1.e5 1. .5 }  # end \r\n ", engine_keywords=True).tokens()
    assert tokens == [
        ("name", "ASK", 0),
        ("open", "{", 9),
        ("number", "1.e5", 11),
        ("number", "1", 16),
        ("separator", ".", 17),
        ("number", ".5", 19),
        ("close", "}", 22),
    ]


def test_with_values_binds_in_the_where_group_the_lexer_finds() -> None:
    """A ``WHERE`` or ``{`` in a comment, a string or an IRI is not the WHERE group; the block goes
    after the first brace of the real one, where its FILTERs see the values."""
    text = (
        "# not WHERE { here\n"
        "SELECT ?x WHERE # nor { here\n"
        '{ ?x <urn:where{> "WHERE {" FILTER(?x != <urn:a>) }'
    )
    bound = with_values(text, {"x": ox.NamedNode("urn:b"), "n": ox.Literal(3)})
    assert bound == (
        "# not WHERE { here\n"
        "SELECT ?x WHERE # nor { here\n"
        '{\n  VALUES (?n ?x) { ("3"^^<http://www.w3.org/2001/XMLSchema#integer> <urn:b>) }\n'
        ' ?x <urn:where{> "WHERE {" FILTER(?x != <urn:a>) }'
    )
    assert with_values(text, {}) == text
    with pytest.raises(BadRequest, match="no WHERE"):
        with_values("DESCRIBE <urn:x>", {"x": ox.NamedNode("urn:b")})


def test_query_form_is_the_first_form_keyword_among_the_tokens() -> None:
    """A saved query's form before the engine parses it: comments (its #+ header), strings and
    IRIs that hold a form's word do not count."""
    header = "#+ title: {nl: Wat ASK ik, en: What do I ASK}\n#+ CONSTRUCT nothing\n"
    assert query_form(header + 'PREFIX ask: <urn:ASK>\nconstruct { ?s ?p "SELECT" } WHERE { ?s ?p ?o }') == (
        "CONSTRUCT"
    )
    assert query_form(header + "describe <urn:x>") == "DESCRIBE"
    assert query_form("# SELECT\n") is None

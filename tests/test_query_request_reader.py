"""query.request_reader: strict reading of SPARQL protocol requests, on plain WSGI environs.

Bodies come as the WSGI server hands them over: with ``Content-Length``, or chunked (no length,
``wsgi.input_terminated``). Over real HTTP the same rules are pinned in tests/test_clients.py.
"""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest

from kdgraph.query.errors import QueryPathError, SlowBodies
from kdgraph.query.request_reader import (
    BodyLane,
    dataset,
    format_values,
    one,
    read_request,
)

LIMIT = 1000


def environ(
    method: str = "GET",
    query: str = "",
    body: bytes | None = None,
    content_type: str = "",
    chunked: bool = False,
) -> dict:
    env = {"REQUEST_METHOD": method, "QUERY_STRING": query, "CONTENT_TYPE": content_type}
    if body is not None:
        env["wsgi.input"] = io.BytesIO(body)
        if chunked:
            env["wsgi.input_terminated"] = True
        else:
            env["CONTENT_LENGTH"] = str(len(body))
    return env


def refused(env: dict) -> QueryPathError:
    with pytest.raises(QueryPathError) as caught:
        read_request(env, LIMIT)
    return caught.value


def test_get_parameters_decode_percent_and_plus_in_order() -> None:
    read = read_request(environ(query="query=ASK+%7B%7D&format=json&output=xml&format=csv"), LIMIT)
    assert read.method == "GET" and read.body is None
    assert one(read.params, "query") == "ASK {}"
    assert format_values(read.params) == ["json", "csv", "xml"]


def test_form_post_joins_url_and_form_parameters() -> None:
    env = environ(
        "POST",
        "default-graph-uri=urn%3Ag1",
        b"query=ASK%20%7B%7D&named-graph-uri=urn:n",
        "application/x-www-form-urlencoded",
    )
    read = read_request(env, LIMIT)
    assert read.content_type == "application/x-www-form-urlencoded"
    assert one(read.params, "query") == "ASK {}"
    assert dataset(read.params) == (("urn:g1",), ("urn:n",))


def test_direct_post_body_is_the_query_text() -> None:
    text = "SELECT ?x WHERE { BIND('é€😀' AS ?x) }"
    read = read_request(environ("POST", "", text.encode(), "application/sparql-query; charset=UTF-8"), LIMIT)
    assert read.content_type == "application/sparql-query" and read.body == text


def test_two_query_parameters_are_400_in_the_url_or_across_url_and_form() -> None:
    read = read_request(environ(query="query=ASK%20%7B%7D&query=SELECT%20*%20%7B%7D"), LIMIT)
    with pytest.raises(QueryPathError) as caught:
        one(read.params, "query")
    assert caught.value.status == 400 and "2 'query' parameters" in caught.value.message
    env = environ("POST", "query=ASK%20%7B%7D", b"query=ASK%20%7B%7D", "application/x-www-form-urlencoded")
    with pytest.raises(QueryPathError):
        one(read_request(env, LIMIT).params, "query")


@pytest.mark.parametrize("where", ["url", "form", "body"])
def test_invalid_utf8_is_400_naming_the_byte(where: str) -> None:
    bad = b"ASK { FILTER('caf\xe9') }"  # latin-1, not UTF-8: byte 17 is 0xe9
    if where == "url":
        env = environ(query="query=" + quote(bad))
    elif where == "form":
        env = environ("POST", "", b"query=" + quote(bad).encode(), "application/x-www-form-urlencoded")
    else:
        env = environ("POST", "", bad, "application/sparql-query")
    error = refused(env)
    assert error.status == 400 and "not valid UTF-8" in error.message and "byte 17 (0xe9)" in error.message


def test_a_declared_charset_other_than_utf8_is_415() -> None:
    body = "ASK {}".encode("utf-16")
    error = refused(environ("POST", "", body, "application/sparql-query; charset=UTF-16"))
    assert error.status == 415 and "UTF-8" in error.message


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_never_truncated(chunked: bool) -> None:
    body = b"SELECT * WHERE { ?s ?p ?o } # " + b"x" * LIMIT
    error = refused(environ("POST", "", body, "application/sparql-query", chunked=chunked))
    assert error.status == 413 and str(LIMIT) in error.message


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_of_exactly_the_limit_is_read_whole(chunked: bool) -> None:
    body = b"ASK {}" + b" " * (LIMIT - 6)
    read = read_request(environ("POST", "", body, "application/sparql-query", chunked=chunked), LIMIT)
    assert read.body is not None and len(read.body) == LIMIT


def test_a_body_shorter_than_its_content_length_is_400() -> None:
    env = environ("POST", "", b"ASK {}", "application/sparql-query")
    env["CONTENT_LENGTH"] = "60"
    assert refused(env).status == 400


def test_a_url_over_the_limit_is_414_saying_to_post() -> None:
    error = refused(environ(query="query=" + "A" * (LIMIT + 1)))
    assert error.status == 414 and "POST" in error.message


def test_a_stream_that_returns_short_reads_is_read_to_the_end() -> None:
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes):
            self.data = data

        def read(self, size: int = -1) -> bytes:
            part, self.data = self.data[:7], self.data[7:]
            return part

    env = environ("POST", "", b"", "application/sparql-query", chunked=True)
    env["wsgi.input"] = Trickle(b"ASK { ?s ?p ?o }")
    assert read_request(env, LIMIT).body == "ASK { ?s ?p ?o }"


def test_a_body_is_read_only_with_a_place_in_the_lane_and_without_one_it_is_left_unread() -> None:
    lane = BodyLane(1)
    post = environ("POST", body=b"ASK {}", content_type="application/sparql-query")
    with lane.place():  # another request is still sending its body
        with pytest.raises(SlowBodies) as caught:
            read_request(post, LIMIT, lane)
        assert caught.value.status == 503 and "GET" in caught.value.message
        assert caught.value.headers == {"Retry-After": "2", "Connection": "close"}
        assert post["wsgi.input"].tell() == 0  # not a byte of it was read
        get = read_request(environ(query="query=ASK+%7B%7D"), LIMIT, lane)  # no body: no place
        assert one(get.params, "query") == "ASK {}"
    assert read_request(post, LIMIT, lane).body == "ASK {}"  # the place is free again

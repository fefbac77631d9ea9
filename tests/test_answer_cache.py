"""The answer cache (serving.worker.CachedEngine): one memory LRU per worker, keyed by data
version, query and format, bounded in bytes; the engine behind it is asked only on a miss."""

from __future__ import annotations

from kdgraph.query.engine import Answer, Budget, Query, Result, decode
from kdgraph.query.media import Wanted
from kdgraph.serving.worker import DECODED_WEIGHT, CachedEngine

JSON = Wanted.of("json", "ttl")


class CountingEngine:
    """Answers every query with a body of ``size`` bytes naming it, and counts the evaluations."""

    def __init__(self, size: int = 100):
        self.size, self.evaluated = size, []

    def answer(self, query: Query, wanted: Wanted, budget: Budget | None = None) -> Answer:
        self.evaluated.append(query.text)
        body = f'{{"boolean": true}} {query.text}'.encode().ljust(self.size)
        return Answer(body, wanted.for_kind("results"))

    def run(self, query: Query, budget: Budget | None = None) -> Result:
        return decode(self.answer(query, JSON, budget))

    def close(self) -> None:
        pass


def test_a_repeated_query_is_answered_from_memory_with_the_versions_etag() -> None:
    inner = CountingEngine()
    cache = CachedEngine(inner, "v1", entries=10, budget=1000)
    first = cache.answer(Query("ASK { ?s ?p ?o }"), JSON)
    again = cache.answer(Query("ASK { ?s ?p ?o }"), JSON)
    assert again is first and first.etag == f"v1-{Query('ASK { ?s ?p ?o }').key}-json"
    assert inner.evaluated == ["ASK { ?s ?p ?o }"]
    cache.answer(Query("ASK { ?s ?p ?o }"), Wanted.of("xml", "ttl"))  # another format: evaluated
    assert len(inner.evaluated) == 2


def test_another_data_version_never_gets_an_answer_of_the_old_one() -> None:
    inner = CountingEngine()
    old, new = CachedEngine(inner, "v1", 10, 1000), CachedEngine(inner, "v2", 10, 1000)
    assert old.answer(Query("ASK {}"), JSON).etag.startswith("v1-")
    assert new.answer(Query("ASK {}"), JSON).etag.startswith("v2-")
    assert len(inner.evaluated) == 2


def test_memory_is_bounded_in_bytes_least_recently_used_first() -> None:
    inner = CountingEngine(size=100)
    cache = CachedEngine(inner, "v1", entries=10, budget=250)
    for text in ("ASK {} # a", "ASK {} # b"):
        cache.answer(Query(text), JSON)
    cache.answer(Query("ASK {} # a"), JSON)  # b is now the least recently used
    cache.answer(Query("ASK {} # c"), JSON)
    assert cache.kept_bytes == 200
    inner.evaluated.clear()
    for text in ("ASK {} # a", "ASK {} # c", "ASK {} # b"):
        cache.answer(Query(text), JSON)
    assert inner.evaluated == ["ASK {} # b"]  # a and c were kept, b was evicted


def test_an_answer_larger_than_the_budget_is_not_kept_and_evicts_nothing() -> None:
    inner = CountingEngine(size=100)
    cache = CachedEngine(inner, "v1", entries=10, budget=250)
    cache.answer(Query("ASK {} # small"), JSON)
    inner.size = 251
    cache.answer(Query("ASK {} # huge"), JSON)
    cache.answer(Query("ASK {} # huge"), JSON)
    assert inner.evaluated.count("ASK {} # huge") == 2 and cache.kept_bytes == 100


def test_a_budget_of_zero_keeps_nothing() -> None:
    inner = CountingEngine()
    cache = CachedEngine(inner, "v1", entries=10, budget=0)
    cache.answer(Query("ASK {}"), JSON)
    answer = cache.answer(Query("ASK {}"), JSON)
    assert len(inner.evaluated) == 2 and answer.etag.startswith("v1-") and cache.kept_bytes == 0


def test_entries_are_bounded_too() -> None:
    inner = CountingEngine(size=40)
    cache = CachedEngine(inner, "v1", entries=2, budget=1_000_000)
    for text in ("ASK {} # a", "ASK {} # b", "ASK {} # c"):
        cache.answer(Query(text), JSON)
    assert cache.kept_bytes == 80


def test_a_pages_repeated_query_is_decoded_once_and_its_bytes_not_kept() -> None:
    """Pages ask through ``run``: the second ask reads the rows kept, not bytes parsed again."""
    inner = CountingEngine(size=100)
    cache = CachedEngine(inner, "v1", entries=10, budget=1000)
    first = cache.run(Query("ASK { ?s ?p ?o }"))
    assert cache.run(Query("ASK { ?s ?p ?o }")) is first
    assert inner.evaluated == ["ASK { ?s ?p ?o }"]
    assert cache.kept_bytes == 100 * DECODED_WEIGHT  # the decoded result only, by its weight


def test_decoded_results_share_the_one_budget_with_answers() -> None:
    inner = CountingEngine(size=100)
    cache = CachedEngine(inner, "v1", entries=10, budget=100 * DECODED_WEIGHT + 100)
    cache.answer(Query("ASK {} # bytes"), JSON)
    cache.run(Query("ASK {} # decoded"))
    assert cache.kept_bytes == 100 * DECODED_WEIGHT + 100
    cache.run(Query("ASK {} # another"))  # evicts the least recently used: the bytes, then more
    inner.evaluated.clear()
    cache.run(Query("ASK {} # another"))
    cache.answer(Query("ASK {} # bytes"), JSON)
    assert inner.evaluated == ["ASK {} # bytes"]
    assert cache.kept_bytes <= 100 * DECODED_WEIGHT + 100

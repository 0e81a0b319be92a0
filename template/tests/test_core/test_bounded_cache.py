"""The bounded cache the token verifiers and the provider's users remember their verdicts in."""

from __future__ import annotations

from app.core.bounded_cache import BoundedCache


def test_past_its_size_the_entry_stored_longest_ago_goes_first() -> None:
    cache = BoundedCache[str, int](2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)
    assert len(cache) == 2


def test_storing_a_key_again_makes_it_the_newest() -> None:
    cache = BoundedCache[str, int](2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (10, None, 3)


def test_size_zero_remembers_nothing() -> None:
    cache = BoundedCache[str, int](0)
    cache.put("a", 1)

    assert cache.get("a") is None
    assert len(cache) == 0


def test_a_discarded_key_is_gone_and_a_missing_one_is_no_error() -> None:
    cache = BoundedCache[str, int](4)
    cache.put("a", 1)
    cache.discard("a")
    cache.discard("never-stored")

    assert cache.get("a") is None
    assert len(cache) == 0

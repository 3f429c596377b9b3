"""The per-worker cache of rendered fragments: bounded, and never serving another version."""

from __future__ import annotations

from app.cache import FragmentCache


def test_a_fragment_is_served_only_for_the_version_it_was_rendered_for():
    cache = FragmentCache()
    cache.put(("browse",), 7, "<p>sept</p>")
    assert cache.get(("browse",), 7) == "<p>sept</p>"
    assert cache.get(("browse",), 8) is None
    assert cache.get(("browse",), 7) is None  # the stale entry was dropped


def test_a_fragment_expires_after_its_time_to_live():
    cache = FragmentCache(ttl=0)
    cache.put(("browse",), 1, "<p>un</p>")
    assert cache.get(("browse",), 1) is None


def test_the_least_recently_used_fragment_goes_first_when_full():
    cache = FragmentCache(max_entries=2)
    cache.put(("a",), 1, "a")
    cache.put(("b",), 1, "b")
    assert cache.get(("a",), 1) == "a"  # now the most recent
    cache.put(("c",), 1, "c")
    assert len(cache) == 2
    assert cache.get(("b",), 1) is None and cache.get(("a",), 1) == "a"


def test_the_cache_holds_a_bounded_amount_of_text():
    cache = FragmentCache(max_characters=1000)
    for index in range(10):
        cache.put((index,), 1, "x" * 300)
    assert len(cache) == 3
    assert [cache.get((i,), 1) is not None for i in (6, 7, 8, 9)] == [False, True, True, True]
    cache.put(("big",), 1, "y" * 5000)  # larger than the budget: kept alone
    assert len(cache) == 1 and cache.get(("big",), 1) == "y" * 5000


def test_storing_a_key_again_replaces_its_text():
    cache = FragmentCache(max_characters=1000)
    for _ in range(20):
        cache.put(("same",), 1, "z" * 400)
    cache.put(("other",), 1, "o" * 400)
    assert len(cache) == 2


def test_a_transaction_that_wrote_neither_reads_nor_fills_the_cache(app, make):
    from app.cache import cached, fragment_cache
    from app.extensions import db
    from app.models import Category

    category = make.category(name="Chaises")
    renders = []

    def render():
        renders.append(1)
        return f"<p>{len(renders)}</p>"

    with app.test_request_context("/annonces/"):
        assert cached(("page",), render) == "<p>1</p>"
        assert cached(("page",), render) == "<p>1</p>"  # from the cache
        db.session.get(Category, category.id).name = "Sièges"
        db.session.flush()  # this transaction's own, uncommitted data
        assert cached(("page",), render) == "<p>2</p>"
        db.session.rollback()
        assert cached(("page",), render) == "<p>1</p>"  # the rolled-back render was not kept
        assert len(fragment_cache()) == 1

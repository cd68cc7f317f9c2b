"""``OutcomeCache``: view-models on the same input objects share results, and only those."""

from __future__ import annotations

import pandas as pd
import pytest

from portlab import Coordinator
from portlab.ui import BookModel, OutcomeCache, PolicyModel, sample_inputs


@pytest.fixture(scope="module")
def inputs():
    return sample_inputs()


COORDINATOR = Coordinator()


def _book(inputs, cache, **settings):
    return BookModel(
        market=inputs.market, state=inputs.state, coordinator=COORDINATOR, cache=cache, **settings
    )


def test_the_same_inputs_and_settings_share_one_result(inputs):
    cache = OutcomeCache()
    first = _book(inputs, cache)
    second = _book(inputs, cache)
    assert second.result is first.result
    assert (cache.hits, cache.misses) == (1, 1)
    assert second.to_code() == first.to_code()


def test_other_settings_compute_and_equal_an_uncached_model(inputs):
    cache = OutcomeCache()
    _book(inputs, cache)
    day = pd.Timestamp("2022-06-15")
    cached = _book(inputs, cache, as_of=day)
    plain = BookModel(market=inputs.market, state=inputs.state, as_of=day)
    assert cache.hits == 0 and len(cache) == 2
    assert cached.result.summary == plain.result.summary
    # a setting changed later is looked up too: back to the first date is a hit
    cached.as_of = inputs.market.dates[-1]
    assert cache.hits == 1


def test_another_coordinator_is_another_input(inputs):
    cache = OutcomeCache()
    first = _book(inputs, cache)
    other = BookModel(market=inputs.market, state=inputs.state, cache=cache)
    assert other.result is not first.result and cache.hits == 0


def test_equal_but_new_input_objects_are_not_shared(inputs):
    cache = OutcomeCache()
    first = _book(inputs, cache)
    again = sample_inputs()  # the same data, new objects
    other = BookModel(market=again.market, state=again.state, coordinator=COORDINATOR, cache=cache)
    assert other.result is not first.result and cache.hits == 0


def test_the_least_recently_used_entry_goes_first(inputs):
    cache = OutcomeCache(maxsize=1)
    _book(inputs, cache)
    _book(inputs, cache, as_of=pd.Timestamp("2022-06-15"))
    assert len(cache) == 1
    _book(inputs, cache)  # evicted: computed again
    assert cache.hits == 0 and cache.misses == 3
    with pytest.raises(ValueError, match="maxsize"):
        OutcomeCache(maxsize=0)


def test_different_models_never_share(inputs):
    cache = OutcomeCache()
    book = _book(inputs, cache)
    policy = PolicyModel(
        market=inputs.market, state=inputs.state, coordinator=COORDINATOR, cache=cache
    )
    assert policy.result is not book.result and cache.hits == 0
    again = PolicyModel(
        market=inputs.market,
        state=inputs.state,
        signals=policy.signals,
        rebalance_requests=policy.rebalance_requests,
        coordinator=policy.coordinator,
        cache=cache,
    )
    assert again.result is policy.result

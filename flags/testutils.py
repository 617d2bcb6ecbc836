"""Test helpers, as waffle.testutils: put another OpenFeature provider behind the portal."""

from collections.abc import Iterator
from contextlib import contextmanager

from openfeature import api
from openfeature.provider import FeatureProvider


@contextmanager
def override_provider(provider: FeatureProvider) -> Iterator[FeatureProvider]:
    """Evaluate through ``provider`` inside the block, then through the previous one again.

    ``set_provider_and_wait``: with ``set_provider`` the provider initialises in a thread and
    an evaluation straight after may find it not ready (the caller's default, with an error).
    """
    previous = api.get_client().provider
    api.set_provider_and_wait(provider)
    try:
        yield provider
    finally:
        api.set_provider_and_wait(previous)

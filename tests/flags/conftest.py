import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """Exposures are remembered in the shared cache: every test starts without them."""
    cache.clear()
    yield
    cache.clear()

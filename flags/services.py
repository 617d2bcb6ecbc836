"""The door to feature flags for other apps: they call these, never waffle directly."""

from django.http import HttpRequest
from waffle import flag_is_active as _flag_is_active
from waffle import switch_is_active as _switch_is_active


def flag_is_active(*, request: HttpRequest, name: str) -> bool:
    return bool(_flag_is_active(request, name))


def switch_is_active(*, name: str) -> bool:
    return bool(_switch_is_active(name))

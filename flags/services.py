"""The door to feature flags for other apps: they call these, never waffle directly."""

from django.http import HttpRequest
from waffle import flag_is_active as _flag_is_active
from waffle import switch_is_active as _switch_is_active

# Flags the customer portal evaluates on every page; templates read them as
# ``portal_flags.<name>``. Staff create and turn them on in the admin (waffle flags).
PORTAL_FLAGS = (
    # A seasonal card of winter saving tips on the premise home page.
    "portal_winter_tips",
)
# How a recommendation's saving is framed: yen first (default) or kWh / m³ first.
RECOMMENDATION_FRAMING_FLAG = "recommendations_energy_first"


def flag_is_active(*, request: HttpRequest, name: str) -> bool:
    return bool(_flag_is_active(request, name))


def switch_is_active(*, name: str) -> bool:
    return bool(_switch_is_active(name))


def portal_flags(*, request: HttpRequest) -> dict[str, bool]:
    """Each portal flag's value for this request."""
    return {name: flag_is_active(request=request, name=name) for name in PORTAL_FLAGS}


def recommendation_framing(*, request: HttpRequest) -> str:
    """ "kwh" (energy first) or "yen" (money first) for this customer's recommendation cards."""
    return "kwh" if flag_is_active(request=request, name=RECOMMENDATION_FRAMING_FLAG) else "yen"

"""Template context from flags: every page can read ``portal_flags.<name>``."""

from django.utils.functional import SimpleLazyObject

from flags import services


def portal_flags(request) -> dict:
    # Lazy: a page that never reads a portal flag (the admin, say) evaluates none.
    return {"portal_flags": SimpleLazyObject(lambda: services.portal_flags(request=request))}

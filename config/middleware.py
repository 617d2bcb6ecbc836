"""Request middleware of our own."""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    """Japanese unless the visitor chose another language (the language cookie).

    Pages do not follow the browser's Accept-Language: the service is Japanese first, and an
    English page is the customer's choice, remembered in the cookie. The API (``/api/``) keeps
    Django's negotiation, so a client can ask for its language with Accept-Language.
    """

    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        translation.activate(chosen if chosen in supported else settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


class NulCharacterGuard:
    """A NUL character in the path or the query string is a 400 before any view sees it.

    PostgreSQL text cannot hold NUL: such a value reaching a query (a filter, a serial in the
    path) made the database driver raise, answered as a 500. No legitimate value has one.
    Django's handler400 answers (``config.api.api_bad_request``: JSON under ``/api/``).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            raise BadRequest("The request's path or query contains a NUL character.")
        return self.get_response(request)

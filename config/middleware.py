"""Request middleware of our own."""

from django.conf import settings
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

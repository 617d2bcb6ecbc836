"""The project's URLs plus views that fail, under /api/ and elsewhere, for the error tests."""

from django.urls import path
from rest_framework.views import APIView

from config.urls import *  # noqa: F403 - every route and handler4xx/500 of the real site
from config.urls import urlpatterns as site_urlpatterns


class BrokenApiView(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        raise ZeroDivisionError("a bug in an API view")


def broken_plain_view(request):
    raise ZeroDivisionError("a bug outside DRF")


urlpatterns = [
    path("api/v1/broken/", BrokenApiView.as_view()),
    path("api/v1/broken-plain/", broken_plain_view),
    path("broken-page/", broken_plain_view),
    *site_urlpatterns,
]

"""Domain errors in the one API error format: a selector's NotFound reads like DRF's own 404."""

from django.http import Http404
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from config.errors import NotFound


class Failing(APIView):
    authentication_classes = []
    permission_classes = []
    error: Exception = RuntimeError("not set")

    def get(self, request):
        raise self.error


def test_not_found_is_a_404_with_code_not_found_like_http404():
    request = APIRequestFactory().get("/api/v1/anything/")
    ours = Failing.as_view(error=NotFound("No such meter."))(request)
    django = Failing.as_view(error=Http404("No such meter."))(request)
    assert ours.status_code == django.status_code == 404
    assert ours.data == {"code": "not_found", "message": "No such meter.", "details": None}
    assert django.data["code"] == "not_found" and django.data["details"] is None

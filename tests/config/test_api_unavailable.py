"""A dependency that is down answers 503 with Retry-After, in the one error format, never 500."""

import pytest
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView


class Failing(APIView):
    authentication_classes = []
    permission_classes = []
    error: Exception = RuntimeError("not set")

    def get(self, request):
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    ],
)
def test_a_dependency_down_is_503_with_retry_after(error):
    view = Failing.as_view(error=error)
    response = view(APIRequestFactory().get("/api/v1/anything/"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.data["code"] == "unavailable"
    assert "retry shortly" in response.data["message"]

"""One error format for every API endpoint: ``{"code", "message", "details"}``."""

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import ShoeneError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ShoeneError):
        return _error(exc.http_status, exc.code, exc.message, exc.details)
    if isinstance(exc, RequestDataTooBig):
        return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "payload_too_large", str(exc))
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is down or failing over: the client should retry, not give up.
        return _unavailable("The database is not reachable right now; retry shortly.")
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | BrokerError):
        # Redis (cache or broker) is down where a request needed it. (Ingest does not: a
        # batch is stored first and queued when it can be.)
        return _unavailable("A backing service is not reachable right now; retry shortly.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    details = exc.detail if isinstance(exc.detail, dict | list) else None
    message = exc.detail if isinstance(exc.detail, str) else _summary(exc)
    response.data = {"code": _code(exc), "message": str(message), "details": details}
    return response


def _unavailable(message: str) -> Response:
    response = _error(status.HTTP_503_SERVICE_UNAVAILABLE, "unavailable", message)
    response["Retry-After"] = "5"
    return response


def _error(http_status: int, code: str, message: str, details: Any = None) -> Response:
    return Response({"code": code, "message": message, "details": details}, status=http_status)


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _summary(exc: exceptions.APIException) -> str:
    return str(exc.default_detail)

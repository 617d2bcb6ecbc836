"""One error format for every API endpoint: ``{"code", "message", "details"}``.

``exception_handler`` maps what a DRF view raises; ``api_error_views`` answer in the same
format for what happens under ``/api/`` outside a view (no URL matches, an error in a
middleware): Django calls them as its ``handler400``/``403``/``404``/``500`` (``config.urls``),
and they hand any other path to Django's own pages.
"""

import logging
import math
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.log import log_response
from django.views import defaults
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from config.errors import ShoeneError

API_PREFIX = "/api/"
SERVER_ERROR_MESSAGE = (
    "Something went wrong on our side; it has been logged under the request id in details."
)

DATABASE_UNAVAILABLE_MESSAGE = "The database is not reachable right now; retry shortly."

request_logger = logging.getLogger("django.request")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    if request is not None:
        # Errors are JSON whatever the view renders on success (a Green Button feed, a CSV
        # export) and whatever ?format= asked for: DRF renders this response with the
        # request's renderer, chosen before the error.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    if isinstance(exc, ShoeneError):
        return _error(exc.http_status, exc.code, exc.message, exc.details)
    if isinstance(exc, RequestDataTooBig):
        return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "payload_too_large", str(exc))
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is down or failing over: the client should retry, not give up.
        return _unavailable(DATABASE_UNAVAILABLE_MESSAGE)
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | BrokerError):
        # Redis (cache or broker) is down where a request needed it. (Ingest does not: a
        # batch is stored first and queued when it can be.)
        return _unavailable("A backing service is not reachable right now; retry shortly.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return _server_error(exc, context)
    if not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.Throttled):
        # DRF appends "Expected available in N seconds." to the message, a sentence its
        # Japanese catalogue lacks: the wait goes in details (and Retry-After) instead, so the
        # message is in one language.
        wait = math.ceil(exc.wait) if exc.wait is not None else None
        message, details = _summary(exc), ({"retry_after_s": wait} if wait is not None else {})
    elif isinstance(exc.detail, dict | list):
        message, details = _summary(exc), _details(exc.detail)
    else:
        message, details = str(exc.detail), {}
    response.data = {"code": _code(exc), "message": str(message), "details": details}
    return response


def _server_error(exc: Exception, context: dict[str, Any]) -> Response:
    """Anything else a view raised: a 500 in the one format, logged with its traceback as
    Django logs an uncaught exception (and its ``got_request_exception`` sent, for the test
    client and error trackers)."""
    set_rollback()
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    response = _error(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        "server_error",
        SERVER_ERROR_MESSAGE,
        _request_id(django_request),
    )
    log_response(
        "Internal Server Error: %s",
        getattr(django_request, "path", "?"),
        response=response,
        request=django_request,
        exception=exc,
    )
    got_request_exception.send(sender=None, request=django_request)
    return response


def _request_id(request: HttpRequest | None) -> dict:
    """What a caller quotes to find a server error in the logs (also its X-Request-ID)."""
    request_id = getattr(request, "request_id", None)
    return {"request_id": request_id} if request_id else {}


def _unavailable(message: str) -> Response:
    response = _error(status.HTTP_503_SERVICE_UNAVAILABLE, "unavailable", message)
    response["Retry-After"] = "5"
    return response


def _error(http_status: int, code: str, message: str, details: Any = None) -> Response:
    return Response(
        {"code": code, "message": message, "details": _details(details)}, status=http_status
    )


def _details(details: Any) -> dict:
    """``details`` is always an object: empty when there is nothing, a list under its name."""
    if details is None:
        return {}
    return details if isinstance(details, dict) else {"non_field_errors": details}


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _summary(exc: exceptions.APIException) -> str:
    return str(exc.default_detail)


# --- Errors outside a view: Django's handler400/403/404/500 ------------------------------------


def _json_error(
    http_status: int, code: str, message: str, details: dict | None = None
) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "details": details or {}}, status=http_status
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        if isinstance(exception, BadRequest):  # ours, with a message meant for the client
            return _json_error(400, "invalid", str(exception))
        return _json_error(400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def api_permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        message = str(exceptions.PermissionDenied.default_detail)
        return _json_error(403, "permission_denied", message)
    return defaults.permission_denied(request, exception)


def api_page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json_error(404, "not_found", str(exceptions.NotFound.default_detail))
    return defaults.page_not_found(request, exception)


def api_server_error(request: HttpRequest) -> HttpResponse:
    # Django has logged the exception (django.request, with its traceback) before calling this.
    if _is_api(request):
        return _json_error(500, "server_error", SERVER_ERROR_MESSAGE, _request_id(request))
    return defaults.server_error(request)

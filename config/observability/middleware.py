"""Per request: an id, a JSON access log line, API-scope counts and the web error tally."""

import logging
import re
import time
import uuid

from django.http import HttpRequest, HttpResponse

from config.observability import context
from config.observability.metrics import (
    API_REQUESTS,
    REQUEST_DURATION,
    api_scope_label,
    exemplar,
    metrics_publish,
)
from config.observability.web_requests import web_request_record

logger = logging.getLogger("shoene.request")

# A caller's own X-Request-ID is kept when it looks like an id (a gateway's, a load balancer's).
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Probes and scrapes: no access log line, no tally.
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class RequestObservabilityMiddleware:
    """Put it first (after the tracing and django-prometheus middleware the settings add)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        request.request_id = offered if REQUEST_ID.match(offered) else uuid.uuid4().hex
        token = context.request_bind(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration_ms = (time.perf_counter() - started) * 1000
            response["X-Request-ID"] = request.request_id
            if not request.path.startswith(QUIET_PATHS):
                self._record(request, response, duration_ms)
            return response
        finally:
            context.request_unbind(token)
            metrics_publish()

    def _record(self, request: HttpRequest, response: HttpResponse, duration_ms: float) -> None:
        status = response.status_code
        if request.path.startswith("/api/"):
            API_REQUESTS.labels(api_scope_label(request), f"{status // 100}xx").inc()
        web_request_record(status=status)
        match = request.resolver_match
        # Labelled by the URL pattern's name, never the path (ids would make a series each).
        REQUEST_DURATION.labels(
            request.method if request.method in KNOWN_METHODS else "other",
            (match.view_name if match else "") or "unmatched",
            f"{status // 100}xx",
        ).observe(duration_ms / 1000, exemplar=exemplar())
        logger.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "http_method": request.method,
                "http_path": request.path,
                "http_status": status,
                "view": match.view_name if match else None,
                "duration_ms": round(duration_ms, 1),
            },
        )

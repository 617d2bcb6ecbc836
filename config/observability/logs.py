"""JSON log lines carrying the trace, the request, the user or API key, the task and the batch.

``LogContextFilter`` adds the fields to each record as it is emitted (so the handler's formatter
writes them); ``JsonFormatter`` writes one JSON object per line (python-json-logger). Configured
in ``config/settings/base.py`` ``LOGGING``; Celery workers use the same configuration
(``config/celery_app.py``).
"""

import logging

from django.utils.functional import SimpleLazyObject, empty
from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from config.observability.context import current_request, log_fields


def request_identity(request) -> dict:
    """The ids of who made a request, when already known: never a token, a name or an email.

    The user is read only when authentication has run (reading a lazy user here would query
    the database from inside a log call).
    """
    identity = {}
    request_id = getattr(request, "request_id", None)
    if request_id:
        identity["request_id"] = request_id
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    if user is not None and getattr(user, "is_authenticated", False):
        identity["user_id"] = user.pk
    auth = request.__dict__.get("auth")
    if auth is not None and hasattr(auth, "scopes"):  # an API key (energy.models.ApiKey)
        identity["api_key_id"] = str(auth.pk)
    return identity


def trace_ids() -> dict:
    """``trace_id`` and ``span_id`` of the current span (W3C hex), or nothing outside a span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }


class LogContextFilter(logging.Filter):
    """Adds the trace ids, the request's ids and the work's fields (batch id, task) to a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = trace_ids()
        request = current_request()
        if request is not None:
            fields.update(request_identity(request))
        fields.update(log_fields())
        for name, value in fields.items():
            if not hasattr(record, name):  # what the call passed in extra= wins
                setattr(record, name, value)
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time, level, logger, message and every extra field."""

    def __init__(self, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__("{levelname}{name}{message}", style="{", **kwargs)

"""What a log line says about the work it belongs to: the request, the task, the batch.

Held in context variables, so a line logged anywhere below a request or a task carries them
without being passed along. Never secrets or personal data: ids only.
"""

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

_fields: ContextVar[dict[str, Any]] = ContextVar("shoene_log_fields", default={})  # noqa: B039
_request: ContextVar[Any] = ContextVar("shoene_request", default=None)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Every line logged inside the block carries these fields (``batch_id=...``)."""
    token = _fields.set({**_fields.get(), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


def log_fields() -> dict[str, Any]:
    return _fields.get()


def request_bind(request):
    """The request being served (its id, user and key are read from it lazily); a reset token."""
    return _request.set(request)


def request_unbind(token) -> None:
    _request.reset(token)


def current_request():
    return _request.get()


def fields_bind(**fields: Any):
    """Set fields until ``fields_unbind(token)`` (for work split over signals: Celery tasks)."""
    return _fields.set({**_fields.get(), **fields})


def fields_unbind(token) -> None:
    # Set in another context, or reset already: nothing to undo.
    with suppress(ValueError, RuntimeError):
        _fields.reset(token)

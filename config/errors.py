"""Shoene's domain errors: one base class, mapped to HTTP by ``config.api.exception_handler``."""

from typing import Any


class ShoeneError(Exception):
    """A failure a caller can act on: a machine-readable code and a human message."""

    code = "error"
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status
        self.details = details


class ValidationFailed(ShoeneError):
    code = "invalid"
    http_status = 400


class NotFound(ShoeneError):
    """Nothing by that name, or nothing the caller may see (which reads the same)."""

    code = "not_found"
    http_status = 404


class PayloadTooLarge(ShoeneError):
    code = "payload_too_large"
    http_status = 413


class Conflict(ShoeneError):
    code = "conflict"
    http_status = 422


class ServiceUnavailable(ShoeneError):
    code = "unavailable"
    http_status = 503

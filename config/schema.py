"""The OpenAPI schema documents failure as well as success: every API operation lists the errors
it can answer, each in the one error shape (``config/api.py``), so a client and schemathesis
can check them."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from config.api import DATABASE_UNAVAILABLE_MESSAGE


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Machine-readable: invalid, invalid_cursor, not_authenticated, "
        "authentication_failed, permission_denied, not_found, throttled, payload_too_large, "
        "unsupported_media_type, conflict, unavailable, server_error, …"
    )
    message = serializers.CharField(help_text="For a person, in one language.")
    details = serializers.DictField(
        help_text="Always an object: the fields or rows at fault, or empty.",
    )

    class Meta:
        ref_name = "Error"


RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Seconds to wait before trying again.",
    }
}
ERRORS = {
    "400": "Invalid input: a parameter, the body or the cursor (details names which).",
    "401": "No credentials, or an API key that was refused.",
    "403": "Authenticated, but the key lacks the scope or the user the permission.",
    "404": "Nothing by that name that the caller may see.",
    "405": "Not a method this endpoint answers.",
    "406": "An Accept header (or ?format=) this endpoint cannot answer.",
    "429": "Over a rate limit (the key's, the user's, or the address's).",
    "503": "The database is not reachable right now.",
}
# One answer of each kind, as the API gives it (tests/api/test_schema_contract.py checks them).
ERROR_EXAMPLES = {
    "400": {
        "code": "invalid",
        "message": "resolution must be one of raw, hour, day, month.",
        "details": {"resolution": ["'week' is not one of raw, hour, day, month."]},
    },
    "401": {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "details": {},
    },
    "403": {
        "code": "permission_denied",
        "message": "This API key lacks the 'export' scope.",
        "details": {},
    },
    "404": {"code": "not_found", "message": "Not found.", "details": {}},
    "429": {
        "code": "throttled",
        "message": "Request was throttled.",
        "details": {"retry_after_s": 42},
    },
    "503": {
        "code": "unavailable",
        "message": DATABASE_UNAVAILABLE_MESSAGE,
        "details": {},
    },
}
# What a body can be refused for, where the operation takes one.
BODY_ERRORS = {
    "413": "The body is larger than is accepted.",
    "415": "A Content-Type this endpoint does not read.",
    "422": "Understood but refused: e.g. an Idempotency-Key reused with another body.",
}


class ShoeneAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors |= BODY_ERRORS
        for code, description in errors.items():
            if code in responses:
                continue
            response = self._get_response_for_code(
                ErrorSerializer, code, media_types=["application/json"], direction=direction
            )
            response["description"] = description
            if code in ERROR_EXAMPLES:
                example = {"value": ERROR_EXAMPLES[code]}
                response["content"]["application/json"]["examples"] = {
                    ERROR_EXAMPLES[code]["code"]: example
                }
            if code in ("429", "503"):
                response["headers"] = RETRY_AFTER
            responses[code] = response
        return responses

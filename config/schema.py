"""The OpenAPI schema documents failure as well as success: every API operation lists the errors
it can answer, each in the one error shape (``config/api.py``), so a client and schemathesis
can check them."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


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
            if code in ("429", "503"):
                response["headers"] = RETRY_AFTER
            responses[code] = response
        return responses

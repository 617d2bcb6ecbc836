"""Serializer fields shared by the API's views."""

from datetime import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """An ISO 8601 date and time that must carry its UTC offset (a naive one is ambiguous)."""

    default_error_messages = {
        "invalid": "Not an ISO 8601 date and time: {value!r}.",
        "naive": "Give a UTC offset, e.g. 2025-01-01T00:00:00Z or 2025-01-01T09:00:00+09:00.",
    }

    def to_internal_value(self, data) -> datetime:
        try:
            value = datetime.fromisoformat(str(data))
        except ValueError:
            self.fail("invalid", value=str(data)[:40])
        if value.tzinfo is None:
            self.fail("naive")
        return value

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()

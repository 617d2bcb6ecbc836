"""Serializer fields shared by the API's views."""

from datetime import UTC, datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """An ISO 8601 date and time that must carry its UTC offset (a naive one is ambiguous);
    converted to UTC."""

    default_error_messages = {
        "invalid": "Not an ISO 8601 date and time: {value!r}.",
        "naive": "Give a UTC offset, e.g. 2025-01-01T00:00:00Z or 2025-01-01T09:00:00+09:00.",
        "range": "Out of range: {value!r}.",
    }

    def to_internal_value(self, data) -> datetime:
        try:
            value = datetime.fromisoformat(str(data))
        except ValueError:
            self.fail("invalid", value=str(data)[:40])
        if value.tzinfo is None:
            self.fail("naive")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00-05:00 is in year 10000 in UTC
            self.fail("range", value=str(data)[:40])

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()

"""Filters shared by the API's lists."""

from datetime import UTC

import django_filters


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time with any offset Python accepts, compared in UTC.

    PostgreSQL refuses offsets beyond ±15:59 with an error; converting first keeps an odd
    offset a valid instant instead of a server error.
    """

    def filter(self, qs, value):
        return super().filter(qs, value.astimezone(UTC) if value is not None else None)

"""``GET /api/v1/readings/``: raw readings, or sums per hour, day or month of local time.

Aggregation happens in the database, in each meter's own time zone (its premise's region), so a
day is the customer's day: in Japan 2026-01-02 is 2026-01-01T15:00Z to 2026-01-02T15:00Z.
"""

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

import django_filters
from django.conf import settings
from django.db import connections
from django.db.models import Min, Q
from django_filters import utils
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, serializers

from config.errors import ValidationFailed
from config.filters import StrictFilterSet, UtcDateTimeFilter
from config.pagination import keyset_after
from energy.api.access import meters_visible, scope_required, sees_every_premise
from energy.apikeys.models import ApiScope
from energy.models import DailyUsage, Meter, Premise, Quality, Reading, Region

RESOLUTIONS = ("raw", "hour", "day", "month")


# The most source rows one bucket can hold. Readings, in hours of readings: a local hour holds
# two hours at a summer-time fall-back, a local day 25, a month 31 days and that hour. Rollups,
# in days.
BUCKET_HOURS = {"hour": 2, "day": 25, "month": 31 * 24 + 1}
BUCKET_DAYS = {"day": 1, "month": 31}

# A bucket's local start as ISO 8601 text, from each meter's own time zone (g.time_zone).
READINGS_BUCKET_SQL = {
    "postgresql": (
        "to_char(date_trunc(%s, s.ts AT TIME ZONE g.time_zone), 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    ),
    # Django's own SQLite function (what its Trunc uses): the local wall-clock time, truncated.
    "sqlite": "replace(django_datetime_trunc(%s, s.ts, g.time_zone, 'UTC'), ' ', 'T')",
}
ROLLUPS_BUCKET_SQL = {
    ("postgresql", "day"): "to_char(s.date, 'YYYY-MM-DD')",
    ("postgresql", "month"): "to_char(s.date, 'YYYY-MM') || '-01'",
    ("sqlite", "day"): "s.date",
    ("sqlite", "month"): "substr(s.date, 1, 7) || '-01'",
}
BUCKET_COLUMNS = (
    "meter_id",
    "bucket",
    "serial",
    "unit",
    "zone",
    "total",
    "intervals",
    "estimated_intervals",
    "rows",
)


def bucket_bounds(
    local_start: str, resolution: str, zone: zoneinfo.ZoneInfo
) -> tuple[datetime, datetime]:
    """A bucket's start and end as aware local datetimes (the end is the next bucket's start)."""
    start = datetime.fromisoformat(local_start).replace(tzinfo=zone)
    if resolution == "hour":
        end = (start.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
    elif resolution == "day":
        end = (start + timedelta(days=1)).replace(hour=0)
    else:
        end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start, end


class ReadingFilter(StrictFilterSet):
    meter = django_filters.BaseInFilter(
        field_name="meter__serial", help_text="Meter serials, comma-separated."
    )
    start = UtcDateTimeFilter(
        field_name="ts", lookup_expr="gte", help_text="From this time (inclusive, ISO 8601)."
    )
    end = UtcDateTimeFilter(
        field_name="ts", lookup_expr="lt", help_text="Up to this time (exclusive, ISO 8601)."
    )
    quality = django_filters.ChoiceFilter(choices=Quality.choices)

    class Meta:
        model = Reading
        fields = ["meter", "start", "end", "quality"]


class RollupFilter(StrictFilterSet):
    """The filters that leave whole days: for day and month sums read from DailyUsage."""

    meter = django_filters.BaseInFilter(field_name="meter__serial")

    class Meta:
        model = DailyUsage
        fields = ["meter"]


class OwnOffsetDateTimeField(serializers.DateTimeField):
    """An aware datetime written with its own UTC offset (the meter's local time)."""

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class RawReadingOutputSerializer(serializers.Serializer):
    meter = serializers.CharField(source="meter__serial")
    ts = serializers.DateTimeField(default_timezone=UTC, help_text="The interval's start, UTC.")
    value = serializers.FloatField()
    unit = serializers.CharField(source="meter__unit")
    quality = serializers.ChoiceField(choices=Quality.choices)


class AggregateReadingOutputSerializer(serializers.Serializer):
    meter = serializers.CharField()
    start = OwnOffsetDateTimeField(help_text="The bucket's start, local time with its offset.")
    end = OwnOffsetDateTimeField(help_text="The next bucket's start.")
    value = serializers.FloatField(help_text="The sum of the readings in the bucket.")
    unit = serializers.CharField()
    intervals = serializers.IntegerField(help_text="Readings summed.")
    estimated_intervals = serializers.IntegerField()


RESOLUTION_PARAMETER = OpenApiParameter(
    "resolution",
    OpenApiTypes.STR,
    enum=RESOLUTIONS,
    description="raw (default): each interval; hour, day, month: sums in the meter's local time.",
)


@extend_schema(
    parameters=[RESOLUTION_PARAMETER],
    responses=PolymorphicProxySerializer(
        component_name="ReadingRow",
        serializers=[RawReadingOutputSerializer, AggregateReadingOutputSerializer],
        resource_type_field_name=None,
    ),
    examples=[
        OpenApiExample(
            "A reading (resolution=raw)",
            value={
                "meter": "E-00001",
                "ts": "2026-01-01T15:00:00Z",
                "value": 0.412,
                "unit": "kWh",
                "quality": "measured",
            },
            response_only=True,
        ),
        OpenApiExample(
            "A month in Sapporo (resolution=month)",
            value={
                "meter": "E-00001",
                "start": "2026-01-01T00:00:00+09:00",
                "end": "2026-02-01T00:00:00+09:00",
                "value": 402.7,
                "unit": "kWh",
                "intervals": 1488,
                "estimated_intervals": 2,
            },
            response_only=True,
        ),
    ],
)
class ReadingListView(generics.ListAPIView):
    """Readings of the meters the caller may read, ordered by meter and time."""

    permission_classes = [scope_required(ApiScope.EXPORT)]
    filterset_class = ReadingFilter

    def get_queryset(self):
        model = DailyUsage if self.from_rollups else Reading
        if sees_every_premise(self.request):
            # No "meter IN (…)": SQLite would walk the list meter by meter, reading every
            # row before the cursor, rather than the key's range from the cursor on.
            return model.objects.all()
        return model.objects.filter(meter__in=meters_visible(self.request))

    @cached_property
    def from_rollups(self) -> bool:
        """Whole local days and months come from DailyUsage (one row per meter and day, kept
        by ingest) rather than from summing every reading again; the same figures. With a
        time range or a quality filter the buckets may be partial: those sum the readings."""
        params = self.request.query_params
        return (
            settings.READINGS_AGGREGATES_FROM_ROLLUPS
            and self.resolution in ("day", "month")
            and not {"start", "end", "quality"} & set(params)
        )

    @cached_property
    def resolution(self) -> str:
        resolution = self.request.query_params.get("resolution", "raw")
        if resolution not in RESOLUTIONS:
            raise ValidationFailed(
                f"resolution must be one of {', '.join(RESOLUTIONS)}.",
                code="invalid",
                details={"resolution": [f"{resolution!r} is not one of {', '.join(RESOLUTIONS)}."]},
            )
        return resolution

    @property
    def keyset(self) -> tuple[str, ...]:
        return ("meter_id", "ts") if self.resolution == "raw" else ("meter_id", "bucket")

    def keyset_filter(self, after: list) -> Q:
        if self.resolution == "raw":
            return keyset_after(("meter_id", "ts"), after)
        # The next page's buckets begin where the cursor's bucket ends.
        meter_id, bucket = after
        if self.from_rollups:
            try:
                day = date.fromisoformat(bucket)
            except (TypeError, ValueError) as exc:
                raise ValidationFailed(
                    "The cursor is not valid here.", code="invalid_cursor"
                ) from exc
            if self.resolution == "month":  # the first day of the next month
                day = (day.replace(day=1) + timedelta(days=31)).replace(day=1)
            else:
                day += timedelta(days=1)
            return keyset_after(("meter_id", "date"), [meter_id, day], inclusive=True)
        meter = Meter.objects.select_related("premise__region").filter(pk=meter_id).first()
        if meter is None or not isinstance(bucket, str):
            raise ValidationFailed("The cursor is not valid here.", code="invalid_cursor")
        try:
            _, end = bucket_bounds(bucket, self.resolution, meter.premise.region.tzinfo)
        except ValueError as exc:
            raise ValidationFailed("The cursor is not valid here.", code="invalid_cursor") from exc
        return keyset_after(("meter_id", "ts"), [meter_id, end], inclusive=True)

    def filter_queryset(self, queryset):
        if self.from_rollups:
            filterset = RollupFilter(self.request.query_params, queryset=queryset)
            if not filterset.is_valid():
                raise utils.translate_validation(filterset.errors)
            return filterset.qs
        queryset = super().filter_queryset(queryset)
        if self.resolution == "raw":
            return queryset.values(
                "meter_id", "meter__serial", "meter__unit", "ts", "value", "quality"
            )
        return queryset

    def keyset_page(self, queryset, limit: int) -> list:
        if self.resolution == "raw":
            return list(queryset.order_by(*self.keyset)[:limit])
        if self.from_rollups:
            source = queryset.order_by("meter_id", "date").values(
                "meter_id", "date", "total", "intervals", "estimated_intervals"
            )
            most = BUCKET_DAYS[self.resolution]
        else:
            source = queryset.order_by("meter_id", "ts").values(
                "meter_id", "ts", "value", "quality"
            )
            shortest = meters_visible(self.request).aggregate(shortest=Min("interval_minutes"))
            if shortest["shortest"] is None:
                return []
            most = -(-BUCKET_HOURS[self.resolution] * 60 // shortest["shortest"])
        # Enough rows for one bucket more than the page: if the bound cuts the last bucket
        # short, at least a page's worth of whole buckets precede it. (Rows off their meter's
        # interval grid could break that; then the bound doubles.)
        bound = (limit + 1) * most
        while True:
            buckets = self._buckets_summed(source[:bound])
            if sum(bucket["rows"] for bucket in buckets) < bound:
                return buckets[:limit]
            buckets.pop()  # perhaps cut short: it starts the next page
            if len(buckets) >= limit:
                return buckets[:limit]
            bound *= 2

    def _buckets_summed(self, source) -> list[dict]:
        """Sums per meter and bucket of ``source`` (a sliced queryset of readings or rollups,
        in meter and time order), with the meter's serial, unit and time zone.

        A page of buckets is summed from only the rows that many buckets can hold, read in
        the order of the (meter, time) key from where the cursor points: every page costs what
        the first does. (``GROUP BY … LIMIT`` over the whole queryset summed every row after
        the cursor to keep a hundred buckets, all of them for the first page.)
        """
        connection = connections[source.db]
        inner, inner_params = source.query.get_compiler(source.db).as_sql()
        if self.from_rollups:
            bucket = ROLLUPS_BUCKET_SQL[connection.vendor, self.resolution]
            bucket_params: tuple = ()
            sums = "SUM(s.total), SUM(s.intervals), SUM(s.estimated_intervals)"
            sums_params: tuple = ()
        else:
            bucket = READINGS_BUCKET_SQL[connection.vendor]
            bucket_params = (self.resolution,)
            sums = "SUM(s.value), COUNT(*), SUM(CASE WHEN s.quality = %s THEN 1 ELSE 0 END)"
            sums_params = (Quality.ESTIMATED.value,)
        meter, premise, region = (model._meta.db_table for model in (Meter, Premise, Region))
        sql = (
            f"SELECT s.meter_id, {bucket}, m.serial, m.unit, g.time_zone, {sums}, COUNT(*)"
            f" FROM ({inner}) s"
            f" JOIN {meter} m ON m.id = s.meter_id"
            f" JOIN {premise} p ON p.id = m.premise_id"
            f" JOIN {region} g ON g.id = p.region_id"
            " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, (*bucket_params, *sums_params, *inner_params))
            rows = [dict(zip(BUCKET_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:  # SQLite hands back a rollup's date column as a date
            if isinstance(row["bucket"], date):
                row["bucket"] = row["bucket"].isoformat()
        return rows

    def get_serializer(self, rows, many=False, **kwargs):
        if self.resolution == "raw":
            return RawReadingOutputSerializer(rows, many=many, **kwargs)
        return AggregateReadingOutputSerializer(
            [self._bucket(row) for row in rows], many=many, **kwargs
        )

    def _bucket(self, row: dict) -> dict:
        start, end = bucket_bounds(row["bucket"], self.resolution, zoneinfo.ZoneInfo(row["zone"]))
        return {
            "meter": row["serial"],
            "start": start,
            "end": end,
            "value": row["total"],
            "unit": row["unit"],
            "intervals": row["intervals"],
            "estimated_intervals": row["estimated_intervals"],
        }

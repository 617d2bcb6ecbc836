"""``GET /api/v1/readings/``: raw readings, or sums per hour, day or month of local time.

Aggregation happens in the database, in each meter's own time zone (its premise's region), so a
day is the customer's day: in Japan 2026-01-02 is 2026-01-01T15:00Z to 2026-01-02T15:00Z.
"""

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

import django_filters
from django.conf import settings
from django.db.models import CharField, Count, F, Func, Q, Sum, Value
from django.db.models.functions import TruncMonth
from django_filters import utils
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, serializers

from config.errors import ValidationFailed
from config.filters import StrictFilterSet, UtcDateTimeFilter
from config.pagination import keyset_after
from energy.api.access import meters_visible, scope_required
from energy.apikeys.models import ApiScope
from energy.models import DailyUsage, Meter, Quality, Reading

RESOLUTIONS = ("raw", "hour", "day", "month")


class LocalTrunc(Func):
    """The start of the hour/day/month holding ``ts``, as local wall-clock time in ``zone``
    (a column). PostgreSQL: ``date_trunc`` on ``ts AT TIME ZONE zone``; SQLite: Django's own
    ``django_datetime_trunc`` function, which takes the zone as an argument."""

    output_field = CharField()

    def __init__(self, kind: str, ts: str, zone: str):
        super().__init__(Value(kind), F(ts), F(zone))

    def as_sql(self, compiler, connection, **extra):
        (kind, kind_params), (ts, ts_params), (zone, zone_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        params = (*kind_params, *ts_params, *zone_params)
        if connection.vendor == "postgresql":
            sql = f"to_char(date_trunc({kind}, {ts} AT TIME ZONE {zone}), %s)"
            return sql, (*params, 'YYYY-MM-DD"T"HH24:MI:SS')
        sql = f"replace(django_datetime_trunc({kind}, {ts}, {zone}, 'UTC'), ' ', 'T')"
        return sql, params


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
)
class ReadingListView(generics.ListAPIView):
    """Readings of the meters the caller may read, ordered by meter and time."""

    permission_classes = [scope_required(ApiScope.EXPORT)]
    filterset_class = ReadingFilter

    def get_queryset(self):
        if self.from_rollups:
            return DailyUsage.objects.filter(meter__in=meters_visible(self.request))
        return Reading.objects.filter(meter__in=meters_visible(self.request))

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
            return Q(meter_id__gt=meter_id) | Q(meter_id=meter_id, date__gte=day)
        meter = Meter.objects.select_related("premise__region").filter(pk=meter_id).first()
        if meter is None or not isinstance(bucket, str):
            raise ValidationFailed("The cursor is not valid here.", code="invalid_cursor")
        try:
            _, end = bucket_bounds(bucket, self.resolution, meter.premise.region.tzinfo)
        except ValueError as exc:
            raise ValidationFailed("The cursor is not valid here.", code="invalid_cursor") from exc
        return Q(meter_id__gt=meter_id) | Q(meter_id=meter_id, ts__gte=end)

    def filter_queryset(self, queryset):
        if self.from_rollups:
            filterset = RollupFilter(self.request.query_params, queryset=queryset)
            if not filterset.is_valid():
                raise utils.translate_validation(filterset.errors)
            meter = {
                "serial": F("meter__serial"),
                "unit": F("meter__unit"),
                "zone": F("meter__premise__region__time_zone"),
            }
            # A day's bucket is its rollup row; a month's, its days summed.
            if self.resolution == "day":
                return filterset.qs.values(
                    "meter_id",
                    **meter,
                    bucket=F("date"),
                    sum_total=F("total"),
                    sum_intervals=F("intervals"),
                    sum_estimated=F("estimated_intervals"),
                )
            return (
                filterset.qs.annotate(bucket=TruncMonth("date"))
                .values("meter_id", "bucket", **meter)
                .annotate(
                    sum_total=Sum("total"),
                    sum_intervals=Sum("intervals"),
                    sum_estimated=Sum("estimated_intervals"),
                )
            )
        queryset = super().filter_queryset(queryset)
        if self.resolution == "raw":
            return queryset.values(
                "meter_id", "meter__serial", "meter__unit", "ts", "value", "quality"
            )
        return (
            queryset.annotate(
                bucket=LocalTrunc(self.resolution, "ts", "meter__premise__region__time_zone")
            )
            .values(
                "meter_id",
                "bucket",
                serial=F("meter__serial"),
                unit=F("meter__unit"),
                zone=F("meter__premise__region__time_zone"),
            )
            .annotate(
                total=Sum("value"),
                intervals=Count("ts"),
                estimated_intervals=Count("ts", filter=Q(quality=Quality.ESTIMATED)),
            )
        )

    def get_serializer(self, rows, many=False, **kwargs):
        if self.resolution == "raw":
            return RawReadingOutputSerializer(rows, many=many, **kwargs)
        return AggregateReadingOutputSerializer(
            [self._bucket(row) for row in rows], many=many, **kwargs
        )

    def _bucket(self, row: dict) -> dict:
        if self.from_rollups:  # the bucket is its first day, a date
            row = {
                **row,
                "bucket": row["bucket"].isoformat(),
                "total": row["sum_total"],
                "intervals": row["sum_intervals"],
                "estimated_intervals": row["sum_estimated"],
            }
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

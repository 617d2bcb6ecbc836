"""Premises, meters, readings, weather, rollups and ingest batches.

Times are stored in UTC. A reading is labelled by the start of its interval; local days
follow the premise's region time zone.
"""

import secrets
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import NotSupportedError, models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Models business staff edit in the admin have ``history = HistoricalRecords()``: every change
# is kept with who, when, before and after, and can be restored (core/history.py).


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("%(value)s is not a known time zone."), params={"value": value}
        ) from exc


@dataclass(frozen=True)
class NameInTwoLanguages:
    """A name staff entered in Japanese and English for customers to read, with ``name``, the
    stable identifier the API, imports and metrics use. ``str()`` gives the active language's
    name, else the other language's, else ``name`` (a row saved before it had both)."""

    name: str
    ja: str = ""
    en: str = ""

    def __str__(self) -> str:
        return self.in_language(translation.get_language())

    def in_language(self, language: str | None) -> str:
        if (language or "").split("-")[0] == "en":
            return self.en or self.ja or self.name
        return self.ja or self.en or self.name  # Japanese, the portal's default


class NamedInTwoLanguages:
    """For models with ``name`` (the identifier) and ``name_ja`` / ``name_en`` (what customers
    read): the name in the reader's language."""

    @property
    def names(self) -> NameInTwoLanguages:
        return NameInTwoLanguages(self.name, self.name_ja, self.name_en)

    @property
    def localized_name(self) -> str:
        return str(self.names)


class Region(NamedInTwoLanguages, models.Model):
    """A weather region; every premise in it shares its time zone and temperatures."""

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        help_text=_(
            "The region's identifier in the API, imports and metrics, e.g. Sapporo. Customers "
            "read the names below."
        ),
    )
    name_ja = models.CharField(
        _("name (Japanese)"),
        max_length=100,
        help_text=_("As customers read it on Japanese pages, e.g. 札幌."),
    )
    name_en = models.CharField(
        _("name (English)"),
        max_length=100,
        help_text=_("As customers read it on English pages, e.g. Sapporo."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Asia/Tokyo",
        validators=[validate_time_zone],
        help_text=_("IANA name, for example Asia/Tokyo. Local days and nights use it."),
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.localized_name

    @cached_property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class DwellingType(models.TextChoices):
    DETACHED = "detached", _("Detached house")
    APARTMENT = "apartment", _("Apartment")
    TERRACED = "terraced", _("Terraced house")
    SHOP = "shop", _("Small shop")


class HeatingFuel(models.TextChoices):
    """What heats a home (``energy.savings.fuel``); blank: inferred from its meters."""

    GAS = "gas", _("City gas")
    HEAT_PUMP = "heat_pump", _("Electric heat pump")
    OTHER = "other", _("Other (kerosene, none)")


def premise_public_id() -> str:
    return f"p_{secrets.token_hex(8)}"


class Premise(models.Model):
    """A home or small business supplied by the utility."""

    # The stable pseudonymous id the data team sees instead of the database id and the
    # customer's personal fields (docs/api.md, "Personal data").
    public_id = models.CharField(
        _("pseudonymous id"), max_length=24, unique=True, default=premise_public_id, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="premises",
        # "owner" alone is a flag's owner in flags' catalogue; here it is the customer.
        verbose_name=pgettext_lazy("premise", "owner"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="premises", verbose_name=_("region")
    )
    name = models.CharField(
        _("name"),
        max_length=200,
        blank=True,
        help_text=_("What the customer calls it, e.g. 'Home'."),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    dwelling_type = models.CharField(
        _("dwelling type"), max_length=20, choices=DwellingType.choices
    )
    floor_area_m2 = models.DecimalField(_("floor area (m²)"), max_digits=7, decimal_places=1)
    household_size = models.PositiveSmallIntegerField(_("household size"), default=1)
    heating_fuel = models.CharField(
        _("heating fuel"),
        max_length=12,
        choices=HeatingFuel.choices,
        blank=True,
        help_text=_(
            "Leave empty to infer it from the meters' heating slopes. Homes are compared only "
            "with homes heated by the same fuel."
        ),
    )
    # A premise is on one plan per commodity; price changes over time live in the plan's
    # versions. (Switching plan re-prices the past: history of switches is not kept.)
    electricity_tariff = models.ForeignKey(
        "tariffs.ElectricityTariff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="premises",
        verbose_name=_("electricity tariff"),
    )
    gas_tariff = models.ForeignKey(
        "tariffs.GasTariff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="premises",
        verbose_name=_("gas tariff"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("premise")
        verbose_name_plural = _("premises")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or f"Premise {self.pk}"


class Commodity(models.TextChoices):
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")


class Unit(models.TextChoices):
    """What a meter measures in; ``label`` is how pages, emails and files write it."""

    KWH = "kWh", "kWh"
    M3 = "m3", "m³"

    @classmethod
    def of(cls, commodity: str) -> "Unit":
        """The unit ``commodity`` is metered in (``Meter.unit`` holds the same for a meter)."""
        return COMMODITY_UNIT[commodity]


COMMODITY_UNIT = {Commodity.ELECTRICITY: Unit.KWH, Commodity.GAS: Unit.M3}

MINUTES_PER_DAY = 24 * 60


@lru_cache(maxsize=4096)
def local_day_minutes(day: date, zone: zoneinfo.ZoneInfo) -> int:
    """Minutes from local midnight to the next: 1440, or 1380 and 1500 on daylight-saving days."""
    # Subtract in UTC: Python subtracts wall-clock times within one time zone.
    start = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return int((end - start).total_seconds() // 60)


def intervals_per_day(
    *, interval_minutes: int, day: date | None = None, time_zone: str | None = None
) -> int:
    """Intervals in ``day`` by the clock of ``time_zone``; without a day, in a plain 24 hours.

    A complete day has this many readings: 46 or 50 half hours when daylight saving starts or
    ends. ``Meter.intervals_per_day`` for a meter; ``IntervalsPerDay`` is the same rule in SQL.
    """
    if day is None:
        return MINUTES_PER_DAY // interval_minutes
    return local_day_minutes(day, zoneinfo.ZoneInfo(time_zone)) // interval_minutes


class IntervalsPerDay(models.Func):
    """``intervals_per_day`` in SQL, from expressions for (local date, time zone, interval)."""

    arity = 3
    output_field = models.IntegerField()
    # SQLite has no time zone data: energy/apps.py gives each connection this Python function.
    sqlite_function = "shoene_intervals_per_day"

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("IntervalsPerDay needs PostgreSQL or SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        (day, day_params), (zone, zone_params), (interval, interval_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        # Both local midnights as UTC instants; whole minutes, then whole intervals.
        sql = (
            f"(EXTRACT(EPOCH FROM (({day} + 1)::timestamp AT TIME ZONE {zone})"
            f" - ({day}::timestamp AT TIME ZONE {zone})) / 60)::integer / {interval}"
        )
        return sql, (*day_params, *zone_params, *day_params, *zone_params, *interval_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function=self.sqlite_function)


def sqlite_intervals_per_day(day: str, time_zone: str, interval_minutes: int) -> int:
    """``intervals_per_day`` for SQLite, which passes dates as ISO strings."""
    return intervals_per_day(
        interval_minutes=interval_minutes, day=date.fromisoformat(day), time_zone=time_zone
    )


class Meter(models.Model):
    """A smart meter reporting consumption per fixed interval."""

    premise = models.ForeignKey(
        Premise, on_delete=models.PROTECT, related_name="meters", verbose_name=_("premise")
    )
    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    commodity = models.CharField(_("commodity"), max_length=20, choices=Commodity.choices)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    interval_minutes = models.PositiveSmallIntegerField(
        _("interval (minutes)"),
        default=30,
        help_text=_("Readings must start on this grid, counted from midnight UTC."),
    )
    max_value_per_interval = models.FloatField(
        _("maximum per interval"),
        null=True,
        blank=True,
        help_text=_("Readings above this are rejected. Empty: the site-wide default per hour."),
    )
    installed_on = models.DateField(_("installed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["serial"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval_minutes__gt=0) & models.Q(interval_minutes__lte=1440),
                name="meter_interval_in_a_day",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(commodity="electricity", unit="kWh")
                    | models.Q(commodity="gas", unit="m3")
                ),
                name="meter_unit_matches_commodity",
            ),
        ]

    def __str__(self) -> str:
        return self.serial

    def clean(self) -> None:
        if MINUTES_PER_DAY % (self.interval_minutes or 1):
            raise ValidationError({"interval_minutes": _("The interval must divide a day evenly.")})

    def intervals_per_day(self, day: date | None = None) -> int:
        """Readings in a complete local ``day`` of the premise's region (DST-aware); without
        a day, in a plain 24 hours."""
        return intervals_per_day(
            interval_minutes=self.interval_minutes,
            day=day,
            time_zone=self.premise.region.time_zone if day is not None else None,
        )


class Quality(models.TextChoices):
    MEASURED = "measured", _("Measured")
    ESTIMATED = "estimated", _("Estimated")


class Reading(models.Model):
    """Consumption in one interval, labelled by the interval's start (UTC).

    Keyed by (meter, ts) with no surrogate id, so the table can be partitioned by time and
    distributed by meter.
    """

    pk = models.CompositePrimaryKey("meter", "ts")
    # No database foreign key: its per-row check (a row lock on the meter, deferred to commit)
    # cost more than the rest of a bulk insert together (docs/benchmarks.md). Ingest writes only
    # meter ids it has just looked up, and PROTECT still stops the ORM deleting a meter with
    # readings. The (meter_id, ts) key leads with the meter, so no separate index is needed.
    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, db_index=False, db_constraint=False)
    ts = models.DateTimeField(_("interval start"))
    value = models.FloatField(_("value"))
    quality = models.CharField(
        _("quality"), max_length=10, choices=Quality.choices, default=Quality.MEASURED
    )
    # When the source produced this value: the row's own source_time, else its delivery's
    # (a file's time), else when the delivery was received. A value produced earlier than this
    # one does not replace it (energy/ingest/store.py). Empty for readings stored before it
    # was recorded: any later delivery replaces those.
    source_time = models.DateTimeField(_("source time"), null=True, blank=True)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")

    def __str__(self) -> str:
        return f"{self.meter_id} {self.ts.isoformat()} {self.value}"


class RevisionKind(models.TextChoices):
    REPLACED = "replaced", _("Replaced by a newer value")
    STALE = "stale", _("Older than the stored value; not applied")


class ReadingRevision(models.Model):
    """A value a reading does not hold (any more): the one a newer correction replaced, or one
    that arrived produced earlier than the stored value and was kept here without applying it.
    """

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, db_index=False)
    ts = models.DateTimeField(_("interval start"))
    value = models.FloatField(_("value"))
    quality = models.CharField(_("quality"), max_length=10, choices=Quality.choices)
    source_time = models.DateTimeField(_("source time"), null=True, blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=RevisionKind.choices, default=RevisionKind.REPLACED
    )
    replaced_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    batch = models.ForeignKey(
        "IngestBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="revisions"
    )

    class Meta:
        verbose_name = _("reading revision")
        verbose_name_plural = _("reading revisions")
        indexes = [models.Index(fields=["meter", "ts"], name="revision_meter_ts")]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.ts.isoformat()} {self.kind} {self.value}"


class WeatherObservation(models.Model):
    """Daily mean temperature for a region's local date."""

    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="weather", verbose_name=_("region")
    )
    date = models.DateField(_("local date"))
    temperature_mean_c = models.FloatField(_("mean temperature (°C)"))

    class Meta:
        verbose_name = _("weather observation")
        verbose_name_plural = _("weather observations")
        constraints = [
            models.UniqueConstraint(fields=["region", "date"], name="weather_one_per_region_day"),
        ]
        ordering = ["region", "date"]

    def __str__(self) -> str:
        return f"{self.region} {self.date}: {self.temperature_mean_c:.1f} °C"


class DailyUsageQuerySet(models.QuerySet):
    def complete(self) -> "DailyUsageQuerySet":
        """Days with every interval of their local day (``Meter.intervals_per_day``)."""
        return self.filter(self._complete_day())

    def incomplete(self) -> "DailyUsageQuerySet":
        return self.exclude(self._complete_day())

    @staticmethod
    def _complete_day() -> models.Q:
        expected = IntervalsPerDay(
            "date", "meter__premise__region__time_zone", "meter__interval_minutes"
        )
        return models.Q(intervals__gte=expected)


class DailyUsage(models.Model):
    """The rollup of one meter's readings over one local day (in the meter's unit)."""

    meter = models.ForeignKey(
        Meter,
        on_delete=models.CASCADE,
        related_name="daily_usage",
        db_index=False,
        verbose_name=_("meter"),
    )
    date = models.DateField(_("local date"))
    total = models.FloatField(_("total"))
    baseload = models.FloatField(_("baseload"), help_text=_("The smallest interval value."))
    peak = models.FloatField(_("peak"), help_text=_("The largest interval value."))
    peak_at = models.DateTimeField(_("peak interval start"))
    night_total = models.FloatField(_("night total"), help_text=_("01:00-05:00 local time."))
    intervals = models.PositiveSmallIntegerField(_("intervals present"))
    estimated_intervals = models.PositiveSmallIntegerField(
        _("estimated intervals"), default=0, help_text=_("Of the intervals present.")
    )
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    objects = DailyUsageQuerySet.as_manager()

    class Meta:
        verbose_name = _("daily usage")
        verbose_name_plural = _("daily usage")
        constraints = [
            models.UniqueConstraint(fields=["meter", "date"], name="daily_usage_one_per_meter_day"),
        ]
        ordering = ["meter", "date"]

    def __str__(self) -> str:
        return f"{self.meter} {self.date}: {self.total:g}"


class DemoHousehold(models.Model):
    """The true parameters ``seed_demo`` generated a demo premise's readings from.

    Only synthetic demo data has them: the ground truth ``figures_audit`` scores the savings
    engine's estimates against. Per day figures are kWh (electricity) or m³ (gas).
    """

    premise = models.OneToOneField(
        Premise, on_delete=models.CASCADE, related_name="demo_truth", verbose_name=_("premise")
    )
    heating_fuel = models.CharField(_("heating fuel"), max_length=12, choices=HeatingFuel.choices)
    always_on_kwh_per_day = models.FloatField(
        _("always-on use (kWh/day)"), help_text=_("Standby devices plus fixed loads.")
    )
    standby_kwh_per_day = models.FloatField(
        _("standby (kWh/day)"), help_text=_("Devices on standby: the part that can be cut.")
    )
    base_load_kwh_per_day = models.FloatField(
        _("base load (kWh/day)"), help_text=_("Always-on use plus daily activity, no heating.")
    )
    electricity_kwh_per_hdd = models.FloatField(_("electric heating (kWh per degree-day)"))
    gas_m3_per_hdd = models.FloatField(_("gas heating (m³ per degree-day)"))
    hot_water_m3_per_day = models.FloatField(_("hot water (m³/day)"))
    heating_base_c = models.FloatField(_("heating base temperature (°C)"))

    class Meta:
        verbose_name = _("demo household truth")
        verbose_name_plural = _("demo household truths")

    def __str__(self) -> str:
        return f"{self.premise}: {self.heating_fuel}"


class BatchStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSING = "processing", _("Processing")
    # "Done" alone is a recommendation status (実施済み); a batch is done processing (完了).
    DONE = "done", pgettext_lazy("ingest batch status", "Done")
    FAILED = "failed", _("Failed")


class BatchFormat(models.TextChoices):
    JSON = "json", "JSON"
    CSV = "csv", "CSV"
    GREENBUTTON = "greenbutton", "Green Button (ESPI XML)"


class IngestBatch(models.Model):
    """One delivery of readings, stored raw before it is acknowledged."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="ingest_batches",
        verbose_name=_("client"),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    source = models.CharField(
        _("source"), max_length=20, default="api", help_text=_("api, file, replay or demo")
    )
    format = models.CharField(_("format"), max_length=16, choices=BatchFormat.choices)
    payload = models.TextField(_("raw payload"))
    payload_sha256 = models.CharField(_("payload SHA-256"), max_length=64)
    # Deliveries of cumulative registers (energy/interop/routeb/register.py): the payload above
    # holds the interval values differenced from them, this the registers as delivered.
    source_time = models.DateTimeField(
        _("source time"),
        null=True,
        blank=True,
        help_text=_(
            "When the source produced this delivery (a file's time); empty: when it was received. "
            "Readings without their own source time take this one."
        ),
    )
    register_payload = models.TextField(
        _("raw register payload"),
        blank=True,
        help_text=_(
            "The cumulative register readings as delivered, when the batch came from them."
        ),
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    accepted_count = models.PositiveIntegerField(_("accepted"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    corrected_count = models.PositiveIntegerField(_("corrected"), default=0)
    stale_count = models.PositiveIntegerField(
        _("older than stored"),
        default=0,
        help_text=_(
            "Changed values produced earlier than the stored ones: kept as revisions, not applied."
        ),
    )
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    rejected_rows = models.JSONField(
        _("rejected rows"),
        default=list,
        blank=True,
        help_text=_("The first rejected rows with their reasons."),
    )
    rejected_reasons = models.JSONField(
        _("rejected by reason"),
        default=dict,
        blank=True,
        help_text=_("Rows rejected for each reason (all of them, not only those kept)."),
    )
    notes = models.JSONField(
        _("notes"),
        default=list,
        blank=True,
        help_text=_(
            "What the reader inferred rather than read in the file, e.g. a Green Button usage "
            "point's commodity taken from its reading types."
        ),
    )
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("ingest batch")
        verbose_name_plural = _("ingest batches")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="batch_idempotency_key_per_client",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="batch_status_received"),
        ]
        permissions = [("ingest_readings", _("Can post meter readings for ingest"))]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def produced_at(self) -> datetime:
        """The source time of the batch's readings that carry none of their own."""
        return self.source_time or self.received_at

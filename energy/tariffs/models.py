"""Tariffs (plans), their dated price versions, and emission factors.

A tariff (plan) is what a premise is on; its prices live in dated versions, so a price revision
is a new version and past bills keep their old prices. Versions run whole calendar months,
because Japanese tariffs, fuel-cost adjustments and the renewable levy all change per month.

The tables keep the names they had in the energy app (``energy_…``): the models moved, the data
did not (migrations/0001_initial.py).
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Staff edit these in the admin: every change is kept with who, when, before and after, and can
# be restored (core/history.py).
from simple_history.models import HistoricalRecords

from energy.models import Commodity, NamedInTwoLanguages


def validate_first_of_month(value) -> None:
    if value is not None and value.day != 1:
        raise ValidationError(_("Use the first day of a month."))


def _last_day_of_month(value) -> bool:
    return (value + timedelta(days=1)).day == 1


def _validity_overlaps(queryset, *, valid_from, valid_until):
    """Rows of ``queryset`` whose [valid_from, valid_until] (inclusive, open-ended when the end
    is empty) shares at least one day with the given range."""
    overlapping = queryset
    if valid_until is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_until)
    return overlapping.filter(
        models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=valid_from)
    )


class ValidityPeriod(models.Model):
    """A from-to range of dates, both inclusive; no end date means "until further notice"."""

    valid_from = models.DateField(_("valid from"), help_text=_("The first day it applies."))
    valid_until = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("The last day it applies. Empty: until a later version replaces it."),
    )

    class Meta:
        abstract = True

    def covers(self, day) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def _siblings(self):
        """Other rows that must not overlap this one."""
        raise NotImplementedError

    def _period_label(self) -> str:
        until = self.valid_until.isoformat() if self.valid_until else "…"
        return f"{self.valid_from.isoformat()} – {until}"

    def clean(self) -> None:
        super().clean()
        if self.valid_from is None:
            return
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("The last day must not be before the first day.")}
            )
        siblings = self._siblings()
        if siblings is None:
            return
        clash = _validity_overlaps(
            siblings.exclude(pk=self.pk), valid_from=self.valid_from, valid_until=self.valid_until
        ).first()
        if clash is not None:
            raise ValidationError(
                _(
                    "These dates overlap another version (%(period)s). End that version the day "
                    "before this one starts, or change these dates."
                ),
                params={"period": clash._period_label()},
                code="overlap",
            )


class MonthlyVersion(ValidityPeriod):
    """A validity period made of whole calendar months."""

    class Meta:
        abstract = True

    def clean(self) -> None:
        errors = {}
        if self.valid_from is not None and self.valid_from.day != 1:
            errors["valid_from"] = _("A version starts on the first day of a month.")
        if self.valid_until is not None and not _last_day_of_month(self.valid_until):
            errors["valid_until"] = _("A version ends on the last day of a month.")
        if errors:
            raise ValidationError(errors)
        super().clean()


class ElectricityTariff(models.Model):
    """An electricity plan a premise is on, e.g. Hokkaido Electric's 従量電灯B."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    utility = models.CharField(_("utility"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords(table_name="energy_historicalelectricitytariff")

    class Meta:
        db_table = "energy_electricitytariff"
        verbose_name = _("electricity tariff")
        verbose_name_plural = _("electricity tariffs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ElectricityTariffVersion(MonthlyVersion):
    """The prices of an electricity tariff over a range of whole months."""

    tariff = models.ForeignKey(
        ElectricityTariff,
        on_delete=models.CASCADE,
        related_name="versions",
        verbose_name=_("tariff"),
    )
    basic_charge_jpy = models.DecimalField(
        _("basic charge (JPY per month)"),
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("基本料金 for the contract size, e.g. 30 A."),
    )
    tier1_limit_kwh = models.PositiveIntegerField(
        _("tier 1 up to (kWh)"),
        default=120,
        help_text=_("Monthly kWh charged at the tier 1 price (第1段階)."),
    )
    tier2_limit_kwh = models.PositiveIntegerField(
        _("tier 2 up to (kWh)"),
        default=300,
        help_text=_("Monthly kWh up to which the tier 2 price applies; above it, tier 3."),
    )
    tier1_price_jpy_per_kwh = models.DecimalField(
        _("tier 1 price (JPY/kWh)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    tier2_price_jpy_per_kwh = models.DecimalField(
        _("tier 2 price (JPY/kWh)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    tier3_price_jpy_per_kwh = models.DecimalField(
        _("tier 3 price (JPY/kWh)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    renewable_levy_jpy_per_kwh = models.DecimalField(
        _("renewable energy levy (JPY/kWh)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("再エネ賦課金, set nationally each fiscal year from May."),
    )

    history = HistoricalRecords(table_name="energy_historicalelectricitytariffversion")

    class Meta:
        db_table = "energy_electricitytariffversion"
        verbose_name = _("electricity tariff version")
        verbose_name_plural = _("electricity tariff versions")
        ordering = ["tariff", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tier2_limit_kwh__gt=models.F("tier1_limit_kwh")),
                name="electricity_tier2_above_tier1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff} {self._period_label()}"

    def _siblings(self):
        if self.tariff_id is None:
            return None
        return ElectricityTariffVersion.objects.filter(tariff_id=self.tariff_id)

    def clean(self) -> None:
        if (
            self.tier1_limit_kwh is not None
            and self.tier2_limit_kwh is not None
            and self.tier2_limit_kwh <= self.tier1_limit_kwh
        ):
            raise ValidationError(
                {"tier2_limit_kwh": _("Tier 2 must end above where tier 1 ends.")}
            )
        super().clean()


def band_hours(start_hour: int, end_hour: int) -> list[int]:
    """The local hours of a band from ``start_hour`` up to ``end_hour``, wrapping past midnight."""
    if end_hour > start_hour:
        return list(range(start_hour, end_hour))
    return list(range(start_hour, 24)) + list(range(0, end_hour))


class TimeOfUseBand(NamedInTwoLanguages, models.Model):
    """Hours of the day charged at their own price instead of the tier price."""

    version = models.ForeignKey(
        ElectricityTariffVersion,
        on_delete=models.CASCADE,
        related_name="bands",
        verbose_name=_("tariff version"),
    )
    name = models.CharField(
        _("name"),
        max_length=50,
        help_text=_(
            "The band's identifier in the API and imports, for example peak, day or night. "
            "Customers read the names below."
        ),
    )
    name_ja = models.CharField(
        _("name (Japanese)"),
        max_length=50,
        help_text=_("As customers read it on Japanese pages, for example ピーク, 昼間 or 夜間."),
    )
    name_en = models.CharField(
        _("name (English)"),
        max_length=50,
        help_text=_("As customers read it on English pages, for example peak, day or night."),
    )
    start_hour = models.PositiveSmallIntegerField(
        _("start hour"),
        validators=[MaxValueValidator(23)],
        help_text=_("Local time, 0-23. The band starts at the top of this hour."),
    )
    end_hour = models.PositiveSmallIntegerField(
        _("end hour"),
        validators=[MaxValueValidator(24)],
        help_text=_(
            "Local time, 1-24; the band ends at the top of this hour. An end at or before the "
            "start runs past midnight (22 to 8 is a night band)."
        ),
    )
    price_jpy_per_kwh = models.DecimalField(
        _("price (JPY/kWh)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )

    history = HistoricalRecords(table_name="energy_historicaltimeofuseband")

    class Meta:
        db_table = "energy_timeofuseband"
        verbose_name = _("time-of-use band")
        verbose_name_plural = _("time-of-use bands")
        ordering = ["version", "start_hour"]

    def __str__(self) -> str:
        return f"{self.localized_name} {self.start_hour:02d}:00-{self.end_hour:02d}:00"

    @property
    def hours(self) -> list[int]:
        return band_hours(self.start_hour, self.end_hour % 24)

    def clean(self) -> None:
        if (
            self.start_hour is not None
            and self.end_hour is not None
            and self.start_hour == self.end_hour
        ):
            raise ValidationError(_("A band must not start and end at the same hour."))


class FuelCostAdjustment(models.Model):
    """燃料費調整額: the per-kWh adjustment a utility publishes for each month; may be negative."""

    tariff = models.ForeignKey(
        ElectricityTariff,
        on_delete=models.CASCADE,
        related_name="fuel_adjustments",
        verbose_name=_("tariff"),
    )
    month = models.DateField(
        _("month"), validators=[validate_first_of_month], help_text=_("The first day of the month.")
    )
    jpy_per_kwh = models.DecimalField(
        _("adjustment (JPY/kWh)"),
        max_digits=8,
        decimal_places=2,
        help_text=_("Negative when fuel was cheaper than the tariff assumed."),
    )

    history = HistoricalRecords(table_name="energy_historicalfuelcostadjustment")

    class Meta:
        db_table = "energy_fuelcostadjustment"
        verbose_name = _("fuel-cost adjustment")
        verbose_name_plural = _("fuel-cost adjustments")
        ordering = ["tariff", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "month"], name="fuel_adjustment_one_per_tariff_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff} {self.month:%Y-%m}: {self.jpy_per_kwh}"


class GasTariff(models.Model):
    """A city-gas plan a premise is on, e.g. a general tariff (一般料金) with tables A to E."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    utility = models.CharField(_("utility"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    has_raw_material_adjustment = models.BooleanField(
        _("monthly raw-material cost adjustment"),
        default=True,
        help_text=_(
            "原料費調整: when ticked, every billed month needs its adjustment entered; a month "
            "without one is reported as missing, never taken as zero."
        ),
    )

    history = HistoricalRecords(table_name="energy_historicalgastariff")

    class Meta:
        db_table = "energy_gastariff"
        verbose_name = _("gas tariff")
        verbose_name_plural = _("gas tariffs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GasTariffVersion(MonthlyVersion):
    """The usage bands and prices of a gas tariff over a range of whole months."""

    tariff = models.ForeignKey(
        GasTariff, on_delete=models.CASCADE, related_name="versions", verbose_name=_("tariff")
    )

    history = HistoricalRecords(table_name="energy_historicalgastariffversion")

    class Meta:
        db_table = "energy_gastariffversion"
        verbose_name = _("gas tariff version")
        verbose_name_plural = _("gas tariff versions")
        ordering = ["tariff", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.tariff} {self._period_label()}"

    def _siblings(self):
        if self.tariff_id is None:
            return None
        return GasTariffVersion.objects.filter(tariff_id=self.tariff_id)


class GasUsageBand(models.Model):
    """One row of a gas price table (料金表): applies when the month's total falls in its range."""

    version = models.ForeignKey(
        GasTariffVersion,
        on_delete=models.CASCADE,
        related_name="bands",
        verbose_name=_("tariff version"),
    )
    label = models.CharField(_("table"), max_length=20, help_text=_("For example A, B, C."))
    up_to_m3 = models.DecimalField(
        _("up to (m³ per month)"),
        max_digits=9,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "The largest monthly use this table applies to (inclusive); it starts above the "
            "previous table's limit. Empty for the last, open-ended table."
        ),
    )
    basic_charge_jpy = models.DecimalField(
        _("basic charge (JPY per month)"),
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    unit_price_jpy_per_m3 = models.DecimalField(
        _("unit price (JPY/m³)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("Before the raw-material cost adjustment."),
    )

    history = HistoricalRecords(table_name="energy_historicalgasusageband")

    class Meta:
        db_table = "energy_gasusageband"
        verbose_name = _("gas usage band")
        verbose_name_plural = _("gas usage bands")
        ordering = ["version", models.F("up_to_m3").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "up_to_m3"], name="gas_band_limit_unique_per_version"
            ),
            models.UniqueConstraint(
                fields=["version"],
                condition=models.Q(up_to_m3__isnull=True),
                name="gas_band_one_open_ended_per_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ≤ {self.up_to_m3}" if self.up_to_m3 is not None else self.label


class GasRawMaterialAdjustment(models.Model):
    """原料費調整額: the per-m³ adjustment of a gas tariff for one month; may be negative."""

    tariff = models.ForeignKey(
        GasTariff,
        on_delete=models.CASCADE,
        related_name="raw_material_adjustments",
        verbose_name=_("tariff"),
    )
    month = models.DateField(
        _("month"), validators=[validate_first_of_month], help_text=_("The first day of the month.")
    )
    jpy_per_m3 = models.DecimalField(_("adjustment (JPY/m³)"), max_digits=8, decimal_places=2)

    history = HistoricalRecords(table_name="energy_historicalgasrawmaterialadjustment")

    class Meta:
        db_table = "energy_gasrawmaterialadjustment"
        verbose_name = _("raw-material cost adjustment")
        verbose_name_plural = _("raw-material cost adjustments")
        ordering = ["tariff", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "month"], name="raw_material_adjustment_one_per_tariff_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff} {self.month:%Y-%m}: {self.jpy_per_m3}"


class EmissionFactor(ValidityPeriod):
    """kg of CO2 emitted per unit supplied: per kWh for electricity, per m³ for gas."""

    commodity = models.CharField(_("commodity"), max_length=20, choices=Commodity.choices)
    kg_co2_per_unit = models.DecimalField(
        _("kg CO2 per unit"),
        max_digits=8,
        decimal_places=4,
        validators=[MinValueValidator(0)],
        help_text=_(
            "Electricity: kg-CO2/kWh, the utility's adjusted emission factor (調整後排出係数) "
            "published by the Ministry of the Environment. Gas: kg-CO2/m³; for 13A city gas "
            "about 2.23 (44.8 MJ/m³ × 0.0499 kg-CO2/MJ)."
        ),
    )
    source = models.CharField(
        # An ingest batch's "source" is where readings came from (api, file or demo).
        pgettext_lazy("emission factor", "source"),
        max_length=300,
        blank=True,
        help_text=_("Where the figure was published."),
    )

    history = HistoricalRecords(table_name="energy_historicalemissionfactor")

    class Meta:
        db_table = "energy_emissionfactor"
        verbose_name = _("emission factor")
        verbose_name_plural = _("emission factors")
        ordering = ["commodity", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.get_commodity_display()} {self._period_label()}: {self.kg_co2_per_unit}"

    def _siblings(self):
        if not self.commodity:
            return None
        return EmissionFactor.objects.filter(commodity=self.commodity)

"""Yen and CO2 for a batch of recommendations, and the hourly use that peak shift needs.

All prices come from ``energy.tariffs`` (the one place costs are computed) and are loaded per
batch of premises in a fixed number of queries. Where a price or factor is missing the
figure stays empty and the reason is kept, never a guessed zero.
"""

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from django.db.models import Count, Sum
from django.db.models.functions import ExtractHour, TruncDate

from config.errors import ShoeneError
from energy.models import NameInTwoLanguages, Premise, Reading
from energy.tariffs.billing import (
    ElectricityPrices,
    electricity_bill,
    emission_factor_kg,
    gas_bill,
    marginal_prices_jpy,
    prices_load,
)

DAYS_PER_MONTH = 365.25 / 12
PEAK_WINDOW_DAYS = 90


@dataclass
class BatchPricing:
    """Prices for one batch of premises on one day."""

    month: date
    marginal_jpy: dict[tuple[int, str], float] = field(default_factory=dict)
    tariff_id: dict[tuple[int, str], int] = field(default_factory=dict)
    month_prices: dict[tuple[str, int], object] = field(default_factory=dict)
    co2_kg_per_unit: dict[str, float] = field(default_factory=dict)
    reasons: dict[tuple[int, str] | str, str] = field(default_factory=dict)

    def why_not(self, premise_id: int, commodity: str) -> str | None:
        return self.reasons.get((premise_id, commodity)) or self.reasons.get(commodity)

    def electricity_prices(self, premise_id: int) -> ElectricityPrices | None:
        tariff = self.tariff_id.get((premise_id, "electricity"))
        return self.month_prices.get(("electricity", tariff)) if tariff else None

    def bill_jpy(
        self, *, premise_id: int, commodity: str, usage_total: float, hourly_share=None
    ) -> float | None:
        """The month's whole bill for this use (basic charge included), or None."""
        tariff = self.tariff_id.get((premise_id, commodity))
        prices = self.month_prices.get((commodity, tariff)) if tariff else None
        if prices is None:
            return None
        if commodity == "gas":
            return gas_bill(prices=prices, usage_total=usage_total).total_jpy
        by_hour = None
        if prices.bands:
            if hourly_share is None:
                return None
            by_hour = usage_total * np.asarray(hourly_share)
        return electricity_bill(
            prices=prices, usage_total=usage_total, usage_by_hour=by_hour
        ).total_jpy


def emission_factors_load(*, on: date) -> tuple[dict[str, float], dict[str, str]]:
    """kg-CO2 per unit by commodity valid on a date (one query each), and reasons for gaps."""
    factors, reasons = {}, {}
    for commodity in ("electricity", "gas"):
        try:
            factors[commodity] = emission_factor_kg(commodity=commodity, on=on)
        except ShoeneError as error:
            reasons[commodity] = error.message
    return factors, reasons


def batch_pricing_load(
    *,
    monthly_use: dict[tuple[int, str], float],
    on: date,
    co2_kg_per_unit: dict[str, float],
    co2_reasons: dict[str, str],
) -> BatchPricing:
    """Marginal prices and this month's prices for (premise id, commodity) pairs.

    Per commodity: one query for the premises' tariffs and three for the month's prices.
    """
    pricing = BatchPricing(month=on.replace(day=1), co2_kg_per_unit=co2_kg_per_unit)
    pricing.reasons.update(co2_reasons)
    for commodity in ("electricity", "gas"):
        premise_ids = [premise_id for premise_id, kind in monthly_use if kind == commodity]
        if not premise_ids:
            continue
        tariffs = dict(
            Premise.objects.filter(pk__in=premise_ids).values_list("pk", f"{commodity}_tariff_id")
        )
        by_tariff: dict[int, list[int]] = defaultdict(list)
        for premise_id in premise_ids:
            if tariffs.get(premise_id) is None:
                pricing.reasons[premise_id, commodity] = f"no {commodity} tariff"
            else:
                pricing.tariff_id[premise_id, commodity] = tariffs[premise_id]
                by_tariff[tariffs[premise_id]].append(premise_id)
        if not by_tariff:
            continue
        try:
            prices = prices_load(commodity=commodity, tariff_ids=by_tariff, months=[pricing.month])
        except ShoeneError as error:
            for members in by_tariff.values():
                for premise_id in members:
                    pricing.reasons[premise_id, commodity] = error.message
            continue
        for tariff, members in by_tariff.items():
            month_prices = prices[tariff, pricing.month]
            pricing.month_prices[commodity, tariff] = month_prices
            try:
                marginal = marginal_prices_jpy(
                    prices=month_prices,
                    monthly_usage=[monthly_use[premise_id, commodity] for premise_id in members],
                )
            except ShoeneError as error:  # e.g. a gas use beyond every table
                for premise_id in members:
                    pricing.reasons[premise_id, commodity] = error.message
                continue
            for premise_id, price in zip(members, marginal, strict=True):
                pricing.marginal_jpy[premise_id, commodity] = float(price)
    return pricing


def hourly_use_load(
    *, meter_ids: list[int], time_zone: str, today: date, days: int = PEAK_WINDOW_DAYS
) -> dict[int, tuple[np.ndarray, int]]:
    """Per meter: use in each local hour summed over the last ``days`` days, and the days seen.

    One aggregate query over readings in the database (by meter and local hour), bounded by
    the meters and the window.
    """
    if not meter_ids:
        return {}
    tz = zoneinfo.ZoneInfo(time_zone)
    start = datetime.combine(today - timedelta(days=days), time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(today, time(), tzinfo=tz).astimezone(UTC)
    readings = Reading.objects.filter(meter_id__in=meter_ids, ts__gte=start, ts__lt=end)
    by_hour = (
        readings.annotate(hour=ExtractHour("ts", tzinfo=tz))
        .values("meter_id", "hour")
        .annotate(total=Sum("value"))
        .order_by()
    )
    days_seen = (
        readings.annotate(day=TruncDate("ts", tzinfo=tz))
        .values("meter_id")
        .annotate(days=Count("day", distinct=True))
        .order_by()
    )
    result: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(24))
    for row in by_hour:
        result[row["meter_id"]][row["hour"]] = row["total"]
    seen = {row["meter_id"]: row["days"] for row in days_seen}
    return {meter_id: (hours, seen.get(meter_id, 0)) for meter_id, hours in result.items()}


def peak_band(
    prices: ElectricityPrices,
) -> tuple[NameInTwoLanguages, list[int], float, float] | None:
    """(names, hours, peak price, price difference to the cheapest hour) of a TOU tariff."""
    if not prices.bands:
        return None
    name, hours, peak_price = max(prices.bands, key=lambda band: band[2])
    # Hours outside every band are charged at the tiers; the lowest tier is the cheapest case.
    hourly = prices.hourly_prices_jpy(prices.tier_prices_jpy[0])
    return name, sorted(hours), peak_price, float(peak_price - hourly.min())


def hours_label(hours: list[int]) -> str:
    """ "17:00-22:00" for a run of hours (a band across midnight reads "22:00-08:00")."""
    ordered = sorted(hours)
    gaps = [i for i in range(1, len(ordered)) if ordered[i] != ordered[i - 1] + 1]
    if gaps:  # wraps midnight: start after the gap
        ordered = ordered[gaps[0] :] + ordered[: gaps[0]]
    return f"{ordered[0]:02d}:00-{(ordered[-1] + 1) % 24:02d}:00"

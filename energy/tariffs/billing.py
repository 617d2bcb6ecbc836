"""Cost and CO2 of energy use: the one place they are computed.

Prices come from the tariff versions staff edit in the admin (``energy.models``); nothing here is
a constant. Bills are calendar months, as Japanese residential tariffs are:

- electricity (従量電灯-style): basic charge + energy charge in three tiers by the month's kWh
  (or, on a time-of-use tariff, the band price for kWh used in that band's hours)
  + fuel-cost adjustment (燃料費調整額) × kWh + renewable energy levy (再エネ賦課金) × kWh;
- gas (一般料金-style tables): the month's total picks one table (A, B, C, …) and the *whole*
  month is charged at that table's basic charge and unit price, + raw-material cost adjustment
  (原料費調整額) × m³. That is how Japanese city-gas tariffs work: the supply conditions say
  the table is chosen by the month's use and applied to all of it, with tables priced so the
  bill rises continuously across a boundary (e.g. Hokkaido Gas 一般料金, table A to E).

Amounts are not rounded: a real bill rounds the levy and the total down to whole yen, but the
figures here are estimates that get prorated and summed, so rounding happens only on display.

A tariff version applies to whole months: the one in force on the first day of a month prices
that month. Missing prices (no plan, no version, no fuel adjustment for the month, no emission
factor) raise a ``TariffError``; they are never taken as zero.
"""

import calendar
import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from config.errors import ShoeneError, ValidationFailed
from energy.models import Commodity, NameInTwoLanguages, Premise
from energy.tariffs.models import (
    ElectricityTariff,
    ElectricityTariffVersion,
    EmissionFactor,
    FuelCostAdjustment,
    GasRawMaterialAdjustment,
    GasTariff,
    GasTariffVersion,
)

# --- errors -----------------------------------------------------------------------------------


class TariffError(ShoeneError):
    """Prices or factors needed for a cost or CO2 figure are not there."""

    code = "tariff_error"
    http_status = 422


class TariffMissing(TariffError):
    """A premise has no tariff, or its tariff has no version for the month."""

    code = "tariff_missing"


class TariffDataMissing(TariffError):
    """A tariff version exists but a monthly figure it needs (e.g. 燃料費調整額) does not."""

    code = "tariff_data_missing"


class TariffMisconfigured(TariffError):
    """The tariff data contradict themselves (overlapping versions, no band for the usage)."""

    code = "tariff_misconfigured"


class EmissionFactorMissing(TariffError):
    code = "emission_factor_missing"


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillLine:
    """One line of a bill: ``quantity`` × ``unit_price_jpy`` = ``amount_jpy``.

    ``kind``: basic, energy, fuel_adjustment (燃料費調整額 or, for gas, 原料費調整額) or levy.
    For the basic charge the quantity is 1 (month).
    """

    kind: str
    label: str | Promise
    quantity: float
    unit_price_jpy: float
    amount_jpy: float


@dataclass(frozen=True)
class MonthlyBill:
    """A whole calendar month's bill with every line, so a page can show its basis."""

    commodity: str
    month: date  # the first day of the month
    tariff_name: str
    usage_total: float  # kWh or m³
    basic_charge_jpy: float
    energy_lines: tuple[BillLine, ...]  # per tier, time-of-use band, or the gas table used
    energy_charge_jpy: float
    fuel_adjustment_jpy: float
    levy_jpy: float
    total_jpy: float
    gas_table: str | None = None  # the gas table (A, B, …) the month's use fell in
    lines: tuple[BillLine, ...] = ()  # every line in bill order: basic, energy, adjustment, levy


def _basic_line(amount_jpy: float) -> BillLine:
    return BillLine("basic", _("Basic charge"), 1.0, amount_jpy, amount_jpy)


@dataclass(frozen=True)
class MonthCost:
    """One calendar month's part of a period: the whole-month bill and the share charged."""

    month: date
    days_covered: int
    days_in_month: int
    usage: float  # in the covered days
    month_usage_estimate: float  # the whole month's use the tiers/tables were chosen by
    bill: MonthlyBill  # for month_usage_estimate
    basic_charge_jpy: float  # prorated by days covered
    variable_charge_jpy: float  # energy, adjustment and levy, by usage share
    cost_jpy: float
    co2_kg: float


@dataclass(frozen=True)
class PeriodCost:
    commodity: str
    start: date
    end: date  # inclusive
    usage_total: float
    cost_jpy: float
    co2_kg: float
    months: tuple[MonthCost, ...]


# --- prices as plain data ---------------------------------------------------------------------


@dataclass(frozen=True)
class ElectricityPrices:
    """Everything needed to bill one month on one electricity tariff, as plain numbers."""

    tariff_name: str
    month: date
    basic_charge_jpy: float
    tier1_limit_kwh: float
    tier2_limit_kwh: float
    tier_prices_jpy: tuple[float, float, float]
    fuel_adjustment_jpy_per_kwh: float
    levy_jpy_per_kwh: float
    # (name in both languages, local hours, JPY/kWh)
    bands: tuple[tuple[NameInTwoLanguages, tuple[int, ...], float], ...] = ()

    def hourly_prices_jpy(self, tier_price_jpy: float) -> np.ndarray:
        """The energy price of each local hour: its band's price, else ``tier_price_jpy``."""
        prices = np.full(24, tier_price_jpy, dtype=float)
        for _name, hours, price in self.bands:
            prices[list(hours)] = price
        return prices


@dataclass(frozen=True)
class GasPrices:
    tariff_name: str
    month: date
    # (table label, upper limit in m³ inclusive or inf, basic charge JPY, unit price JPY/m³)
    tables: tuple[tuple[str, float, float, float], ...]
    adjustment_jpy_per_m3: float
    has_adjustment: bool

    def table_for(self, usage_m3: float) -> tuple[str, float, float, float]:
        for table in self.tables:
            if usage_m3 <= table[1]:
                return table
        raise TariffMisconfigured(
            str(
                format_lazy(
                    _("Gas tariff {name} has no table for {usage:g} m³ a month."),
                    name=self.tariff_name,
                    usage=usage_m3,
                )
            ),
            details={"tariff": self.tariff_name, "usage_m3": usage_m3},
        )


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _months_between(start: date, end: date) -> list[date]:
    months, month = [], _month_start(start)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _days_in_month(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def _versions_by_month(versions, tariff_ids: Collection[int], months: list[date]) -> dict:
    """(tariff id, month) -> the version in force on the month's first day."""
    by_tariff = defaultdict(list)
    for version in versions:
        by_tariff[version.tariff_id].append(version)
    found = {}
    for tariff_id in tariff_ids:
        for month in months:
            matches = [v for v in by_tariff[tariff_id] if v.covers(month)]
            if len(matches) > 1:
                raise TariffMisconfigured(
                    f"Tariff versions overlap on {month.isoformat()}: "
                    + ", ".join(str(v) for v in matches),
                    details={"tariff_id": tariff_id, "month": month.isoformat()},
                )
            if matches:
                found[tariff_id, month] = matches[0]
    return found


def _overlapping(queryset, months: list[date]):
    first, last = months[0], months[-1]
    return queryset.filter(valid_from__lte=last).exclude(valid_until__lt=first)


def _versions_in_force(
    *,
    version_model,
    adjustment_model,
    adjustment_field: str,
    label: str,
    tariff_ids: Collection[int],
    months: Collection[date],
):
    """Yield (tariff id, month, version, adjustment or None) for every pair, in three queries.

    Raises ``TariffMissing`` for a (tariff, month) without a version in force.
    """
    month_list = sorted({_month_start(m) for m in months})
    tariff_ids = set(tariff_ids)
    if not month_list or not tariff_ids:
        return
    versions = (
        _overlapping(version_model.objects.filter(tariff_id__in=tariff_ids), month_list)
        .select_related("tariff")
        .prefetch_related("bands")
    )
    by_month = _versions_by_month(versions, tariff_ids, month_list)
    adjustments = {
        (tariff_id, month): float(value)
        for tariff_id, month, value in adjustment_model.objects.filter(
            tariff_id__in=tariff_ids, month__in=month_list
        ).values_list("tariff_id", "month", adjustment_field)
    }
    for tariff_id in tariff_ids:
        for month in month_list:
            version = by_month.get((tariff_id, month))
            if version is None:
                raise TariffMissing(
                    f"{label} tariff {tariff_id} has no version in force on {month.isoformat()}.",
                    details={"tariff_id": tariff_id, "month": month.isoformat()},
                )
            yield tariff_id, month, version, adjustments.get((tariff_id, month))


def electricity_prices_load(
    *, tariff_ids: Collection[int], months: Collection[date]
) -> dict[tuple[int, date], ElectricityPrices]:
    """Prices of these tariffs in these months (first days), in three queries.

    Raises ``TariffMissing`` / ``TariffDataMissing`` for any (tariff, month) without prices.
    """
    prices = {}
    for tariff_id, month, version, adjustment in _versions_in_force(
        version_model=ElectricityTariffVersion,
        adjustment_model=FuelCostAdjustment,
        adjustment_field="jpy_per_kwh",
        label="Electricity",
        tariff_ids=tariff_ids,
        months=months,
    ):
        if adjustment is None:
            raise TariffDataMissing(
                f"No fuel-cost adjustment (燃料費調整額) for {version.tariff.name} in "
                f"{month:%Y-%m}: enter it in the admin.",
                details={"tariff": version.tariff.name, "month": month.isoformat()},
            )
        prices[tariff_id, month] = ElectricityPrices(
            tariff_name=version.tariff.name,
            month=month,
            basic_charge_jpy=float(version.basic_charge_jpy),
            tier1_limit_kwh=float(version.tier1_limit_kwh),
            tier2_limit_kwh=float(version.tier2_limit_kwh),
            tier_prices_jpy=(
                float(version.tier1_price_jpy_per_kwh),
                float(version.tier2_price_jpy_per_kwh),
                float(version.tier3_price_jpy_per_kwh),
            ),
            fuel_adjustment_jpy_per_kwh=adjustment,
            levy_jpy_per_kwh=float(version.renewable_levy_jpy_per_kwh),
            bands=tuple(
                (band.names, tuple(band.hours), float(band.price_jpy_per_kwh))
                for band in version.bands.all()
            ),
        )
    return prices


def gas_prices_load(
    *, tariff_ids: Collection[int], months: Collection[date]
) -> dict[tuple[int, date], GasPrices]:
    """Prices of these gas tariffs in these months (first days), in three queries."""
    prices = {}
    for tariff_id, month, version, adjustment in _versions_in_force(
        version_model=GasTariffVersion,
        adjustment_model=GasRawMaterialAdjustment,
        adjustment_field="jpy_per_m3",
        label="Gas",
        tariff_ids=tariff_ids,
        months=months,
    ):
        tariff = version.tariff
        if tariff.has_raw_material_adjustment and adjustment is None:
            raise TariffDataMissing(
                f"No raw-material cost adjustment (原料費調整額) for {tariff.name} in "
                f"{month:%Y-%m}: enter it in the admin.",
                details={"tariff": tariff.name, "month": month.isoformat()},
            )
        tables = sorted(
            (
                (
                    band.label,
                    math.inf if band.up_to_m3 is None else float(band.up_to_m3),
                    float(band.basic_charge_jpy),
                    float(band.unit_price_jpy_per_m3),
                )
                for band in version.bands.all()
            ),
            key=lambda table: table[1],
        )
        if not tables:
            raise TariffMisconfigured(
                f"Gas tariff {tariff.name} has no usage bands in {version}.",
                details={"tariff": tariff.name, "month": month.isoformat()},
            )
        prices[tariff_id, month] = GasPrices(
            tariff_name=tariff.name,
            month=month,
            tables=tuple(tables),
            adjustment_jpy_per_m3=adjustment or 0.0,
            has_adjustment=tariff.has_raw_material_adjustment,
        )
    return prices


# --- bills ------------------------------------------------------------------------------------


def _check_usage(value: float, name: str = "usage_total") -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValidationFailed(f"{name} must be a finite number ≥ 0, not {value!r}.")
    return value


def _tier_split(usage_kwh: float, limit1: float, limit2: float) -> tuple[float, float, float]:
    tier1 = min(usage_kwh, limit1)
    tier2 = min(max(usage_kwh - limit1, 0.0), limit2 - limit1)
    return tier1, tier2, max(usage_kwh - limit2, 0.0)


def electricity_bill(
    *, prices: ElectricityPrices, usage_total: float, usage_by_hour: Sequence[float] | None = None
) -> MonthlyBill:
    """A month's electricity bill from plain prices (no database).

    On a time-of-use tariff, ``usage_by_hour`` (24 values: the month's kWh in each local hour)
    is required; kWh in a band's hours are charged at the band price, and the kWh outside every
    band go through the tiers, the tier limits counting those kWh only.
    """
    usage_total = _check_usage(usage_total)
    lines: list[BillLine] = []
    unbanded_kwh = usage_total
    if prices.bands:
        if usage_by_hour is None:
            raise ValidationFailed(
                f"{prices.tariff_name} has time-of-use bands: the month's usage by local hour "
                "(24 values) is needed to bill it."
            )
        hourly = np.asarray(usage_by_hour, dtype=float)
        if hourly.shape != (24,) or not np.all(np.isfinite(hourly)) or np.any(hourly < 0):
            raise ValidationFailed("usage_by_hour must be 24 finite values ≥ 0 (local hours 0-23).")
        if not math.isclose(float(hourly.sum()), usage_total, rel_tol=1e-6, abs_tol=1e-6):
            raise ValidationFailed(
                f"usage_by_hour sums to {hourly.sum():g}, not usage_total {usage_total:g}."
            )
        for name, hours, price in prices.bands:
            kwh = float(hourly[list(hours)].sum())
            unbanded_kwh -= kwh
            first, last = hours[0], (hours[-1] + 1) % 24
            label = format_lazy(
                "{name} ({first:02d}:00–{last:02d}:00)", name=name, first=first, last=last
            )
            lines.append(BillLine("energy", label, kwh, price, kwh * price))
        unbanded_kwh = max(unbanded_kwh, 0.0)  # float residue when the bands cover every hour
    limit1, limit2 = prices.tier1_limit_kwh, prices.tier2_limit_kwh
    tier_labels = (
        format_lazy(_("Tier 1 (up to {limit:g} kWh)"), limit=limit1),
        format_lazy(_("Tier 2 ({low:g}–{high:g} kWh)"), low=limit1, high=limit2),
        format_lazy(_("Tier 3 (over {limit:g} kWh)"), limit=limit2),
    )
    for label, kwh, price in zip(
        tier_labels, _tier_split(unbanded_kwh, limit1, limit2), prices.tier_prices_jpy, strict=True
    ):
        if prices.bands and kwh == 0:
            continue  # a fully banded tariff never uses its tiers: keep the bill readable
        lines.append(BillLine("energy", label, kwh, price, kwh * price))
    energy_jpy = sum(line.amount_jpy for line in lines)
    fuel_jpy = usage_total * prices.fuel_adjustment_jpy_per_kwh
    levy_jpy = usage_total * prices.levy_jpy_per_kwh
    all_lines = (
        _basic_line(prices.basic_charge_jpy),
        *lines,
        BillLine(
            "fuel_adjustment",
            _("Fuel-cost adjustment"),
            usage_total,
            prices.fuel_adjustment_jpy_per_kwh,
            fuel_jpy,
        ),
        BillLine(
            "levy", _("Renewable energy levy"), usage_total, prices.levy_jpy_per_kwh, levy_jpy
        ),
    )
    return MonthlyBill(
        commodity=Commodity.ELECTRICITY,
        month=prices.month,
        tariff_name=prices.tariff_name,
        usage_total=usage_total,
        basic_charge_jpy=prices.basic_charge_jpy,
        energy_lines=tuple(lines),
        energy_charge_jpy=energy_jpy,
        fuel_adjustment_jpy=fuel_jpy,
        levy_jpy=levy_jpy,
        total_jpy=prices.basic_charge_jpy + energy_jpy + fuel_jpy + levy_jpy,
        lines=all_lines,
    )


def gas_bill(*, prices: GasPrices, usage_total: float) -> MonthlyBill:
    """A month's gas bill from plain prices: the whole month at the table its total falls in."""
    usage_total = _check_usage(usage_total)
    label, upper, basic_jpy, unit_jpy = prices.table_for(usage_total)
    line_label = (
        format_lazy(_("Table {label} (up to {upper:g} m³)"), label=label, upper=upper)
        if math.isfinite(upper)
        else format_lazy(_("Table {label}"), label=label)
    )
    energy = BillLine("energy", line_label, usage_total, unit_jpy, usage_total * unit_jpy)
    adjustment_jpy = usage_total * prices.adjustment_jpy_per_m3
    all_lines = [_basic_line(basic_jpy), energy]
    if prices.has_adjustment:
        all_lines.append(
            BillLine(
                "fuel_adjustment",
                _("Raw-material cost adjustment"),
                usage_total,
                prices.adjustment_jpy_per_m3,
                adjustment_jpy,
            )
        )
    return MonthlyBill(
        commodity=Commodity.GAS,
        month=prices.month,
        tariff_name=prices.tariff_name,
        usage_total=usage_total,
        basic_charge_jpy=basic_jpy,
        energy_lines=(energy,),
        energy_charge_jpy=energy.amount_jpy,
        fuel_adjustment_jpy=adjustment_jpy,
        levy_jpy=0.0,
        total_jpy=basic_jpy + energy.amount_jpy + adjustment_jpy,
        gas_table=label,
        lines=tuple(all_lines),
    )


def bill_for_month(
    *,
    tariff: ElectricityTariff | GasTariff,
    month: date,
    usage_total: float,
    usage_by_hour: Sequence[float] | None = None,
) -> MonthlyBill:
    """The bill for one calendar month's use on a tariff (any day of the month names it).

    ``usage_by_hour``: 24 values, the month's kWh in each local hour; needed only when the
    electricity tariff has time-of-use bands.
    """
    month = _month_start(month)
    if isinstance(tariff, ElectricityTariff):
        prices = electricity_prices_load(tariff_ids=[tariff.pk], months=[month])
        return electricity_bill(
            prices=prices[tariff.pk, month], usage_total=usage_total, usage_by_hour=usage_by_hour
        )
    if isinstance(tariff, GasTariff):
        prices = gas_prices_load(tariff_ids=[tariff.pk], months=[month])
        return gas_bill(prices=prices[tariff.pk, month], usage_total=usage_total)
    raise TypeError(f"Not a tariff: {tariff!r}")


# --- premises, periods, marginal prices -------------------------------------------------------


def _commodity(commodity: str) -> str:
    if commodity not in Commodity.values:
        raise ValidationFailed(f"Unknown commodity {commodity!r}: use electricity or gas.")
    return commodity


def _tariff_field(commodity: str) -> str:
    return "electricity_tariff_id" if commodity == Commodity.ELECTRICITY else "gas_tariff_id"


def premise_tariff_id(*, premise: Premise, commodity: str) -> int:
    """The id of the premise's tariff for a commodity; ``TariffMissing`` if it has none."""
    tariff_id = getattr(premise, _tariff_field(_commodity(commodity)))
    if tariff_id is None:
        raise TariffMissing(
            f"{premise} has no {commodity} tariff: assign one in the admin.",
            details={"premise_id": premise.pk, "commodity": commodity},
        )
    return tariff_id


def prices_load(
    *, commodity: str, tariff_ids: Collection[int], months: Collection[date]
) -> dict[tuple[int, date], ElectricityPrices | GasPrices]:
    """``electricity_prices_load`` or ``gas_prices_load`` by commodity."""
    if _commodity(commodity) == Commodity.ELECTRICITY:
        return electricity_prices_load(tariff_ids=tariff_ids, months=months)
    return gas_prices_load(tariff_ids=tariff_ids, months=months)


def emission_factors_between(*, commodity: str, start: date, end: date) -> list[EmissionFactor]:
    """Emission factors for a commodity valid on any day from ``start`` to ``end`` (one query)."""
    return list(
        EmissionFactor.objects.filter(commodity=_commodity(commodity), valid_from__lte=end)
        .exclude(valid_until__lt=start)
        .order_by("valid_from")
    )


def _factor_on(factors: list[EmissionFactor], commodity: str, day: date) -> float:
    matches = [f for f in factors if f.covers(day)]
    if not matches:
        raise EmissionFactorMissing(
            f"No {commodity} emission factor valid on {day.isoformat()}: add one in the admin.",
            details={"commodity": commodity, "date": day.isoformat()},
        )
    if len(matches) > 1:
        raise TariffMisconfigured(
            f"{len(matches)} {commodity} emission factors are valid on {day.isoformat()}.",
            details={"commodity": commodity, "date": day.isoformat()},
        )
    return float(matches[0].kg_co2_per_unit)


def emission_factor_kg(*, commodity: str, on: date) -> float:
    """kg-CO2 per kWh (electricity) or per m³ (gas) valid on a date."""
    return _factor_on(
        emission_factors_between(commodity=commodity, start=on, end=on), commodity, on
    )


def period_cost(
    *,
    premise: Premise,
    commodity: str,
    start: date,
    end: date,
    daily_totals: Mapping[date, float],
    usage_by_day_hour: Mapping[date, Sequence[float]] | None = None,
) -> PeriodCost:
    """Cost (JPY) and CO2 (kg) of a premise's use from ``start`` to ``end``, both inclusive.

    ``daily_totals``: kWh or m³ per local date; every day of the period must be there, and days
    outside it in the same months may be (they improve the month's estimate).
    ``usage_by_day_hour``: 24 local-hour values per date, needed on a time-of-use tariff.

    The rule, per calendar month the period touches: the month's use is estimated as the mean
    of its known days × the days in the month, and the whole month is billed at that use (so the
    tier or gas table is the one the month would land in). The period is charged the basic
    charge × days covered / days in the month, plus the rest of that bill (energy, adjustments,
    levy) × the covered days' share of the month's use. A whole month therefore costs exactly
    its bill. CO2 is each day's use × the emission factor valid that day.
    """
    commodity = _commodity(commodity)
    if end < start:
        raise ValidationFailed(f"The period ends ({end}) before it starts ({start}).")
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    missing = [day for day in days if day not in daily_totals]
    if missing:
        shown = ", ".join(day.isoformat() for day in missing[:5])
        raise ValidationFailed(
            f"No usage for {len(missing)} day(s) of the period: {shown}"
            + ("…" if len(missing) > 5 else ""),
            details={"missing_dates": [day.isoformat() for day in missing]},
        )
    tariff_id = premise_tariff_id(premise=premise, commodity=commodity)
    months = _months_between(start, end)
    prices = prices_load(commodity=commodity, tariff_ids=[tariff_id], months=months)
    factors = emission_factors_between(commodity=commodity, start=start, end=end)

    known_by_month: dict[date, list[float]] = defaultdict(list)
    for day, value in daily_totals.items():
        known_by_month[_month_start(day)].append(_check_usage(value, f"usage on {day}"))
    month_costs = []
    for month in months:
        covered = [day for day in days if _month_start(day) == month]
        days_in_month = _days_in_month(month)
        known = known_by_month[month]
        month_usage = sum(known) / len(known) * days_in_month
        usage = sum(float(daily_totals[day]) for day in covered)
        month_prices = prices[tariff_id, month]
        usage_by_hour = (
            _month_hourly_shape(month_prices, usage_by_day_hour, month, month_usage)
            if commodity == Commodity.ELECTRICITY
            else None
        )
        bill = _month_bill(month_prices, month_usage, usage_by_hour)
        basic_jpy = bill.basic_charge_jpy * len(covered) / days_in_month
        share = usage / month_usage if month_usage > 0 else 0.0
        variable_jpy = (bill.total_jpy - bill.basic_charge_jpy) * share
        co2_kg = sum(
            float(daily_totals[day]) * _factor_on(factors, commodity, day) for day in covered
        )
        month_costs.append(
            MonthCost(
                month=month,
                days_covered=len(covered),
                days_in_month=days_in_month,
                usage=usage,
                month_usage_estimate=month_usage,
                bill=bill,
                basic_charge_jpy=basic_jpy,
                variable_charge_jpy=variable_jpy,
                cost_jpy=basic_jpy + variable_jpy,
                co2_kg=co2_kg,
            )
        )
    return PeriodCost(
        commodity=commodity,
        start=start,
        end=end,
        usage_total=sum(m.usage for m in month_costs),
        cost_jpy=sum(m.cost_jpy for m in month_costs),
        co2_kg=sum(m.co2_kg for m in month_costs),
        months=tuple(month_costs),
    )


def _month_hourly_shape(
    prices: ElectricityPrices,
    usage_by_day_hour: Mapping[date, Sequence[float]] | None,
    month: date,
    month_usage: float,
) -> np.ndarray | None:
    """The month's use by local hour: the given days' hourly shape scaled to ``month_usage``."""
    if not prices.bands:
        return None
    rows = [
        np.asarray(values, dtype=float)
        for day, values in (usage_by_day_hour or {}).items()
        if _month_start(day) == month
    ]
    if not rows:
        raise ValidationFailed(
            f"{prices.tariff_name} has time-of-use bands: give usage by local hour for "
            f"{month:%Y-%m}."
        )
    if any(row.shape != (24,) for row in rows):
        raise ValidationFailed("Usage by hour needs 24 values per day (local hours 0-23).")
    shape = np.sum(rows, axis=0)
    total = float(shape.sum())
    if total <= 0:
        return np.full(24, month_usage / 24)
    return shape * (month_usage / total)


def _electricity_marginal(
    prices: ElectricityPrices, usage: np.ndarray, hour: int | None
) -> np.ndarray:
    p1, p2, p3 = prices.tier_prices_jpy
    tier_price = np.select(
        [usage <= prices.tier1_limit_kwh, usage <= prices.tier2_limit_kwh], [p1, p2], p3
    )
    if prices.bands:
        if hour is None:
            # A saving spread evenly over the day: the mean of the 24 hourly prices.
            band_price = prices.hourly_prices_jpy(0.0)
            banded = np.zeros(24, dtype=bool)
            for _name, hours, _price in prices.bands:
                banded[list(hours)] = True
            energy = (band_price[banded].sum() + tier_price * (~banded).sum()) / 24
        else:
            band = next((price for _n, hours, price in prices.bands if hour in hours), None)
            energy = tier_price if band is None else np.full_like(usage, band)
    else:
        energy = tier_price
    return energy + prices.fuel_adjustment_jpy_per_kwh + prices.levy_jpy_per_kwh


def _gas_marginal(prices: GasPrices, usage: np.ndarray) -> np.ndarray:
    limits = np.array([table[1] for table in prices.tables])
    index = np.searchsorted(limits, usage, side="left")  # first table whose limit ≥ usage
    if np.any(index >= len(limits)):
        prices.table_for(float(usage[index >= len(limits)][0]))  # raises with the reason
    units = np.array([table[3] for table in prices.tables])
    return units[index] + prices.adjustment_jpy_per_m3


def _check_hour(hour: int | None) -> None:
    if hour is not None and not (isinstance(hour, int) and 0 <= hour <= 23):
        raise ValidationFailed(f"hour must be a local hour 0-23, not {hour!r}.")


def marginal_price_jpy(
    *, premise: Premise, commodity: str, on: date, monthly_usage: float, hour: int | None = None
) -> float:
    """The yen value of one kWh or m³ more or less, at a month's use of ``monthly_usage``.

    Electricity: the price of the last kWh of the month (the tier ``monthly_usage`` ends in, a
    kWh exactly at a tier limit being in the lower tier), or the band price when ``hour`` falls
    in a time-of-use band, + fuel-cost adjustment + levy. ``hour=None`` on a time-of-use tariff
    means a saving spread evenly over the day (the mean of the 24 hourly prices).
    Gas: the unit price of the table the month's use falls in + raw-material adjustment.
    """
    commodity = _commodity(commodity)
    _check_hour(hour)
    usage = np.array([_check_usage(monthly_usage, "monthly_usage")])
    tariff_id = premise_tariff_id(premise=premise, commodity=commodity)
    month = _month_start(on)
    prices = prices_load(commodity=commodity, tariff_ids=[tariff_id], months=[month])[
        tariff_id, month
    ]
    return float(marginal_prices_jpy(prices=prices, monthly_usage=usage, hour=hour)[0])


def marginal_prices_jpy(
    *,
    prices: ElectricityPrices | GasPrices,
    monthly_usage: np.ndarray,
    hour: int | None = None,
) -> np.ndarray:
    """``marginal_price_jpy`` for many monthly uses on prices already loaded (no database)."""
    usage = np.asarray(monthly_usage, dtype=float)
    if isinstance(prices, ElectricityPrices):
        values = _electricity_marginal(prices, usage, hour)
    else:
        values = _gas_marginal(prices, usage)
    return np.broadcast_to(values, usage.shape)


def marginal_prices_for(
    *,
    premise_ids: Sequence[int],
    commodity: str,
    on: date,
    monthly_usage: Mapping[int, float] | Sequence[float] | np.ndarray,
    hour: int | None = None,
    skip_missing: bool = False,
) -> dict[int, float]:
    """``marginal_price_jpy`` for many premises in a fixed number of queries (four).

    ``monthly_usage``: per premise id, or aligned with ``premise_ids``. A premise without a
    tariff raises ``TariffMissing`` (naming them all), or with ``skip_missing`` is left out of
    the result — never priced at zero.
    """
    commodity = _commodity(commodity)
    _check_hour(hour)
    premise_ids = list(premise_ids)
    if isinstance(monthly_usage, Mapping):
        usage = np.array([monthly_usage[pid] for pid in premise_ids], dtype=float)
    else:
        usage = np.asarray(monthly_usage, dtype=float)
        if usage.shape != (len(premise_ids),):
            raise ValidationFailed("monthly_usage must have one value per premise id.")
    if not np.all(np.isfinite(usage)) or np.any(usage < 0):
        raise ValidationFailed("monthly_usage must be finite numbers ≥ 0.")
    field = _tariff_field(commodity)
    tariff_of = dict(Premise.objects.filter(pk__in=premise_ids).values_list("pk", field))
    missing = [pid for pid in premise_ids if tariff_of.get(pid) is None]
    if missing and not skip_missing:
        raise TariffMissing(
            f"{len(missing)} premise(s) have no {commodity} tariff (or do not exist).",
            details={"premise_ids": missing, "commodity": commodity},
        )
    month = _month_start(on)
    positions_by_tariff: dict[int, list[int]] = defaultdict(list)
    for position, pid in enumerate(premise_ids):
        if tariff_of.get(pid) is not None:
            positions_by_tariff[tariff_of[pid]].append(position)
    prices = prices_load(commodity=commodity, tariff_ids=positions_by_tariff.keys(), months=[month])
    result: dict[int, float] = {}
    for tariff_id, positions in positions_by_tariff.items():
        values = marginal_prices_jpy(
            prices=prices[tariff_id, month], monthly_usage=usage[positions], hour=hour
        )
        for position, value in zip(positions, values, strict=True):
            result[premise_ids[position]] = float(value)
    return result


@dataclass(frozen=True)
class DayCost:
    """One day's use with its cost and CO2; None where that day could not be priced."""

    day: date
    usage: float
    cost_jpy: float | None
    co2_kg: float | None


@dataclass(frozen=True)
class DailyCosts:
    days: dict[date, DayCost]
    # Why some days have no cost or CO2: (error code, message) per problem, in month order.
    problems: list[tuple[str, str]]


def _month_bill(
    prices: ElectricityPrices | GasPrices,
    month_usage: float,
    usage_by_hour: Sequence[float] | None = None,
) -> MonthlyBill:
    """A whole month's bill at ``month_usage`` (``usage_by_hour`` on a time-of-use tariff)."""
    if isinstance(prices, GasPrices):
        return gas_bill(prices=prices, usage_total=month_usage)
    return electricity_bill(prices=prices, usage_total=month_usage, usage_by_hour=usage_by_hour)


def _hourly_from_share(
    prices: ElectricityPrices | GasPrices, month_usage: float, share: np.ndarray | None
) -> np.ndarray | None:
    if not isinstance(prices, ElectricityPrices) or not prices.bands:
        return None
    if share is None:
        raise ValidationFailed(
            f"{prices.tariff_name} has time-of-use bands: the premise's use by local hour "
            "is needed to price it.",
            code="hourly_use_missing",
        )
    return share * month_usage


def _prices_by_month(
    commodity: str, tariff_id: int, months: list[date], problems: list
) -> dict[date, ElectricityPrices | GasPrices]:
    """Every month's prices in three queries; when one month fails, each month on its own, so
    one missing adjustment leaves only its own month unpriced."""
    try:
        loaded = prices_load(commodity=commodity, tariff_ids=[tariff_id], months=months)
        return {month: loaded[tariff_id, month] for month in months}
    except ShoeneError:
        pass
    found = {}
    for month in months:
        try:
            found[month] = prices_load(commodity=commodity, tariff_ids=[tariff_id], months=[month])[
                tariff_id, month
            ]
        except ShoeneError as error:
            problems.append((error.code, error.message))
    return found


def daily_costs(
    *,
    premise: Premise,
    commodity: str,
    daily_totals: Mapping[date, float],
    hourly_share: Sequence[float] | None = None,
) -> DailyCosts:
    """Cost (JPY) and CO2 (kg) of each day's use; the days need not be contiguous.

    The rule is ``period_cost``'s, day by day: each calendar month is billed at the mean of its
    known days × its length, and a day carries the basic charge ÷ the days in the month plus the
    rest of that bill × its share of the month's use. The days of a whole month therefore sum
    to its bill. ``hourly_share``: 24 values (any scale), the premise's use by local hour, needed
    on a time-of-use tariff. CO2 is each day's use × the emission factor valid that day.

    Nothing is invented: a month without a tariff price (or a day without an emission factor)
    gets None, and ``problems`` says why. Four queries when everything is priced.
    """
    commodity = _commodity(commodity)
    if not daily_totals:
        return DailyCosts({}, [])
    share = None
    if hourly_share is not None:
        share = np.asarray(hourly_share, dtype=float)
        if share.shape != (24,) or not np.all(np.isfinite(share)) or share.sum() <= 0:
            raise ValidationFailed("hourly_share must be 24 finite values with a positive sum.")
        share = share / share.sum()
    by_month: dict[date, dict[date, float]] = defaultdict(dict)
    for day, value in daily_totals.items():
        by_month[_month_start(day)][day] = _check_usage(value, f"usage on {day}")
    days = sorted(daily_totals)
    problems: list[tuple[str, str]] = []
    factors = emission_factors_between(commodity=commodity, start=days[0], end=days[-1])
    co2 = {}
    for day in days:
        try:
            co2[day] = daily_totals[day] * _factor_on(factors, commodity, day)
        except ShoeneError as error:
            co2[day] = None
            if (error.code, error.message) not in problems:
                problems.append((error.code, error.message))
    try:
        tariff_id = premise_tariff_id(premise=premise, commodity=commodity)
    except ShoeneError as error:
        problems.append((error.code, error.message))
        prices = {}
    else:
        prices = _prices_by_month(commodity, tariff_id, sorted(by_month), problems)
    costs = {}
    for month, known in sorted(by_month.items()):
        days_in_month = _days_in_month(month)
        month_usage = sum(known.values()) / len(known) * days_in_month
        bill = None
        if month in prices:
            try:
                month_prices = prices[month]
                bill = _month_bill(
                    month_prices,
                    month_usage,
                    _hourly_from_share(month_prices, month_usage, share),
                )
            except ShoeneError as error:
                if (error.code, error.message) not in problems:
                    problems.append((error.code, error.message))
        for day, usage in known.items():
            cost = None
            if bill is not None:
                day_share = usage / month_usage if month_usage > 0 else 0.0
                cost = (
                    bill.basic_charge_jpy / days_in_month
                    + (bill.total_jpy - bill.basic_charge_jpy) * day_share
                )
            costs[day] = DayCost(day=day, usage=usage, cost_jpy=cost, co2_kg=co2[day])
    return DailyCosts(costs, problems)

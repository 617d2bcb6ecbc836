"""Tariffs, emission factors and the cost service (energy/billing.py).

Expected figures are worked out by hand from the factories' round prices:
electricity basic 1,000 JPY; tiers up to 120 / 300 kWh at 30 / 40 / 50 JPY; levy 3 JPY/kWh.
"""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from config.errors import ValidationFailed
from energy.models import DailyUsage, Premise
from energy.tariffs import billing
from energy.tariffs.models import (
    ElectricityTariffVersion,
    EmissionFactor,
    FuelCostAdjustment,
    GasTariff,
    GasTariffVersion,
    TimeOfUseBand,
)
from tests import factories

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)


@pytest.fixture
def electricity(db):
    """A three-tier tariff with a negative fuel adjustment in January and +1 in February."""
    version = factories.ElectricityTariffVersionFactory(tariff__name="Tiered B")
    factories.FuelCostAdjustmentFactory(tariff=version.tariff, month=JAN, jpy_per_kwh="-2.50")
    factories.FuelCostAdjustmentFactory(tariff=version.tariff, month=FEB, jpy_per_kwh="1.00")
    return version.tariff


@pytest.fixture
def time_of_use(db):
    """Peak 17-21 at 60 JPY, night 22-06 at 20 JPY; the other 12 hours go through the tiers."""
    version = factories.ElectricityTariffVersionFactory(tariff__name="Time of use")
    factories.TimeOfUseBandFactory(
        version=version, name="peak", start_hour=17, end_hour=21, price_jpy_per_kwh=60
    )
    factories.TimeOfUseBandFactory(
        version=version, name="night", start_hour=22, end_hour=6, price_jpy_per_kwh=20
    )
    factories.FuelCostAdjustmentFactory(tariff=version.tariff, month=FEB, jpy_per_kwh="1.00")
    return version.tariff


@pytest.fixture
def gas(db):
    """Tables A ≤20, B ≤80, C ≤200, D above, and a 12 JPY/m³ adjustment in January."""
    version = factories.GasTariffVersionFactory(tariff__name="General gas")
    for label, up_to, basic, unit in [
        ("A", 20, 800, 200),
        ("B", 80, 1400, 170),
        ("C", 200, 2600, 155),
        ("D", None, 5000, 143),
    ]:
        factories.GasUsageBandFactory(
            version=version,
            label=label,
            up_to_m3=up_to,
            basic_charge_jpy=basic,
            unit_price_jpy_per_m3=unit,
        )
    factories.GasRawMaterialAdjustmentFactory(tariff=version.tariff, month=JAN, jpy_per_m3=12)
    return version.tariff


@pytest.fixture
def factors(db):
    factories.EmissionFactorFactory(
        commodity="electricity", kg_co2_per_unit="0.5", valid_until=date(2025, 1, 31)
    )
    factories.EmissionFactorFactory(commodity="electricity", kg_co2_per_unit="0.4", valid_from=FEB)
    factories.EmissionFactorFactory(commodity="gas", kg_co2_per_unit="2.23")


# --- electricity bills --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage_kwh", "energy_jpy", "total_jpy"),
    [
        (0, 0, 1000),
        # exactly at the first limit: all 120 kWh in tier 1
        (120, 120 * 30, 1000 + 3600 - 120 * 2.5 + 120 * 3),
        # exactly at the second limit: 120 at 30, 180 at 40, none at 50
        (300, 3600 + 180 * 40, 1000 + 10800 - 300 * 2.5 + 300 * 3),
        (301, 10800 + 50, 1000 + 10850 - 301 * 2.5 + 301 * 3),
    ],
)
def test_electricity_bill_tiers_at_their_limits_with_a_negative_fuel_adjustment(
    electricity, usage_kwh, energy_jpy, total_jpy
):
    bill = billing.bill_for_month(
        tariff=electricity, month=date(2025, 1, 17), usage_total=usage_kwh
    )

    assert bill.month == JAN
    assert bill.energy_charge_jpy == pytest.approx(energy_jpy)
    assert bill.fuel_adjustment_jpy == pytest.approx(-2.5 * usage_kwh)
    assert bill.levy_jpy == pytest.approx(3 * usage_kwh)
    assert bill.total_jpy == pytest.approx(total_jpy)
    assert sum(line.amount_jpy for line in bill.lines) == pytest.approx(bill.total_jpy)
    assert [line.kind for line in bill.lines] == [
        "basic",
        "energy",
        "energy",
        "energy",
        "fuel_adjustment",
        "levy",
    ]


def test_electricity_bill_shows_the_tier_quantities(electricity):
    bill = billing.bill_for_month(tariff=electricity, month=JAN, usage_total=350)

    assert [(line.quantity, line.unit_price_jpy) for line in bill.energy_lines] == [
        (120, 30),
        (180, 40),
        (50, 50),
    ]
    label = bill.energy_lines[2].label
    with translation.override("en"):
        assert str(label) == "Tier 3 (over 300 kWh)"
    with translation.override("ja"):
        assert str(label) == "第3段階（300 kWh超）"


def test_time_of_use_bill_charges_band_hours_at_band_prices(time_of_use):
    usage_by_hour = [10.0] * 24  # 240 kWh: peak 4 h = 40, night 8 h = 80, the rest 120

    bill = billing.bill_for_month(
        tariff=time_of_use, month=FEB, usage_total=240, usage_by_hour=usage_by_hour
    )

    by_quantity_price = {(line.quantity, line.unit_price_jpy) for line in bill.energy_lines}
    assert by_quantity_price == {(40, 60), (80, 20), (120, 30)}
    assert bill.energy_charge_jpy == pytest.approx(40 * 60 + 80 * 20 + 120 * 30)
    assert bill.total_jpy == pytest.approx(1000 + 7600 + 240 * 1 + 240 * 3)


def test_time_of_use_bill_needs_usage_by_hour_that_adds_up(time_of_use):
    with pytest.raises(ValidationFailed, match="by local hour"):
        billing.bill_for_month(tariff=time_of_use, month=FEB, usage_total=240)
    with pytest.raises(ValidationFailed, match="sums to"):
        billing.bill_for_month(
            tariff=time_of_use, month=FEB, usage_total=250, usage_by_hour=[10.0] * 24
        )


def test_negative_usage_is_refused(electricity):
    with pytest.raises(ValidationFailed):
        billing.bill_for_month(tariff=electricity, month=JAN, usage_total=-1)


# --- gas bills ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage_m3", "table", "basic_jpy", "unit_jpy"),
    [
        (10, "A", 800, 200),
        (20, "A", 800, 200),  # a boundary belongs to the lower table ("up to 20 m³")
        (20.5, "B", 1400, 170),
        (80, "B", 1400, 170),
        (150, "C", 2600, 155),
        (250, "D", 5000, 143),
    ],
)
def test_gas_bill_charges_the_whole_month_at_the_table_its_total_falls_in(
    gas, usage_m3, table, basic_jpy, unit_jpy
):
    bill = billing.bill_for_month(tariff=gas, month=JAN, usage_total=usage_m3)

    assert bill.gas_table == table
    assert bill.basic_charge_jpy == basic_jpy
    assert bill.energy_charge_jpy == pytest.approx(usage_m3 * unit_jpy)
    assert bill.fuel_adjustment_jpy == pytest.approx(usage_m3 * 12)
    assert bill.total_jpy == pytest.approx(basic_jpy + usage_m3 * (unit_jpy + 12))


def test_gas_tariff_without_adjustment_needs_no_monthly_figure(gas):
    GasTariff.objects.filter(pk=gas.pk).update(has_raw_material_adjustment=False)
    gas.refresh_from_db()

    bill = billing.bill_for_month(tariff=gas, month=date(2025, 7, 1), usage_total=30)

    assert bill.total_jpy == pytest.approx(1400 + 30 * 170)
    assert "fuel_adjustment" not in [line.kind for line in bill.lines]


# --- periods and proration ----------------------------------------------------------------------


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_a_whole_month_costs_exactly_its_bill(electricity, factors):
    premise = factories.PremiseFactory(electricity_tariff=electricity)
    daily = dict.fromkeys(_days(JAN, date(2025, 1, 31)), 5.0)  # 155 kWh

    result = billing.period_cost(
        premise=premise,
        commodity="electricity",
        start=JAN,
        end=date(2025, 1, 31),
        daily_totals=daily,
    )

    # 1,000 + 120×30 + 35×40 − 155×2.5 + 155×3
    assert result.cost_jpy == pytest.approx(1000 + 3600 + 1400 - 387.5 + 465)
    assert result.co2_kg == pytest.approx(155 * 0.5)


def test_part_of_a_month_prorates_basic_by_days_and_the_rest_by_use(electricity, factors):
    premise = factories.PremiseFactory(electricity_tariff=electricity)
    daily = dict.fromkeys(_days(JAN, date(2025, 1, 31)), 5.0)  # the month's use picks the tier

    result = billing.period_cost(
        premise=premise,
        commodity="electricity",
        start=date(2025, 1, 11),
        end=date(2025, 1, 20),
        daily_totals=daily,
    )

    month_variable_jpy = 3600 + 1400 - 387.5 + 465
    assert result.usage_total == 50
    assert result.cost_jpy == pytest.approx(1000 * 10 / 31 + month_variable_jpy * 50 / 155)
    assert result.months[0].bill.total_jpy == pytest.approx(1000 + month_variable_jpy)


def test_a_period_across_two_months_estimates_each_month_from_its_days(electricity, factors):
    premise = factories.PremiseFactory(electricity_tariff=electricity)
    daily = dict.fromkeys(_days(date(2025, 1, 25), date(2025, 2, 3)), 6.0)

    result = billing.period_cost(
        premise=premise,
        commodity="electricity",
        start=date(2025, 1, 25),
        end=date(2025, 2, 3),
        daily_totals=daily,
    )

    january, february = result.months
    assert (january.days_covered, january.month_usage_estimate) == (7, 6 * 31)
    assert (february.days_covered, february.month_usage_estimate) == (3, 6 * 28)
    # January at 186 kWh: 120×30 + 66×40 − 186×2.5 + 186×3; February at 168 kWh: +1 JPY/kWh.
    january_variable = 3600 + 66 * 40 - 186 * 2.5 + 186 * 3
    february_variable = 3600 + 48 * 40 + 168 * 1 + 168 * 3
    assert result.cost_jpy == pytest.approx(
        1000 * 7 / 31 + january_variable * 42 / 186 + 1000 * 3 / 28 + february_variable * 18 / 168
    )
    # The emission factor changes on 1 February.
    assert result.co2_kg == pytest.approx(42 * 0.5 + 18 * 0.4)


def test_period_cost_refuses_a_period_with_days_missing(electricity, factors):
    premise = factories.PremiseFactory(electricity_tariff=electricity)
    daily = dict.fromkeys(_days(JAN, date(2025, 1, 9)), 5.0)

    with pytest.raises(ValidationFailed, match="No usage for 1 day") as raised:
        billing.period_cost(
            premise=premise,
            commodity="electricity",
            start=JAN,
            end=date(2025, 1, 10),
            daily_totals=daily,
        )
    assert raised.value.details == {"missing_dates": ["2025-01-10"]}


def test_gas_period_cost_and_co2(gas, factors):
    premise = factories.PremiseFactory(gas_tariff=gas)
    daily = dict.fromkeys(_days(JAN, date(2025, 1, 31)), 2.0)  # 62 m³: table B

    result = billing.period_cost(
        premise=premise, commodity="gas", start=JAN, end=date(2025, 1, 31), daily_totals=daily
    )

    assert result.months[0].bill.gas_table == "B"
    assert result.cost_jpy == pytest.approx(1400 + 62 * (170 + 12))
    assert result.co2_kg == pytest.approx(62 * 2.23)


def test_time_of_use_period_cost_uses_the_hourly_shape(time_of_use, factors):
    premise = factories.PremiseFactory(electricity_tariff=time_of_use)
    days = _days(FEB, date(2025, 2, 28))
    hourly = {day: [0.5] * 24 for day in days}  # 12 kWh a day, 336 kWh in February

    result = billing.period_cost(
        premise=premise,
        commodity="electricity",
        start=FEB,
        end=date(2025, 2, 28),
        daily_totals=dict.fromkeys(days, 12.0),
        usage_by_day_hour=hourly,
    )

    # peak 4/24, night 8/24, other 12/24 of 336 kWh = 56, 112, 168 (168 = 120 + 48 in tiers)
    energy = 56 * 60 + 112 * 20 + 120 * 30 + 48 * 40
    assert result.cost_jpy == pytest.approx(1000 + energy + 336 * (1 + 3))


# --- marginal prices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("monthly_kwh", "tier_price"), [(50, 30), (120, 30), (120.5, 40), (300, 40), (300.1, 50)]
)
def test_marginal_price_is_the_tier_of_the_last_kwh_plus_adjustment_and_levy(
    electricity, monthly_kwh, tier_price
):
    premise = factories.PremiseFactory(electricity_tariff=electricity)

    price = billing.marginal_price_jpy(
        premise=premise, commodity="electricity", on=date(2025, 1, 20), monthly_usage=monthly_kwh
    )

    assert price == pytest.approx(tier_price - 2.5 + 3)


def test_marginal_price_on_a_time_of_use_tariff_depends_on_the_hour(time_of_use):
    premise = factories.PremiseFactory(electricity_tariff=time_of_use)

    def price(hour, usage=200):
        return billing.marginal_price_jpy(
            premise=premise, commodity="electricity", on=FEB, monthly_usage=usage, hour=hour
        )

    assert price(18) == pytest.approx(60 + 1 + 3)
    assert price(23) == pytest.approx(20 + 1 + 3)
    assert price(12) == pytest.approx(40 + 1 + 3)  # outside the bands: tier 2 at 200 kWh
    # Spread over the day: (4×60 + 8×20 + 12×30) / 24 at 100 kWh
    assert price(None, usage=100) == pytest.approx(760 / 24 + 4)


def test_marginal_price_of_gas_is_the_unit_price_of_the_months_table(gas):
    premise = factories.PremiseFactory(gas_tariff=gas)

    price = billing.marginal_price_jpy(premise=premise, commodity="gas", on=JAN, monthly_usage=90)

    assert price == pytest.approx(155 + 12)


def test_bulk_marginal_prices_match_single_ones_in_a_constant_number_of_queries(
    electricity, time_of_use, gas, django_assert_max_num_queries
):
    factories.FuelCostAdjustmentFactory(tariff=time_of_use, month=JAN, jpy_per_kwh="0.50")
    premises = [
        factories.PremiseFactory(
            electricity_tariff=electricity if i % 3 else time_of_use, gas_tariff=gas
        )
        for i in range(30)
    ]
    ids = [p.pk for p in premises]
    usage = [float(40 * (i % 10)) for i in range(30)]

    with django_assert_max_num_queries(4):
        prices = billing.marginal_prices_for(
            premise_ids=ids, commodity="electricity", on=JAN, monthly_usage=usage, hour=18
        )
    with django_assert_max_num_queries(4):
        gas_prices = billing.marginal_prices_for(
            premise_ids=ids,
            commodity="gas",
            on=JAN,
            monthly_usage=dict(zip(ids, usage, strict=True)),
        )

    for premise, kwh in zip(premises, usage, strict=True):
        assert prices[premise.pk] == pytest.approx(
            billing.marginal_price_jpy(
                premise=premise, commodity="electricity", on=JAN, monthly_usage=kwh, hour=18
            )
        )
        assert gas_prices[premise.pk] == pytest.approx(
            billing.marginal_price_jpy(premise=premise, commodity="gas", on=JAN, monthly_usage=kwh)
        )
    assert prices[premises[0].pk] == pytest.approx(60 + 0.5 + 3)  # time of use, peak hour


# --- missing data is an error, never zero ---------------------------------------------------------


def test_a_premise_without_a_tariff_is_an_error(db, factors):
    premise = factories.PremiseFactory()

    with pytest.raises(billing.TariffMissing, match="no electricity tariff"):
        billing.marginal_price_jpy(
            premise=premise, commodity="electricity", on=JAN, monthly_usage=100
        )
    with pytest.raises(billing.TariffMissing):
        billing.period_cost(
            premise=premise, commodity="gas", start=JAN, end=JAN, daily_totals={JAN: 1.0}
        )


def test_bulk_prices_name_premises_without_a_tariff_or_leave_them_out(electricity):
    priced = factories.PremiseFactory(electricity_tariff=electricity)
    unpriced = factories.PremiseFactory()
    ids = [priced.pk, unpriced.pk]

    with pytest.raises(billing.TariffMissing) as raised:
        billing.marginal_prices_for(
            premise_ids=ids, commodity="electricity", on=JAN, monthly_usage=[100, 100]
        )
    assert raised.value.details["premise_ids"] == [unpriced.pk]

    prices = billing.marginal_prices_for(
        premise_ids=ids,
        commodity="electricity",
        on=JAN,
        monthly_usage=[100, 100],
        skip_missing=True,
    )
    assert prices == {priced.pk: pytest.approx(30 - 2.5 + 3)}


def test_a_month_outside_every_version_or_without_fuel_adjustment_is_an_error(db):
    version = factories.ElectricityTariffVersionFactory(
        valid_from=date(2024, 1, 1), valid_until=date(2024, 12, 31)
    )
    factories.FuelCostAdjustmentFactory(tariff=version.tariff, month=date(2024, 3, 1))

    with pytest.raises(billing.TariffMissing, match="no version in force on 2025-01-01"):
        billing.bill_for_month(tariff=version.tariff, month=JAN, usage_total=100)
    with pytest.raises(billing.TariffDataMissing, match="2024-04"):
        billing.bill_for_month(tariff=version.tariff, month=date(2024, 4, 1), usage_total=100)
    bill = billing.bill_for_month(tariff=version.tariff, month=date(2024, 3, 1), usage_total=100)
    assert bill.total_jpy == pytest.approx(1000 + 3000 + 200 + 300)


# --- emission factors ---------------------------------------------------------------------------


def test_emission_factor_is_the_one_valid_on_the_date(factors):
    assert billing.emission_factor_kg(commodity="electricity", on=date(2025, 1, 31)) == 0.5
    assert billing.emission_factor_kg(commodity="electricity", on=FEB) == 0.4
    assert billing.emission_factor_kg(commodity="gas", on=date(2030, 6, 1)) == 2.23
    with pytest.raises(billing.EmissionFactorMissing, match="2019-12-31"):
        billing.emission_factor_kg(commodity="electricity", on=date(2019, 12, 31))


# --- validation of what staff enter -------------------------------------------------------------


def test_overlapping_versions_of_one_tariff_are_refused(db):
    first = factories.ElectricityTariffVersionFactory(
        valid_from=date(2024, 1, 1), valid_until=date(2024, 12, 31)
    )
    overlapping = ElectricityTariffVersion(
        tariff=first.tariff,
        valid_from=date(2024, 6, 1),
        basic_charge_jpy=1100,
        tier1_price_jpy_per_kwh=31,
        tier2_price_jpy_per_kwh=41,
        tier3_price_jpy_per_kwh=51,
        renewable_levy_jpy_per_kwh=3,
    )

    with (
        translation.override("en"),
        pytest.raises(
            ValidationError, match=r"overlap another version \(2024-01-01 – 2024-12-31\)"
        ),
    ):
        overlapping.full_clean()

    overlapping.valid_from = date(2025, 1, 1)  # the day after the first one ends
    overlapping.full_clean()
    other_tariff = factories.ElectricityTariffVersionFactory(valid_from=date(2024, 6, 1))
    other_tariff.full_clean()


def test_open_ended_emission_factor_overlaps_any_later_one(factors):
    later = EmissionFactor(commodity="gas", kg_co2_per_unit="2.2", valid_from=date(2026, 4, 1))

    with translation.override("en"), pytest.raises(ValidationError, match="overlap"):
        later.full_clean()


def test_versions_run_whole_months(db):
    version = factories.ElectricityTariffVersionFactory.build(
        tariff=factories.ElectricityTariffFactory(),
        valid_from=date(2024, 1, 15),
        valid_until=date(2024, 6, 30),
    )

    with pytest.raises(ValidationError) as raised:
        version.full_clean()
    assert set(raised.value.message_dict) == {"valid_from"}


def test_admin_refuses_an_overlapping_version_with_a_message(admin_client, electricity):
    url = reverse("admin:tariffs_electricitytariffversion_add")
    response = admin_client.post(
        url,
        {
            "tariff": electricity.pk,
            "valid_from": "2024-06-01",
            "valid_until": "",
            "basic_charge_jpy": "1200",
            "tier1_limit_kwh": "120",
            "tier2_limit_kwh": "300",
            "tier1_price_jpy_per_kwh": "35",
            "tier2_price_jpy_per_kwh": "41",
            "tier3_price_jpy_per_kwh": "45",
            "renewable_levy_jpy_per_kwh": "3.98",
            "bands-TOTAL_FORMS": "0",
            "bands-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "2020-01-01" in body  # names the version it overlaps
    assert "別の版（2020-01-01 – …）と重なっています" in body  # in staff's language
    assert ElectricityTariffVersion.objects.filter(tariff=electricity).count() == 1


def test_admin_refuses_time_of_use_bands_that_share_an_hour(admin_client, electricity):
    url = reverse("admin:tariffs_electricitytariffversion_add")
    bands = [("peak", 17, 21, 60), ("night", 20, 6, 20)]  # both claim 20:00
    data = {
        "history_reason": "FY2019 prices",
        "tariff": electricity.pk,
        "valid_from": "2019-01-01",
        "valid_until": "2019-12-31",
        "basic_charge_jpy": "1200",
        "tier1_limit_kwh": "120",
        "tier2_limit_kwh": "300",
        "tier1_price_jpy_per_kwh": "35",
        "tier2_price_jpy_per_kwh": "41",
        "tier3_price_jpy_per_kwh": "45",
        "renewable_levy_jpy_per_kwh": "3.98",
        "bands-TOTAL_FORMS": str(len(bands)),
        "bands-INITIAL_FORMS": "0",
    }
    for i, (name, start, end, price) in enumerate(bands):
        data |= {
            f"bands-{i}-name": name,
            f"bands-{i}-name_ja": name,
            f"bands-{i}-name_en": name,
            f"bands-{i}-start_hour": start,
            f"bands-{i}-end_hour": end,
            f"bands-{i}-price_jpy_per_kwh": price,
        }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "20:00" in response.content.decode()
    assert not TimeOfUseBand.objects.exists()
    data["bands-1-start_hour"] = 22
    assert admin_client.post(url, data).status_code == 302
    assert TimeOfUseBand.objects.count() == 2


@pytest.mark.parametrize(
    "model",
    [
        "tariffs_electricitytariff",
        "tariffs_electricitytariffversion",
        "tariffs_fuelcostadjustment",
        "tariffs_gastariff",
        "tariffs_gastariffversion",
        "tariffs_gasrawmaterialadjustment",
        "tariffs_emissionfactor",
        "energy_premise",
    ],
)
def test_admin_changelist_and_add_pages_render(
    admin_client, electricity, time_of_use, gas, factors, model
):
    for view in ("changelist", "add"):
        response = admin_client.get(reverse(f"admin:{model}_{view}"))
        assert response.status_code == 200, (model, view)


def test_admin_change_pages_render_with_inlines(admin_client, time_of_use, gas):
    version = ElectricityTariffVersion.objects.get(tariff=time_of_use)
    gas_version = GasTariffVersion.objects.get(tariff=gas)
    for url in (
        reverse("admin:tariffs_electricitytariffversion_change", args=[version.pk]),
        reverse("admin:tariffs_gastariffversion_change", args=[gas_version.pk]),
        reverse("admin:tariffs_electricitytariff_change", args=[time_of_use.pk]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200
    assert FuelCostAdjustment.objects.filter(tariff=time_of_use).exists()


# --- demo data ----------------------------------------------------------------------------------


def test_seed_demo_prices_every_premise_and_costs_come_out_plausible(db):
    call_command("seed_demo", premises=4, days=70, seed=11, verbosity=0)
    call_command("seed_demo", premises=1, days=70, seed=12, verbosity=0)  # idempotent tariffs

    premises = list(Premise.objects.order_by("pk"))
    assert all(p.electricity_tariff_id and p.gas_tariff_id for p in premises)
    assert premises[1].electricity_tariff.versions.first().bands.count() == 3
    assert premises[0].electricity_tariff.versions.first().bands.count() == 0
    last = DailyUsage.objects.latest("date").date
    first_of_last_full_month = (last.replace(day=1) - timedelta(days=1)).replace(day=1)
    month_end = last.replace(day=1) - timedelta(days=1)

    on = last
    ids = [p.pk for p in premises]
    prices = billing.marginal_prices_for(
        premise_ids=ids, commodity="electricity", on=on, monthly_usage=[250.0] * len(ids)
    )
    assert set(prices) == set(ids)
    assert all(15 < price < 60 for price in prices.values())  # yen per kWh in Hokkaido

    for premise, commodity in [(premises[0], "electricity"), (premises[2], "gas")]:
        daily = dict(
            DailyUsage.objects.filter(
                meter__premise=premise,
                meter__commodity=commodity,
                date__range=(first_of_last_full_month, month_end),
            ).values_list("date", "total")
        )
        result = billing.period_cost(
            premise=premise,
            commodity=commodity,
            start=first_of_last_full_month,
            end=month_end,
            daily_totals=daily,
        )
        # A month's bill of a Hokkaido home: thousands of yen, not tens or millions.
        assert 1_000 < result.cost_jpy < 100_000, (commodity, result.cost_jpy)
        assert result.co2_kg > 0


@pytest.mark.django_db
def test_business_staff_edit_tariffs_and_emission_factors_but_not_users(client):
    from energy.access import BUSINESS_STAFF

    staff = factories.UserFactory(is_staff=True, groups=[BUSINESS_STAFF])
    client.force_login(staff)

    for url in (
        "/admin/tariffs/electricitytariff/add/",
        "/admin/tariffs/gastariff/add/",
        "/admin/tariffs/emissionfactor/add/",
        "/admin/savings/recommendationtemplate/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/auth/group/").status_code == 403
    assert client.get("/admin/energy/ingestbatch/").status_code == 403
    # Readings have no admin page; the group holds no permission on them either.
    assert not staff.has_perm("energy.view_reading")

"""The management commands operators and developers run: seed_demo and ingest_file."""

import itertools
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from energy.bills.models import BillingPeriod
from energy.models import DailyUsage, IngestBatch, Meter, Reading, WeatherObservation
from energy.savings.models import Intervention
from tests import factories


def test_seed_demo_loads_a_small_data_set_through_ingest_and_prints_logins(db, capsys):
    call_command("seed_demo", premises=2, days=130, seed=3, verbosity=0)

    out = capsys.readouterr().out
    meters = Meter.objects.all()
    assert meters.count() == 4  # electricity and gas per premise
    assert Reading.objects.count() == 2 * 130 * (48 + 24)
    assert IngestBatch.objects.filter(source="demo", status="done").count() == 4
    assert DailyUsage.objects.filter(intervals=48).count() == 2 * 130
    assert WeatherObservation.objects.filter(region__name="Sapporo").count() == 130
    for username in ("demo", "staff", "data", "gateway", "admin"):
        assert username in out
    assert (
        get_user_model().objects.get(username="staff").groups.filter(name="Business staff").exists()
    )
    for intervention in Intervention.objects.all():
        assert 0.05 < intervention.true_saving_fraction < 0.25


def test_seed_demo_winter_gas_use_is_far_above_summer(db):
    call_command("seed_demo", premises=1, days=365, seed=5, verbosity=0)

    gas = Meter.objects.get(commodity="gas")
    by_month = {}
    for day in DailyUsage.objects.filter(meter=gas):
        by_month.setdefault(day.date.month, []).append(day.total)
    january = sum(by_month[1]) / len(by_month[1])
    august = sum(by_month[8]) / len(by_month[8])
    assert january > 2.5 * august  # heating dominates in a Hokkaido winter


def test_seed_demo_bills_the_demo_customers_gas_monthly_as_their_readings_add_up(db):
    call_command("seed_demo", premises=2, days=130, seed=3, verbosity=0)

    for gas in Meter.objects.filter(commodity="gas"):
        bills = list(BillingPeriod.objects.filter(meter=gas).order_by("start"))
        assert len(bills) == 4  # 130 days in bills of 28 to 33 days
        assert all(28 <= bill.days <= 33 for bill in bills)
        assert all(a.end + timedelta(days=1) == b.start for a, b in itertools.pairwise(bills))
        assert [bill.estimated for bill in bills] == [True, False, False, False]
        for bill in bills:
            read = DailyUsage.objects.filter(meter=gas, date__range=(bill.start, bill.end))
            assert bill.usage == pytest.approx(
                read.aggregate(total=Sum("total"))["total"], abs=0.01
            )
    assert not BillingPeriod.objects.filter(meter__commodity="electricity").exists()


def test_seed_demo_if_empty_leaves_existing_data_alone(db, capsys):
    call_command("seed_demo", premises=1, days=3, verbosity=0)
    readings = Reading.objects.count()

    call_command("seed_demo", premises=1, days=3, if_empty=True)

    assert Reading.objects.count() == readings
    assert "already loaded" in capsys.readouterr().out


def test_ingest_file_backfills_a_csv_in_batches_with_reasons(db, tmp_path, capsys):
    factories.MeterFactory(serial="E-7", premise__owner=factories.UserFactory(is_superuser=True))
    path = tmp_path / "backfill.csv"
    path.write_text(
        "meter,ts,value\n"
        "E-7,2026-01-15T00:00:00+09:00,0.5\n"
        "E-7,2026-01-15T00:30:00+09:00,0.6\n"
        "E-7,2026-01-15T01:00:00+09:00,-1\n"
    )

    call_command("ingest_file", str(path), batch_rows=2, verbosity=0)

    out = capsys.readouterr().out
    assert "2 accepted, 0 duplicate, 0 corrected, 0 stale, 1 rejected in 2 batch(es)" in out
    assert IngestBatch.objects.filter(source="file").count() == 2
    day = DailyUsage.objects.get(meter__serial="E-7")
    assert (day.date, day.total) == (date(2026, 1, 15), pytest.approx(1.1))


def test_ingest_file_reports_an_unreadable_file_with_a_clear_error(db, tmp_path):
    factories.UserFactory(is_superuser=True)
    path = tmp_path / "broken.json"
    path.write_text('{"readings": [')

    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("ingest_file", str(path), verbosity=0)
    assert not IngestBatch.objects.exists()


def test_ingest_file_needs_an_existing_file(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("ingest_file", str(tmp_path / "missing.csv"))

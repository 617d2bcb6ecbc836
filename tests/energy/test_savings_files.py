"""Reading analysts' usage and temperature CSV files into daily series (energy.savings.files)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from config.errors import ValidationFailed
from energy.savings.files import (
    SeriesFileInvalid,
    intervention_check,
    savings_measure_files,
    series_align,
    temperature_daily_from_csv,
    usage_daily_from_csv,
)

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True, scope="module")
def _english():
    """These tests read the English messages; the Japanese ones (the default language) are
    checked by tests/dashboards/test_translations.py and the command-line tests."""
    with translation.override("en"):
        yield


def days(*isodates: str) -> list[np.datetime64]:
    return [np.datetime64(day, "D") for day in isodates]


def interval_csv(readings: list[tuple[datetime, float]], column: str = "value") -> str:
    return f"ts,{column}\n" + "".join(f"{ts.isoformat()},{value}\n" for ts, value in readings)


def half_hours(day: date, zone=TOKYO, *, count: int = 48, value: float = 0.5):
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return [(start + timedelta(minutes=30 * slot), value) for slot in range(count)]


# --- daily files -------------------------------------------------------------------------------


def test_daily_usage_is_sorted_by_date_with_blank_values_missing():
    dates, values = usage_daily_from_csv(
        text="Date, Value ,note\n2026-01-03,12.5,x\n2026-01-01,10,\n2026-01-02,,meter swap\n"
    )

    assert list(dates) == days("2026-01-01", "2026-01-02", "2026-01-03")
    assert values[0] == 10.0 and np.isnan(values[1]) and values[2] == 12.5


def test_daily_temperature_in_fahrenheit_is_converted_to_celsius():
    _, celsius = temperature_daily_from_csv(text="date,temperature\n2026-01-01,-5\n", unit="C")
    dates, converted = temperature_daily_from_csv(
        text="date,temperature\n2026-01-01,23\n", unit="F"
    )

    assert list(dates) == days("2026-01-01")
    assert converted[0] == pytest.approx(celsius[0])


# --- interval files ----------------------------------------------------------------------------


def test_half_hourly_usage_is_summed_per_local_day_and_a_half_day_is_filled_by_its_mean():
    readings = (
        half_hours(date(2026, 1, 15), value=0.5)  # complete: 24 kWh
        + half_hours(date(2026, 1, 16), count=30, value=1.0)  # 30 of 48: filled to 48 kWh
        + half_hours(date(2026, 1, 17), count=23, value=1.0)  # under half: missing
    )

    dates, values = usage_daily_from_csv(text=interval_csv(readings), time_zone="Asia/Tokyo")

    assert list(dates) == days("2026-01-15", "2026-01-16", "2026-01-17")
    assert values[0] == pytest.approx(24.0)
    assert values[1] == pytest.approx(48.0)
    assert np.isnan(values[2])


def test_utc_and_naive_timestamps_land_on_the_same_local_day_as_offset_ones():
    tokyo = interval_csv(half_hours(date(2026, 1, 15), value=0.25))
    utc = interval_csv(
        [(ts.astimezone(ZoneInfo("UTC")), value) for ts, value in half_hours(date(2026, 1, 15))]
    ).replace("+00:00", "Z")
    naive = interval_csv(
        [(ts.replace(tzinfo=None), value) for ts, value in half_hours(date(2026, 1, 15))]
    )

    for text in (utc, naive):
        dates, values = usage_daily_from_csv(text=text, time_zone="Asia/Tokyo")
        assert list(dates) == days("2026-01-15")  # not split over 14 and 15 January (UTC days)
        assert values[0] == pytest.approx(24.0)
    assert usage_daily_from_csv(text=tokyo)[1][0] == pytest.approx(12.0)


def test_a_23_hour_dst_day_needs_46_half_hours_not_48():
    new_york = ZoneInfo("America/New_York")
    spring_forward = date(2026, 3, 8)
    start = datetime(2026, 3, 8, tzinfo=new_york)
    # 46 half-hours of 1 kWh from local midnight, stepping in UTC across the clock change.
    readings = [
        ((start.astimezone(ZoneInfo("UTC")) + timedelta(minutes=30 * slot)), 1.0)
        for slot in range(46)
    ]
    readings += half_hours(date(2026, 3, 7), new_york, value=1.0)

    dates, values = usage_daily_from_csv(text=interval_csv(readings), time_zone="America/New_York")

    assert list(dates) == days("2026-03-07", spring_forward.isoformat())
    assert values == pytest.approx([48.0, 46.0])  # a complete short day is not scaled up


def test_without_a_time_zone_the_days_are_those_of_the_offsets_in_the_data():
    """A US feed with -05:00 / -04:00 offsets: its own days, and its 23-hour DST day complete
    at 46 half-hours (the offsets say the clocks went forward), not Tokyo's days."""
    new_york = ZoneInfo("America/New_York")
    utc = ZoneInfo("UTC")
    start = datetime(2026, 3, 7, tzinfo=new_york).astimezone(utc)
    # Local days 7, 8 (23 hours) and 9 March, one kWh per half-hour, written in local time.
    readings = [
        ((start + timedelta(minutes=30 * slot)).astimezone(new_york), 1.0)
        for slot in range(48 + 46 + 48)
    ]

    dates, values = usage_daily_from_csv(text=interval_csv(readings))

    assert list(dates) == days("2026-03-07", "2026-03-08", "2026-03-09")
    assert values == pytest.approx([48.0, 46.0, 48.0])
    # The same readings read in Tokyo's days fall on other dates.
    tokyo_dates, _ = usage_daily_from_csv(text=interval_csv(readings), time_zone="Asia/Tokyo")
    assert list(tokyo_dates) != list(dates)


def test_a_25_hour_day_by_the_offsets_keeps_its_50_half_hours_and_a_gap_is_filled():
    new_york = ZoneInfo("America/New_York")
    utc = ZoneInfo("UTC")
    start = datetime(2026, 10, 31, tzinfo=new_york).astimezone(utc)
    readings = [
        ((start + timedelta(minutes=30 * slot)).astimezone(new_york), 1.0)
        for slot in range(48 + 50 + 48)
        if slot != 60  # one half-hour of the long day is missing
    ]

    _, values = usage_daily_from_csv(text=interval_csv(readings))

    assert values == pytest.approx([48.0, 50.0, 48.0])


def test_hourly_temperature_is_averaged_per_day_and_a_day_under_half_its_hours_is_missing():
    start = datetime(2026, 1, 15, tzinfo=TOKYO)
    readings = [(start + timedelta(hours=hour), -10 + hour) for hour in range(24)]
    readings += [(start + timedelta(days=1, hours=hour), 0.0) for hour in range(11)]

    dates, temperature_c = temperature_daily_from_csv(
        text=interval_csv(readings, "temperature"), time_zone="Asia/Tokyo"
    )

    assert list(dates) == days("2026-01-15", "2026-01-16")
    assert temperature_c[0] == pytest.approx(np.mean(np.arange(24) - 10))
    assert np.isnan(temperature_c[1])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.floats(min_value=0, max_value=50, allow_nan=False), min_size=48 * 3, max_size=48 * 3
    ),
    st.sampled_from(["Asia/Tokyo", "UTC", "Europe/London"]),
)
def test_complete_interval_days_keep_every_kwh(values_kwh, zone_name):
    zone = ZoneInfo(zone_name)
    start = datetime(2026, 1, 10, tzinfo=zone)
    readings = [
        (start + timedelta(minutes=30 * slot), value) for slot, value in enumerate(values_kwh)
    ]

    dates, totals = usage_daily_from_csv(text=interval_csv(readings), time_zone=zone_name)

    assert dates.size == 3
    assert np.isfinite(totals).all()
    assert totals.sum() == pytest.approx(sum(values_kwh), rel=1e-9, abs=1e-6)


# --- alignment and the intervention ------------------------------------------------------------


def test_series_align_gives_consecutive_days_with_nan_where_either_series_is_missing():
    dates, usage, temperature_c = series_align(
        usage_dates=np.array(days("2026-01-01", "2026-01-02", "2026-01-04", "2026-01-09")),
        usage=np.array([1.0, 2.0, 4.0, 9.0]),
        temperature_dates=np.array(days("2025-12-30", "2026-01-02", "2026-01-03", "2026-01-04")),
        temperature_c=np.array([-30.0, -2.0, -3.0, -4.0]),
    )

    # Every day either file lists: 30 December to 9 January.
    assert dates[0] == np.datetime64("2025-12-30") and dates[-1] == np.datetime64("2026-01-09")
    assert dates.size == 11
    by_day = dict(zip(dates.astype(str), zip(usage, temperature_c, strict=True), strict=True))
    assert by_day["2026-01-02"] == (2.0, -2.0)
    assert by_day["2026-01-04"] == (4.0, -4.0)
    assert np.isnan(by_day["2026-01-03"][0]) and by_day["2026-01-03"][1] == -3.0
    assert np.isnan(by_day["2025-12-30"][0]) and by_day["2025-12-30"][1] == -30.0
    assert np.isnan(by_day["2026-01-09"][1]) and by_day["2026-01-09"][0] == 9.0
    assert np.isnan(by_day["2026-01-05"]).all()


def test_series_align_without_a_common_day_says_which_days_each_file_covers():
    with pytest.raises(SeriesFileInvalid, match="no day has both") as raised:
        series_align(
            usage_dates=np.array(days("2026-01-01", "2026-01-02")),
            usage=np.array([1.0, 2.0]),
            temperature_dates=np.array(days("2025-01-01")),
            temperature_c=np.array([1.0]),
            usage_source="usage.csv",
            temperature_source="temps.csv",
        )
    message = raised.value.message
    assert message.startswith("usage.csv: ")
    assert "2026-01-01 to 2026-01-02" in message and "2025-01-01 to 2025-01-01" in message


@pytest.mark.parametrize("intervention", [date(2026, 1, 1), date(2025, 12, 1), date(2026, 2, 1)])
def test_intervention_outside_the_data_is_rejected(intervention):
    dates = np.arange(np.datetime64("2026-01-01"), np.datetime64("2026-01-11"))

    with pytest.raises(SeriesFileInvalid, match="outside the days both files cover"):
        intervention_check(dates=dates, intervention=intervention, source="usage.csv")

    intervention_check(dates=dates, intervention=date(2026, 1, 2), source="usage.csv")


# --- bad files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("day,value\n2026-01-01,1\n", 1, "the header must be date,value"),
        ("date,kwh\n2026-01-01,1\n", 1, "the header must be date,value"),
        ("date,ts,value\n2026-01-01,x,1\n", 1, "the header must be date,value"),
        ("date,value\n2026-01-01,1\n2026-02-30,1\n", 3, "cannot read the date '2026-02-30'"),
        ("date,value\n2026-01-01,1\n2026-01-02,1,5\n", 3, "expected 2 fields"),
        ("date,value\n2026-01-01,1\n2026-01-02,1.2.3\n", 3, "cannot read '1.2.3' as a number"),
        ("date,value\n2026-01-01,nan\n", 2, "cannot read 'nan' as a number"),
        ("date,value\n2026-01-01,-3\n", 2, "usage -3 is negative"),
        ("date,value\n2026-01-01,1\n\n2026-01-01,2\n", 4, "appears again (first on line 2)"),
        (
            "ts,value\n2026-01-01T00:00+09:00,1\n2025-12-31T15:00Z,1\n",
            3,
            "appears again (first on line 2)",
        ),
        ("ts,value\n2026-01-01 25:00,1\n", 2, "cannot read the timestamp '2026-01-01 25:00'"),
        ('date,value\n"2026-01-01,1\n', 2, "not valid CSV"),
    ],
)
def test_bad_usage_files_name_the_file_line_and_problem(text, line, problem):
    with pytest.raises(SeriesFileInvalid) as raised:
        usage_daily_from_csv(text=text, name="usage.csv")

    assert raised.value.line == line
    assert raised.value.message.startswith(f"usage.csv, line {line}: ")
    assert problem in raised.value.message


def test_an_implausible_temperature_hints_at_the_unit():
    with pytest.raises(SeriesFileInvalid, match=r"line 3: temperature 75 C .*temperature-unit"):
        temperature_daily_from_csv(
            text="date,temperature\n2026-01-01,20\n2026-01-02,75\n", name="temps.csv"
        )


def test_empty_headless_missing_and_non_utf8_files_are_reported(tmp_path):
    with pytest.raises(SeriesFileInvalid, match=r"^e\.csv: the file is empty"):
        usage_daily_from_csv(text="", name="e.csv")
    with pytest.raises(SeriesFileInvalid, match=r"^h\.csv: the file has a header but no data"):
        usage_daily_from_csv(text="date,value\n", name="h.csv")
    missing = tmp_path / "missing.csv"
    with pytest.raises(SeriesFileInvalid, match=rf"^{missing}: no such file"):
        usage_daily_from_csv(file=missing)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("date,value\n2026-01-01,1\n2026-01-02,1 \xb0\n".encode("latin-1"))
    with pytest.raises(SeriesFileInvalid, match=r"line 3: is not UTF-8"):
        usage_daily_from_csv(file=latin1)


def test_a_file_with_a_byte_order_mark_reads_like_one_without(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("date,value\r\n2026-01-01,7\r\n".encode("utf-8-sig"))

    dates, values = usage_daily_from_csv(file=path)

    assert list(dates) == days("2026-01-01") and list(values) == [7.0]


def test_unknown_unit_and_time_zone_are_rejected():
    with pytest.raises(ValidationFailed, match="Unknown temperature unit 'K'"):
        temperature_daily_from_csv(text="date,temperature\n2026-01-01,270\n", unit="K")
    with pytest.raises(ValidationFailed, match="Unknown time zone 'Mars/Olympus'"):
        usage_daily_from_csv(text="date,value\n2026-01-01,1\n", time_zone="Mars/Olympus")


# --- measuring from files ----------------------------------------------------------------------


def test_savings_measured_from_files_find_the_saving_and_say_what_was_read(tmp_path):
    """Two years of usage = 5 + 0.8·HDD(15 °C) + noise, 10 % less from the intervention on."""
    rng = np.random.default_rng(3)
    first, intervention = date(2024, 7, 1), date(2025, 7, 1)
    all_days = [first + timedelta(days=offset) for offset in range(730)]
    day_of_year = np.array([day.timetuple().tm_yday for day in all_days])
    temperature_c = 9 - 13 * np.cos(2 * np.pi * (day_of_year - 20) / 365.25)
    usage_kwh = 5 + 0.8 * np.maximum(15 - temperature_c, 0) + rng.normal(0, 0.3, len(all_days))
    usage_kwh[[day >= intervention for day in all_days]] *= 0.9
    usage_path, temperature_path = tmp_path / "usage.csv", tmp_path / "temps.csv"
    usage_path.write_text(
        "date,value\n" + "".join(f"{d},{v}\n" for d, v in zip(all_days, usage_kwh, strict=True))
    )
    temperature_path.write_text(
        "date,temperature\n"
        + "".join(f"{d},{t}\n" for d, t in zip(all_days, temperature_c, strict=True))
    )

    measured = savings_measure_files(
        usage_path=usage_path,
        temperature_path=temperature_path,
        intervention=intervention,
        commodity=" Electricity ",
        temperature_unit="°c",
        time_zone="Asia/Tokyo",
    )

    assert measured.result.fractional_savings == pytest.approx(0.10, abs=0.015)
    assert measured.inputs["commodity"] == "electricity"
    assert measured.inputs["temperature"]["unit"] == "C"
    assert measured.inputs["usage"] == {
        "file": str(usage_path),
        "days": 730,
        "days_with_value": 730,
        "days_missing": 0,
        "first": "2024-07-01",
        "last": "2026-06-30",
    }
    assert measured.as_dict()["inputs"] == measured.inputs
    assert measured.as_dict()["fractional_savings"] == measured.result.fractional_savings

    with pytest.raises(ValidationFailed, match="Unknown commodity 'water'"):
        savings_measure_files(
            usage_path=usage_path,
            temperature_path=temperature_path,
            intervention=intervention,
            commodity="water",
            temperature_unit="C",
            time_zone="Asia/Tokyo",
        )

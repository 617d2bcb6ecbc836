"""``manage.py measure_savings``: analysts' files in, measured savings out, no database needed.

The in-process tests take no ``db`` fixture, so pytest-django fails any of them that touches the
database; the subprocess test runs with DATABASE_URL pointing at a closed port.
"""

import json
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from energy.savings.simulate_bills import SimulatedBills, bills_simulate
from energy.savings.simulate_hourly import hourly_simulate

REPO = Path(__file__).resolve().parents[2]
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True, scope="module")
def _english():
    """These tests read the English messages; the Japanese ones (the default language) are
    checked by tests/dashboards/test_translations.py and the command-line test below."""
    with translation.override("en"):
        yield


START = date(2024, 7, 1)
INTERVENTION = date(2025, 7, 1)
END = date(2026, 6, 30)
TRUE_SAVING = 0.10  # usage after the intervention is 10 % below the weather-driven baseline
HEATING_BALANCE_C = 15.0
BASE_KWH_PER_DAY = 5.0
HEATING_KWH_PER_DEGREE_DAY = 0.8


@dataclass(frozen=True)
class Synthetic:
    days: list[date]
    temperature_c: np.ndarray
    usage_kwh: np.ndarray


def synthetic(seed: int = 1) -> Synthetic:
    """Two years of Sapporo-like weather and usage = 5 + 0.8·HDD(15 °C) + noise, 10 % less after."""
    rng = np.random.default_rng(seed)
    days = [START + timedelta(days=offset) for offset in range((END - START).days + 1)]
    day_of_year = np.array([day.timetuple().tm_yday for day in days])
    temperature_c = (
        9.0 - 13.0 * np.cos(2 * np.pi * (day_of_year - 20) / 365.25) + rng.normal(0, 3, len(days))
    )
    hdd = np.maximum(HEATING_BALANCE_C - temperature_c, 0.0)
    usage_kwh = BASE_KWH_PER_DAY + HEATING_KWH_PER_DEGREE_DAY * hdd + rng.normal(0, 0.5, len(days))
    after = np.array([day >= INTERVENTION for day in days])
    usage_kwh[after] *= 1 - TRUE_SAVING
    return Synthetic(days, temperature_c, usage_kwh)


@pytest.fixture(scope="module")
def data() -> Synthetic:
    return synthetic()


def write_daily(directory: Path, data: Synthetic, *, unit: str = "C") -> tuple[Path, Path]:
    usage = directory / "usage.csv"
    usage.write_text(
        "date,value\n"
        + "".join(
            f"{day},{float(value)!r}\n"
            for day, value in zip(data.days, data.usage_kwh, strict=True)
        )
    )
    temps = directory / "temps.csv"
    values = data.temperature_c * 9 / 5 + 32 if unit == "F" else data.temperature_c
    temps.write_text(
        "date,temperature\n"
        + "".join(f"{day},{float(value)!r}\n" for day, value in zip(data.days, values, strict=True))
    )
    return usage, temps


def stamp(moment: datetime, style: str) -> str:
    if style == "utc":
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "naive":
        return moment.replace(tzinfo=None).isoformat()
    return moment.isoformat()  # +09:00


def write_interval(
    directory: Path, data: Synthetic, *, style: str = "offset", kept: dict[date, int] | None = None
) -> tuple[Path, Path]:
    """30-minute usage (the day's total spread evenly) and hourly temperature (a daily swing
    around the day's mean). ``kept`` limits some days to their first N half-hours."""
    kept = kept or {}
    usage_lines, temperature_lines = ["ts,value\n"], ["ts,temperature\n"]
    for day, total_kwh, mean_c in zip(data.days, data.usage_kwh, data.temperature_c, strict=True):
        midnight = datetime(day.year, day.month, day.day, tzinfo=TOKYO)
        for slot in range(kept.get(day, 48)):
            moment = midnight + timedelta(minutes=30 * slot)
            usage_lines.append(f"{stamp(moment, style)},{float(total_kwh) / 48!r}\n")
        for hour in range(24):
            swing_c = 4.0 * math.sin(2 * math.pi * (hour - 9) / 24)
            moment = midnight + timedelta(hours=hour)
            temperature_lines.append(f"{stamp(moment, style)},{float(mean_c) + swing_c!r}\n")
    usage, temps = directory / "usage_30min.csv", directory / "temps_hourly.csv"
    usage.write_text("".join(usage_lines))
    temps.write_text("".join(temperature_lines))
    return usage, temps


def measure(usage: Path, temps: Path, *args: str, intervention: date = INTERVENTION) -> dict:
    out = StringIO()
    call_command(
        "measure_savings",
        "--usage",
        str(usage),
        "--temperature",
        str(temps),
        "--intervention",
        intervention.isoformat(),
        "--json",
        *args,
        stdout=out,
    )
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def daily_result(tmp_path_factory, data) -> dict:
    return measure(*write_daily(tmp_path_factory.mktemp("daily"), data))


# --- good files --------------------------------------------------------------------------------


def test_daily_files_report_the_known_saving_and_the_heating_model(daily_result):
    assert daily_result["fractional_savings"] == pytest.approx(TRUE_SAVING, abs=0.015)
    assert daily_result["avoided"] > 0
    assert daily_result["cvrmse"] < 0.15 and abs(daily_result["nmbe"]) < 0.005
    model = daily_result["model"]
    assert model["kind"] == "hdd_only"
    assert model["heating_balance_c"] == pytest.approx(HEATING_BALANCE_C, abs=2.0)
    assert model["beta_hdd"] == pytest.approx(HEATING_KWH_PER_DEGREE_DAY, rel=0.1)
    assert daily_result["inputs"]["usage"]["days"] == len(synthetic().days)
    assert daily_result["inputs"]["usage_unit"] == "kWh"


def test_the_human_report_shows_model_fit_and_savings_with_uncertainty(tmp_path, data):
    usage, temps = write_daily(tmp_path, data)
    out = StringIO()

    call_command(
        "measure_savings",
        usage=usage,
        temperature=temps,
        intervention=INTERVENTION.isoformat(),
        stdout=out,
    )

    report = out.getvalue()
    assert "Baseline model: heating degree days" in report
    assert re.search(r"heating: 0\.\d+ kWh per °C·day below 1\d\.\d °C", report)
    assert re.search(r"R² 0\.\d+, adjusted R² 0\.\d+, CV\(RMSE\) \d+\.\d %, NMBE -?\d", report)
    assert "Reporting period: 2025-07-01 to 2026-06-30" in report
    avoided = re.search(r"avoided: ([\d.]+) ± ([\d.]+) kWh \(90 % confidence\)", report)
    assert avoided and float(avoided[2]) > 0
    fraction = re.search(r"fractional savings: ([\d.]+) % ± ([\d.]+) points", report)
    assert fraction and float(fraction[1]) == pytest.approx(100 * TRUE_SAVING, abs=1.5)


@pytest.mark.parametrize("style", ["offset", "utc", "naive"])
def test_half_hourly_usage_and_hourly_temperature_give_the_daily_result(
    tmp_path, data, daily_result, style
):
    """Asia/Tokyo has no DST; UTC 'Z' and naive (--time-zone) stamps land on the same days."""
    result = measure(*write_interval(tmp_path, data, style=style), "--time-zone", "Asia/Tokyo")

    assert result["fractional_savings"] == pytest.approx(daily_result["fractional_savings"])
    assert result["avoided"] == pytest.approx(daily_result["avoided"])
    assert result["model"]["n_days"] == daily_result["model"]["n_days"]


def test_a_day_with_half_its_readings_counts_and_one_with_fewer_is_missing(
    tmp_path, data, daily_result
):
    counted = [date(2024, 12, day) for day in (3, 10, 17)]
    dropped = [date(2025, 1, day) for day in (6, 13, 20, 27)]
    kept = {day: 24 for day in counted} | {day: 23 for day in dropped}

    result = measure(*write_interval(tmp_path, data, kept=kept))

    # Days with 24 of 48 half-hours are filled by their mean (the full total here); days
    # with 23 drop out of the baseline.
    assert result["inputs"]["usage"]["days_missing"] == len(dropped)
    assert result["model"]["n_days"] == daily_result["model"]["n_days"] - len(dropped)
    assert result["fractional_savings"] == pytest.approx(TRUE_SAVING, abs=0.015)


def test_fahrenheit_temperatures_give_the_same_result_as_celsius(tmp_path, data, daily_result):
    result = measure(*write_daily(tmp_path, data, unit="F"), "--temperature-unit", "F")

    assert result["fractional_savings"] == pytest.approx(daily_result["fractional_savings"])
    assert result["cvrmse"] == pytest.approx(daily_result["cvrmse"])
    assert result["model"]["heating_balance_c"] == pytest.approx(
        daily_result["model"]["heating_balance_c"]
    )


def test_gas_is_reported_in_cubic_metres(tmp_path, data):
    result = measure(*write_daily(tmp_path, data), "--commodity", "gas")

    assert result["inputs"]["usage_unit"] == "m³"
    assert result["model"]["kind"] in ("hdd_only", "intercept_only")
    assert result["fractional_savings"] == pytest.approx(TRUE_SAVING, abs=0.015)


# --- bad files and options ---------------------------------------------------------------------


def replace_line(path: Path, line: int, text: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[line - 1] = text
    path.write_text("".join(lines))


@pytest.mark.parametrize(
    ("spoil", "args", "expected"),
    [
        (
            lambda usage, temps: replace_line(usage, 1, "day,kwh\n"),
            [],
            r"usage\.csv, line 1: the header must be date,value",
        ),
        (
            lambda usage, temps: replace_line(temps, 1, "date,temp\n"),
            [],
            r"temps\.csv, line 1: the header must be date,temperature",
        ),
        (
            lambda usage, temps: replace_line(usage, 40, "2024-08-0x,3.2\n"),
            [],
            r"usage\.csv, line 40: cannot read the date '2024-08-0x'",
        ),
        (
            lambda usage, temps: replace_line(temps, 7, "2024-07-06,warm\n"),
            [],
            r"temps\.csv, line 7: cannot read 'warm' as a number",
        ),
        (
            lambda usage, temps: replace_line(usage, 3, "2024-07-01,4.0\n"),
            [],
            r"usage\.csv, line 3: the date 2024-07-01 appears again \(first on line 2\)",
        ),
        (
            lambda usage, temps: temps.write_text("date,temperature\n2020-01-01,1.0\n"),
            [],
            r"usage\.csv: no day has both usage and temperature",
        ),
        (lambda usage, temps: None, ["--temperature-unit", "K"], r"Unknown temperature unit 'K'"),
        (lambda usage, temps: None, ["--commodity", "water"], r"Unknown commodity 'water'"),
        (lambda usage, temps: None, ["--time-zone", "Asia/Sapporo"], r"Unknown time zone"),
        (lambda usage, temps: None, ["--intervention", "2030-01-01"], r"outside the days both"),
        (lambda usage, temps: None, ["--intervention", "1 July"], r"--intervention '1 July'"),
        (lambda usage, temps: usage.unlink(), [], r"usage\.csv: no such file"),
    ],
)
def test_bad_files_and_options_exit_2_with_file_line_and_problem(
    tmp_path, data, spoil, args, expected
):
    usage, temps = write_daily(tmp_path, data)
    spoil(usage, temps)
    argv = ["--usage", str(usage), "--temperature", str(temps)]
    if "--intervention" not in args:
        argv += ["--intervention", INTERVENTION.isoformat()]

    with pytest.raises(CommandError, match=expected) as raised:
        call_command("measure_savings", *argv, *args, stdout=StringIO())

    assert raised.value.returncode == 2


def test_too_short_a_baseline_exits_2_with_the_reasons(tmp_path, data):
    usage, temps = write_daily(tmp_path, data)

    with pytest.raises(CommandError, match="Not enough data to measure savings") as raised:
        measure(usage, temps, intervention=date(2024, 10, 1))  # 92 days of baseline

    assert raised.value.returncode == 2
    reasons = [line for line in str(raised.value).splitlines() if line.startswith("  - ")]
    assert reasons and any("baseline" in reason.lower() for reason in reasons)


# --- the real command line, with no database ---------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        # Nothing listens on port 1: any database or Redis access would fail the run.
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/unreachable",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "measure_savings", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_line_prints_one_json_object_with_the_database_unreachable(tmp_path, data):
    usage, temps = write_daily(tmp_path, data)

    run = run_cli(
        "--usage", str(usage), "--temperature", str(temps), "--intervention", "2025-07-01", "--json"
    )

    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)  # exactly one object: json.loads rejects anything after it
    assert result["fractional_savings"] == pytest.approx(TRUE_SAVING, abs=0.015)
    for key in ("avoided", "cvrmse", "nmbe", "model"):
        assert key in result


def test_the_command_line_reports_a_bad_file_on_stderr_with_exit_code_2(tmp_path, data):
    usage, temps = write_daily(tmp_path, data)
    replace_line(usage, 5, "2024-07-04,-1\n")

    run = run_cli(
        "--usage", str(usage), "--temperature", str(temps), "--intervention", "2025-07-01"
    )

    assert run.returncode == 2
    # The command speaks the site's default language, Japanese.
    assert f"{usage} の 5 行目: 使用量 -1 が負の値です。" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


# --- bills: the CalTRACK billing method --------------------------------------------------------


def write_bills(directory: Path, seed: int = 5) -> tuple[Path, Path, SimulatedBills]:
    bills = bills_simulate(seed=seed, commodity="gas", estimated_read=True)
    usage = directory / "bills.csv"
    usage.write_text(
        "start,end,value,estimated\n"
        + "".join(
            f"{start},{end},{float(value)!r},{'yes' if estimated else 'no'}\n"
            for start, end, value, estimated in zip(
                bills.period_starts, bills.period_ends, bills.usage, bills.estimated, strict=True
            )
        )
    )
    temps = directory / "temps.csv"
    temps.write_text(
        "date,temperature\n"
        + "".join(
            f"{day},{'' if math.isnan(value) else repr(float(value))}\n"
            for day, value in zip(bills.temperature_dates, bills.temperature_c, strict=True)
        )
    )
    return usage, temps, bills


def test_a_bill_file_is_measured_by_the_billing_method_without_being_told(tmp_path):
    usage, temps, bills = write_bills(tmp_path)

    result = measure(usage, temps, "--commodity", "gas", intervention=bills.intervention)

    assert result["method"] == "billing"
    assert result["inputs"]["usage"]["periods"] == len(bills.usage)
    assert result["fractional_savings"] == pytest.approx(bills.true_fractional_savings, abs=0.03)
    assert result["model"]["n_periods"] >= 10  # a year of 27-34-day bills, one combined
    assert result["reporting_periods"] == bills.reporting_periods


def test_the_billing_report_names_the_bills_the_fit_and_the_notes(tmp_path):
    usage, temps, bills = write_bills(tmp_path)
    out = StringIO()

    call_command(
        "measure_savings",
        "--usage",
        str(usage),
        "--temperature",
        str(temps),
        "--intervention",
        bills.intervention.isoformat(),
        "--commodity",
        "gas",
        "--method",
        "billing",
        stdout=out,
    )

    report = out.getvalue()
    assert f"Bills: {usage}, {len(bills.usage)} billing periods" in report
    assert "baseline bills" in report and "weighted by their days" in report
    assert "whole bills" in report
    assert "fractional savings:" in report


def test_a_bill_file_with_the_daily_method_says_to_use_the_billing_method(tmp_path):
    usage, temps, bills = write_bills(tmp_path)

    with pytest.raises(CommandError, match="--method billing"):
        measure(usage, temps, "--method", "daily", intervention=bills.intervention)


# --- interval data: the CalTRACK hourly method -------------------------------------------------


def stamp_in(moment: datetime, style: str) -> str:
    return moment.isoformat() if style == "offset" else moment.replace(tzinfo=None).isoformat()


def write_hourly(directory: Path, zone, *, seed: int = 2, style: str = "offset"):
    start = date(2024, 7, 1)
    simulated = hourly_simulate(
        seed=seed,
        zone=zone,
        start=start,
        days=730,
        reduction=0.10,
        reduction_start=date(2025, 7, 1),
    )
    usage_lines, temperature_lines = ["ts,value\n"], ["ts,temperature\n"]
    for hour, kwh, temperature in zip(
        simulated.hours, simulated.usage, simulated.temperature_c, strict=True
    ):
        instant = datetime.fromtimestamp(int(hour.astype(np.int64)), UTC)
        # Two half-hours per hour, as a smart meter sends them (stepped in UTC: a wall-clock
        # step would repeat the half-hour after the autumn clock change).
        for step in (0, 30):
            moment = (instant + timedelta(minutes=step)).astimezone(zone)
            usage_lines.append(f"{stamp_in(moment, style)},{float(kwh) / 2!r}\n")
        text = stamp_in(instant.astimezone(zone), style)
        temperature_lines.append(f"{text},{float(temperature)!r}\n")
    usage, temps = directory / "usage.csv", directory / "temps.csv"
    usage.write_text("".join(usage_lines))
    temps.write_text("".join(temperature_lines))
    return usage, temps, simulated


def test_half_hourly_use_is_measured_by_the_hourly_method_on_the_datas_clock(tmp_path):
    usage, temps, simulated = write_hourly(tmp_path, TOKYO)

    result = measure(usage, temps, "--method", "hourly")

    assert result["method"] == "hourly"
    assert result["inputs"]["time_zone"] == "UTC+09:00"
    assert result["model"]["cvrmse"] < 0.3
    truth = 1 - simulated.expected_kwh[
        simulated.hours >= np.datetime64("2025-06-30T15:00")
    ].sum() / (
        simulated.counterfactual_kwh[simulated.hours >= np.datetime64("2025-06-30T15:00")].sum()
    )
    assert result["fractional_savings"] == pytest.approx(truth, abs=0.02)


def test_the_hourly_method_asks_for_the_zone_when_the_offsets_change(tmp_path):
    usage, temps, _simulated = write_hourly(tmp_path, ZoneInfo("America/New_York"))

    with pytest.raises(CommandError, match="--time-zone"):
        measure(usage, temps, "--method", "hourly")
    result = measure(usage, temps, "--method", "hourly", "--time-zone", "America/New_York")
    assert result["fractional_savings"] == pytest.approx(0.10, abs=0.03)


@pytest.mark.parametrize("method", ["daily", "hourly"])
def test_an_intervention_outside_any_meters_dates_exits_2_not_a_traceback(tmp_path, data, method):
    usage, temps = write_daily(tmp_path, data)

    with pytest.raises(CommandError, match="is not between 1971-01-01 and 9998-12-31") as raised:
        measure(usage, temps, "--method", method, intervention=date(1, 1, 5))

    assert raised.value.returncode == 2

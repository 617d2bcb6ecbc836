"""Chart builders: valid plotly figures, titled, with units, in local time."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from dashboards import charts

TOKYO = ZoneInfo("Asia/Tokyo")


def valid(figure: dict) -> go.Figure:
    """plotly's own validation: raises on any property it does not know."""
    return go.Figure(figure)


def test_day_figure_draws_local_wall_clock_times():
    midnight_utc = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 00:00 on the 26th in Tokyo
    starts = [(midnight_utc + timedelta(minutes=30 * i)).astimezone(TOKYO) for i in range(48)]
    figure = valid(
        charts.day_figure(
            title="Electricity 26 Nov",
            interval_minutes=30,
            time_title="Time",
            starts=starts,
            values=[0.2] * 48,
            value_title="kWh",
            series_name="Electricity",
        )
    )
    assert figure.data[0].x[0] == "2026-11-26T00:00"
    assert figure.data[0].x[-1] == "2026-11-26T23:30"
    assert figure.data[0].width[0] == 0.9 * 30 * 60 * 1000  # a bar covers its half-hour
    assert figure.layout.title.text == "Electricity 26 Nov"
    assert figure.layout.yaxis.title.text == "kWh"


def test_month_figure_has_bars_a_temperature_line_and_marks_incomplete_days():
    days = [date(2026, 11, d) for d in range(1, 31)]
    figure = valid(
        charts.month_figure(
            title="t",
            days=days,
            values=[10.0] * 30,
            complete=[True] * 29 + [False],
            value_title="kWh",
            series_name="Electricity",
            temperatures=[1.0] * 30,
            temperature_title="Mean temperature (°C)",
            day_title="Day",
        )
    )
    bars, line = figure.data
    assert bars.marker.color[-1] == charts.INCOMPLETE_COLOUR
    assert line.yaxis == "y2"
    assert figure.layout.yaxis2.title.text == "Mean temperature (°C)"


def test_year_and_comparison_figures_are_valid():
    year = valid(
        charts.year_figure(
            title="t",
            month_labels=["Jan"] * 12,
            values=[1.0] * 12,
            previous=[None] * 12,
            complete=[True] * 11 + [False],
            value_title="m³",
            this_name="2026",
            previous_name="2025",
        )
    )
    assert year.data[1].marker.color[-1] == charts.INCOMPLETE_COLOUR  # this year's last month
    figure = valid(
        charts.comparison_figure(
            title="t",
            labels=["This month", "Last month", "Last year"],
            values=[260.0, None, 312.0],
            value_title="kWh",
        )
    )
    assert figure.data[0].text == ("260", None, "312")


def test_html_loads_no_plotly_bundle_of_its_own():
    html = charts.figure_html(
        charts.comparison_figure(title="t", labels=["a"], values=[1.0], value_title="kWh"),
        div_id="chart-x",
    )
    assert 'id="chart-x"' in html
    # The figure's JSON in a data block (never executed), drawn by core/static/core/charts.js.
    assert '<script type="application/json" id="chart-x-figure">' in html
    assert 'data-figure="chart-x-figure"' in html
    assert "<script src" not in html and "Plotly" not in html


def test_an_hourly_gas_day_draws_bars_an_hour_wide():
    starts = [datetime(2026, 11, 26, h, tzinfo=TOKYO) for h in range(24)]
    figure = valid(
        charts.day_figure(
            title="Gas",
            interval_minutes=60,
            time_title="Time",
            starts=starts,
            values=[0.1] * 24,
            value_title="m³",
            series_name="Gas",
        )
    )
    assert figure.data[0].width[0] == 0.9 * 60 * 60 * 1000


def test_overview_figures_are_valid_plotly_and_keep_their_values():
    hours = [datetime(2026, 2, 10, h, 0, tzinfo=TOKYO) for h in range(24)]
    stacked = valid(
        charts.hourly_figure(
            title="Readings per hour",
            hours=hours,
            traces=[("Accepted", [10] * 24), ("Rejected", [1] * 24)],
            value_title="Readings",
            stacked=True,
        )
    )
    assert stacked.layout.barmode == "stack"
    assert stacked.data[0].x[0] == "2026-02-10T00:00"
    rate = valid(
        charts.hourly_figure(
            title="Errors",
            hours=hours,
            traces=[("Error rate", [None] * 23 + [0.25])],
            value_title="Error rate",
            lines=True,
            percent=True,
        )
    )
    assert rate.data[0].type == "scatter" and rate.data[0].y[-1] == 0.25
    assert rate.layout.yaxis.tickformat == ".1%"
    bars = valid(
        charts.category_figure(
            title="Lag",
            labels=["Sapporo", "Asahikawa"],
            traces=[("Minutes", [30.0, 120.0])],
            value_title="Minutes",
        )
    )
    assert bars.data[0].orientation == "h"
    assert list(bars.data[0].y) == ["Sapporo", "Asahikawa"]
    assert bars.layout.showlegend is False


def test_value_axes_write_whole_thousands_not_si_suffixes():
    figure = valid(
        charts.comparison_figure(title="t", labels=["a"], values=[20_000.0], value_title="円")
    )
    assert figure.layout.xaxis.exponentformat == "none"  # "20,000", not "20k"
    assert figure.layout.xaxis.separatethousands is True
    assert charts.base_layout(title="t", value_title="円")["yaxis"]["exponentformat"] == "none"

"""Plotly figures for the portal and the staff overview: pure functions from plain numbers to a
figure (plotly's JSON structure; ``core.charts`` says why, and has the palette, the common
layout and ``figure_html``, which pages render through this module).

Times arrive already in the premise's local time (Asia/Tokyo for the demo) and are drawn as
naive wall-clock times, so the axis reads what the customer's clock said. Titles and labels
arrive translated; nothing here touches the database or the request.
"""

from collections.abc import Sequence
from datetime import date, datetime

from core.charts import (
    BAR_COLOUR,
    INCOMPLETE_COLOUR,
    PREVIOUS_COLOUR,
    TEMPERATURE_COLOUR,
    VALUE_AXIS_NUMBERS,
    Figure,
    base_layout,
)
from core.charts import figure_html as figure_html

MINUTE_MS = 60 * 1000
DAY_MS = 24 * 60 * 60 * 1000


def _local(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="minutes")
    return value.isoformat()


def day_figure(
    *,
    title: str,
    interval_minutes: int,
    time_title: str,
    starts: Sequence[datetime],
    values: Sequence[float | None],
    value_title: str,
    series_name: str,
) -> Figure:
    """Bars per interval of one local day (x: interval start, local time)."""
    layout = base_layout(title=title, value_title=value_title)
    layout["xaxis"] = {
        "type": "date",
        "tickformat": "%H:%M",
        "dtick": 3 * 60 * 60 * 1000,
        "title": {"text": time_title},
    }
    return {
        "data": [
            {
                "type": "bar",
                "x": [_local(s) for s in starts],
                "y": list(values),
                "name": series_name,
                "marker": {"color": BAR_COLOUR},
                "hovertemplate": "%{x|%H:%M}: %{y:,.3f}<extra></extra>",
                # A bar covers its interval: it starts at the interval's start.
                "offset": 0,
                "width": [interval_minutes * MINUTE_MS * 0.9] * len(starts),
            }
        ],
        "layout": layout,
    }


def month_figure(
    *,
    title: str,
    days: Sequence[date],
    values: Sequence[float | None],
    complete: Sequence[bool],
    value_title: str,
    series_name: str,
    temperatures: Sequence[float | None],
    temperature_title: str,
    day_title: str,
) -> Figure:
    """Daily bars with the region's daily mean temperature as a line on a second axis."""
    x = [_local(d) for d in days]
    layout = base_layout(title=title, value_title=value_title, height=360)
    layout["margin"]["r"] = 48
    layout["xaxis"] = {
        "type": "date",
        "tickformat": "%d",
        "dtick": 7 * DAY_MS,
        "title": {"text": day_title},
    }
    layout["yaxis2"] = {
        "title": {"text": temperature_title},
        "overlaying": "y",
        "side": "right",
        "showgrid": False,
        "zeroline": False,
        # Its own round ticks, not the bar axis's grid positions (11.28, 4.5, …).
        "tickmode": "auto",
        "nticks": 6,
    }
    return {
        "data": [
            {
                "type": "bar",
                "x": x,
                "y": list(values),
                "name": series_name,
                "marker": {"color": [BAR_COLOUR if ok else INCOMPLETE_COLOUR for ok in complete]},
                "hovertemplate": "%{x|%m/%d}: %{y:,.2f}<extra></extra>",
            },
            {
                "type": "scatter",
                "x": x,
                "y": list(temperatures),
                "name": temperature_title,
                "yaxis": "y2",
                "mode": "lines+markers",
                "line": {"color": TEMPERATURE_COLOUR, "width": 2},
                "marker": {"size": 4},
                "hovertemplate": "%{y:.1f} °C<extra></extra>",
                "connectgaps": False,
            },
        ],
        "layout": layout,
    }


def year_figure(
    *,
    title: str,
    month_labels: Sequence[str],
    values: Sequence[float | None],
    previous: Sequence[float | None],
    complete: Sequence[bool],
    value_title: str,
    this_name: str,
    previous_name: str,
) -> Figure:
    """Monthly bars, this year beside the year before; this year's incomplete months marked."""
    layout = base_layout(title=title, value_title=value_title)
    layout["barmode"] = "group"
    layout["xaxis"] = {"type": "category"}
    bars = [
        (previous_name, previous, PREVIOUS_COLOUR),
        (this_name, values, [BAR_COLOUR if ok else INCOMPLETE_COLOUR for ok in complete]),
    ]
    return {
        "data": [
            {
                "type": "bar",
                "x": list(month_labels),
                "y": list(series),
                "name": name,
                "marker": {"color": colour},
                "hovertemplate": "%{x}: %{y:,.1f}<extra></extra>",
            }
            for name, series, colour in bars
        ],
        "layout": layout,
    }


def bills_figure(
    *,
    title: str,
    starts: Sequence[date],
    ends: Sequence[date],
    per_day: Sequence[float],
    estimated: Sequence[bool],
    value_title: str,
    name: str,
) -> Figure:
    """One bar per billing period, as wide as the period, as high as its use per day (periods
    differ in length, so per day is what compares); estimated bills marked."""
    layout = base_layout(title=title, value_title=value_title)
    layout["xaxis"] = {"type": "date"}
    return {
        "data": [
            {
                "type": "bar",
                "x": [_local(start) for start in starts],
                "width": [
                    ((end - start).days + 1) * DAY_MS
                    for start, end in zip(starts, ends, strict=True)
                ],
                "offset": 0,
                "y": list(per_day),
                "name": name,
                "marker": {
                    "color": [INCOMPLETE_COLOUR if flag else BAR_COLOUR for flag in estimated],
                    "line": {"color": "#ffffff", "width": 1},
                },
                "hovertemplate": "%{x|%Y-%m-%d}: %{y:,.2f}<extra></extra>",
            }
        ],
        "layout": layout,
    }


def comparison_figure(
    *, title: str, labels: Sequence[str], values: Sequence[float | None], value_title: str
) -> Figure:
    """Horizontal bars comparing the same days in different periods (home page)."""
    layout = base_layout(title=title, value_title=value_title, height=220)
    layout["hovermode"] = "closest"
    layout["margin"]["l"] = 96
    layout["xaxis"] = {
        "title": {"text": value_title},
        "gridcolor": "#e5e5e5",
        "rangemode": "tozero",
        **VALUE_AXIS_NUMBERS,
    }
    layout["yaxis"] = {"autorange": "reversed"}
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": list(labels),
                "x": list(values),
                "marker": {"color": [BAR_COLOUR] + [PREVIOUS_COLOUR] * (len(labels) - 1)},
                "text": [None if v is None else f"{v:,.0f}" for v in values],
                "textposition": "auto",
                "hovertemplate": "%{y}: %{x:,.1f}<extra></extra>",
            }
        ],
        "layout": layout,
    }


OVERVIEW_COLOURS = ("#0b6e4f", "#c0392b", "#2f6db5", "#c9a227", "#7d3c98", "#666666")


def hourly_figure(
    *,
    title: str,
    hours: Sequence[datetime],
    traces: Sequence[tuple[str, Sequence[float | None]]],
    value_title: str,
    lines: bool = False,
    stacked: bool = False,
    percent: bool = False,
) -> Figure:
    """The staff overview: values per hour (bars, stacked or not, or lines), local time."""
    layout = base_layout(title=title, value_title=value_title, height=300)
    layout["xaxis"] = {"type": "date", "tickformat": "%H:%M"}
    if stacked:
        layout["barmode"] = "stack"
    if percent:
        layout["yaxis"]["tickformat"] = ".1%"
    value_format = "%{y:.2%}" if percent else "%{y:,.3~f}"
    x = [_local(hour) for hour in hours]
    data = []
    for (name, values), colour in zip(traces, OVERVIEW_COLOURS, strict=False):
        trace = {
            "type": "scatter" if lines else "bar",
            "x": x,
            "y": list(values),
            "name": name,
            "marker": {"color": colour},
            "hovertemplate": "%{x|%H:%M} " + value_format + "<extra>" + name + "</extra>",
        }
        if lines:
            trace.update({"mode": "lines+markers", "line": {"color": colour}, "connectgaps": False})
        data.append(trace)
    return {"data": data, "layout": layout}


def category_figure(
    *,
    title: str,
    labels: Sequence[str],
    traces: Sequence[tuple[str, Sequence[float | None]]],
    value_title: str,
    percent: bool = False,
) -> Figure:
    """The staff overview: horizontal bars per category (kind, reason, region, queue)."""
    layout = base_layout(title=title, value_title="", height=140 + 36 * max(len(labels), 1))
    layout["hovermode"] = "closest"
    layout["barmode"] = "group"
    layout["margin"]["l"] = 140
    layout["xaxis"] = {
        "title": {"text": value_title},
        "gridcolor": "#e5e5e5",
        "rangemode": "tozero",
        **({"tickformat": ".1%"} if percent else VALUE_AXIS_NUMBERS),
    }
    layout["yaxis"] = {"type": "category", "autorange": "reversed", "automargin": True}
    # Below the value axis's title, not over it.
    layout["legend"]["y"] = -0.45
    layout["showlegend"] = len(traces) > 1
    value_format = "%{x:.2%}" if percent else "%{x:,.3~f}"
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": list(labels),
                "x": list(values),
                "name": name,
                "marker": {"color": colour},
                "hovertemplate": "%{y}: " + value_format + "<extra>" + name + "</extra>",
            }
            for (name, values), colour in zip(traces, OVERVIEW_COLOURS, strict=False)
        ],
        "layout": layout,
    }

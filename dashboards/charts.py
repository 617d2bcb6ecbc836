"""Plotly figures for the portal: pure functions from plain numbers to a ``go.Figure``.

Times arrive already in the premise's local time (Asia/Tokyo for the demo) and are drawn as
naive wall-clock times, so the axis reads exactly what the customer's clock said. Titles and
labels arrive translated; nothing here touches the database or the request.
"""

from collections.abc import Sequence
from datetime import date, datetime

import plotly.graph_objects as go
import plotly.io as pio

BAR_COLOUR = "#0b6e4f"
PREVIOUS_COLOUR = "#9bb8ad"
INCOMPLETE_COLOUR = "#c9a227"
TEMPERATURE_COLOUR = "#c0392b"


def _layout(fig: go.Figure, *, title: str, value_title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        margin={"l": 48, "r": 16, "t": 48, "b": 40},
        height=320,
        autosize=True,
        plot_bgcolor="white",
        paper_bgcolor="white",
        font={"family": "system-ui, sans-serif", "size": 12},
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
        bargap=0.15,
        hovermode="x unified",
    )
    fig.update_yaxes(title_text=value_title, gridcolor="#e5e5e5", rangemode="tozero")
    return fig


def _local(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="minutes")
    return value.isoformat()


def day_figure(
    *,
    title: str,
    starts: Sequence[datetime],
    values: Sequence[float | None],
    value_title: str,
    series_name: str,
) -> go.Figure:
    """Bars per interval of one local day (x: interval start, local time)."""
    fig = go.Figure(
        go.Bar(
            x=[_local(s) for s in starts],
            y=list(values),
            name=series_name,
            marker_color=BAR_COLOUR,
            hovertemplate="%{x|%H:%M}: %{y:,.3f}<extra></extra>",
            # Bars start at the interval's start: offset them by half their width.
            offset=0,
            width=[30 * 60 * 1000 * 0.9] * len(starts),
        )
    )
    _layout(fig, title=title, value_title=value_title)
    fig.update_xaxes(tickformat="%H:%M", dtick=3 * 60 * 60 * 1000, title_text=None)
    return fig


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
) -> go.Figure:
    """Daily bars with the region's daily mean temperature as a line on a second axis."""
    fig = go.Figure()
    fig.add_bar(
        x=[_local(d) for d in days],
        y=list(values),
        name=series_name,
        marker_color=[BAR_COLOUR if ok else INCOMPLETE_COLOUR for ok in complete],
        hovertemplate="%{x|%m/%d}: %{y:,.2f}<extra></extra>",
    )
    fig.add_scatter(
        x=[_local(d) for d in days],
        y=list(temperatures),
        name=temperature_title,
        yaxis="y2",
        mode="lines+markers",
        line={"color": TEMPERATURE_COLOUR, "width": 2},
        marker={"size": 4},
        hovertemplate="%{y:.1f} °C<extra></extra>",
        connectgaps=False,
    )
    _layout(fig, title=title, value_title=value_title)
    fig.update_layout(
        yaxis2={
            "title": {"text": temperature_title},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "zeroline": True,
            "tickmode": "auto",
            "tickformat": ".0f",
        },
        margin={"r": 48},
    )
    fig.update_xaxes(tickformat="%d", dtick=7 * 24 * 60 * 60 * 1000, title_text=None)
    return fig


def year_figure(
    *,
    title: str,
    month_labels: Sequence[str],
    values: Sequence[float | None],
    previous: Sequence[float | None],
    value_title: str,
    this_name: str,
    previous_name: str,
) -> go.Figure:
    """Monthly bars, this year beside the year before."""
    fig = go.Figure()
    fig.add_bar(
        x=list(month_labels),
        y=list(previous),
        name=previous_name,
        marker_color=PREVIOUS_COLOUR,
        hovertemplate="%{x}: %{y:,.1f}<extra></extra>",
    )
    fig.add_bar(
        x=list(month_labels),
        y=list(values),
        name=this_name,
        marker_color=BAR_COLOUR,
        hovertemplate="%{x}: %{y:,.1f}<extra></extra>",
    )
    _layout(fig, title=title, value_title=value_title)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category", title_text=None)
    return fig


def comparison_figure(
    *, title: str, labels: Sequence[str], values: Sequence[float | None], value_title: str
) -> go.Figure:
    """Horizontal bars comparing the same days in different periods (home page)."""
    colours = [BAR_COLOUR] + [PREVIOUS_COLOUR] * (len(labels) - 1)
    fig = go.Figure(
        go.Bar(
            y=list(labels),
            x=list(values),
            orientation="h",
            marker_color=colours,
            text=[None if v is None else f"{v:,.0f}" for v in values],
            textposition="auto",
            hovertemplate="%{y}: %{x:,.1f}<extra></extra>",
        )
    )
    _layout(fig, title=title, value_title=value_title)
    fig.update_layout(height=220, hovermode="closest", margin={"l": 96})
    fig.update_xaxes(title_text=value_title, gridcolor="#e5e5e5", rangemode="tozero")
    fig.update_yaxes(title_text=None, autorange="reversed")
    return fig


def figure_html(fig: go.Figure, *, div_id: str) -> str:
    """The figure as a div and an inline script; the page loads plotly.js once, locally."""
    return pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        default_width="100%",
        config={"responsive": True, "displaylogo": False, "displayModeBar": False},
    )

"""Chart helpers shared by the apps' plotly figures: the palette, the common layout, rendering.

A figure is plotly's own JSON structure (``{"data": [...], "layout": {...}}``) rather than a
``go.Figure``: building a ``go.Figure`` validates every property as it is set, which cost about
20 ms a chart, most of a portal page's 50 ms budget. ``tests/dashboards/test_charts.py`` checks
the builders' output against plotly's schema with ``go.Figure(figure)`` instead, and pages
render the dict directly (``figure_html``: its JSON, drawn in the browser by ``charts.js``). The
builders live with the app that draws them (``dashboards/charts.py`` the portal's and the
overview's, ``flags/charts.py`` the experiments').
"""

import plotly.io as pio
from django.utils.html import format_html
from django.utils.safestring import mark_safe

BAR_COLOUR = "#0b6e4f"
PREVIOUS_COLOUR = "#9bb8ad"
INCOMPLETE_COLOUR = "#c9a227"
TEMPERATURE_COLOUR = "#c0392b"

Figure = dict
# A value axis's numbers: whole thousands with separators ("20,000", not plotly's "20k": a yen
# axis reads as money, in either language).
VALUE_AXIS_NUMBERS = {"exponentformat": "none", "separatethousands": True}


def base_layout(*, title: str, value_title: str, height: int = 320) -> dict:
    """The layout every figure starts from: title at the left, legend below, white ground."""
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "margin": {"l": 48, "r": 16, "t": 48, "b": 56},
        "height": height,
        "autosize": True,
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "font": {"family": "system-ui, sans-serif", "size": 12},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.28, "x": 0},
        "bargap": 0.15,
        "hovermode": "x unified",
        "xaxis": {},
        "yaxis": {
            "title": {"text": value_title},
            "gridcolor": "#e5e5e5",
            "rangemode": "tozero",
            **VALUE_AXIS_NUMBERS,
        },
    }


CONFIG = {"responsive": True, "displaylogo": False, "displayModeBar": False}


def figure_html(figure: Figure, *, div_id: str) -> str:
    """The figure as an empty div, as tall as the chart will be, and its JSON in a data block.

    ``core/static/core/charts.js`` (``core/charts_script.html``, once per page) draws it with
    plotly.js when it comes near the screen, fetching plotly.js only then: the page's text
    paints first, and a page whose charts are below the fold loads plotly.js when scrolled.
    """
    payload = pio.to_json(
        {"data": figure["data"], "layout": figure["layout"], "config": CONFIG},
        validate=False,
    )
    height = int(figure["layout"].get("height", 320))
    return format_html(
        '<div id="{}" class="plotly-chart" data-figure="{}-figure" style="width:100%;'
        'min-height:{}px"></div><script type="application/json" id="{}-figure">{}</script>',
        div_id,
        div_id,
        height,
        div_id,
        # plotly's JSON writes <, > and / as \u escapes: no text in it can end the element.
        mark_safe(payload),
    )

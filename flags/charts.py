"""The experiments' plotly figure (the staff experiment page): a pure function from plain numbers
to a figure, drawn on ``core.charts``' palette and layout."""

from collections.abc import Sequence

from core.charts import BAR_COLOUR, TEMPERATURE_COLOUR, Figure, base_layout


def lift_figure(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    series: Sequence[str],
    value_title: str,
) -> Figure:
    """Relative lifts as points with their intervals, one row per metric, variant and method;
    a line at zero (no effect)."""
    traces = []
    for name, colour in (("Welch", BAR_COLOUR), ("CUPED", TEMPERATURE_COLOUR)):
        rows = [i for i, s in enumerate(series) if s == name]
        if not rows:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": [values[i] for i in rows],
                "y": [labels[i] for i in rows],
                "marker": {"color": colour, "size": 9},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [highs[i] - values[i] for i in rows],
                    "arrayminus": [values[i] - lows[i] for i in rows],
                    "color": colour,
                },
                "hovertemplate": "%{y}: %{x:+.2f} %<extra>" + name + "</extra>",
            }
        )
    layout = base_layout(title=title, value_title="", height=120 + 40 * len(set(labels)))
    layout["hovermode"] = "closest"
    layout["margin"]["l"] = 220
    layout["xaxis"] = {
        "title": {"text": value_title},
        "zeroline": True,
        "zerolinecolor": "#444",
        "zerolinewidth": 2,
        "gridcolor": "#e5e5e5",
    }
    layout["yaxis"] = {"type": "category", "autorange": "reversed"}
    return {"data": traces, "layout": layout}

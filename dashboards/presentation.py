"""Words and shapes for the portal pages: labels, chart inputs, table rows and CSV rows built
from the selectors' plain data, in the active language. No database access."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import formats
from django.utils.dates import MONTHS_3
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dashboards import charts
from energy.models import Commodity, Unit
from energy.savings.models import Recommendation, RecommendationKind, RecommendationStatus
from energy.savings.templates import (
    CONFIDENCE_LABELS,
    recommendation_placeholder_values,
    recommendation_render,
)
from energy.usage.selectors import ACTION_KINDS, Period, UsageSeries, point_value

COMMODITY_LABELS = {
    Commodity.ELECTRICITY: gettext_lazy("Electricity"),
    Commodity.GAS: gettext_lazy("Gas"),
}
PERIOD_LABELS = {
    "day": gettext_lazy("Day"),
    "month": gettext_lazy("Month"),
    "year": gettext_lazy("Year"),
}
STATUS_LABELS = {
    RecommendationStatus.NEW: gettext_lazy("New"),
    RecommendationStatus.WILL_DO: gettext_lazy("Will do"),
    RecommendationStatus.DONE: gettext_lazy("Done"),
    RecommendationStatus.NOT_FOR_ME: gettext_lazy("Not for me"),
}
# CSV column names stay English and stable: they are data for spreadsheets and scripts.
CSV_MEASURE_COLUMNS = {"use": "use_{unit}", "yen": "cost_jpy", "co2": "co2_kg"}


COST_PROBLEM_NOTES = {
    "tariff_missing": gettext_lazy(
        "Yen is not shown: no tariff is set for your premise for some of these days."
    ),
    "tariff_data_missing": gettext_lazy(
        "Yen is not shown for some months: the tariff's monthly adjustment is not entered yet."
    ),
    "tariff_misconfigured": gettext_lazy(
        "Yen is not shown: the tariff has a problem our staff have to fix."
    ),
    "hourly_use_missing": gettext_lazy(
        "Yen is not shown yet: a time-of-use plan is priced with your use by hour, which the "
        "nightly update adds."
    ),
    "emission_factor_missing": gettext_lazy(
        "CO2 is not shown for some days: the emission factor is not entered yet."
    ),
}


def cost_problem_notes(codes: list[str]) -> list[str]:
    """Why some yen or CO2 is missing, in words, once per reason."""
    notes = []
    for code in dict.fromkeys(codes):
        note = COST_PROBLEM_NOTES.get(
            code, gettext_lazy("Yen and CO2 are not shown for some days.")
        )
        if str(note) not in notes:
            notes.append(str(note))
    return notes


def meter_name(meter, *, meters: list) -> str:
    """The meter as its customer knows it: the commodity, and the serial when ``meters`` (the
    premise's) has another of that commodity."""
    name = str(COMMODITY_LABELS[meter.commodity])
    if sum(1 for other in meters if other.commodity == meter.commodity) > 1:
        return f"{name} {meter.serial}"
    return name


def measure_label(measure: str, commodity: str) -> str:
    if measure == "use":
        return Unit.of(commodity).label
    if measure == "yen":
        return _("yen")
    return _("kg CO2")


def measure_choices(commodity: str) -> list[tuple[str, str]]:
    return [(m, measure_label(m, commodity)) for m in ("use", "yen", "co2")]


def period_label(period: Period) -> str:
    if period.kind == "day":
        return formats.date_format(period.start, "DATE_FORMAT")
    if period.kind == "month":
        return formats.date_format(period.start, "YEAR_MONTH_FORMAT")
    return str(period.start.year)


def month_label(month: int) -> str:
    return capfirst(str(MONTHS_3[month]))


def value_text(value: float | None, measure: str, commodity: str, *, decimals: int = 1) -> str:
    """A number with its unit for the page, or a dash when there is none."""
    if value is None:
        return "—"
    if measure == "yen":
        return _("¥%(amount)s") % {"amount": formats.number_format(round(value), 0, True, True)}
    number = formats.number_format(round(value, decimals), decimals, True, True)
    return f"{number} {measure_label(measure, commodity)}"


# --- usage pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: list[str]


@dataclass(frozen=True)
class UsageTable:
    caption: str
    headers: list[str]
    rows: list[TableRow]


def usage_title(series: UsageSeries, measure: str) -> str:
    commodity = series.meter.commodity
    return _("%(commodity)s %(period)s (%(measure)s)") % {
        "commodity": COMMODITY_LABELS[commodity],
        "period": period_label(series.period),
        "measure": measure_label(measure, commodity),
    }


def _point_label(series: UsageSeries, start: datetime | date) -> str:
    if series.period.kind == "day":
        return f"{start:%H:%M}"
    if series.period.kind == "month":
        return formats.date_format(start, "MONTH_DAY_FORMAT")
    return month_label(start.month)


def usage_figure(series: UsageSeries, measure: str):
    commodity = series.meter.commodity
    values = [point_value(p, measure) for p in series.points]
    title = usage_title(series, measure)
    value_title = measure_label(measure, commodity)
    name = COMMODITY_LABELS[commodity]
    if series.period.kind == "day":
        return charts.day_figure(
            title=title,
            interval_minutes=series.meter.interval_minutes,
            time_title=_("Time (local)"),
            starts=[p.start for p in series.points],
            values=values,
            value_title=value_title,
            series_name=str(name),
        )
    if series.period.kind == "month":
        return charts.month_figure(
            title=title,
            days=[p.start for p in series.points],
            values=values,
            complete=[p.complete for p in series.points],
            value_title=value_title,
            series_name=str(name),
            temperatures=[p.temperature_c for p in series.points],
            temperature_title=_("Mean temperature (°C)"),
            day_title=_("Day of the month"),
        )
    year = series.period.start.year
    return charts.year_figure(
        title=title,
        month_labels=[month_label(p.start.month) for p in series.points],
        values=values,
        previous=[point_value(p, measure) for p in series.previous_year],
        complete=[p.complete for p in series.points],
        value_title=value_title,
        this_name=str(year),
        previous_name=str(year - 1),
    )


def usage_headers(series: UsageSeries, measure: str) -> list[str]:
    """The column headers of the chart's table and its CSV, in the reader's language."""
    value_header = measure_label(measure, series.meter.commodity)
    kind = series.period.kind
    if kind == "day":
        return [_("Time"), value_header]
    if kind == "month":
        return [_("Date"), value_header, _("Mean temperature (°C)")]
    year = series.period.start.year
    return [_("Month"), f"{year} ({value_header})", f"{year - 1} ({value_header})"]


def usage_table(series: UsageSeries, measure: str) -> UsageTable:
    """The chart's numbers as a table (for screen readers and anyone who prefers one)."""
    commodity = series.meter.commodity
    kind = series.period.kind
    decimals = {"day": 3, "month": 2, "year": 1}[kind]
    rows = []
    for index, point in enumerate(series.points):
        cells = [value_text(point_value(point, measure), measure, commodity, decimals=decimals)]
        if kind == "month":
            cells.append("—" if point.temperature_c is None else f"{point.temperature_c:.1f}")
        if kind == "year":
            previous = series.previous_year[index]
            cells.append(
                value_text(point_value(previous, measure), measure, commodity, decimals=decimals)
            )
        rows.append(TableRow(_point_label(series, point.start), cells))
    return UsageTable(
        caption=usage_title(series, measure),
        headers=usage_headers(series, measure),
        rows=rows,
    )


# Decimals in the CSV: whole yen (money); use and CO2 as the chart draws them, so the rows add
# up to the period's total.
CSV_DECIMALS = {"use": 6, "yen": 0, "co2": 6}
CSV_HEADERS = ("labels", "codes")


def _csv_number(value: float | None, decimals: int) -> str:
    return "" if value is None else f"{value:.{decimals}f}"


def usage_csv(series: UsageSeries, measure: str, *, header: str = "labels") -> str:
    """The chart's numbers as CSV: local period starts and the chosen measure (yen in whole
    yen). The header row is in the reader's language (``labels``), or
    the stable machine-readable names (``codes``: ``date``, ``use_kwh``, ``cost_jpy``, …) for
    a script that reads the file by column name."""
    column = CSV_MEASURE_COLUMNS[measure].format(unit=series.meter.unit.lower())
    decimals = CSV_DECIMALS[measure]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    kind = series.period.kind
    year = series.period.start.year
    codes = {
        "day": ["interval_start_local", column],
        "month": ["date", column, "temperature_mean_c"],
        "year": ["month", f"{column}_{year}", f"{column}_{year - 1}"],
    }[kind]
    writer.writerow(codes if header == "codes" else usage_headers(series, measure))
    if kind == "day":
        for p in series.points:
            writer.writerow([p.start.isoformat(), _csv_number(point_value(p, measure), decimals)])
    elif kind == "month":
        for p in series.points:
            writer.writerow(
                [
                    p.start.isoformat(),
                    _csv_number(point_value(p, measure), decimals),
                    _csv_number(p.temperature_c, 1),
                ]
            )
    else:
        for p, previous in zip(series.points, series.previous_year, strict=True):
            writer.writerow(
                [
                    f"{p.start:%m}",
                    _csv_number(point_value(p, measure), decimals),
                    _csv_number(point_value(previous, measure), decimals),
                ]
            )
    return out.getvalue()


def usage_csv_filename(series: UsageSeries, measure: str) -> str:
    return f"{series.meter.serial}_{series.period.kind}_{series.period.key}_{measure}.csv"


# --- recommendations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecommendationCard:
    recommendation: Recommendation
    title: str
    body: str
    kind_label: str
    basis_lines: list[str]
    headline: str  # the saving as framed for this customer (yen or kWh first)
    secondary: list[str]
    status_label: str
    measured: str | None  # measured savings after "done", when available
    actionable: bool  # something to do (a status and its buttons), not information


KIND_LABELS = {
    RecommendationKind.STANDBY: gettext_lazy("Standby power"),
    RecommendationKind.HEATING: gettext_lazy("Heating"),
    RecommendationKind.PEAK_SHIFT: gettext_lazy("Peak shift"),
    RecommendationKind.HIGH_USAGE: gettext_lazy("High usage"),
    RecommendationKind.SIMILAR_HOMES: gettext_lazy("Similar homes"),
    RecommendationKind.BILL_FORECAST: gettext_lazy("Bill forecast"),
}

BASIS_TEXT = {
    RecommendationKind.STANDBY: [
        gettext_lazy(
            "Your always-on use: %(own_watts)s W, %(own_kwh_per_day)s kWh a day (the smallest "
            "half hour of the day, on %(days_with_data)s days without heating or cooling)."
        ),
        gettext_lazy("That is %(always_on_share_percent)s %% of your electricity in a year."),
        gettext_lazy(
            "Similar homes (%(cohort)s), 25th percentile: %(cohort_watts)s W, "
            "%(cohort_kwh_per_day)s kWh a day."
        ),
        gettext_lazy(
            "Counted as devices you can switch off: %(reducible_percent)s %% of the "
            "difference (the fridge and ventilation stay on)."
        ),
    ],
    RecommendationKind.HEATING: [
        gettext_lazy(
            "Your heating: %(own_per_hdd)s %(unit)s per degree-day, %(own_per_hdd_100m2)s "
            "%(unit)s per 100 m² of floor."
        ),
        gettext_lazy(
            "Per 100 m² of floor, %(cohort)s: median %(cohort_per_hdd_100m2)s %(unit)s, middle "
            "half %(cohort_p25_per_hdd_100m2)s to %(cohort_p75_per_hdd_100m2)s %(unit)s."
        ),
        gettext_lazy(
            "A setpoint 1 °C lower, over the %(heating_days)s heating days of a normal year."
        ),
    ],
    RecommendationKind.PEAK_SHIFT: [
        # The band as the tariff names it, in the reader's language (a basis from before bands
        # had names in both languages leaves this line out until the nightly recomputation).
        gettext_lazy(
            "Use in your tariff's dearest band, %(peak_band)s (%(peak_hours)s): "
            "%(peak_use_per_year)s kWh a year."
        ),
        gettext_lazy(
            "Moving %(shift_percent)s %% of it to the cheapest hours, ¥%(price_difference_yen)s "
            "cheaper per kWh."
        ),
    ],
    RecommendationKind.HIGH_USAGE: [
        gettext_lazy(
            "Last %(days)s days: %(week_value)s %(unit)s; expected for that weather: "
            "%(expected_value)s %(unit)s."
        ),
    ],
    RecommendationKind.SIMILAR_HOMES: [
        gettext_lazy(
            "Your last year: %(own_value)s %(unit)s; efficient similar homes (%(cohort)s, the "
            "lowest 20 %%): %(efficient_value)s %(unit)s."
        ),
        gettext_lazy(
            "The cohort's median: %(median_value)s %(unit)s; the middle half: "
            "%(cohort_p25_value)s to %(cohort_p75_value)s %(unit)s."
        ),
        gettext_lazy("A comparison with similar homes, not a saving we can promise."),
    ],
    RecommendationKind.BILL_FORECAST: [
        gettext_lazy(
            "So far this month: %(to_date_value)s %(unit)s; the rest of the month at normal "
            "weather; in all about %(forecast_value)s %(unit)s."
        ),
    ],
}


def _basis_values(recommendation: Recommendation) -> dict[str, str]:
    values = recommendation_placeholder_values(recommendation=recommendation)
    basis = recommendation.basis or {}
    for name in ("days_with_data", "days", "heating_days"):
        if name in basis and name not in values:
            values[name] = str(basis[name])
    return values


CAP_WHOLE_LABELS = {
    "annual_use": gettext_lazy("annual use"),
    "heating_use": gettext_lazy("heating use"),
    "annual_bill": gettext_lazy("annual electricity bill"),
}

_NAMED = re.compile(r"%\((\w+)\)s")
# Placeholders that are not numbers from the basis (always available).
_NOT_FROM_BASIS = {"unit", "saving_value", "saving_yen", "saving_co2_kg", "confidence"}


def basis_lines(recommendation: Recommendation) -> list[str]:
    """How we estimated this: the numbers used, in the active language.

    A line is left out when the basis lacks any number it needs (older or partial bases).
    """
    values = _basis_values(recommendation)
    basis = recommendation.basis or {}
    lines = []
    for text in BASIS_TEXT.get(recommendation.kind, []):
        needed = set(_NAMED.findall(str(text))) - _NOT_FROM_BASIS
        if all(basis.get(name) is not None for name in needed):
            lines.append(str(text) % values)
    cap = (basis.get("plausibility") or {}).get("cap") or {}
    if cap.get("exceeded"):
        lines.append(
            _(
                "No saving is shown: the estimate came to %(claimed)s %% of your %(whole)s, "
                "beyond the %(cap)s %% that is plausible for this kind of advice."
            )
            % {
                # One decimal: 10.5 % must not read "10 %, beyond the 10 % cap".
                "claimed": formats.number_format(
                    round(100 * (cap.get("claimed_share") or 0), 1), 1
                ),
                "whole": CAP_WHOLE_LABELS.get(cap.get("of"), cap.get("of")),
                "cap": formats.number_format(100 * cap["share"], 0),
            }
        )
    unit = recommendation.get_unit_display()
    if basis.get("price_jpy_per_unit") is not None:
        lines.append(
            _("Price used: ¥%(price)s per %(unit)s (your tariff, this month).")
            % {
                "price": formats.number_format(round(basis["price_jpy_per_unit"], 2), 2),
                "unit": unit,
            }
        )
    elif recommendation.saving_jpy is None and recommendation.saving_per_year is not None:
        lines.append(_("No yen figure: no tariff price is available for your premise yet."))
    if basis.get("co2_kg_per_unit") is not None:
        lines.append(
            _("CO2: %(factor)s kg per %(unit)s (the supplier's emission factor).")
            % {"factor": formats.number_format(round(basis["co2_kg_per_unit"], 3), 3), "unit": unit}
        )
    lines.append(
        _("Confidence: %(confidence)s.")
        % {"confidence": CONFIDENCE_LABELS.get(recommendation.confidence, "")}
    )
    return lines


def _per_year(amount: float | None, text: str, **values) -> str | None:
    """``text`` with the amount, rounded; None when there is none or it rounds to nothing.

    A zero is not a saving to show: a peak shift moves use to cheaper hours, so it saves yen
    and no kWh (its ``saving_per_year`` is 0.0).
    """
    if amount is None or round(amount) == 0:
        return None
    return text % {"amount": formats.number_format(round(amount), 0, True, True), **values}


def recommendation_cards(
    recommendations: list[Recommendation], *, templates: dict, framing: str
) -> list[RecommendationCard]:
    return [
        recommendation_card(r, template=templates.get(r.kind), framing=framing)
        for r in recommendations
    ]


def recommendation_card(
    recommendation: Recommendation, *, template=None, framing: str
) -> RecommendationCard:
    """One recommendation as shown; ``framing`` "kwh" puts the energy first, "yen" the money.

    ``template``: its kind's wording, when the caller loaded them all at once.
    """
    rendered = recommendation_render(recommendation=recommendation, template=template)
    unit = recommendation.get_unit_display()
    yen = _per_year(recommendation.saving_jpy, _("¥%(amount)s a year"))
    energy = _per_year(recommendation.saving_per_year, _("%(amount)s %(unit)s a year"), unit=unit)
    co2 = _per_year(recommendation.saving_co2_kg, _("%(amount)s kg CO2 a year"))
    figures = [energy, yen] if framing == "kwh" else [yen, energy]
    figures = [f for f in [*figures, co2] if f]
    measured = None
    if (
        recommendation.status == RecommendationStatus.DONE
        and recommendation.measured_fractional_savings is not None
    ):
        fraction = recommendation.measured_fractional_savings
        values = {
            "percent": formats.number_format(round(100 * abs(fraction), 1), 1),
            "band": formats.number_format(
                round(100 * (recommendation.measured_fractional_savings_uncertainty or 0.0), 1), 1
            ),
        }
        if fraction >= 0:
            measured = _("Measured since you did it: %(percent)s %% less (± %(band)s %%).") % values
        else:
            measured = _("Measured since you did it: %(percent)s %% more (± %(band)s %%).") % values
    elif recommendation.status == RecommendationStatus.DONE:
        measured = _("We will measure your savings once 30 days of data have arrived.")
    return RecommendationCard(
        recommendation=recommendation,
        title=rendered.title,
        body=rendered.body,
        kind_label=str(KIND_LABELS.get(recommendation.kind, recommendation.kind)),
        basis_lines=basis_lines(recommendation),
        headline=figures[0] if figures else "",
        secondary=figures[1:],
        status_label=str(STATUS_LABELS.get(recommendation.status, recommendation.status)),
        measured=measured,
        actionable=recommendation.kind in ACTION_KINDS,
    )


# --- home: this month so far --------------------------------------------------------------------


@dataclass(frozen=True)
class MonthSoFarView:
    heading: str
    rows: list[TableRow]
    notes: list[str]


def _change_text(now: float, before: float) -> str:
    if before <= 0:
        return "—"
    change = 100.0 * (now - before) / before
    return _("%(change)s %%") % {"change": f"{change:+.0f}"}


def month_so_far_view(month, *, today: date, meters: list) -> MonthSoFarView:
    """This month's figures against the same days of last month and last year, as words.

    ``meters``: all the premise's meters, so the heading can tell two of a kind apart.
    """
    commodity = month.meter.commodity
    heading = _("%(meter)s: this month so far") % {"meter": meter_name(month.meter, meters=meters)}
    if month.this is None:
        return MonthSoFarView(
            heading, [], [_("No complete day this month yet: figures appear from tomorrow.")]
        )
    rows = []
    first, last = month.this.start, month.this.end
    dates = {
        "first": formats.date_format(first, "MONTH_DAY_FORMAT"),
        "last": formats.date_format(last, "MONTH_DAY_FORMAT"),
        "days": month.days,
    }
    if month.days == (last - first).days + 1:
        notes = [_("Days %(first)s to %(last)s, compared with the same days earlier.") % dates]
    else:
        notes = [
            _(
                "The %(days)s complete days between %(first)s and %(last)s, compared with the "
                "same days earlier."
            )
            % dates
        ]
    for label, figures in (
        (_("This month"), month.this),
        (_("Last month"), month.last_month),
        (_("Last year"), month.last_year),
    ):
        if figures is None:
            rows.append(TableRow(label, ["—", "—", "—", "—", _("no data")]))
            continue
        rows.append(
            TableRow(
                label,
                [
                    value_text(figures.use, "use", commodity),
                    value_text(figures.cost_jpy, "yen", commodity),
                    value_text(figures.co2_kg, "co2", commodity),
                    "—"
                    if figures.temperature_c is None
                    else _("%(degrees)s °C") % {"degrees": f"{figures.temperature_c:.1f}"},
                    "" if figures is month.this else _change_text(month.this.use, figures.use),
                ],
            )
        )
    for label, figures in ((_("last month"), month.last_month), (_("last year"), month.last_year)):
        if figures is None or figures.temperature_c is None or month.this.temperature_c is None:
            continue
        difference = month.this.temperature_c - figures.temperature_c
        if abs(difference) < 0.5:
            notes.append(_("About as warm as %(when)s.") % {"when": label})
        elif difference > 0:
            notes.append(
                _("%(degrees)s °C warmer on average than %(when)s.")
                % {"degrees": f"{difference:.1f}", "when": label}
            )
        else:
            notes.append(
                _("%(degrees)s °C colder on average than %(when)s.")
                % {"degrees": f"{-difference:.1f}", "when": label}
            )
    notes.extend(cost_problem_notes(month.cost_problems))
    return MonthSoFarView(heading, rows, notes)


MONTH_SO_FAR_HEADERS = [
    gettext_lazy("Period"),
    gettext_lazy("Use"),
    gettext_lazy("Cost"),
    gettext_lazy("CO2"),
    gettext_lazy("Mean temperature"),
    # This month's use against the row's: "Change" alone read as the row's own change (and
    # found the admin's 変更, "edit", first).
    gettext_lazy("This month's change"),
]


@dataclass(frozen=True)
class HomeCards:
    alerts: list[RecommendationCard]
    forecasts: list[RecommendationCard]
    similar: list[RecommendationCard]
    top: list[RecommendationCard]  # the three most valuable savings still open


def home_cards(cards: list[RecommendationCard]) -> HomeCards:
    """Cards (most valuable first) sorted into the home page's places."""
    closed = {RecommendationStatus.DONE, RecommendationStatus.NOT_FOR_ME}
    return HomeCards(
        alerts=[c for c in cards if c.recommendation.is_alert],
        forecasts=[c for c in cards if c.recommendation.kind == RecommendationKind.BILL_FORECAST],
        similar=[c for c in cards if c.recommendation.kind == RecommendationKind.SIMILAR_HOMES],
        top=[c for c in cards if c.actionable and c.recommendation.status not in closed][:3],
    )


def month_so_far_figure(month, *, meters: list) -> dict | None:
    """Bars of this month so far, last month and last year on the same days (use)."""
    if month.this is None:
        return None
    rows = [
        (_("This month"), month.this),
        (_("Last month"), month.last_month),
        (_("Last year"), month.last_year),
    ]
    return charts.comparison_figure(
        title=ngettext(
            "%(meter)s, the same %(days)d day", "%(meter)s, the same %(days)d days", month.days
        )
        % {"meter": meter_name(month.meter, meters=meters), "days": month.days},
        labels=[str(label) for label, _figures in rows],
        values=[figures.use if figures else None for _label, figures in rows],
        value_title=month.unit,
    )


# --- campaigns ----------------------------------------------------------------------------------


def yoy_progress_text(progress) -> str | None:
    """This month's use so far against the same days last year, in words: less, more or about
    the same, with the percentage always positive (None: nothing to compare yet).

    ``progress``: a ``CampaignProgress`` (energy.campaigns.portal).
    """
    if progress.saving_percent is None:
        return None
    saving_percent = round(progress.saving_percent, 1)  # as shown: 0.04 % is "about the same"
    values = {
        "days": progress.days,
        "percent": formats.number_format(round(abs(saving_percent), 1), 1),
    }
    if saving_percent > 0:
        text = ngettext(
            "This month so far (%(days)s day): %(percent)s %% less than the same day last year.",
            "This month so far (%(days)s days): %(percent)s %% less than the same days last year.",
            progress.days,
        )
    elif saving_percent < 0:
        text = ngettext(
            "This month so far (%(days)s day): %(percent)s %% more than the same day last year.",
            "This month so far (%(days)s days): %(percent)s %% more than the same days last year.",
            progress.days,
        )
    else:
        text = ngettext(
            "This month so far (%(days)s day): about as much as the same day last year.",
            "This month so far (%(days)s days): about as much as the same days last year.",
            progress.days,
        )
    return text % values


# --- bill history -----------------------------------------------------------------------------


def bills_view(periods: list, meter) -> dict:
    """A meter's billing periods as the bill history page shows them: a chart of use per day
    and a table (period, days, use, per day, cost), newest first in the table."""
    commodity = meter.commodity
    unit = measure_label("use", commodity)
    title = _("%(commodity)s: use per day in each billing period") % {
        "commodity": COMMODITY_LABELS[commodity]
    }
    figure = None
    if periods:
        figure = charts.bills_figure(
            title=title,
            starts=[p.start for p in periods],
            ends=[p.end for p in periods],
            per_day=[p.usage / p.days for p in periods],
            estimated=[p.estimated for p in periods],
            value_title=_("%(unit)s per day") % {"unit": unit},
            name=str(COMMODITY_LABELS[commodity]),
        )
    headers = [_("Days"), _("Use"), _("Per day"), _("Cost")]
    rows = [
        TableRow(
            label=_("%(start)s to %(end)s")
            % {
                "start": formats.date_format(p.start, "SHORT_DATE_FORMAT"),
                "end": formats.date_format(p.end, "SHORT_DATE_FORMAT"),
            }
            + (" " + str(_("(estimated)")) if p.estimated else ""),
            cells=[
                formats.number_format(p.days, 0),
                value_text(p.usage, "use", commodity),
                value_text(p.usage / p.days, "use", commodity, decimals=2),
                value_text(p.cost_jpy, "yen", commodity),
            ],
        )
        for p in reversed(periods)
    ]
    return {
        "title": title,
        "figure": figure,
        "table": UsageTable(caption=title, headers=headers, rows=rows),
        "any_estimated": any(p.estimated for p in periods),
    }

"""Measure an intervention's savings from usage and temperature CSV files, without a database."""

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import ShoeneError, ValidationFailed
from energy.savings.caltrack import DataInsufficient
from energy.savings.files import METHODS, FilesMeasurement, savings_measure_files
from energy.savings.mv import MeasuredSavings

MODEL_KINDS = {
    "intercept_only": gettext_lazy("intercept only (no weather dependence)"),
    "hdd_only": gettext_lazy("heating degree days"),
    "cdd_only": gettext_lazy("cooling degree days"),
    "hdd_cdd": gettext_lazy("heating and cooling degree days"),
}


class Command(BaseCommand):
    help = gettext_lazy(
        "Measure avoided energy use after an intervention by a CalTRACK method from a usage "
        "CSV (date,value or ts,value readings; start,end,value bills) and a temperature CSV "
        "(date,temperature or ts,temperature). Needs no database."
    )
    # Analysts run this on a laptop with no database configured: no checks, no ORM.
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse formats its texts with re and textwrap, which need str: the lazy help is
        # made text here, in the language active when the command runs.
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument("--usage", type=Path, required=True, help=_("usage CSV file"))
        parser.add_argument(
            "--temperature", type=Path, required=True, help=_("temperature CSV file")
        )
        parser.add_argument(
            "--intervention",
            required=True,
            help=_("first day after the change, YYYY-MM-DD (local day)"),
        )
        parser.add_argument(
            "--reporting-end",
            default=None,
            help=_("last day of the reporting period (default: the end of the data)"),
        )
        parser.add_argument(
            "--method",
            choices=METHODS,
            default=None,
            help=_(
                "daily (daily or interval use), billing (start,end,value bills) or hourly "
                "(interval use and hourly temperatures; electricity). Default: billing for a "
                "bill file, daily otherwise"
            ),
        )
        parser.add_argument(
            "--commodity",
            default="electricity",
            help=_("electricity (kWh, default) or gas (m³; no cooling models)"),
        )
        parser.add_argument(
            "--temperature-unit",
            default="C",
            help=_("unit of the temperature file: C (default) or F"),
        )
        parser.add_argument(
            "--time-zone",
            default=None,
            help=_(
                "IANA zone of the local days, e.g. America/New_York (default: each timestamp's "
                "own UTC offset; timestamps without one are read in Asia/Tokyo)"
            ),
        )
        parser.add_argument("--json", action="store_true", help=_("print one JSON object instead"))

    def handle(self, *args, **options) -> None:
        try:
            measurement = self._measure(options)
        except DataInsufficient as exc:  # before ShoeneError, its base class
            reasons = "\n".join(f"  - {reason}" for reason in exc.reasons)
            raise CommandError(
                _("Not enough data to measure savings:") + "\n" + reasons, returncode=2
            ) from exc
        except ShoeneError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if options["json"]:
            payload = _json_ready(measurement.as_dict())
            self.stdout.write(json.dumps(payload, ensure_ascii=False, allow_nan=False))
        else:
            self.stdout.write(savings_report(result=measurement.result, inputs=measurement.inputs))

    def _measure(self, options: dict[str, Any]) -> FilesMeasurement:
        intervention = _date_option(options["intervention"], "--intervention")
        reporting_end = (
            _date_option(options["reporting_end"], "--reporting-end")
            if options["reporting_end"]
            else None
        )
        if reporting_end is not None and reporting_end < intervention:
            raise ValidationFailed(
                _("--reporting-end %(end)s is before the intervention %(intervention)s.")
                % {"end": reporting_end.isoformat(), "intervention": intervention.isoformat()}
            )
        return savings_measure_files(
            usage_path=options["usage"],
            temperature_path=options["temperature"],
            intervention=intervention,
            reporting_end=reporting_end,
            commodity=options["commodity"],
            temperature_unit=options["temperature_unit"],
            time_zone=options["time_zone"],
            method=options["method"],
        )


def savings_report(*, result, inputs: dict[str, Any]) -> str:
    """The human-readable report: what was read, the model and its fit, the savings."""
    method = inputs.get("method", "daily")
    model_lines = {
        "daily": _daily_model_lines,
        "billing": _billing_model_lines,
        "hourly": _hourly_model_lines,
    }[method](result=result, inputs=inputs)
    return "\n".join(
        [
            *_input_lines(method, inputs),
            "",
            *model_lines,
            "",
            *_reporting_lines(method, result=result, inputs=inputs),
            *_savings_lines(result=result, unit=inputs["usage_unit"]),
            *_notes_lines(result),
        ]
    )


def _input_lines(method: str, inputs: dict[str, Any]) -> list[str]:
    if method == "billing":
        usage = (
            _("Bills: %(file)s, %(periods)d billing periods (%(first)s to %(last)s)")
            % inputs["usage"]
        )
        if inputs["usage"]["ends_are_read_days"]:
            usage += _("; each end was the next period's first day, read as the day before")
    elif method == "hourly":
        usage = (
            _("Usage: %(file)s, %(hours)d hours (%(first)s to %(last)s), %(hours_missing)d missing")
            % inputs["usage"]
        )
    else:
        usage = (
            _("Usage: %(file)s, %(days)d days (%(first)s to %(last)s), %(days_missing)d missing")
            % inputs["usage"]
        )
    if method == "hourly":
        temperature = (
            _(
                "Temperature: %(file)s, %(hours)d hours (%(first)s to %(last)s), "
                "%(hours_missing)d missing"
            )
            % inputs["temperature"]
        )
    else:
        temperature = (
            _(
                "Temperature: %(file)s, %(days)d days (%(first)s to %(last)s), %(days_missing)d "
                "missing"
            )
            % inputs["temperature"]
        )
    return [usage, temperature]


def _degree_day_model_lines(model, unit: str) -> list[str]:
    lines = [
        _("Baseline model: %(kind)s") % {"kind": MODEL_KINDS.get(model.kind, model.kind)},
        "  " + _("base use: %(value).3f %(unit)s/day") % {"value": model.intercept, "unit": unit},
    ]
    if model.heating_balance_c is not None:
        lines.append(
            "  "
            + _("heating: %(beta).4f %(unit)s per °C·day below %(balance).1f °C")
            % {"beta": model.beta_hdd, "unit": unit, "balance": model.heating_balance_c}
        )
    if model.cooling_balance_c is not None:
        lines.append(
            "  "
            + _("cooling: %(beta).4f %(unit)s per °C·day above %(balance).1f °C")
            % {"beta": model.beta_cdd, "unit": unit, "balance": model.cooling_balance_c}
        )
    return lines


def _fit_figures(model) -> dict[str, float]:
    return {
        "r2": model.r_squared,
        "cvrmse": 100 * model.cvrmse,
        "nmbe": 100 * model.nmbe,
    }


def _daily_model_lines(*, result: MeasuredSavings, inputs: dict[str, Any]) -> list[str]:
    model = result.model
    return [
        *_degree_day_model_lines(model, inputs["usage_unit"]),
        _(
            "Fit over %(days)d baseline days (%(start)s to %(end)s): R² %(r2).3f, "
            "adjusted R² %(adj_r2).3f, CV(RMSE) %(cvrmse).1f %%, NMBE %(nmbe).2f %%"
        )
        % {
            "days": model.n_days,
            "start": result.baseline_start.isoformat(),
            "end": result.baseline_end.isoformat(),
            "adj_r2": model.adj_r_squared,
            **_fit_figures(model),
        },
    ]


def _billing_model_lines(*, result, inputs: dict[str, Any]) -> list[str]:
    model = result.model
    return [
        *_degree_day_model_lines(model, inputs["usage_unit"]),
        _(
            "Fit over %(periods)d baseline bills, %(days)d days (%(start)s to %(end)s), weighted "
            "by their days: R² %(r2).3f, adjusted R² %(adj_r2).3f, CV(RMSE) %(cvrmse).1f %%, "
            "NMBE %(nmbe).2f %%"
        )
        % {
            "periods": model.n_periods,
            "days": model.n_days,
            "start": result.baseline_start.isoformat(),
            "end": result.baseline_end.isoformat(),
            "adj_r2": model.adj_r_squared,
            **_fit_figures(model),
        },
    ]


def _hourly_model_lines(*, result, inputs: dict[str, Any]) -> list[str]:
    model = result.model
    return [
        _(
            "Baseline model: time of week and temperature, one per calendar month (CalTRACK "
            "hourly), on the clock of %(zone)s"
        )
        % {"zone": inputs["time_zone"]},
        _(
            "Fit over %(hours)d baseline hours (%(start)s to %(end)s): R² %(r2).3f, "
            "CV(RMSE) %(cvrmse).1f %%, NMBE %(nmbe).2f %%"
        )
        % {
            "hours": model.n_hours,
            "start": result.baseline_start.isoformat(),
            "end": result.baseline_end.isoformat(),
            **_fit_figures(model),
        },
    ]


def _reporting_lines(method: str, *, result, inputs: dict[str, Any]) -> list[str]:
    period = {"start": result.reporting_start.isoformat(), "end": result.reporting_end.isoformat()}
    if method == "billing":
        return [
            _("Reporting period: %(start)s to %(end)s, %(periods)d whole bills (%(days)d days)")
            % {**period, "periods": result.reporting_periods, "days": result.reporting_days}
        ]
    if method == "hourly":
        return [
            _("Reporting period: %(start)s to %(end)s, %(hours)d hours with usage and temperature")
            % {**period, "hours": result.reporting_hours}
        ]
    return [
        _("Reporting period: %(start)s to %(end)s, %(days)d days with usage and temperature")
        % {**period, "days": result.reporting_days}
    ]


def _savings_lines(*, result, unit: str) -> list[str]:
    fraction = result.fractional_savings
    fsu = result.fractional_savings_uncertainty
    return [
        "  "
        + _("predicted (baseline): %(value).1f %(unit)s")
        % {"value": result.predicted, "unit": unit},
        "  " + _("observed: %(value).1f %(unit)s") % {"value": result.observed, "unit": unit},
        "  "
        + _("avoided: %(value).1f ± %(uncertainty).1f %(unit)s (90 %% confidence)")
        % {"value": result.avoided, "uncertainty": result.avoided_uncertainty, "unit": unit},
        "  "
        + _(
            "fractional savings: %(fraction).1f %% ± %(points).1f points (90 %% confidence; "
            "fractional savings uncertainty %(fsu)s)"
        )
        % {
            "fraction": 100 * fraction if math.isfinite(fraction) else math.nan,
            # The same interval as the avoided use's, relative to the predicted use.
            "points": 100 * result.avoided_uncertainty / result.predicted
            if result.predicted > 0
            else math.nan,
            "fsu": f"{100 * fsu:.0f} %"
            if math.isfinite(fsu)
            else _("undefined, nothing was saved"),
        },
    ]


def _notes_lines(result) -> list[str]:
    notes = list(getattr(result, "notes", ()))
    if not notes:
        return []
    return ["", _("Notes:")] + [f"  - {note}" for note in notes]


# Dates a meter's data can have (the API's bounds): the engine counts a year back from them.
EARLIEST_DATE = date(1971, 1, 1)
LATEST_DATE = date(9998, 12, 31)


def _date_option(raw: str, option: str) -> date:
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(
            _("%(option)s %(raw)r is not a date; use YYYY-MM-DD.") % {"option": option, "raw": raw}
        ) from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationFailed(
            _("%(option)s %(raw)s is not between %(first)s and %(last)s.")
            % {"option": option, "raw": raw, "first": EARLIEST_DATE, "last": LATEST_DATE}
        )
    return day


def _json_ready(value: Any) -> Any:
    """NaN and infinities as null (JSON has neither), dates as ISO text."""
    if isinstance(value, dict):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _json_ready(value.item())
    return value

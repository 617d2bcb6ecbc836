"""CalTRACK hourly method: the time-of-week and temperature (TOWT) model, for electricity.

Follows CalTRACK 2.0 (openeemeter/caltrack ``docs/methods.rst``), the hourly sections, with the
details the text leaves open taken from the eemeter reference implementation
(``opendsm/eemeter/models/hourly_caltrack``, ``common/features.py``):

- 2.2.1.2: no minimum baseline length, but over 90 % of the hours of every calendar month must
  have usage; each month's model also uses its neighbours, so all twelve must qualify. We count
  an hour when it has usage and temperature; zero electricity counts as missing (2.2.1.4);
  negative use is refused (2.3.5); a baseline is at most the 365 days before the intervention.
- 2.2.4.1: temperature gaps of up to six hours are interpolated linearly; a longer gap in the
  baseline disqualifies it (in the reporting period its hours are skipped).
- 3.7.5: one model per calendar month, fitted by weighted least squares to that month of the
  baseline (weight 1) and the months before and after it (weight 0.5). The text's options of
  one model for the whole year (3.7.5.1, 3.7.5.2) are not used.
- 3.8: occupancy. A WLS model usage ~ 1 + HDH(50 °F) + CDH(65 °F) is fitted to the segment; an
  hour of the week (168, Monday 00:00 local first) is occupied when more than 65 % of its
  residuals are positive.
- 3.9: temperature bins with endpoints 30, 45, 55, 65, 75, 90 °F, merged for each segment and
  occupancy state until every bin has at least 20 hours: a short first bin loses its upper
  endpoint, a short last bin its lower one, and only then a short middle bin its upper one.
- 3.10, 3.11: usage per hour ~ 168 time-of-week indicators (no intercept) + the bin features
  times the occupancy indicator + the bin features times its complement. Occupancy is a function
  of the hour of week, so the text's occupied and unoccupied time-of-week coefficients are one
  coefficient per hour of week.
- 4.3.2.4: FSU by ASHRAE Guideline 14 over hours, with Sun and Baltazar's daily coefficients
  (the text has none for hourly data; eemeter uses the daily ones too).

We compute in °C: the endpoints are the °F ones converted, which changes no prediction. The
hour of week and the month are local time in the premise's zone: a 23- or 25-hour day keeps the
schedule in step with the clock.

Fit metrics are ASHRAE Guideline 14's, as in ``caltrack.py``, over the baseline hours each
predicted by its own month's model. The model's number of parameters c is its effective one:
the sum of the baseline hours' leverages in their own month's fit (about half of the 12 × ~180
coefficients, as each is also fitted to the neighbouring months at half weight).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np

from energy.savings.caltrack import BASELINE_DAYS, ELECTRICITY, GAS, DataInsufficient, usable_days
from energy.savings.mv import (
    CONFIDENCE,
    DAYS_PER_MONTH,
    MIN_REPORTING_DAYS,
    SUN_BALTAZAR_DAILY,
    finite_or_none,
    savings_figures,
    savings_uncertainty_relative,
)

HOURS_PER_WEEK = 168
MONTHS = 12
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MIN_MONTH_COVERAGE = 0.9  # CalTRACK 2.2.1.2: "over 90% of hours" of each calendar month
MAX_INTERPOLATED_TEMPERATURE_HOURS = 6  # CalTRACK 2.2.4.1
NEIGHBOUR_MONTH_WEIGHT = 0.5  # CalTRACK 3.7.5
OCCUPANCY_THRESHOLD = 0.65  # CalTRACK 3.8.4: share of positive residuals above it = occupied
OCCUPANCY_HEATING_BALANCE_C = (50.0 - 32.0) * 5.0 / 9.0  # CalTRACK 3.8.3: HDH at 50 °F
OCCUPANCY_COOLING_BALANCE_C = (65.0 - 32.0) * 5.0 / 9.0  # CalTRACK 3.8.3: CDH at 65 °F
# CalTRACK 3.9.1.1: 30, 45, 55, 65, 75 and 90 °F.
BIN_ENDPOINTS_C = tuple(
    (value_f - 32.0) * 5.0 / 9.0 for value_f in (30.0, 45.0, 55.0, 65.0, 75.0, 90.0)
)
MIN_BIN_HOURS = 20  # CalTRACK 3.9.1.2
MIN_REPORTING_HOURS = MIN_REPORTING_DAYS * 24  # our policy, as for the daily method
# FSU multiplier a*M^2 + b*M + d (CalTRACK 4.3.2.4.6). The text gives Sun and Baltazar's
# coefficients for billing and daily data only; like eemeter, we use the daily ones for hourly.
SUN_BALTAZAR_HOURLY = SUN_BALTAZAR_DAILY
_RCOND = 1e-12  # eigenvalues of X'WX below this share of the largest count as zero


@dataclass(frozen=True)
class _LocalHours:
    """Each UTC hour's local calendar: hour of week (0 = Monday 00:00), month, date."""

    hour_of_week: np.ndarray
    month: np.ndarray
    date: np.ndarray  # datetime64[D]


def _local_hours(hours: np.ndarray, zone: tzinfo) -> _LocalHours:
    seconds = hours.astype("datetime64[s]").astype(np.int64)
    # One zoneinfo lookup per hour: about 1 µs each, 9 ms for a year.
    offsets = np.fromiter(
        (datetime.fromtimestamp(s, zone).utcoffset().total_seconds() for s in seconds.tolist()),
        dtype=np.int64,
        count=len(seconds),
    )
    local = (seconds + offsets).astype("datetime64[s]")
    days = local.astype("datetime64[D]")
    day_of_week = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    hour_of_day = (local - days).astype("timedelta64[h]").astype(np.int64)
    month = local.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return _LocalHours(hour_of_week=day_of_week * 24 + hour_of_day, month=month, date=days)


def hour_of_week(*, hours: np.ndarray, zone: tzinfo) -> np.ndarray:
    """Local hour of week of each UTC hour: 0 is Monday 00:00-01:00 (CalTRACK 3.8.2)."""
    return _local_hours(np.asarray(hours, dtype="datetime64[s]"), zone).hour_of_week


def _missing_runs(missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each run of True."""
    padded = np.concatenate([[False], missing, [False]]).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    starts, ends = change[::2], change[1::2]
    return starts, ends - starts


def temperature_interpolated(temperature_c: np.ndarray) -> np.ndarray:
    """Gaps of at most six hours between known values filled linearly (CalTRACK 2.2.4.1)."""
    temperature_c = np.asarray(temperature_c, dtype=float)
    missing = ~np.isfinite(temperature_c)
    if not missing.any() or missing.all():
        return temperature_c.copy()
    index = np.arange(len(temperature_c))
    filled = np.interp(index, index[~missing], temperature_c[~missing])
    starts, lengths = _missing_runs(missing)
    for start, length in zip(starts, lengths, strict=True):
        if start == 0 or start + length == len(temperature_c):
            filled[start : start + length] = np.nan  # no value on one side: not interpolated
        elif length > MAX_INTERPOLATED_TEMPERATURE_HOURS:
            filled[start : start + length] = np.nan
    return filled


def _check_series(hours: np.ndarray, usage: np.ndarray, temperature_c: np.ndarray) -> None:
    if not (hours.ndim == usage.ndim == temperature_c.ndim == 1):
        raise ValueError("hours, usage and temperature_c must be 1-D arrays")
    if not (len(hours) == len(usage) == len(temperature_c)):
        raise ValueError("hours, usage and temperature_c must have the same length")
    if len(hours) and np.any(np.diff(hours) != np.timedelta64(3600, "s")):
        raise ValueError("hours must be consecutive UTC hours (the start of each hour)")


def _commodity_reasons(commodity: str) -> list[str]:
    if commodity == GAS:
        return [
            "the CalTRACK hourly method (3.7, the time-of-week and temperature model of "
            "Mathieu et al. 2011) models electric load; measure gas savings with the daily "
            "method (energy/savings/mv.py)"
        ]
    if commodity != ELECTRICITY:
        return [f"unknown commodity {commodity!r}: the hourly method is for electricity"]
    return []


def _baseline_reasons(
    *, local: _LocalHours, usage: np.ndarray, temperature_c: np.ndarray, hours: np.ndarray
) -> list[str]:
    """Why these hours (temperature already interpolated) cannot be an hourly baseline."""
    reasons = []
    days = len(np.unique(local.date))
    if days > BASELINE_DAYS:
        reasons.append(
            f"the baseline spans {days} days; the hourly models use the {BASELINE_DAYS} days "
            "before the intervention (3.7.5), no more (2.2.5)"
        )
    starts, lengths = _missing_runs(~np.isfinite(temperature_c))
    long_gaps = lengths > MAX_INTERPOLATED_TEMPERATURE_HOURS
    if long_gaps.any():
        longest = int(np.argmax(lengths))
        start = hours[starts[longest]].astype(datetime).replace(tzinfo=UTC)
        reasons.append(
            f"the temperature is missing for {int(lengths[longest])} consecutive hours from "
            f"{start:%Y-%m-%d %H:%M} UTC ({int(long_gaps.sum())} gap(s) longer than "
            f"{MAX_INTERPOLATED_TEMPERATURE_HOURS} hours); CalTRACK 2.2.4.1 allows at most "
            f"{MAX_INTERPOLATED_TEMPERATURE_HOURS}, which are interpolated"
        )
    usable = usable_days(usage=usage, temperature_c=temperature_c, commodity=ELECTRICITY)
    has_usage = usable_days(usage=usage, temperature_c=np.zeros(len(usage)), commodity=ELECTRICITY)
    in_month = np.bincount(local.month, minlength=MONTHS + 1)[1:]
    absent = [MONTH_NAMES[m] for m in range(MONTHS) if in_month[m] == 0]
    if absent:
        reasons.append(
            f"the baseline has no hours in {', '.join(absent)}: each calendar month's model "
            "is fitted to that month and its neighbours, each with over 90 % of its hours "
            "(2.2.1.2, 3.7.5)"
        )
    usable_in_month = np.bincount(local.month[usable], minlength=MONTHS + 1)[1:]
    no_usage = np.bincount(local.month[~has_usage], minlength=MONTHS + 1)[1:]
    for m in range(MONTHS):
        if in_month[m] and usable_in_month[m] <= MIN_MONTH_COVERAGE * in_month[m]:
            reasons.append(
                f"{MONTH_NAMES[m]}: {usable_in_month[m]} of the baseline's {in_month[m]} hours "
                f"({100 * usable_in_month[m] / in_month[m]:.1f} %) have usage and temperature "
                f"({no_usage[m]} lack usage or have zero); CalTRACK 2.2.1.2 needs over 90 % "
                "in every calendar month"
            )
    negative = int((usage[usable] < 0).sum())
    if negative:
        reasons.append(
            f"the baseline has negative usage in {negative} hours (net metering?); CalTRACK "
            "flags it (2.3.5) and excludes sites with net metering (2.2.6)"
        )
    return reasons


def _bin_endpoints(temperature_c: np.ndarray) -> tuple[float, ...]:
    """CalTRACK 3.9.1.2: merge bins until each has at least 20 hours, from the outside in."""
    endpoints = list(BIN_ENDPOINTS_C)
    while endpoints:
        counts = np.bincount(
            np.searchsorted(endpoints, temperature_c, side="left"), minlength=len(endpoints) + 1
        )
        drop = set()
        if counts[0] < MIN_BIN_HOURS:
            drop.add(endpoints[0])
        if counts[-1] < MIN_BIN_HOURS:
            drop.add(endpoints[-1])
        if not drop:
            drop = {endpoints[i] for i in range(1, len(endpoints)) if counts[i] < MIN_BIN_HOURS}
        if not drop:
            break
        endpoints = [e for e in endpoints if e not in drop]
    return tuple(endpoints)


def _bin_features(temperature_c: np.ndarray, endpoints: tuple[float, ...]) -> np.ndarray:
    """CalTRACK 3.9.1.3-5: the temperature split into the bins' parts (they sum to it)."""
    lower = np.array((-np.inf, *endpoints))
    upper = np.array((*endpoints, np.inf))
    clipped = np.clip(temperature_c[:, None], lower, upper)
    return clipped - np.where(np.isfinite(lower), lower, 0.0)


def _weighted_lstsq(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares of a few columns: coefficients and each row's leverage.

    By the normal equations' eigendecomposition (a pseudo-inverse, so a column that the
    others explain gets no weight): for at most 14 columns this is exact enough and stays out
    of multithreaded BLAS, whose threads on a busy machine cost up to 0.5 s per fit.
    """
    xw = x * weight[:, None]
    gram = np.einsum("ij,ik->jk", xw, x)
    values, vectors = np.linalg.eigh(gram)
    keep = values > _RCOND * values.max() if len(values) else values > 0
    inverse = (vectors[:, keep] / values[keep]) @ vectors[:, keep].T
    coefficients = inverse @ np.einsum("ij,i->j", xw, y)
    leverage = np.einsum("ij,jk,ik->i", xw, inverse, x)
    return coefficients, leverage


def _towt_wls(
    *, tow: np.ndarray, features: np.ndarray, y: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WLS of y on 168 hour-of-week indicators and the temperature features.

    The indicators are absorbed by centring y and the features on their weighted mean in
    each hour of week (Frisch-Waugh-Lovell), leaving a problem of at most 14 columns; a
    year of hourly data then fits in milliseconds instead of an SVD of 2,000 x 180 per month.
    Returns each hour of week's coefficient (NaN without hours), the features' coefficients
    and each row's leverage.
    """
    total = np.bincount(tow, weights=weight, minlength=HOURS_PER_WEEK)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_y = np.bincount(tow, weights=weight * y, minlength=HOURS_PER_WEEK) / total
        mean_features = np.column_stack(
            [
                np.bincount(tow, weights=weight * column, minlength=HOURS_PER_WEEK) / total
                for column in features.T
            ]
        )
    coefficients, leverage = _weighted_lstsq(features - mean_features[tow], y - mean_y[tow], weight)
    base = mean_y - mean_features @ coefficients
    return base, coefficients, leverage + weight / total[tow]


@dataclass(frozen=True)
class HourlySegment:
    """One calendar month's TOWT model (CalTRACK 3.7.5-3.11)."""

    month: int  # 1-12
    occupied: tuple[bool, ...]  # per hour of week
    hour_of_week_kwh: tuple[float, ...]  # per hour of week; NaN where the segment had no hour
    occupied_endpoints_c: tuple[float, ...]
    unoccupied_endpoints_c: tuple[float, ...]
    occupied_slopes: tuple[float, ...]  # kWh per hour per °C, one per bin
    unoccupied_slopes: tuple[float, ...]
    n_hours: int  # hours of the month itself (weight 1)
    n_hours_neighbours: int  # hours of the months before and after (weight 0.5)
    n_coefficients: int

    def predict(self, *, hour_of_week: np.ndarray, temperature_c: np.ndarray) -> np.ndarray:
        """kWh per hour at these local hours of week and temperatures (NaN where unknown)."""
        occupied = np.asarray(self.occupied)[hour_of_week]
        prediction = np.asarray(self.hour_of_week_kwh)[hour_of_week]
        for state, endpoints, slopes in (
            (occupied, self.occupied_endpoints_c, self.occupied_slopes),
            (~occupied, self.unoccupied_endpoints_c, self.unoccupied_slopes),
        ):
            if state.any():
                response = _bin_features(temperature_c[state], endpoints) @ np.asarray(slopes)
                prediction[state] = prediction[state] + response
        return np.where(np.isfinite(temperature_c), prediction, np.nan)

    def slope_kwh_per_c(self, *, occupied: bool, temperature_c: float) -> float:
        """The temperature coefficient of the bin holding this temperature."""
        endpoints = self.occupied_endpoints_c if occupied else self.unoccupied_endpoints_c
        slopes = self.occupied_slopes if occupied else self.unoccupied_slopes
        return slopes[int(np.searchsorted(endpoints, temperature_c, side="left"))]

    def as_dict(self) -> dict[str, Any]:
        occupied = np.asarray(self.occupied)
        base = np.asarray(self.hour_of_week_kwh)
        return {
            "month": self.month,
            "n_hours": self.n_hours,
            "n_hours_neighbours": self.n_hours_neighbours,
            "n_coefficients": self.n_coefficients,
            # One character per hour of week from Monday 00:00 local: 1 occupied, 0 not.
            "occupancy": "".join("1" if o else "0" for o in self.occupied),
            "occupied_hours": int(occupied.sum()),
            "mean_hour_of_week_kwh_occupied": _mean_or_none(base[occupied]),
            "mean_hour_of_week_kwh_unoccupied": _mean_or_none(base[~occupied]),
            "occupied_bins": _bins_as_dict(self.occupied_endpoints_c, self.occupied_slopes),
            "unoccupied_bins": _bins_as_dict(self.unoccupied_endpoints_c, self.unoccupied_slopes),
        }


@dataclass(frozen=True, eq=False)
class _SegmentFit:
    segment: HourlySegment
    leverage: np.ndarray  # of the month's own (weight 1) rows, in their order


def _predict_segments(
    segments: tuple[HourlySegment, ...], local: _LocalHours, temperature_c: np.ndarray
) -> np.ndarray:
    """Each hour predicted by its own calendar month's model."""
    prediction = np.full(len(temperature_c), np.nan)
    for segment in segments:
        rows = local.month == segment.month
        if rows.any():
            prediction[rows] = segment.predict(
                hour_of_week=local.hour_of_week[rows], temperature_c=temperature_c[rows]
            )
    return prediction


def _mean_or_none(values: np.ndarray) -> float | None:
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else None


def _bins_as_dict(endpoints: tuple[float, ...], slopes: tuple[float, ...]) -> dict[str, Any]:
    return {
        "endpoints_c": [round(e, 2) for e in endpoints],
        "slopes_kwh_per_c": [finite_or_none(s) for s in slopes],
    }


def _segment_fit(
    month: int,
    *,
    local: _LocalHours,
    usage: np.ndarray,
    temperature_c: np.ndarray,
    usable: np.ndarray,
) -> _SegmentFit:
    before, after = (month - 2) % MONTHS + 1, month % MONTHS + 1
    own = usable & (local.month == month)
    rows = own | (usable & ((local.month == before) | (local.month == after)))
    weight = np.where(own[rows], 1.0, NEIGHBOUR_MONTH_WEIGHT)
    y, temperature, tow = usage[rows], temperature_c[rows], local.hour_of_week[rows]

    # CalTRACK 3.8.3-3.8.4: occupancy from a degree-hour model's residuals.
    simple = np.column_stack(
        [
            np.ones(len(y)),
            np.maximum(OCCUPANCY_HEATING_BALANCE_C - temperature, 0.0),
            np.maximum(temperature - OCCUPANCY_COOLING_BALANCE_C, 0.0),
        ]
    )
    coefficients, _ = _weighted_lstsq(simple, y, weight)
    positive = np.bincount(tow, weights=y > simple @ coefficients, minlength=HOURS_PER_WEEK)
    counts = np.bincount(tow, minlength=HOURS_PER_WEEK)
    with np.errstate(invalid="ignore", divide="ignore"):
        occupied_by_tow = positive / counts > OCCUPANCY_THRESHOLD  # no hours: unoccupied
    occupied = occupied_by_tow[tow]

    # CalTRACK 3.9-3.11: the TOWT design matrix and its weighted least squares fit.
    endpoints, columns = {}, []
    for name, state in (("occupied", occupied), ("unoccupied", ~occupied)):
        endpoints[name] = _bin_endpoints(temperature[state]) if state.any() else ()
        if state.any():
            columns.append(_bin_features(temperature, endpoints[name]) * state[:, None])
    features = np.hstack(columns)
    base, coefficients, leverage = _towt_wls(tow=tow, features=features, y=y, weight=weight)
    slopes = {}
    offset = 0
    for name, state in (("occupied", occupied), ("unoccupied", ~occupied)):
        k = len(endpoints[name]) + 1
        if state.any():
            slopes[name] = tuple(float(v) for v in coefficients[offset : offset + k])
            offset += k
        else:
            slopes[name] = (float("nan"),)
    segment = HourlySegment(
        month=month,
        occupied=tuple(bool(v) for v in occupied_by_tow),
        hour_of_week_kwh=tuple(float(v) for v in base),
        occupied_endpoints_c=endpoints["occupied"],
        unoccupied_endpoints_c=endpoints["unoccupied"],
        occupied_slopes=slopes["occupied"],
        unoccupied_slopes=slopes["unoccupied"],
        n_hours=int(own.sum()),
        n_hours_neighbours=int(rows.sum() - own.sum()),
        n_coefficients=int(np.isfinite(base).sum()) + features.shape[1],
    )
    return _SegmentFit(segment=segment, leverage=leverage[weight == 1.0])


@dataclass(frozen=True, eq=False)
class HourlyModel:
    """Twelve month-by-month TOWT models and their fit over the baseline."""

    zone: tzinfo
    segments: tuple[HourlySegment, ...]  # January first
    baseline_start: date  # local
    baseline_end: date
    n_hours: int  # baseline hours with usage and temperature
    coverage: float  # their share of the baseline's hours
    mean_usage: float  # kWh per hour
    r_squared: float
    cvrmse: float
    nmbe: float
    effective_parameters: float  # c: the baseline hours' summed leverage
    autocorr_resid: float  # lag-1, hour to hour

    def predict(self, *, hours: np.ndarray, temperature_c: np.ndarray) -> np.ndarray:
        """kWh per hour for these UTC hours at these temperatures (NaN where it is NaN)."""
        hours = np.asarray(hours, dtype="datetime64[s]")
        temperature_c = np.asarray(temperature_c, dtype=float)
        if hours.shape != temperature_c.shape:
            raise ValueError("hours and temperature_c must have the same shape")
        return _predict_segments(self.segments, _local_hours(hours, self.zone), temperature_c)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "towt",
            "zone": str(self.zone),
            "baseline_start": self.baseline_start.isoformat(),
            "baseline_end": self.baseline_end.isoformat(),
            "n_hours": self.n_hours,
            "coverage": self.coverage,
            "mean_usage": self.mean_usage,
            "r_squared": self.r_squared,
            "cvrmse": self.cvrmse,
            "nmbe": self.nmbe,
            "effective_parameters": self.effective_parameters,
            "autocorr_resid": self.autocorr_resid,
            "segments": [segment.as_dict() for segment in self.segments],
        }


def _arrays(hours, usage, temperature_c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hours = np.asarray(hours, dtype="datetime64[s]")
    usage = np.asarray(usage, dtype=float)
    temperature_c = np.asarray(temperature_c, dtype=float)
    _check_series(hours, usage, temperature_c)
    return hours, usage, temperature_c


def hourly_baseline_sufficiency(
    *,
    hours: np.ndarray,
    usage: np.ndarray,
    temperature_c: np.ndarray,
    zone: tzinfo,
    commodity: str = ELECTRICITY,
) -> list[str]:
    """Why these hours cannot be a CalTRACK hourly baseline; an empty list when they can."""
    hours, usage, temperature_c = _arrays(hours, usage, temperature_c)
    reasons = _commodity_reasons(commodity)
    if reasons:
        return reasons
    if not len(hours):
        return ["the baseline has no hours"]
    return _baseline_reasons(
        local=_local_hours(hours, zone),
        usage=usage,
        temperature_c=temperature_interpolated(temperature_c),
        hours=hours,
    )


def hourly_baseline_fit(
    *,
    hours: np.ndarray,
    usage: np.ndarray,
    temperature_c: np.ndarray,
    zone: tzinfo,
    commodity: str = ELECTRICITY,
) -> HourlyModel:
    """Fit the CalTRACK hourly (TOWT) model to a baseline; raises DataInsufficient with reasons.

    ``hours`` are consecutive UTC hour starts (datetime64), ``usage`` kWh in each hour and
    ``temperature_c`` the hour's temperature, NaN where missing; ``zone`` gives local time.
    """
    hours, usage, temperature_c = _arrays(hours, usage, temperature_c)
    reasons = _commodity_reasons(commodity)
    if reasons:
        raise DataInsufficient(reasons)
    if not len(hours):
        raise DataInsufficient(["the baseline has no hours"])
    local = _local_hours(hours, zone)
    return _fit(hours=hours, local=local, usage=usage, temperature_c=temperature_c, zone=zone)


def _fit(
    *,
    hours: np.ndarray,
    local: _LocalHours,
    usage: np.ndarray,
    temperature_c: np.ndarray,
    zone: tzinfo,
) -> HourlyModel:
    temperature_c = temperature_interpolated(temperature_c)
    reasons = _baseline_reasons(local=local, usage=usage, temperature_c=temperature_c, hours=hours)
    if reasons:
        raise DataInsufficient(reasons)
    usable = usable_days(usage=usage, temperature_c=temperature_c, commodity=ELECTRICITY)
    fits = [
        _segment_fit(month, local=local, usage=usage, temperature_c=temperature_c, usable=usable)
        for month in range(1, MONTHS + 1)
    ]
    segments = tuple(fit.segment for fit in fits)
    prediction = _predict_segments(segments, local, temperature_c)
    residuals = np.where(usable, usage - prediction, np.nan)
    y = usage[usable]
    n = len(y)
    mean = float(y.mean())
    ss_res = float(np.nansum(residuals**2))
    ss_tot = float(((y - mean) ** 2).sum())
    c = float(sum(fit.leverage.sum() for fit in fits))
    pairs = np.isfinite(residuals[:-1]) & np.isfinite(residuals[1:])
    autocorr = 0.0
    if pairs.sum() > 2:
        autocorr = float(np.corrcoef(residuals[:-1][pairs], residuals[1:][pairs])[0, 1])
    return HourlyModel(
        zone=zone,
        segments=segments,
        baseline_start=local.date[0].astype(date),
        baseline_end=local.date[-1].astype(date),
        n_hours=n,
        coverage=n / len(usage),
        mean_usage=mean,
        r_squared=1 - ss_res / ss_tot if ss_tot > 0 else 0.0,
        cvrmse=float(np.sqrt(ss_res / (n - c)) / mean),
        nmbe=float(np.nansum(residuals) / ((n - c) * mean)),
        effective_parameters=c,
        autocorr_resid=autocorr if np.isfinite(autocorr) else 0.0,
    )


@dataclass(frozen=True, eq=False)
class HourlyMeasuredSavings:
    model: HourlyModel
    intervention: date
    baseline_start: date
    baseline_end: date
    reporting_start: date
    reporting_end: date
    reporting_hours: int
    predicted: float
    observed: float
    avoided: float
    fractional_savings: float
    fractional_savings_uncertainty: float
    avoided_uncertainty: float
    confidence: float = CONFIDENCE

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": "hourly",
            "intervention": self.intervention.isoformat(),
            "baseline_start": self.baseline_start.isoformat(),
            "baseline_end": self.baseline_end.isoformat(),
            "reporting_start": self.reporting_start.isoformat(),
            "reporting_end": self.reporting_end.isoformat(),
            "reporting_hours": self.reporting_hours,
            "predicted": self.predicted,
            "observed": self.observed,
            "avoided": self.avoided,
            "avoided_uncertainty": self.avoided_uncertainty,
            "fractional_savings": finite_or_none(self.fractional_savings),
            "fractional_savings_uncertainty": finite_or_none(self.fractional_savings_uncertainty),
            "confidence": self.confidence,
            "cvrmse": self.model.cvrmse,
            "nmbe": self.model.nmbe,
            "model": self.model.as_dict(),
        }


def hourly_savings_uncertainty_relative(*, model: HourlyModel, reporting_hours: int) -> float:
    """CalTRACK 4.3.2.4 times F over hours: the savings' uncertainty as a share of predicted.

    P is the baseline hours, P′ from their hour-to-hour lag-1 autocorrelation, c the model's
    effective parameters, Q the reporting hours and M the reporting months.
    """
    return savings_uncertainty_relative(
        baseline_points=model.n_hours,
        n_params=round(model.effective_parameters),
        cvrmse=model.cvrmse,
        autocorr_resid=model.autocorr_resid,
        reporting_points=reporting_hours,
        reporting_months=reporting_hours / 24 / DAYS_PER_MONTH,
        coefficients=SUN_BALTAZAR_HOURLY,
    )


def _first_hour_of(day: date, zone: tzinfo) -> np.datetime64:
    """The first UTC hour start whose local time falls on this day."""
    midnight = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(midnight, "s") + (-np.datetime64(midnight, "s").astype(np.int64)) % 3600


def hourly_savings_measure(
    *,
    hours: np.ndarray,
    usage: np.ndarray,
    temperature_c: np.ndarray,
    zone: tzinfo,
    intervention: date,
    reporting_end: date | None = None,
    commodity: str = ELECTRICITY,
) -> HourlyMeasuredSavings:
    """Avoided electricity use since ``intervention`` by the CalTRACK hourly method.

    The baseline is the 365 local days before the intervention day; hours before the data
    start count as missing. Reporting runs from the intervention day to ``reporting_end`` (or
    the data's last day), over the hours with usage and (interpolated) temperature.
    """
    hours, usage, temperature_c = _arrays(hours, usage, temperature_c)
    reasons = _commodity_reasons(commodity)
    if reasons:
        raise DataInsufficient(reasons)
    baseline_start = intervention - timedelta(days=BASELINE_DAYS)
    baseline_end = intervention - timedelta(days=1)
    first_hour = _first_hour_of(baseline_start, zone)
    if not len(hours) or hours[-1] < _first_hour_of(intervention, zone):
        raise DataInsufficient(
            [f"there are no data on or after the intervention date {intervention}"]
        )
    if hours[0] > first_hour:  # the missing start of the baseline counts against it
        pad = int((hours[0] - first_hour) // np.timedelta64(3600, "s"))
        hours = np.concatenate([first_hour + np.arange(pad) * np.timedelta64(3600, "s"), hours])
        usage = np.concatenate([np.full(pad, np.nan), usage])
        temperature_c = np.concatenate([np.full(pad, np.nan), temperature_c])
    local = _local_hours(hours, zone)
    # Interpolated over the whole series, so a short gap at the intervention has both sides.
    temperature_c = temperature_interpolated(temperature_c)
    in_baseline = (local.date >= np.datetime64(baseline_start)) & (
        local.date <= np.datetime64(baseline_end)
    )
    model = _fit(
        hours=hours[in_baseline],
        local=_LocalHours(
            hour_of_week=local.hour_of_week[in_baseline],
            month=local.month[in_baseline],
            date=local.date[in_baseline],
        ),
        usage=usage[in_baseline],
        temperature_c=temperature_c[in_baseline],
        zone=zone,
    )

    last = local.date[-1].astype(date)
    reporting_end = min(reporting_end or last, last)
    prediction = _predict_segments(model.segments, local, temperature_c)
    in_reporting = (local.date >= np.datetime64(intervention)) & (
        local.date <= np.datetime64(reporting_end)
    )
    counted = (
        in_reporting
        & usable_days(usage=usage, temperature_c=temperature_c, commodity=ELECTRICITY)
        & np.isfinite(prediction)
    )
    reporting_hours = int(counted.sum())
    if reporting_hours < MIN_REPORTING_HOURS:
        raise DataInsufficient(
            [
                f"only {reporting_hours} reporting hours since {intervention} have usage and "
                f"temperature; savings are measured from {MIN_REPORTING_HOURS} hours "
                f"({MIN_REPORTING_DAYS} days)"
            ]
        )
    predicted = float(prediction[counted].sum())
    observed = float(usage[counted].sum())
    relative = hourly_savings_uncertainty_relative(model=model, reporting_hours=reporting_hours)
    return HourlyMeasuredSavings(
        model=model,
        intervention=intervention,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        reporting_start=intervention,
        reporting_end=reporting_end,
        reporting_hours=reporting_hours,
        **savings_figures(predicted=predicted, observed=observed, relative_uncertainty=relative),
    )

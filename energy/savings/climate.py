"""Climate normals per region and calendar day, from the stored daily mean temperatures.

Decision: the normal of a calendar day is the mean temperature of that day over all the
years stored for the region, smoothed with a centred 15-day window over the (circular) year.
With the few years a utility usually holds, one day's mean over 2–3 years is noisy (±3 °C);
the window averages about 15 × years observations while keeping the seasonal shape. 29
February counts as 28 February. A calendar day with no observation in any year (and none
within the window) has no normal (NaN), and what needs it says so instead of guessing.
"""

import numpy as np

SMOOTHING_DAYS = 15


def calendar_day_index(dates: np.ndarray) -> np.ndarray:
    """0..364 for numpy datetime64[D] dates (29 February maps to 28 February)."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    years = dates.astype("datetime64[Y]")
    day_of_year = (dates - years).astype(int)  # 0-based
    is_leap = (years.astype(int) + 1970) % 4 == 0  # 1901–2099: every 4th year is a leap year
    # In a leap year, days from 29 February (index 59) on shift back by one.
    return np.where(is_leap & (day_of_year >= 59), day_of_year - 1, day_of_year)


def climate_normals(*, dates: np.ndarray, temperature_c: np.ndarray) -> np.ndarray:
    """The normal temperature (°C) of each calendar day 0..364 (NaN where none is known)."""
    index = calendar_day_index(dates)
    ok = np.isfinite(temperature_c)
    sums = np.bincount(index[ok], weights=temperature_c[ok], minlength=365)
    counts = np.bincount(index[ok], minlength=365).astype(float)
    half = SMOOTHING_DAYS // 2
    kernel = np.ones(SMOOTHING_DAYS)
    # Circular convolution: wrap the year's ends around before smoothing.
    wrapped_sums = np.convolve(np.concatenate([sums[-half:], sums, sums[:half]]), kernel, "valid")
    wrapped_counts = np.convolve(
        np.concatenate([counts[-half:], counts, counts[:half]]), kernel, "valid"
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(wrapped_counts > 0, wrapped_sums / wrapped_counts, np.nan)


def normals_for(*, normals: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """The normal temperature of each of these dates."""
    return normals[calendar_day_index(dates)]

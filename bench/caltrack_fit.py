"""How long one CalTRACK baseline fit takes: a year of daily data, electricity and gas.

    make bench-caltrack        (or: .venv/bin/python bench/caltrack_fit.py)

Prints the median and 99th percentile over many fits of fresh synthetic meters. Needs no
database: the fit is pure numpy/scipy.
"""

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

from energy.savings.caltrack import baseline_fit, cooling_degree_days, heating_degree_days

FITS = 500


def meter_year(rng: np.random.Generator, commodity: str) -> tuple[np.ndarray, np.ndarray]:
    day = np.arange(365)
    temperature_c = 9 - 14 * np.cos(2 * np.pi * (day - 15) / 365) + rng.normal(0, 3, 365)
    usage = rng.uniform(2, 8) + rng.uniform(0.1, 1.0) * heating_degree_days(
        temperature_c, rng.uniform(12, 20)
    )
    if commodity == "electricity":
        usage += rng.uniform(0, 0.8) * cooling_degree_days(temperature_c, rng.uniform(20, 26))
    return temperature_c, usage * rng.lognormal(0, 0.1, 365)


def main() -> None:
    rng = np.random.default_rng(1)
    for commodity in ("electricity", "gas"):
        data = [meter_year(rng, commodity) for _ in range(FITS)]
        seconds = []
        for temperature_c, usage in data:
            start = time.perf_counter()
            baseline_fit(temperature_c=temperature_c, usage=usage, commodity=commodity)
            seconds.append(time.perf_counter() - start)
        ms = sorted(s * 1000 for s in seconds)
        print(
            f"{commodity:<12} {FITS} fits of 365 days: median {statistics.median(ms):.2f} ms, "
            f"p99 {ms[int(0.99 * len(ms))]:.2f} ms, max {ms[-1]:.2f} ms"
        )


if __name__ == "__main__":
    main()

"""Similar homes: like-for-like cohorts, never mixing heating fuels or dwelling types.

A cohort is the set of homes a premise is compared with. Every cohort shares the premise's
dwelling type and heating fuel: a heat-pump home's heating slope is electricity, a gas-heated
home's is gas, and a flat loses less heat than a detached house, so comparing across either
would put a number on a difference nobody can act on. Within that, the fallback order is

1. same region, dwelling type, heating fuel and household size band (``LEVEL_EXACT``);
2. same region, dwelling type and heating fuel (any household size);
3. the whole service area, same dwelling type and heating fuel (a small or new region).

A level is used when it has at least ``MIN_COHORT_HOMES`` homes with a value; the basis names
the level used and why narrower ones were passed over. A home whose heating fuel is unknown or
mixed (``energy.savings.fuel``) is not compared at all, and nobody is compared with it.
"""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from energy.savings.fuel import COMPARABLE_FUELS

# Below 10 homes one unusual home moves the 20th/25th percentile a lot; 10 is the smallest
# cohort whose 20th percentile still lies between two real homes' values.
MIN_COHORT_HOMES = 10

LEVEL_EXACT = "region_dwelling_fuel_size"
LEVEL_DWELLING = "region_dwelling_fuel"
# Last resort: every home of the utility with the same dwelling type and heating fuel.
LEVEL_SERVICE_AREA = "service_area_dwelling_fuel"
FALLBACK_ORDER = (LEVEL_EXACT, LEVEL_DWELLING, LEVEL_SERVICE_AREA)


def household_size_band(size: int) -> str:
    """The household size band used for cohorts: 1, 2, 3-4 or 5+ people."""
    if size <= 1:
        return "1"
    if size == 2:
        return "2"
    if size <= 4:
        return "3-4"
    return "5+"


@dataclass(frozen=True)
class Home:
    """One home's value of a metric, with what puts it in a cohort."""

    region: str
    dwelling_type: str
    household_size: int
    heating_fuel: str
    value: float


@dataclass(frozen=True)
class Cohort:
    level: str
    region: str | None
    dwelling_type: str
    heating_fuel: str
    size_band: str | None
    values: np.ndarray  # sorted, finite

    @property
    def n_homes(self) -> int:
        return int(self.values.size)

    def percentile_value(self, percent: float) -> float:
        """The value below which ``percent`` % of the cohort's homes lie (linear interpolation)."""
        return float(np.percentile(self.values, percent))

    def percentile_rank(self, value: float) -> float:
        """The share of the cohort's homes (in %) using less than ``value``, ties counted half."""
        below = np.searchsorted(self.values, value, side="left")
        at_or_below = np.searchsorted(self.values, value, side="right")
        return float(100.0 * (below + at_or_below) / 2.0 / self.values.size)

    def spread(self) -> dict:
        """The middle half of the cohort (25th to 75th percentile) and its median."""
        return {
            "p25": self.percentile_value(25.0),
            "median": self.percentile_value(50.0),
            "p75": self.percentile_value(75.0),
        }

    def describe(self) -> dict:
        return {
            "level": self.level,
            "region": self.region,
            "dwelling_type": self.dwelling_type,
            "heating_fuel": self.heating_fuel,
            "size_band": self.size_band,
            "n_homes": self.n_homes,
        }


def _keys(*, region: str, dwelling_type: str, heating_fuel: str, band: str) -> list[tuple]:
    return [
        (LEVEL_EXACT, region, dwelling_type, heating_fuel, band),
        (LEVEL_DWELLING, region, dwelling_type, heating_fuel, None),
        (LEVEL_SERVICE_AREA, None, dwelling_type, heating_fuel, None),
    ]


class CohortIndex:
    """Every home's value grouped at the cohort levels, built once per run."""

    def __init__(self, homes: list[Home], *, min_homes: int = MIN_COHORT_HOMES) -> None:
        self.min_homes = min_homes
        groups: dict[tuple, list[float]] = defaultdict(list)
        for home in homes:
            if not np.isfinite(home.value) or home.heating_fuel not in COMPARABLE_FUELS:
                continue
            keys = _keys(
                region=home.region,
                dwelling_type=home.dwelling_type,
                heating_fuel=home.heating_fuel,
                band=household_size_band(home.household_size),
            )
            for key in keys:
                groups[key].append(home.value)
        self._groups = {key: np.sort(np.asarray(values)) for key, values in groups.items()}

    def cohort_for(
        self, *, region: str, dwelling_type: str, household_size: int, heating_fuel: str
    ) -> tuple[Cohort | None, list[str]]:
        """The narrowest like-for-like cohort with enough homes, and why narrower ones were
        passed over."""
        if heating_fuel not in COMPARABLE_FUELS:
            return None, [f"heating fuel is {heating_fuel}: homes are compared within one fuel"]
        reasons = []
        keys = _keys(
            region=region,
            dwelling_type=dwelling_type,
            heating_fuel=heating_fuel,
            band=household_size_band(household_size),
        )
        for key in keys:
            values = self._groups.get(key, np.empty(0))
            if values.size >= self.min_homes:
                return Cohort(*key, values=values), reasons
            reasons.append(
                f"cohort {key[0]} has {values.size} homes with a value "
                f"(at least {self.min_homes} needed)"
            )
        return None, reasons

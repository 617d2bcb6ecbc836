"""Similar homes: cohorts by region, dwelling type and household size band, with fallback.

A cohort is the set of homes a premise is compared with. The narrowest cohort is the same
region, dwelling type and household size band; when it has fewer than ``MIN_COHORT_HOMES``
homes with a value, the comparison falls back to region + dwelling type, then region alone,
then the same dwelling type across the whole service area, and says which cohort it used.
Fewer than ``MIN_COHORT_HOMES`` even there: no cohort, no comparison (a percentile of a
handful of homes is noise, not a benchmark).
"""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

# Below 10 homes one unusual home moves the 20th/25th percentile a lot; 10 is the smallest
# cohort whose 20th percentile still lies between two real homes' values.
MIN_COHORT_HOMES = 10

LEVEL_EXACT = "region_dwelling_size"
LEVEL_DWELLING = "region_dwelling"
LEVEL_REGION = "region"
# Last resort: every home of the utility with the same dwelling type (a small or new region).
LEVEL_SERVICE_AREA = "service_area_dwelling"


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
    value: float


@dataclass(frozen=True)
class Cohort:
    level: str
    region: str
    dwelling_type: str | None
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

    def describe(self) -> dict:
        return {
            "level": self.level,
            "region": self.region,
            "dwelling_type": self.dwelling_type,
            "size_band": self.size_band,
            "n_homes": self.n_homes,
        }


class CohortIndex:
    """Every home's value grouped at the four cohort levels, built once per run."""

    def __init__(self, homes: list[Home], *, min_homes: int = MIN_COHORT_HOMES) -> None:
        self.min_homes = min_homes
        groups: dict[tuple, list[float]] = defaultdict(list)
        for home in homes:
            if not np.isfinite(home.value):
                continue
            band = household_size_band(home.household_size)
            groups[(LEVEL_EXACT, home.region, home.dwelling_type, band)].append(home.value)
            groups[(LEVEL_DWELLING, home.region, home.dwelling_type, None)].append(home.value)
            groups[(LEVEL_REGION, home.region, None, None)].append(home.value)
            groups[(LEVEL_SERVICE_AREA, None, home.dwelling_type, None)].append(home.value)
        self._groups = {key: np.sort(np.asarray(values)) for key, values in groups.items()}

    def cohort_for(
        self, *, region: str, dwelling_type: str, household_size: int
    ) -> tuple[Cohort | None, list[str]]:
        """The narrowest cohort with enough homes, and why narrower ones were passed over."""
        band = household_size_band(household_size)
        tried = [
            (LEVEL_EXACT, region, dwelling_type, band),
            (LEVEL_DWELLING, region, dwelling_type, None),
            (LEVEL_REGION, region, None, None),
            (LEVEL_SERVICE_AREA, None, dwelling_type, None),
        ]
        reasons = []
        for key in tried:
            values = self._groups.get(key, np.empty(0))
            if values.size >= self.min_homes:
                return Cohort(*key, values=values), reasons
            reasons.append(
                f"cohort {key[0]} has {values.size} homes with a value "
                f"(at least {self.min_homes} needed)"
            )
        return None, reasons

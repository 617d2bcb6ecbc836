"""How much of its own household's use and bill a recommendation may claim.

Every saving a customer reads is checked here against the household it is for: the share of
the meter's annual use (or of the modelled heating use) and of the household's annual bill it
claims, and a cap per kind with the source of that cap. An estimate beyond its cap is not
shown as a number: its saving fields stay empty and ``basis["cap"]`` says what was estimated
and why it is not shown. The caps are deliberately generous: they catch a method applied where
it does not fit (a night minimum that is really heating, a cohort of unlike homes), not an
ordinary home with an ordinary saving.
"""

import math
from dataclasses import dataclass

from energy.savings import recommend


@dataclass(frozen=True)
class Cap:
    share: float
    of: str  # "annual_use" | "heating_use" | "annual_bill"
    source: str


# Standby: the Energy Conservation Center Japan's survey of standby power (待機時消費電力調査,
# FY2012) found 228 kWh a year per household, 5.1 % of household electricity. A home at twice
# the average share that switched all of it off would save 10 %: more is not standby.
STANDBY_CAP = Cap(
    share=0.10,
    of="annual_use",
    source="ECCJ standby power survey FY2012: standby is 5.1 % of a household's electricity; "
    "cap at twice that",
)
# Heating 1 °C lower: the saving is one degree-day per heating day, 1 / (mean degree-days of a
# heating day) of the heating use: about 8-10 % in Sapporo's climate (the usual "about 10 %
# per °C" rule; ECCJ's 家庭の省エネ徹底ガイド gives 21 → 20 °C on an air conditioner as 53 kWh
# of a heating season's ~600). 15 % would need a climate whose heating days average under
# 7 degree-days.
HEATING_CAP = Cap(
    share=0.15,
    of="heating_use",
    source="1 °C lower saves about 10 % of heating (one degree-day per heating day); cap 15 % "
    "of the home's modelled heating use",
)
# Peak shift: at most the price gap on a share of peak-band use; studies of time-of-use
# tariffs find bill savings of a few per cent. 10 % of the electricity bill is the cap.
PEAK_SHIFT_CAP = Cap(
    share=0.10,
    of="annual_bill",
    source="time-of-use load shifting saves a few per cent of the electricity bill; cap 10 %",
)
CAPS: dict[str, Cap] = {
    recommend.STANDBY: STANDBY_CAP,
    recommend.HEATING: HEATING_CAP,
    recommend.PEAK_SHIFT: PEAK_SHIFT_CAP,
}
# All of a home's shown savings together stay below this share of its annual bill (checked by
# ``figures_audit`` and the tests; with the caps above it holds by construction).
HOUSEHOLD_BILL_CAP = 0.30


@dataclass(frozen=True)
class Household:
    """What a claim is measured against: the meter's year and the household's bill."""

    annual_use: float  # the meter's unit, weather-normalised where a model exists
    annual_bill_jpy: float | None  # this commodity's bill for the premise, a year
    household_bill_jpy: float | None  # every commodity's, a year
    heating_use: float | None = None  # the modelled heating part of annual_use


def _share(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or not math.isfinite(whole) or whole <= 0:
        return None
    return part / whole


@dataclass(frozen=True)
class Verdict:
    shown: bool
    basis: dict
    # False when there was nothing to check the saving against (no year of use yet): no
    # recommendation at all, rather than one "beyond its cap".
    checkable: bool = True


def claim_check(
    *, kind: str, saving_per_year: float | None, saving_jpy: float | None, household: Household
) -> Verdict:
    """Whether a kind's saving may be shown as a number, with the shares it claims."""
    basis: dict = {
        "share_of_annual_use": _share(saving_per_year, household.annual_use),
        "share_of_bill": _share(saving_jpy, household.household_bill_jpy),
        "annual_use": household.annual_use,
        "household_bill_jpy": household.household_bill_jpy,
    }
    cap = CAPS.get(kind)
    if cap is None:
        return Verdict(shown=True, basis=basis)
    if cap.of == "annual_bill":
        claimed, whole = saving_jpy, household.annual_bill_jpy
    elif cap.of == "heating_use":
        claimed, whole = saving_per_year, household.heating_use
    else:
        claimed, whole = saving_per_year, household.annual_use
    share = _share(claimed, whole)
    cap_basis = {
        "share": cap.share,
        "of": cap.of,
        "source": cap.source,
        "claimed_share": share,
        "limit": cap.share * whole if whole is not None and math.isfinite(whole) else None,
    }
    if share is None:
        cap_basis.update(exceeded=False, reason=f"no {cap.of.replace('_', ' ')} to check against")
        return Verdict(shown=False, basis={**basis, "cap": cap_basis}, checkable=False)
    exceeded = share > cap.share
    cap_basis["exceeded"] = exceeded
    if exceeded:
        cap_basis["reason"] = (
            f"the estimate ({claimed:,.0f}) is {share:.0%} of the {cap.of.replace('_', ' ')}, "
            f"beyond the {cap.share:.0%} cap: the method does not fit this home"
        )
    return Verdict(shown=not exceeded, basis={**basis, "cap": cap_basis})

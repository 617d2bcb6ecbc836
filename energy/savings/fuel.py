"""Which fuel heats a home: recorded on the premise, or read from its meters' heating slopes.

A home's heating shows as a heating-degree-day slope on the meter of the fuel that heats it.
To compare a gas slope (m³ per degree-day) with an electricity slope (kWh per degree-day) both
are turned into heat delivered:

- gas: 45 MJ/m³ (Hokkaido Gas's 13A city gas) ÷ 3.6 MJ/kWh × 0.9 (a condensing or modern
  fan heater's seasonal efficiency) = 11.25 kWh of heat per m³;
- electricity: × 2.5, a cold-climate air-to-air heat pump's seasonal COP (an assumption: a
  panel heater would be 1.0, which only makes electricity's share look smaller).

The fuel delivering at least ``DOMINANT_SHARE`` of the modelled heat is the home's heating
fuel. Neither dominant: ``mixed``. Less than ``MIN_HEAT_KWH_PER_HDD`` of metered heat in all:
``other`` (kerosene, which is common in Hokkaido and not metered by us, or no heating).
Homes heated by gas, a heat pump or another fuel are compared within their own fuel; a home
whose fuel is ``mixed``, or ``unknown`` (a meter of it has no year's model yet), is not compared
at all.
"""

import math

GAS = "gas"
HEAT_PUMP = "heat_pump"
OTHER = "other"
MIXED = "mixed"
UNKNOWN = "unknown"
# Fuels a home can be compared within (cohorts never mix them).
COMPARABLE_FUELS = (GAS, HEAT_PUMP, OTHER)

GAS_MJ_PER_M3 = 45.0
MJ_PER_KWH = 3.6
GAS_HEATER_EFFICIENCY = 0.9
GAS_HEAT_KWH_PER_M3 = GAS_MJ_PER_M3 / MJ_PER_KWH * GAS_HEATER_EFFICIENCY
HEAT_PUMP_COP = 2.5
# The main heating system delivers at least this share. Hot water shows on the gas meter as a
# small heating slope too (colder mains water in winter), so a heat-pump flat's electricity can
# deliver as little as 60 % of the metered heat; the demo's 1,000 homes: heat pumps 57-91 %,
# gas-heated homes 1-17 %.
DOMINANT_SHARE = 0.6
# A small flat heated by gas needs about 1 kWh of heat per degree-day; hot water alone (colder
# mains water in winter) shows as about 0.3.
MIN_HEAT_KWH_PER_HDD = 0.6


def _slope(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) and value > 0 else 0.0


def heating_fuel_infer(
    *,
    electricity_kwh_per_hdd: float | None,
    gas_m3_per_hdd: float | None,
    every_meter_modelled: bool = True,
) -> tuple[str, dict]:
    """(fuel, basis) from the home's meters' heating slopes (None: no meter or no slope).

    ``every_meter_modelled=False`` (a meter of the home has no baseline model yet, e.g. a new
    customer before a winter): the fuel is ``unknown`` rather than read from the others.
    """
    heat_electric = _slope(electricity_kwh_per_hdd) * HEAT_PUMP_COP
    heat_gas = _slope(gas_m3_per_hdd) * GAS_HEAT_KWH_PER_M3
    total = heat_electric + heat_gas
    basis = {
        "method": "heat delivered per degree-day: electricity × COP 2.5, gas × 11.25 kWh/m³; "
        f"a fuel delivering ≥ {DOMINANT_SHARE:.0%} of it heats the home",
        "electricity_kwh_per_hdd": electricity_kwh_per_hdd,
        "gas_m3_per_hdd": gas_m3_per_hdd,
        "heat_kwh_per_hdd": total,
    }
    if not every_meter_modelled:
        basis["reason"] = "a meter of the home has no baseline model yet"
        return UNKNOWN, basis
    if total < MIN_HEAT_KWH_PER_HDD:
        return OTHER, basis
    electric_share = heat_electric / total
    basis["electric_share"] = electric_share
    if electric_share >= DOMINANT_SHARE:
        return HEAT_PUMP, basis
    if electric_share <= 1 - DOMINANT_SHARE:
        return GAS, basis
    return MIXED, basis


def heating_meter_commodity(fuel: str) -> str | None:
    """The commodity whose meter carries a home's heating, or None."""
    return {GAS: "gas", HEAT_PUMP: "electricity"}.get(fuel)

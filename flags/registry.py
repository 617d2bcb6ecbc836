"""Every flag Shoene's code reads, declared once: what it is for, who owns it, until when.

``python manage.py sync_flags`` (also run by ``make run``) creates the missing boolean flags
in the database, switched off, without touching what staff have set. A flag in the database
but not here is shown as "not in code" in the admin, with an action to delete it. The system
check ``flags.E001`` fails on a flag past its expiry date (so CI fails on a forgotten flag)
and ``flags.W001`` warns 14 days before: remove the flag from the code, or extend it on
purpose. Typed flags (string, number, object) are values, usually set by an experiment's
variants; their default here is what everyone gets outside a running experiment.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

KINDS = ("release", "experiment", "operational", "permission")
VALUE_TYPES = ("boolean", "string", "number", "object")
EXPIRY_WARNING_DAYS = 14


@dataclass(frozen=True)
class FlagSpec:
    name: str
    description: str
    owner: str
    kind: str
    expires: date
    value_type: str = "boolean"
    default: Any = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {KINDS}, not {self.kind!r}")
        if self.value_type not in VALUE_TYPES:
            raise ValueError(f"{self.name}: value_type must be one of {VALUE_TYPES}")


FLAGS: tuple[FlagSpec, ...] = (
    FlagSpec(
        name="portal_winter_tips",
        description="A card of winter saving tips on the customer's home page.",
        owner="customer-experience",
        kind="release",
        expires=date(2027, 4, 30),
    ),
    FlagSpec(
        name="recommendation_framing",
        description=(
            "How a recommendation's saving is framed on the portal: 'yen' (money first), "
            "'kwh' (energy first) or 'neighbours' (the similar-homes comparison first)."
        ),
        owner="customer-experience",
        kind="experiment",
        expires=date(2027, 3, 31),
        value_type="string",
        default="yen",
    ),
)


def registry() -> dict[str, FlagSpec]:
    return {spec.name: spec for spec in FLAGS}


def flag_spec(name: str) -> FlagSpec | None:
    return registry().get(name)

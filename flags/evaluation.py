"""Fast flag and experiment evaluation from a process-local snapshot.

waffle reads each flag from the cache on every check (25-60 µs here, a Redis round trip in
production). Here every flag, switch and running experiment is loaded once into plain frozen
data; a check is a dict lookup and, for a percentage, one hash (a few µs). Changes reach every
process within ``FLAGS_SNAPSHOT_SECONDS`` (default 1 s): each process compares a version number
in the shared cache with its snapshot at most that often, and saving a flag, switch or
experiment bumps the version (``flags.apps``). In the process that made the change it applies
at once. While Redis does not answer, each process keeps the snapshot it has (a process with
none loads one from the database) and picks up other processes' changes once Redis is back.

The rules are waffle's, in waffle's order, except percentages: a logged-in user's place in a
rollout is ``bucket(seed=flag name, value=user id)`` (``flags.hashing``), the same on every
device, and raising 10 % to 20 % keeps the first 10 % in. Anonymous visitors are outside
percentage rollouts (the portal needs a login).
"""

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from config.degrade import REDIS_ERRORS, redis_unavailable
from config.observability.metrics import FLAG_EVALUATIONS
from flags.hashing import bucket, bucket_ranges, choose_variation

VERSION_CACHE_KEY = "flags:snapshot-version"
# The version of a snapshot loaded while Redis did not answer: unlike any version in Redis, so
# the first check once Redis is back loads the snapshot again.
VERSION_UNKNOWN = -1

# OpenFeature's reasons, used for every evaluation result here.
STATIC = "STATIC"  # on or off for everyone
DISABLED = "DISABLED"
TARGETING_MATCH = "TARGETING_MATCH"
SPLIT = "SPLIT"
DEFAULT = "DEFAULT"


@dataclass(frozen=True)
class FlagRule:
    name: str
    everyone: bool | None
    percent: float | None
    superusers: bool
    staff: bool
    authenticated: bool
    languages: frozenset[str]
    user_ids: frozenset[int]
    group_ids: frozenset[int]


@dataclass(frozen=True)
class VariantRule:
    id: int
    key: str
    value: Any


@dataclass(frozen=True)
class ExperimentRule:
    id: int
    key: str
    seed: str
    starts_at: datetime | None
    ends_at: datetime | None
    variants: tuple[VariantRule, ...]
    ranges: tuple[tuple[float, float], ...]
    region_ids: frozenset[int]
    dwelling_types: frozenset[str]
    group_ids: frozenset[int]

    def running_at(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )


@dataclass(frozen=True)
class Snapshot:
    version: int
    flags: dict[str, FlagRule]
    switches: dict[str, bool]
    experiments: dict[str, ExperimentRule]

    def targeting_needs(self, names) -> frozenset[str]:
        """What evaluating these names reads beyond the user: "groups", "premise" or neither."""
        needs = set()
        for name in names:
            flag, experiment = self.flags.get(name), self.experiments.get(name)
            if (flag and flag.group_ids) or (experiment and experiment.group_ids):
                needs.add("groups")
            if experiment and (experiment.region_ids or experiment.dwelling_types):
                needs.add("premise")
        return frozenset(needs)


@dataclass(frozen=True)
class Result:
    """One evaluation: the value, OpenFeature's reason, and the variant when one applies."""

    value: Any
    reason: str
    variant: str | None = None
    experiment_id: int | None = None
    variant_id: int | None = None


class Unit:
    """Who a flag is evaluated for: a user, with what targeting needs, loaded lazily.

    ``attributes`` may carry ``group_ids``, ``region_id`` and ``dwelling_type``; what they
    lack is read from the database when a rule needs it, once per unit.
    """

    def __init__(self, user, *, language: str | None = None, attributes: dict | None = None):
        self.user = user
        self.id = user.pk if getattr(user, "is_authenticated", False) else None
        self.is_authenticated = self.id is not None
        self.is_staff = bool(getattr(user, "is_staff", False))
        self.is_superuser = bool(getattr(user, "is_superuser", False))
        self.language = language
        self.attributes = attributes or {}

    @classmethod
    def from_context(
        cls,
        *,
        user_id: int | None,
        is_staff: bool = False,
        is_superuser: bool = False,
        language: str | None = None,
        attributes: dict | None = None,
    ) -> "Unit":
        """A unit from a user id and what is known of them, with no user object (no query)."""
        unit = cls(None, language=language, attributes=attributes)
        unit.id = user_id
        unit.is_authenticated = user_id is not None
        unit.is_staff = unit.is_authenticated and is_staff
        unit.is_superuser = unit.is_authenticated and is_superuser
        return unit

    @cached_property
    def group_ids(self) -> frozenset[int]:
        if "group_ids" in self.attributes:
            return frozenset(self.attributes["group_ids"])
        if self.id is None:
            return frozenset()
        if self.user is not None:
            return frozenset(self.user.groups.values_list("pk", flat=True))
        from django.contrib.auth import get_user_model

        memberships = get_user_model().groups.through.objects.filter(user_id=self.id)
        return frozenset(memberships.values_list("group_id", flat=True))

    @cached_property
    def premise(self) -> tuple[int | None, str | None]:
        """(region id, dwelling type) of the user's first premise: the experiment targeting."""
        if "region_id" in self.attributes or "dwelling_type" in self.attributes:
            return self.attributes.get("region_id"), self.attributes.get("dwelling_type")
        if self.id is None:
            return None, None
        from energy.selectors import premise_targeting_for

        return premise_targeting_for(user_id=self.id)


# --- the snapshot ----------------------------------------------------------------------------

_lock = threading.Lock()
_state: dict[str, Any] = {"snapshot": None, "checked_at": 0.0}


def _refresh_seconds() -> float:
    return float(getattr(settings, "FLAGS_SNAPSHOT_SECONDS", 1.0))


def snapshot_load(version: int = 0) -> Snapshot:
    """Every flag, switch and running experiment as plain data (five queries)."""
    from waffle.models import Switch

    from flags.models import Experiment, ExperimentStatus, Flag

    flags = {}
    for flag in Flag.objects.prefetch_related("users", "groups"):
        flags[flag.name] = FlagRule(
            name=flag.name,
            everyone=flag.everyone,
            percent=float(flag.percent) if flag.percent is not None else None,
            superusers=flag.superusers,
            staff=flag.staff,
            authenticated=flag.authenticated,
            languages=frozenset(
                code.strip() for code in (flag.languages or "").split(",") if code.strip()
            ),
            user_ids=frozenset(user.pk for user in flag.users.all()),
            group_ids=frozenset(group.pk for group in flag.groups.all()),
        )
    switches = dict(Switch.objects.values_list("name", "active"))
    experiments = {}
    running = Experiment.objects.filter(status=ExperimentStatus.RUNNING).prefetch_related(
        "variants", "target_regions", "target_groups"
    )
    for experiment in running:
        variants = list(experiment.variants.all())
        if not variants:
            continue
        experiments[experiment.key] = ExperimentRule(
            id=experiment.pk,
            key=experiment.key,
            seed=experiment.hash_seed,
            starts_at=experiment.starts_at,
            ends_at=experiment.ends_at,
            variants=tuple(VariantRule(v.pk, v.key, v.value) for v in variants),
            ranges=tuple(
                bucket_ranges(
                    variations=len(variants),
                    coverage=float(experiment.traffic_percent) / 100,
                    weights=[float(v.weight) for v in variants],
                )
            ),
            region_ids=frozenset(region.pk for region in experiment.target_regions.all()),
            dwelling_types=frozenset(experiment.target_dwelling_types or []),
            group_ids=frozenset(group.pk for group in experiment.target_groups.all()),
        )
    return Snapshot(version=version, flags=flags, switches=switches, experiments=experiments)


def snapshot() -> Snapshot:
    """The current snapshot; reloaded when another process changed flags (checked ≤ 1/s)."""
    now = time.monotonic()
    current = _state["snapshot"]
    if current is not None and now - _state["checked_at"] < _refresh_seconds():
        return current
    with _lock:
        current = _state["snapshot"]
        # Checked by the thread that held the lock meanwhile: one Redis call per interval, not
        # one per waiting thread (each up to the cache's socket timeout when Redis hangs).
        if current is not None and time.monotonic() - _state["checked_at"] < _refresh_seconds():
            return current
        try:
            version = cache.get(VERSION_CACHE_KEY) or 0
        except REDIS_ERRORS:
            redis_unavailable(
                use="flag_snapshot_version",
                lost="flag changes made in other processes wait until Redis answers",
            )
            version = current.version if current is not None else VERSION_UNKNOWN
        if current is None or current.version != version:
            current = _state["snapshot"] = snapshot_load(version)
        _state["checked_at"] = time.monotonic()
        return current


def snapshot_invalidate() -> None:
    """Flags changed: this process reloads at once, the others within the refresh interval
    (once Redis answers again, if it does not now)."""
    try:
        cache.set(VERSION_CACHE_KEY, time.time_ns(), timeout=None)
    except REDIS_ERRORS:
        redis_unavailable(
            use="flag_snapshot_version",
            lost="other processes keep their flags until a change is saved with Redis up",
        )
    snapshot_forget()


def snapshot_forget() -> None:
    """Drop this process's snapshot; the next evaluation loads a fresh one."""
    _state["snapshot"] = None


# --- evaluation -------------------------------------------------------------------------------


def rollout_bucket(*, flag_name: str, user_id: int) -> float:
    """A user's place (0-1) in a flag's percentage rollout."""
    return bucket(seed=flag_name, value=str(user_id))


def flag_evaluate(rule: FlagRule | None, unit: Unit) -> Result:
    """A boolean flag for a unit, by waffle's rules (percentages sticky per user)."""
    if rule is None:
        return Result(False, DEFAULT)
    if rule.everyone is True:
        return Result(True, STATIC)
    if rule.everyone is False:
        return Result(False, DISABLED)
    if rule.languages and unit.language in rule.languages:
        return Result(True, TARGETING_MATCH)
    if unit.is_authenticated:
        if (
            (rule.authenticated)
            or (rule.staff and unit.is_staff)
            or (rule.superusers and unit.is_superuser)
            or unit.id in rule.user_ids
            or (rule.group_ids and rule.group_ids & unit.group_ids)
        ):
            return Result(True, TARGETING_MATCH)
        if rule.percent:
            active = rollout_bucket(flag_name=rule.name, user_id=unit.id) * 100 < rule.percent
            return Result(active, SPLIT)
    return Result(False, DEFAULT)


def experiment_evaluate(rule: ExperimentRule, unit: Unit, *, now: datetime | None = None):
    """The unit's variant, or None when the unit is outside the experiment."""
    if unit.id is None or not rule.running_at(now or timezone.now()):
        return None
    if rule.group_ids and not rule.group_ids & unit.group_ids:
        return None
    if rule.region_ids or rule.dwelling_types:
        region_id, dwelling_type = unit.premise
        if rule.region_ids and region_id not in rule.region_ids:
            return None
        if rule.dwelling_types and dwelling_type not in rule.dwelling_types:
            return None
    index = choose_variation(bucket(seed=rule.seed, value=str(unit.id)), rule.ranges)
    if index < 0:
        return None  # outside the experiment's traffic
    variant = rule.variants[index]
    return Result(variant.value, SPLIT, variant.key, rule.id, variant.id)


# Evaluations are counted in a plain dict (a check must stay a few µs: bench/flags.py) and
# published to shoene_flag_evaluations_total after each request and task and at every scrape
# (``evaluations_publish``, registered in flags.apps). The dict holds running totals, so a
# publish never loses counts made meanwhile; only two threads adding to the same key in the
# same instant can lose one (a rate, not an account).
_evaluations: defaultdict[tuple[str, str], int] = defaultdict(int)
_published: dict[tuple[str, str], int] = {}
_publish_lock = threading.Lock()


def evaluation_count(name: str, value: str) -> None:
    """Count one evaluation of ``name`` serving ``value``."""
    _evaluations[(name, value)] += 1


def evaluations_publish() -> None:
    """Add the evaluations counted since the last call to the Prometheus counter."""
    with _publish_lock:
        for key, total in list(_evaluations.items()):
            delta = total - _published.get(key, 0)
            if delta:
                FLAG_EVALUATIONS.labels(*key).inc(delta)
                _published[key] = total


def flag_is_active(*, name: str, unit: Unit) -> bool:
    active = bool(flag_evaluate(snapshot().flags.get(name), unit).value)
    evaluation_count(name, "true" if active else "false")
    return active


def switch_is_active(*, name: str) -> bool:
    active = snapshot().switches.get(name, False)
    evaluation_count(name, "true" if active else "false")
    return active


@dataclass
class _Seen:
    """Exposures this process already recorded (so a page view costs no write)."""

    keys: set = field(default_factory=set)


_seen = _Seen()


def exposure_record(*, result: Result, unit: Unit) -> bool:
    """Record the unit's first exposure to an experiment; True when this call wrote it.

    One database write per unit and experiment, ever: later page views stop at this process's
    memory or at the shared cache (``cache.add`` is atomic), and the unique constraint keeps a
    race between processes to one row.
    """
    if result.experiment_id is None or unit.id is None:
        return False
    key = f"flags:exposed:{result.experiment_id}:{unit.id}"
    if key in _seen.keys:
        return False
    _seen.keys.add(key)
    from flags.models import Exposure

    try:
        if not cache.add(key, 1, timeout=None):
            return False
    except REDIS_ERRORS:
        redis_unavailable(
            use="experiment_exposure", lost="a database read in place of the cache's mark"
        )
        exposed = Exposure.objects.filter(experiment_id=result.experiment_id, user_id=unit.id)
        if exposed.exists():
            return False
    created = Exposure.objects.bulk_create(
        [
            Exposure(
                experiment_id=result.experiment_id,
                variant_id=result.variant_id,
                user_id=unit.id,
            )
        ],
        ignore_conflicts=True,
    )
    return bool(created)


def exposures_forget() -> None:
    """Tests: forget what this process has recorded."""
    _seen.keys.clear()

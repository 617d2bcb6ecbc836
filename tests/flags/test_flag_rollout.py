"""Flags for customers: sticky percentages, targeting, the snapshot, the registry and its checks."""

import math
import threading
from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.cache import cache
from django.core.management import call_command
from django.test import RequestFactory

from flags import evaluation, services
from flags.checks import expiry_messages
from flags.evaluation import Unit
from flags.models import Flag
from flags.registry import FLAGS, FlagSpec
from tests import factories

pytestmark = pytest.mark.django_db


def users(n: int):
    return [factories.UserFactory(username=f"customer{i:04d}") for i in range(n)]


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def active_ids(name: str, people) -> set[int]:
    return {u.pk for u in people if evaluation.flag_is_active(name=name, unit=Unit(u))}


def test_a_percentage_is_sticky_per_user_and_about_right():
    people = users(400)
    Flag.objects.create(name="portal_winter_tips", percent=50)
    first = active_ids("portal_winter_tips", people)
    assert 0.42 < len(first) / len(people) < 0.58
    evaluation.snapshot_forget()  # a new process, another device: the same answer
    assert active_ids("portal_winter_tips", people) == first


def test_raising_a_rollout_keeps_everyone_already_in():
    people = users(400)
    flag = Flag.objects.create(name="portal_winter_tips", percent=10)
    ten = active_ids("portal_winter_tips", people)
    flag.percent = 20
    flag.save()
    twenty = active_ids("portal_winter_tips", people)
    assert ten < twenty
    assert 0.14 < len(twenty) / len(people) < 0.26


def test_waffles_own_check_agrees_with_the_fast_path():
    """Templates or code that still ask waffle get the same sticky answer, not a cookie."""
    from waffle import flag_is_active as waffle_flag_is_active

    people = users(60)
    Flag.objects.create(name="portal_winter_tips", percent=50)
    for user in people:
        assert bool(waffle_flag_is_active(request_for(user), "portal_winter_tips")) == (
            evaluation.flag_is_active(name="portal_winter_tips", unit=Unit(user))
        )


def test_groups_everyone_and_missing_flags():
    staff_group = Group.objects.create(name="Pilot customers")
    member, other = users(2)
    member.groups.add(staff_group)
    flag = Flag.objects.create(name="portal_winter_tips")
    flag.groups.add(staff_group)
    assert (
        evaluation.flag_evaluate(
            evaluation.snapshot().flags["portal_winter_tips"], Unit(member)
        ).reason
        == evaluation.TARGETING_MATCH
    )
    assert not evaluation.flag_is_active(name="portal_winter_tips", unit=Unit(other))
    flag.everyone = False
    flag.save()
    assert (
        evaluation.flag_evaluate(
            evaluation.snapshot().flags["portal_winter_tips"], Unit(member)
        ).reason
        == evaluation.DISABLED
    )
    assert not evaluation.flag_is_active(name="no_such_flag", unit=Unit(member))
    assert not evaluation.flag_is_active(name="portal_winter_tips", unit=Unit(AnonymousUser()))


def test_another_process_sees_a_change_after_the_refresh_interval(settings):
    """Each process keeps a snapshot; a change bumps a version in the shared cache."""
    settings.FLAGS_SNAPSHOT_SECONDS = 0  # check the version on every evaluation
    [user] = users(1)
    Flag.objects.create(name="portal_winter_tips", everyone=False)
    assert not evaluation.flag_is_active(name="portal_winter_tips", unit=Unit(user))
    # Another process changes the flag: the row and the version, not this process's memory.
    Flag.objects.filter(name="portal_winter_tips").update(everyone=True)
    assert not evaluation.flag_is_active(name="portal_winter_tips", unit=Unit(user))
    cache.set(evaluation.VERSION_CACHE_KEY, 12345)
    assert evaluation.flag_is_active(name="portal_winter_tips", unit=Unit(user))


def test_threads_waiting_on_one_version_check_take_its_answer(settings, monkeypatch):
    """Redis slow to answer the version: the threads queued behind the check do not each ask."""
    settings.FLAGS_SNAPSHOT_SECONDS = 60
    evaluation.snapshot_forget()
    loaded = evaluation.snapshot()
    evaluation._state["checked_at"] = -math.inf  # a check is due
    answer, asked = threading.Event(), []

    class SlowCache:
        def get(self, key, default=None):
            asked.append(key)
            answer.wait(timeout=30)
            return loaded.version

    class CountedLock:
        """The snapshot's lock, saying when each thread has reached it."""

        def __init__(self) -> None:
            self.lock, self.reached = threading.Lock(), threading.Semaphore(0)

        def __enter__(self) -> None:
            self.reached.release()
            self.lock.acquire()

        def __exit__(self, *exc_info) -> None:
            self.lock.release()

    lock = CountedLock()
    monkeypatch.setattr(evaluation, "cache", SlowCache())
    monkeypatch.setattr(evaluation, "_lock", lock)
    snapshots = []
    threads = [
        threading.Thread(target=lambda: snapshots.append(evaluation.snapshot())) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for _ in threads:  # all three passed the fast path and wait on the one check
        assert lock.reached.acquire(timeout=30)
    answer.set()
    for thread in threads:
        thread.join(timeout=30)

    assert asked == [evaluation.VERSION_CACHE_KEY]
    assert snapshots == [loaded] * 3


def test_a_warm_check_costs_no_query(django_assert_num_queries):
    [user] = users(1)
    Flag.objects.create(name="portal_winter_tips", percent=50)
    unit = Unit(user)
    evaluation.flag_is_active(name="portal_winter_tips", unit=unit)
    with django_assert_num_queries(0):
        for _ in range(100):
            evaluation.flag_is_active(name="portal_winter_tips", unit=unit)


def test_services_take_the_request():
    [user] = users(1)
    Flag.objects.create(name="portal_winter_tips", everyone=True)
    assert services.portal_flags(request=request_for(user)) == {"portal_winter_tips": True}


# --- the registry ---------------------------------------------------------------------------


def spec(expires: date, name="old_banner") -> FlagSpec:
    return FlagSpec(name=name, description="d", owner="o", kind="release", expires=expires)


def test_an_expired_flag_is_an_error_and_one_about_to_expire_a_warning():
    today = date(2026, 11, 27)
    messages = expiry_messages(
        specs=(
            spec(today - timedelta(days=1), "expired"),
            spec(today + timedelta(days=14), "soon"),
            spec(today + timedelta(days=15), "later"),
        ),
        today=today,
    )
    assert [(m.id, "expired" in m.msg) for m in messages] == [
        ("flags.E001", True),
        ("flags.W001", False),
    ]


def test_no_flag_in_the_code_has_expired():
    """CI fails on a forgotten flag: remove it, or extend it on purpose."""
    assert [m for m in expiry_messages() if m.id == "flags.E001"] == []


def test_the_system_check_runs_with_manage_py_check():
    out = StringIO()
    call_command("check", stdout=out)  # raises SystemCheckError on an expired flag
    assert "no issues" in out.getvalue() or "WARNINGS" in out.getvalue()


def test_sync_flags_creates_what_is_missing_and_keeps_what_staff_set():
    Flag.objects.create(name="portal_winter_tips", everyone=True, percent=30)
    Flag.objects.create(name="retired_banner")
    out = StringIO()
    call_command("sync_flags", stdout=out)
    call_command("sync_flags", stdout=out)
    flag = Flag.objects.get(name="portal_winter_tips")
    assert (flag.everyone, float(flag.percent)) == (True, 30.0)
    boolean = {s.name for s in FLAGS if s.value_type == "boolean"}
    assert boolean <= set(Flag.objects.values_list("name", flat=True))
    assert "recommendation_framing" not in set(Flag.objects.values_list("name", flat=True))
    assert "Not in code" in out.getvalue() and "retired_banner" in out.getvalue()


def test_a_registry_entry_needs_a_known_kind():
    with pytest.raises(ValueError, match="kind"):
        FlagSpec(name="x", description="d", owner="o", kind="whim", expires=date(2030, 1, 1))

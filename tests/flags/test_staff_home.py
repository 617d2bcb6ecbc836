"""The staff console's home leads with today's work: the overview, the experiments running and
the flags about to expire, each only for staff who may see that kind of object."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from flags import selectors
from flags.models import Flag
from flags.registry import FlagSpec
from tests import factories
from tests.flags.test_experiment_lifecycle import experiment_create

pytestmark = pytest.mark.django_db


def _spec(name: str, *, days: int) -> FlagSpec:
    expires = timezone.localdate() + timedelta(days=days)
    return FlagSpec(
        name=name, description="d", owner="pricing-team", kind="release", expires=expires
    )


@pytest.fixture
def specs(monkeypatch):
    specs = {
        "next_week": _spec("next_week", days=7),
        "last_week": _spec("last_week", days=-7),
        "next_year": _spec("next_year", days=365),
    }
    monkeypatch.setattr(selectors, "registry", lambda: specs)
    return specs


def _home(client) -> str:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_home_lists_running_experiments_and_flags_expiring_soonest_first(staff_client, specs):
    running = experiment_create(key="framing", status="running")
    experiment_create(key="draft_tips", status="draft")
    flag = Flag.objects.create(name="next_week")

    body = _home(staff_client)

    panel = body[body.index('id="staff-home"') : body.index("</section>")]
    assert reverse("dashboards:staff_overview") in panel
    assert reverse("admin:flags_experiment_results", args=[running.pk]) in panel
    assert ">framing</a>" in panel and "draft_tips" not in panel
    assert panel.index("last_week") < panel.index("next_week")  # soonest (past) first
    assert "expired 7 days ago" in panel and "in 7 days" in panel
    assert reverse("admin:flags_flag_change", args=[flag.pk]) in panel
    assert "next_year" not in panel
    assert "pricing-team" in panel
    assert body.index('id="staff-home"') < body.index('class="app-flags')  # before the sections


def test_staff_see_only_the_parts_they_may_view(client, specs):
    viewer = factories.UserFactory(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="flags", codename="view_flag")
    )
    running = experiment_create(key="framing", status="running")
    client.force_login(viewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    body = _home(client)

    assert "next_week" in body
    assert reverse("admin:flags_experiment_results", args=[running.pk]) not in body
    assert "Experiments running" not in body

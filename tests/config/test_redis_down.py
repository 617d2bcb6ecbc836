"""Redis down (the cache and the broker on a port where nothing listens): pages and the API
answer as usual, never 500, and what they did without Redis is counted."""

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from energy.models import BatchStatus, IngestBatch
from flags import evaluation
from flags.models import Flag, PortalVisit
from tests import factories
from tests.brokers import NOTHING_LISTENS, tasks_queued_on

pytestmark = pytest.mark.django_db


def given_up(use: str) -> float:
    return REGISTRY.get_sample_value("shoene_redis_unavailable_total", {"use": use}) or 0.0


@pytest.fixture
def redis_down(settings):
    """The cache and the broker both on a dead port; tasks queued (as in production)."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": NOTHING_LISTENS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    with tasks_queued_on(NOTHING_LISTENS):
        yield


def test_ingest_stores_the_batch_and_answers_202_without_a_rate_limit(
    redis_down, gateway_client, electricity_meter, django_capture_on_commit_callbacks
):
    before, unqueued = given_up("api_rate_limit"), given_up("ingest_enqueue")
    body = "meter,ts,value\nE-0001,2026-01-10T00:00:00+09:00,0.4\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = gateway_client.post("/api/v1/ingest/readings/", body, content_type="text/csv")

    assert response.status_code == 202, response.content[:300]
    # Stored and left "received": the broker is down too, so the sweeper will queue it.
    assert IngestBatch.objects.get(pk=response.json()["id"]).status == BatchStatus.RECEIVED
    assert given_up("api_rate_limit") == before + 1
    assert given_up("ingest_enqueue") == unqueued + 1


def test_an_api_read_answers_200_without_a_rate_limit(redis_down, api_client_for):
    client = api_client_for("export")
    before = given_up("api_rate_limit")

    response = client.get("/api/v1/premises/")

    assert response.status_code == 200, response.content[:300]
    assert given_up("api_rate_limit") == before + 1


def test_a_portal_page_answers_and_records_the_visit_in_the_database(redis_down, client):
    premise = factories.PremiseFactory()
    client.force_login(premise.owner)
    visits, versions = given_up("portal_visit"), given_up("flag_snapshot_version")

    response = client.get(reverse("dashboards:premise_home", args=[premise.pk]))

    assert response.status_code == 200
    assert PortalVisit.objects.filter(user=premise.owner).count() == 1  # not lost
    assert given_up("portal_visit") == visits + 1
    assert given_up("flag_snapshot_version") == versions + 1


def test_flags_keep_the_snapshot_they_have_and_reload_once_redis_answers(settings, redis_down):
    evaluation.snapshot_forget()
    settings.FLAGS_SNAPSHOT_SECONDS = 0  # every check asks Redis for the version

    loaded = evaluation.snapshot()
    assert loaded.version == evaluation.VERSION_UNKNOWN  # loaded from the database anyway
    assert evaluation.snapshot() is loaded  # kept while Redis is away

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert evaluation.snapshot().version == 0  # Redis back (and empty): loaded again


def test_saving_a_flag_with_redis_down_is_counted_not_an_error(
    redis_down, django_capture_on_commit_callbacks
):
    before = given_up("flag_snapshot_version")

    with django_capture_on_commit_callbacks(execute=True):
        evaluation.snapshot_invalidate()

    assert given_up("flag_snapshot_version") == before + 1


def test_staff_save_a_flag_with_redis_down(redis_down, django_capture_on_commit_callbacks):
    # Waffle flushes its cache after every save; that cache is not Redis.
    with django_capture_on_commit_callbacks(execute=True):
        flag = Flag.objects.create(name="redis_down_flag", everyone=True)
        flag.everyone = False
        flag.save()

    assert not Flag.objects.get(name="redis_down_flag").everyone


def test_the_staff_overview_answers_without_queuing_its_refresh(redis_down, client):
    client.force_login(factories.UserFactory(username="ops", is_staff=True))
    before = given_up("overview_refresh")

    response = client.get(reverse("dashboards:staff_overview"))

    assert response.status_code == 200
    assert given_up("overview_refresh") == before + 1

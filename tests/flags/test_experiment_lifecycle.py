"""An experiment's state changes (flags/experiments/lifecycle.py), from the admin and directly."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from config.errors import Conflict
from flags.experiments.lifecycle import experiment_pause, experiment_start, experiment_stop
from flags.models import Experiment, ExperimentStatus, Variant
from tests import factories

pytestmark = pytest.mark.django_db


def experiment_create(*, key="framing", status="draft", variants=2, **fields) -> Experiment:
    experiment = Experiment.objects.create(
        key=key, name=key, primary_metric="daily_kwh", status=status, **fields
    )
    for position in range(variants):
        Variant.objects.create(
            experiment=experiment,
            key=f"v{position}",
            name=f"v{position}",
            weight=1 / variants,
            value=position,
            position=position,
        )
    return experiment


def test_start_runs_it_from_now_and_keeps_a_start_already_set():
    fresh = experiment_start(experiment=experiment_create())
    assert fresh.status == ExperimentStatus.RUNNING
    assert timezone.now() - fresh.starts_at < timedelta(minutes=1)
    planned = timezone.now() - timedelta(days=3)
    kept = experiment_start(experiment=experiment_create(key="planned", starts_at=planned))
    assert kept.starts_at == planned


def test_start_needs_two_variants_and_changes_nothing_without_them():
    experiment = experiment_create(variants=1)
    with translation.override("en"), pytest.raises(Conflict) as refused:
        experiment_start(experiment=experiment)
    assert refused.value.code == "experiment_variants_too_few"
    assert refused.value.message == "framing needs at least two variants."
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.DRAFT and experiment.starts_at is None


def test_pause_only_a_running_experiment():
    running = experiment_create(status="running")
    assert experiment_pause(experiment=running).status == ExperimentStatus.PAUSED
    assert experiment_pause(experiment=running).status == ExperimentStatus.PAUSED  # again: same
    for status in ("draft", "stopped"):
        other = experiment_create(key=status, status=status)
        with pytest.raises(Conflict):
            experiment_pause(experiment=other)
        other.refresh_from_db()
        assert other.status == status


def test_stop_ends_it_now_once():
    experiment = experiment_create(status="paused")
    stopped = experiment_stop(experiment=experiment)
    assert stopped.status == ExperimentStatus.STOPPED and stopped.ends_at is not None
    again = experiment_stop(experiment=experiment)
    assert again.ends_at == stopped.ends_at


def test_the_history_names_who_changed_it():
    staff = factories.UserFactory(username="keiko", is_staff=True)
    experiment = experiment_start(experiment=experiment_create(), user=staff)
    assert experiment.history.latest().history_user == staff


CONFIRMED = {"confirm": "yes", "history_reason": "pilot"}


def test_the_admin_actions_call_the_services_and_show_refusals(staff_client):
    two = experiment_create(key="two")
    one = experiment_create(key="one", variants=1)
    changelist = reverse("admin:flags_experiment_changelist")
    asked = staff_client.post(changelist, {"action": "start", "_selected_action": [two.pk, one.pk]})
    assert asked.status_code == 200 and "history_reason" in asked.context["form"].fields
    assert Experiment.objects.get(pk=two.pk).status == ExperimentStatus.DRAFT  # not yet
    response = staff_client.post(
        changelist,
        {"action": "start", "_selected_action": [two.pk, one.pk], **CONFIRMED},
        follow=True,
    )
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert "two is running." in shown and "one needs at least two variants." in shown
    assert Experiment.objects.get(pk=two.pk).status == ExperimentStatus.RUNNING
    assert Experiment.objects.get(pk=one.pk).status == ExperimentStatus.DRAFT

    staff_client.post(changelist, {"action": "pause", "_selected_action": [two.pk], **CONFIRMED})
    assert Experiment.objects.get(pk=two.pk).status == ExperimentStatus.PAUSED
    assert Experiment.objects.get(pk=two.pk).history.latest().history_change_reason == "pilot"
    staff_client.post(
        changelist, {"action": "stop", "_selected_action": [two.pk, one.pk], **CONFIRMED}
    )
    assert set(Experiment.objects.values_list("status", flat=True)) == {"stopped"}

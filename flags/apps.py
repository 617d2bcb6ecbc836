import waffle.apps
from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _changed(sender, **kwargs) -> None:
    from flags.evaluation import snapshot_forget, snapshot_invalidate

    snapshot_forget()  # this process (and its open transaction) sees the change at once
    transaction.on_commit(snapshot_invalidate)  # the others once it is committed


class FlagsConfig(AppConfig):
    name = "flags"
    verbose_name = _("Feature flags and experiments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waffle.models import Switch

        from flags import checks  # noqa: F401 - registers the expiry check
        from flags.models import Experiment, Flag, Variant
        from flags.openfeature_provider import provider_register

        # The portal evaluates through OpenFeature's client; ours is the provider behind it.
        provider_register()

        # Flag checks count in memory; the counts reach Prometheus after requests and tasks.
        from config.observability.metrics import metrics_publisher_register
        from flags.evaluation import evaluations_publish

        metrics_publisher_register(evaluations_publish)

        # Days until each flag expires, on /metrics (the FlagPastExpiry alert).
        from config.observability.metrics import metrics_collector_register
        from flags.metrics import FLAG_EXPIRY

        metrics_collector_register(FLAG_EXPIRY)

        # The app's periodic jobs (flags/schedules.py).
        from config.celery_app import beat_schedule_register
        from flags.schedules import beat_schedule

        beat_schedule_register(beat_schedule())

        # Any change to what evaluation reads makes every process reload its snapshot.
        for model in (Flag, Switch, Experiment, Variant):
            post_save.connect(_changed, sender=model, dispatch_uid=f"flags-{model.__name__}-save")
            post_delete.connect(
                _changed, sender=model, dispatch_uid=f"flags-{model.__name__}-delete"
            )
        for relation in (
            Flag.users.through,
            Flag.groups.through,
            Experiment.target_regions.through,
            Experiment.target_groups.through,
        ):
            m2m_changed.connect(_changed, sender=relation, dispatch_uid=f"flags-{relation}")


class WaffleSwitchesConfig(waffle.apps.WaffleConfig):
    """django-waffle's own app (its switches and samples; flags are ``flags.Flag``), under a
    name staff read in their language rather than "django-waffle"."""

    default = False  # not the "flags" app's config: that is FlagsConfig
    verbose_name = _("Switches and samples")

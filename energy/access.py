"""The groups Shoene's users belong to, and what each may do. Applied after every migrate."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

METER_GATEWAYS = "Meter gateways"
BUSINESS_STAFF = "Business staff"
DATA_TEAM = "Data team"

# Tariffs and emission factors are data that business staff keep up to date (DESIGN.md), with
# every part of a tariff: versions, bands, monthly adjustments.
_STAFF_EDITS_TARIFFS = [
    f"energy.{action}_{model}"
    for model in (
        "electricitytariff",
        "electricitytariffversion",
        "timeofuseband",
        "fuelcostadjustment",
        "gastariff",
        "gastariffversion",
        "gasusageband",
        "gasrawmaterialadjustment",
        "emissionfactor",
    )
    for action in ("view", "add", "change", "delete")
]

# Experiments: staff design and run them; everyone who reads them sees exposures and results.
_EXPERIMENTS_READ = [
    "flags.view_experiment",
    "flags.view_variant",
    "flags.view_exposure",
    "flags.view_experimentresult",
]
_STAFF_RUNS_EXPERIMENTS = [
    *_EXPERIMENTS_READ,
    "flags.add_experiment",
    "flags.change_experiment",
    "flags.delete_experiment",
    "flags.add_variant",
    "flags.change_variant",
    "flags.delete_variant",
]

# group name -> "app_label.codename" permissions. Business staff may change flags and the
# data they own (the flags issue extends this), never users or raw readings.
GROUP_PERMISSIONS: dict[str, list[str]] = {
    METER_GATEWAYS: ["energy.ingest_readings"],
    BUSINESS_STAFF: [
        "flags.view_flag",
        "flags.add_flag",
        "flags.change_flag",
        "waffle.view_switch",
        "waffle.add_switch",
        "waffle.change_switch",
        "waffle.view_sample",
        "waffle.change_sample",
        "energy.view_region",
        "energy.view_premise",
        "energy.view_meter",
        "energy.view_dailyusage",
        "energy.view_weatherobservation",
        "energy.view_recommendationtemplate",
        "energy.change_recommendationtemplate",
        "energy.view_recommendation",
        *_STAFF_EDITS_TARIFFS,
        *_STAFF_RUNS_EXPERIMENTS,
    ],
    DATA_TEAM: [
        "energy.view_region",
        "energy.view_premise",
        "energy.view_meter",
        "energy.view_dailyusage",
        "energy.view_weatherobservation",
        "energy.view_ingestbatch",
        "energy.view_intervention",
        "energy.view_recommendation",
        *_EXPERIMENTS_READ,
    ],
}


def groups_ensure(*, using: str = "default", apps=global_apps) -> None:
    """Create the groups and give each exactly its listed permissions (idempotent)."""
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    for name, perms in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.using(using).get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)


def on_post_migrate(sender, using="default", **kwargs) -> None:
    groups_ensure(using=using)

"""The groups Shoene's users belong to, and what each may do. Applied after every migrate."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

METER_GATEWAYS = "Meter gateways"
BUSINESS_STAFF = "Business staff"
DATA_TEAM = "Data team"

# What business staff keep up to date in the admin without a developer (docs/flags.md): flags and
# switches, flag changes scheduled for later, every part of a tariff (versions, bands, monthly
# adjustments), emission factors and the recommendation wording. Each of these has its history
# kept and can be restored (core/history.py).
STAFF_EDITS = (
    "flags.flag",
    "waffle.switch",
    "flags.scheduledflagchange",
    "flags.experiment",
    "flags.variant",
    "campaigns.yearonyearcampaign",
    "campaigns.demandresponseevent",
    "tariffs.electricitytariff",
    "tariffs.electricitytariffversion",
    "tariffs.timeofuseband",
    "tariffs.fuelcostadjustment",
    "tariffs.gastariff",
    "tariffs.gastariffversion",
    "tariffs.gasusageband",
    "tariffs.gasrawmaterialadjustment",
    "tariffs.emissionfactor",
    "savings.recommendationtemplate",
)
# Read-only context for that work: an experiment's exposures and results, and the regions it
# can target. Nothing else: not users, groups, customers' premises, readings or ingest batches.
STAFF_READS = (
    "flags.exposure",
    "flags.experimentresult",
    "campaigns.pointsentry",
    "campaigns.emaildelivery",
    "energy.region",
)


def _model_permissions(models: tuple[str, ...], actions: tuple[str, ...]) -> list[str]:
    return [
        f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
        for label in models
        for action in actions
    ]


# group name -> "app_label.codename" permissions.
GROUP_PERMISSIONS: dict[str, list[str]] = {
    METER_GATEWAYS: ["energy.ingest_readings"],
    BUSINESS_STAFF: [
        *_model_permissions(STAFF_EDITS, ("view", "add", "change", "delete")),
        *_model_permissions(STAFF_READS, ("view",)),
    ],
    DATA_TEAM: [
        "energy.view_region",
        "energy.view_premise",
        "energy.view_meter",
        "energy.view_dailyusage",
        "energy.view_weatherobservation",
        "energy.view_ingestbatch",
        "savings.view_intervention",
        "savings.view_recommendation",
        # The points ledger (GET /api/v1/points/).
        "campaigns.view_pointsentry",
        # Green Button imports: which meter each usage point in the files feeds.
        "interop.view_greenbuttonusagepoint",
        "interop.add_greenbuttonusagepoint",
        "interop.change_greenbuttonusagepoint",
        # Bills: customers' billing periods, read, imported (POST .../billing-periods/) and a wrong
        # one deleted in the admin before its correction is imported.
        "bills.view_billingperiod",
        "bills.add_billingperiod",
        "bills.change_billingperiod",
        "bills.delete_billingperiod",
        # Experiments with their exposures and results (the API's experiments endpoints).
        "flags.view_experiment",
        "flags.view_variant",
        "flags.view_exposure",
        "flags.view_experimentresult",
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

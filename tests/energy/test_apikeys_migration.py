"""API keys moved to their own app: a database built before the move keeps every key and every
permission to manage them."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from tests.migrations import migrate, migrate_to_latest

BEFORE = [("energy", "0013_plausible_recommendation_wording"), ("apikeys", None)]


@pytest.mark.django_db(transaction=True)
def test_keys_and_their_permissions_survive_the_move_to_the_apikeys_app():
    old = migrate(BEFORE)
    # The database as it was: the key model in energy, its content type and permission there.
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldContentType.objects.filter(app_label="apikeys").delete()
    content_type, _ = OldContentType.objects.get_or_create(app_label="energy", model="apikey")
    Permission = old.get_model("auth", "Permission")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="change_apikey", defaults={"name": "Can change"}
    )
    keepers = old.get_model("auth", "Group").objects.create(name="key keepers")
    keepers.permissions.add(permission)
    owner = old.get_model("auth", "User").objects.create(username="gateway-owner")
    old.get_model("energy", "ApiKey").objects.create(
        name="north gateway",
        user_id=owner.pk,
        prefix="abcd1234",
        secret_sha256="0" * 64,
        scopes=["ingest"],
        rate="600/min",
    )

    migrate_to_latest()
    ContentType.objects.clear_cache()

    from energy.apikeys.models import ApiKey

    key = ApiKey.objects.get(prefix="abcd1234")
    assert (key.name, key.scopes, key.rate, key.user.username) == (
        "north gateway",
        ["ingest"],
        "600/min",
        "gateway-owner",
    )
    assert ApiKey._meta.db_table == "energy_apikey"
    assert not ContentType.objects.filter(app_label="energy", model="apikey").exists()
    staff = get_user_model().objects.create(username="keeper", is_staff=True)
    staff.groups.add(Group.objects.get(name="key keepers"))
    assert staff.has_perm("apikeys.change_apikey")

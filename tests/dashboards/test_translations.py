"""Every string a customer sees in the portal, and staff in the admin, has a Japanese
translation."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
# Apps with a catalogue of their own (<app>/locale/ja/LC_MESSAGES/django.po).
APPS_WITH_CATALOGUES = ("core", "dashboards", "energy", "flags")


@pytest.mark.parametrize("app_name", APPS_WITH_CATALOGUES)
def test_the_japanese_catalogue_covers_every_string_of_the_app(tmp_path, app_name):
    """makemessages over the current code finds nothing untranslated or fuzzy."""
    app = tmp_path / app_name
    shutil.copytree(ROOT / app_name, app, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            "django",
            "makemessages",
            "-l",
            "ja",
            "--no-obsolete",
            "-v",
            "0",
        ],
        cwd=app,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "PYTHONPATH": str(ROOT),
        },
        check=True,
    )
    result = subprocess.run(
        ["msgfmt", "--statistics", "-c", "-o", "/dev/null", "locale/ja/LC_MESSAGES/django.po"],
        cwd=app,
        capture_output=True,
        text=True,
        check=True,
    )
    stats = result.stderr.strip()
    assert "untranslated" not in stats and "fuzzy" not in stats, stats


def test_the_compiled_catalogues_are_in_use():
    with translation.override("ja"):
        assert translation.gettext("Download CSV") == "CSVをダウンロード"
        assert translation.gettext("Restore this version") == "この版に戻す"
        # waffle's own strings, translated in flags' catalogue (flags/third_party_strings.py)
        assert translation.gettext("Is this switch active?") == "このスイッチを有効にしますか?"
        # energy's own, and the words that mean something else in another app's catalogue
        assert translation.gettext("Fuel-cost adjustment") == "燃料費調整額"
        assert translation.gettext("owner") == "担当"  # a flag's owner
        assert translation.pgettext("premise", "owner") == "お客さま"
        assert translation.gettext("Done") == "実施済み"  # a recommendation's status
        assert translation.pgettext("ingest batch status", "Done") == "完了"


@pytest.mark.django_db
def test_japanese_is_the_default_and_a_chosen_language_is_remembered(client):
    assert client.get("/").headers["Content-Language"] == "ja"
    # An English browser still gets Japanese until the customer chooses English.
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en").headers["Content-Language"] == "ja"
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies["django_language"]
    assert cookie.value == "en"
    assert int(cookie["max-age"]) >= 365 * 24 * 60 * 60 - 1
    english = client.get("/")
    assert english.headers["Content-Language"] == "en"
    assert "Log in" in english.content.decode()


@override_settings(LANGUAGE_CODE="ja")
@pytest.mark.django_db
def test_the_landing_page_in_japanese_has_no_english_left(client):
    body = client.get("/").content.decode()
    assert "ログイン" in body
    assert "Log in" not in body


@pytest.mark.django_db
def test_staff_edit_tariffs_in_japanese(client):
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    body = client.get(reverse("admin:tariffs_electricitytariffversion_add")).content.decode()
    assert "電気料金プランの版" in body
    assert "基本料金（円/月）" in body
    assert "再生可能エネルギー発電促進賦課金単価（円/kWh）" in body
    assert "時間帯別料金の時間帯" in body
    assert "basic charge" not in body.lower()
    assert "renewable energy levy" not in body.lower()

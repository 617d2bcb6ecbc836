"""Production hardening seen from the browser: the Content-Security-Policy lets the portal's
own scripts run (and no inline one), and repeated failed logins are throttled."""

import importlib
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from energy.usage.selectors import period_of
from tests import factories


@pytest.fixture
def production_csp(settings, monkeypatch, tmp_path):
    settings.STATIC_ROOT = tmp_path  # whitenoise (production's first middleware) serves from it
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 60)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "testserver")
    production = importlib.import_module("config.settings.production")
    settings.MIDDLEWARE = production.MIDDLEWARE
    settings.CONTENT_SECURITY_POLICY = production.CONTENT_SECURITY_POLICY
    return production


def test_the_figures_run_no_inline_script_under_the_policy(production_csp, customer_client, home):
    """A figure is JSON in a data block (never executed) drawn by the site's own charts.js, so
    the policy's script-src 'self' is all it needs: no inline script to allow."""
    key = period_of("day", home.today - timedelta(days=1)).key
    url = reverse(
        "dashboards:usage", kwargs={"meter_id": home.electricity.pk, "period": "day", "key": key}
    )
    response = customer_client.get(url)

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    body = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert inline, "the day page carries its figure's data"
    assert all('type="application/json"' in tag for tag in inline)
    assert re.findall(r'<script\b[^>]*?\ssrc="([^"]+)"', body) == [
        "/static/dashboards/portal.js",
        "/static/core/charts.js",
    ]


def _login(client, path, *, username, password, address="10.0.0.1"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_five_failed_logins_lock_that_user_name_from_that_address(client, db, settings, path):
    settings.AXES_FAILURE_LIMIT = 5
    user = factories.UserFactory(username="hanako", is_staff=True)
    user.set_password("right-password-2026")
    user.save()

    for _ in range(4):
        assert _login(client, path, username="hanako", password="wrong").status_code == 200
    fifth = _login(client, path, username="hanako", password="wrong")
    locked = _login(client, path, username="hanako", password="right-password-2026")
    elsewhere = _login(
        client, path, username="hanako", password="right-password-2026", address="10.0.0.2"
    )

    assert fifth.status_code == 429
    assert locked.status_code == 429
    assert "試行回数が多すぎます" in locked.content.decode()  # the portal's own page, in Japanese
    assert elsewhere.status_code == 302  # the customer at home is not locked out

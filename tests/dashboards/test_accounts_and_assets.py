"""Logging out, changing and resetting a password; plotly.js served from our own static files."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_logout_is_a_post_and_ends_the_session(customer_client, home):
    response = customer_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    page = customer_client.get(reverse("dashboards:premise_home", args=[home.premise.pk]))
    assert page.status_code == 302


def test_changing_the_password(customer_client, home):
    form = customer_client.get(reverse("password_change"))
    assert "dashboards/accounts/password_change_form.html" in [t.name for t in form.templates]
    assert "/static/admin/" not in form.content.decode()  # the portal's page, not the admin's
    response = customer_client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "snowy-sapporo-2026",
            "new_password2": "snowy-sapporo-2026",
        },
    )
    assert response.status_code == 302
    home.customer.refresh_from_db()
    assert home.customer.check_password("snowy-sapporo-2026")


def test_a_reset_link_by_email_sets_a_new_password(client, home):
    response = client.post(reverse("password_reset"), {"email": home.customer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Shoene：パスワードの再設定"
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "powder-snow-niseko", "new_password2": "powder-snow-niseko"},
    )
    assert done.status_code == 302
    home.customer.refresh_from_db()
    assert home.customer.check_password("powder-snow-niseko")


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, home):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_plotly_js_is_a_local_static_file_and_is_collected(tmp_path, settings):
    found = finders.find("vendor/plotly.min.js")
    assert found and found.endswith(".min.js")
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    collected = tmp_path / "vendor" / "plotly.min.js"
    assert collected.stat().st_size > 1_000_000


def test_pages_load_plotly_from_this_site_only(customer_client, home):
    body = customer_client.get(
        reverse("dashboards:premise_home", args=[home.premise.pk])
    ).content.decode()
    sources = re.findall(r'<script\b[^>]*?\ssrc="([^"]+)"', body)
    # charts.js fetches plotly.js when a chart comes near the screen.
    assert sources == ["/static/dashboards/portal.js", "/static/core/charts.js"]
    assert 'data-plotly-src="/static/vendor/plotly.min.js"' in body
    assert "cdn" not in body.lower()

"""Staff sign in to Shoene's console, in their language, not to "Django administration"."""

import re

import pytest


@pytest.mark.parametrize(
    ("language", "header"),
    [("ja", "Shoene（省エネ）スタッフ管理画面"), ("en", "Shoene staff console")],
)
def test_the_admin_is_branded_shoene_in_both_languages(client, admin_client, language, header):
    client.cookies["django_language"] = admin_client.cookies["django_language"] = language
    for response in (client.get("/admin/login/"), admin_client.get("/admin/")):
        assert response.status_code == 200
        html = response.content.decode()
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)

        assert header in title
        assert header in html.split("</header>")[0]  # the page's own header
        assert "Django" not in title and "Django" not in html.split("</header>")[0]


@pytest.mark.parametrize(
    ("language", "name"), [("ja", "スイッチとサンプル"), ("en", "Switches and samples")]
)
def test_waffles_own_models_are_listed_under_a_name_staff_read(admin_client, language, name):
    admin_client.cookies["django_language"] = language
    html = admin_client.get("/admin/").content.decode()

    assert name in html
    assert "django-waffle" not in html

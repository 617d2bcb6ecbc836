import pytest
from django.conf import settings
from django.contrib.admin.widgets import ManyToManyRawIdWidget
from django.core.cache import cache
from django.forms import CheckboxInput, NullBooleanSelect

from energy.access import BUSINESS_STAFF
from tests import factories


@pytest.fixture(autouse=True)
def _empty_cache():
    """Exposures are remembered in the shared cache: every test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff_user(db):
    return factories.UserFactory(username="hanako", is_staff=True, groups=[BUSINESS_STAFF])


@pytest.fixture
def staff_client(client, staff_user):
    """Business staff in the admin, in English (the admin is Japanese unless one chooses)."""
    client.force_login(staff_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _form_data(form, data: dict) -> None:
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        value = form[name].value()
        widget = field.widget
        if isinstance(widget, NullBooleanSelect):
            data[key] = {True: "true", False: "false"}.get(value, "unknown")
        elif isinstance(widget, CheckboxInput):
            if value:
                data[key] = "on"
        elif isinstance(widget, ManyToManyRawIdWidget):
            data[key] = ",".join(str(pk) for pk in value or [])
        elif isinstance(value, list | tuple):
            data[key] = [str(pk) for pk in value]
        elif value is not None:
            data[key] = str(value)


def admin_form_data(response, **changes) -> dict:
    """What the admin change page in ``response`` would POST unchanged, with ``changes`` and a
    reason for the history (``history_reason=None`` leaves it out)."""
    data: dict = {"history_reason": "test change"}
    _form_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form_data(formset.management_form, data)
        for form in formset.forms:
            _form_data(form, data)
    for key, value in changes.items():
        if key == "history_reason" and value is None:
            data.pop(key)
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        else:
            data[key] = "" if value is None else str(value)
    return data

"""Notification emails: preferences, unsubscribe links, announcements sent once, summaries."""

import base64
import json
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail, signing
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from energy.access import BUSINESS_STAFF
from energy.campaigns import notifications
from energy.campaigns.models import (
    CampaignStatus,
    DemandResponseEvent,
    EmailDelivery,
    NotificationPreference,
)
from energy.models import DailyUsage
from energy.tasks import event_announcement_send, weekly_summaries_send
from tests import factories

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = LOCMEM
    settings.SITE_URL = "https://shoene.example"


def customer(username: str, *, commodity: str = "electricity", language: str | None = None):
    meter = factories.MeterFactory(
        premise__owner=factories.UserFactory(username=username),
        commodity=commodity,
        unit="kWh" if commodity == "electricity" else "m3",
    )
    user = meter.premise.owner
    if language:
        notifications.preference_for(user=user, language=language)
    return user


def draft_event(**fields) -> DemandResponseEvent:
    return DemandResponseEvent.objects.create(
        title_ja="節電チャレンジ",
        title_en="Power saving challenge",
        description_ja="夕方の使用を控えてください。",
        description_en="Please use less in the evening.",
        event_date=timezone.localdate() + timedelta(days=2),
        start_hour=17,
        end_hour=20,
        points_per_kwh=Decimal("10.0"),
        **fields,
    )


def electricity_event_audience():
    """Three electricity customers who want announcements, one who turned them off, and one
    with gas only: an electricity event emails the three."""
    wants = [customer(f"wants{n}") for n in range(3)]
    declined = customer("declined")
    notifications.preference_update(
        user=declined,
        event_announcements=False,
        high_usage_alerts=True,
        weekly_summary=False,
        language="ja",
    )
    gas_only = customer("gasonly", commodity="gas")
    return wants, declined, gas_only


def unsubscribe_path(token: str) -> str:
    return reverse("dashboards:notification_unsubscribe", kwargs={"token": token})


def text_of(message) -> str:
    return message.body


# --- Preferences page ---------------------------------------------------------------------------


def test_preferences_default_and_the_page_saves_them():
    user = customer("hana")
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"

    page = client.get("/notifications/")

    assert page.status_code == 200
    preference = NotificationPreference.objects.get(user=user)
    assert (preference.event_announcements, preference.high_usage_alerts) == (True, True)
    assert preference.weekly_summary is False
    assert preference.language == "en"  # the portal language in use when it was created
    assert b"Email settings" in page.content

    response = client.post(
        "/notifications/", {"weekly_summary": "on", "high_usage_alerts": "on", "language": "ja"}
    )

    assert response.status_code == 302
    preference.refresh_from_db()
    assert preference.event_announcements is False
    assert preference.high_usage_alerts is True
    assert preference.weekly_summary is True
    assert preference.language == "ja"


def test_the_preferences_page_needs_login_and_a_csrf_token():
    user = customer("jiro")
    assert Client().get("/notifications/").status_code == 302  # to the login page

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/notifications/", {"weekly_summary": "on", "language": "ja"})

    assert response.status_code == 403
    assert notifications.preference_for(user=user).weekly_summary is False


def test_the_portal_header_links_to_the_email_settings():
    user = customer("kei")
    client = Client()
    client.force_login(user)
    page = client.get(reverse("dashboards:premise_home", args=[user.premises.get().pk]))
    assert b'href="/notifications/"' in page.content


# --- Unsubscribe links ------------------------------------------------------------------------


def test_the_unsubscribe_link_works_without_login_and_turns_off_only_its_kind():
    user = customer("aiko", language="en")
    notifications.preference_update(
        user=user,
        event_announcements=True,
        high_usage_alerts=True,
        weekly_summary=True,
        language="en",
    )
    url = notifications.unsubscribe_url(user=user, kind=notifications.WEEKLY_SUMMARY)
    assert url.startswith("https://shoene.example/notifications/unsubscribe/")
    path = url.removeprefix("https://shoene.example")
    client = Client(enforce_csrf_checks=True)

    confirmation = client.get(path)
    assert confirmation.status_code == 200
    assert b"weekly usage summary" in confirmation.content  # in the email's language
    assert notifications.preference_for(user=user).weekly_summary is True  # GET changes nothing

    done = client.post(path)  # the page's one button, with no session and no CSRF token

    assert done.status_code == 200
    preference = notifications.preference_for(user=user)
    assert preference.weekly_summary is False
    assert (preference.event_announcements, preference.high_usage_alerts) == (True, True)


def test_a_mail_clients_one_click_post_unsubscribes():
    """RFC 8058: the client POSTs List-Unsubscribe=One-Click to the header's URL."""
    user = customer("daichi")
    token = notifications.unsubscribe_token(user=user, kind=notifications.EVENT_ANNOUNCEMENT)

    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_path(token), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert notifications.preference_for(user=user).event_announcements is False


def _with_payload(token: str, payload: dict) -> str:
    """The token with its payload replaced and the original signature kept."""
    _data, timestamp, signature = token.rsplit(":", 2)
    data = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{data.decode().rstrip('=')}:{timestamp}:{signature}"


@pytest.mark.parametrize("tamper", ["user", "kind", "signature"])
def test_a_tampered_unsubscribe_link_is_refused_and_changes_nothing(tamper):
    victim = customer("victim")
    holder = customer("holder")
    token = notifications.unsubscribe_token(user=holder, kind=notifications.HIGH_USAGE_ALERT)
    if tamper == "user":
        token = _with_payload(token, {"u": victim.pk, "k": notifications.HIGH_USAGE_ALERT})
    elif tamper == "kind":
        token = _with_payload(token, {"u": holder.pk, "k": notifications.EVENT_ANNOUNCEMENT})
    else:
        token = token[:-2] + ("aa" if not token.endswith("aa") else "bb")

    for method in ("get", "post"):
        response = getattr(Client(), method)(unsubscribe_path(token))
        assert response.status_code == 400

    for user in (victim, holder):
        preference = notifications.preference_for(user=user)
        assert (preference.event_announcements, preference.high_usage_alerts) == (True, True)


def test_expired_and_foreign_tokens_are_refused(settings):
    user = customer("emi")
    payload = {"u": user.pk, "k": notifications.EVENT_ANNOUNCEMENT}
    other_salt = signing.dumps(payload, salt="accounts.something-else")
    unsalted = signing.dumps(payload)
    signed_long_ago = (
        timezone.now().timestamp() - (settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS + 1) * 86400
    )
    with mock.patch("django.core.signing.time.time", return_value=signed_long_ago):
        expired = notifications.unsubscribe_token(user=user, kind=notifications.EVENT_ANNOUNCEMENT)

    for token in (other_salt, unsalted, expired, "not-a-token"):
        assert Client().post(unsubscribe_path(token)).status_code == 400
    assert notifications.preference_for(user=user).event_announcements is True


# --- Event announcements ---------------------------------------------------------------------


class FlakyBackend(LocmemBackend):
    """Refuses mail to one address the first time it is tried (a mail server hiccup)."""

    refused: set[str] = set()
    tried: set[str] = set()

    def send_messages(self, messages):
        for message in messages:
            for address in message.to:
                if address in self.refused and address not in self.tried:
                    self.tried.add(address)
                    raise OSError("connection reset by the mail server")
        return super().send_messages(messages)


def test_an_announcement_reaches_each_eligible_customer_once_even_when_retried(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    wants, declined, gas_only = electricity_event_audience()
    FlakyBackend.refused = {wants[1].email}
    FlakyBackend.tried = set()
    event = draft_event()

    # The first run: the mail server refuses one message; the others go, and the task asks
    # for a retry (in-process, Celery raises Retry instead of queueing it).
    with pytest.raises(Retry), django_capture_on_commit_callbacks(execute=True):
        notifications.event_announce(event=event)
    assert len(mail.outbox) == 2
    # The retry sends only the refused one; a redelivered task (acks_late) and a second
    # announce change nothing.
    event_announcement_send.delay(event.pk)
    event_announcement_send.delay(event.pk)
    notifications.event_announce(event=event)

    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(user.email for user in wants)
    assert declined.email not in recipients and gas_only.email not in recipients
    retried = EmailDelivery.objects.get(key=f"event-announcement:{event.pk}:{wants[1].pk}")
    assert (retried.status, retried.attempts) == (EmailDelivery.Status.SENT, 2)
    assert EmailDelivery.objects.filter(status=EmailDelivery.Status.SENT).count() == 3
    event.refresh_from_db()
    assert event.status == CampaignStatus.ANNOUNCED and event.announced_at is not None


def test_announcing_in_the_admin_says_how_many_will_get_an_email_and_is_in_the_history(
    client, django_capture_on_commit_callbacks
):
    electricity_event_audience()
    event = draft_event()
    staff = factories.UserFactory(username="kaori", is_staff=True, groups=[BUSINESS_STAFF])
    client.force_login(staff)
    changelist = reverse("admin:campaigns_demandresponseevent_changelist")
    chosen = {"action": "announce", "_selected_action": [event.pk]}

    asked = client.post(changelist, chosen)

    assert asked.status_code == 200
    # In staff's language (the admin's default, Japanese).
    assert [row["consequence"] for row in asked.context["rows"]] == ["3 人にメールが届きます"]
    assert "3 人にメールが届きます" in asked.content.decode()
    event.refresh_from_db()
    assert event.status == CampaignStatus.DRAFT and not mail.outbox  # nothing until confirmed
    no_reason = client.post(changelist, {**chosen, "confirm": "yes", "history_reason": ""})
    assert no_reason.status_code == 200 and no_reason.context["form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {**chosen, "confirm": "yes", "history_reason": "tight supply"})

    assert len(mail.outbox) == 3
    announced = event.history.latest()
    assert announced.status == CampaignStatus.ANNOUNCED
    assert (announced.history_user, announced.history_change_reason) == (staff, "tight supply")
    history = client.get(
        reverse("admin:campaigns_demandresponseevent_history", args=[event.pk])
    ).content.decode()
    assert "tight supply" in history and "kaori" in history


def test_a_failed_run_leaves_failed_deliveries_that_the_next_run_sends(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    users = [customer(f"c{n}") for n in range(2)]
    FlakyBackend.refused = {users[0].email}
    FlakyBackend.tried = set()
    event = draft_event(status=CampaignStatus.ANNOUNCED)

    with pytest.raises(notifications.EmailsNotSent):
        notifications.event_announcement_emails_send(event_id=event.pk)
    assert [m.to for m in mail.outbox] == [[users[1].email]]
    failed = EmailDelivery.objects.get(user=users[0])
    assert failed.status == EmailDelivery.Status.FAILED and "connection reset" in failed.error

    summary = notifications.event_announcement_emails_send(event_id=event.pk)

    assert summary.as_dict() == {"sent": 1, "skipped": 1, "failed": 0}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)


def test_a_delivery_left_sending_is_not_sent_again():
    """Another run is sending it, or a worker died mid-send: never risk a second copy."""
    user = customer("mika")
    event = draft_event(status=CampaignStatus.ANNOUNCED)
    EmailDelivery.objects.create(
        key=f"event-announcement:{event.pk}:{user.pk}",
        user=user,
        kind=notifications.EVENT_ANNOUNCEMENT,
        status=EmailDelivery.Status.SENDING,
        attempts=1,
    )
    notifications.event_announcement_emails_send(event_id=event.pk)
    assert mail.outbox == []


def test_a_cancelled_event_is_not_announced(django_capture_on_commit_callbacks):
    customer("nao")
    event = draft_event()
    notifications.event_cancel(event=event)
    event_announcement_send.delay(event.pk)
    assert mail.outbox == []
    event.refresh_from_db()
    assert event.status == CampaignStatus.CANCELLED and event.cancelled_at is not None


def test_announcement_emails_are_plain_text_in_the_customers_language_with_unsubscribe():
    japanese = customer("sakura", language="ja")
    english = customer("oliver", language="en")
    event = draft_event(status=CampaignStatus.ANNOUNCED)

    notifications.event_announcement_emails_send(event_id=event.pk)

    by_address = {message.to[0]: message for message in mail.outbox}
    ja, en = by_address[japanese.email], by_address[english.email]
    for message, user in ((ja, japanese), (en, english)):
        assert message.alternatives == []  # plain text only
        assert message.content_subtype == "plain"
        header = message.extra_headers["List-Unsubscribe"]
        assert header.startswith("<https://shoene.example/notifications/unsubscribe/")
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        token = header.strip("<>").rstrip("/").rsplit("/", 1)[1]
        target = notifications.unsubscribe_check(token=token)
        assert (target.preference.user, target.kind) == (user, "event_announcement")
        assert "https://shoene.example/campaigns/" in message.body
        assert "17:00–20:00" in message.body
        assert header.strip("<>") in message.body
    assert "節電チャレンジ" in ja.subject and "節電チャレンジ" in ja.body
    assert "10.0" in ja.body and "ポイント" in ja.body
    assert "Power saving challenge" in en.subject
    assert "earns 10.0 points" in en.body
    assert "節電" not in en.body


# --- Weekly summary -------------------------------------------------------------------------


def _days(meter, first: date, totals: list[float], *, intervals: int = 48) -> None:
    for offset, total in enumerate(totals):
        day = first + timedelta(days=offset)
        DailyUsage.objects.create(
            meter=meter,
            date=day,
            total=total,
            baseload=0.1,
            peak=1.0,
            peak_at=timezone.now(),
            night_total=1.0,
            intervals=intervals,
        )


def test_the_weekly_summary_compares_the_last_7_days_with_the_7_before():
    user = customer("ren", language="en")
    notifications.preference_update(
        user=user,
        event_announcements=True,
        high_usage_alerts=True,
        weekly_summary=True,
        language="en",
    )
    meter = user.premises.get().meters.get()
    today = date(2026, 3, 9)  # a Monday: the week is Monday 2 to Sunday 8 March
    _days(meter, date(2026, 2, 23), [10.0] * 7)  # 70 kWh
    _days(meter, date(2026, 3, 2), [9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0])  # 63 kWh
    _days(meter, date(2026, 3, 9), [50.0])  # today: not in the summary

    weeks = notifications.weekly_usage_for(user=user, today=today)

    assert [
        (w.this_week, w.this_week_days, w.previous_week, w.previous_week_days) for w in weeks
    ] == [(63.0, 7, 70.0, 7)]
    assert weeks[0].change_percent == pytest.approx(-10.0)

    notifications.weekly_summaries_send(today=today)
    notifications.weekly_summaries_send(today=today)  # the same week: not again

    [message] = mail.outbox
    assert message.subject == "Your energy use this week"
    assert "Last 7 days: 63.0 kWh" in message.body
    assert "The 7 days before: 70.0 kWh" in message.body
    assert "Change: −10.0 %" in message.body
    assert EmailDelivery.objects.get().key == f"weekly:{user.pk}:2026-W11"


def test_the_weekly_summary_does_not_compare_weeks_with_missing_days_and_speaks_japanese():
    user = customer("yui", language="ja")
    notifications.preference_update(
        user=user,
        event_announcements=True,
        high_usage_alerts=True,
        weekly_summary=True,
        language="ja",
    )
    other = customer("nosummary")  # weekly summary off by default
    meter = user.premises.get().meters.get()
    today = date(2026, 3, 9)
    _days(meter, date(2026, 2, 23), [10.0] * 7)
    _days(meter, date(2026, 3, 2), [9.0] * 5)  # two days missing
    _days(meter, date(2026, 3, 7), [4.0], intervals=40)  # an incomplete day does not count
    _days(other.premises.get().meters.get(), date(2026, 3, 2), [5.0] * 7)

    weekly_summaries_send.delay()  # the real task, for "today"
    mail.outbox.clear()
    EmailDelivery.objects.all().delete()
    notifications.weekly_summaries_send(today=today)

    [message] = mail.outbox
    assert message.to == [user.email]
    assert "45.0 kWh" in message.body and "70.0 kWh" in message.body
    assert "7日中5日" in message.body
    assert "比較" in message.body and "%" not in message.body.split("--")[0]
    assert message.subject != "Your energy use this week"


def test_a_high_usage_alert_is_emailed_once_in_the_customers_language():
    from energy.savings.models import Recommendation
    from energy.tasks import high_usage_alerts_send

    user = customer("taro", language="ja")
    meter = user.premises.get().meters.get()
    Recommendation.objects.create(
        premise=meter.premise,
        meter=meter,
        kind="high_usage",
        unit="kWh",
        is_alert=True,
        confidence="high",
        computed_at=timezone.now(),
        basis={
            "week_value": 120.0,
            "expected_value": 80.0,
            "excess_value": 40.0,
            "excess_percent": 50.0,
            "excess_yen": 1200.0,
        },
    )

    high_usage_alerts_send.delay()
    high_usage_alerts_send.delay()  # the next morning's run (or a retry): within the cooldown

    [message] = mail.outbox
    assert "50%" in message.subject
    assert "120" in message.body and "List-Unsubscribe" in message.extra_headers


def test_an_event_whose_hours_have_begun_cannot_be_cancelled(db):
    from config.errors import Conflict
    from energy.campaigns.models import DemandResponseEvent
    from energy.campaigns.notifications import event_cancel

    event = DemandResponseEvent.objects.create(
        title_ja="t",
        title_en="t",
        status="announced",
        event_date=timezone.localdate() - timedelta(days=1),
        start_hour=17,
        end_hour=20,
        points_per_kwh=100,
    )
    with pytest.raises(Conflict):
        event_cancel(event=event)
    event.refresh_from_db()
    assert event.status == "announced"

"""Customers' notification emails: preferences, unsubscribe links, sending each email once.

Every email is keyed (``EmailDelivery.key``): the row is claimed (committed as "sending")
before the message goes out and marked "sent" or "failed" after, so a retried task sends only
what has not gone out. A row left "sending" means another run is sending it, or a worker died
in the middle of that one message; it is not sent again, because we cannot know whether the
mail server took it (at most once per key; see docs/campaigns.md, "Notifications").

Messages go out through Django's email backend (SMTP from the environment, the console by
default), one connection per batch of recipients, in the customer's language, always with a
plain-text part and the RFC 2369 / RFC 8058 unsubscribe headers.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.celery_app import task_by_name
from config.errors import Conflict, ShoeneError
from energy.campaigns.eligibility import participants
from energy.campaigns.models import (
    CampaignStatus,
    DemandResponseEvent,
    EmailDelivery,
    NotificationPreference,
)

logger = logging.getLogger(__name__)

EVENT_ANNOUNCEMENT = "event_announcement"
HIGH_USAGE_ALERT = "high_usage_alert"
WEEKLY_SUMMARY = "weekly_summary"
# Email kind -> the preference that turns it on or off.
KIND_PREFERENCES = {
    EVENT_ANNOUNCEMENT: "event_announcements",
    HIGH_USAGE_ALERT: "high_usage_alerts",
    WEEKLY_SUMMARY: "weekly_summary",
}
KIND_LABELS = {
    EVENT_ANNOUNCEMENT: gettext_lazy("event announcements"),
    HIGH_USAGE_ALERT: gettext_lazy("high-usage alerts"),
    WEEKLY_SUMMARY: gettext_lazy("the weekly usage summary"),
}

UNSUBSCRIBE_SALT = "energy.campaigns.notifications.unsubscribe"
# Recipients per SMTP connection (and per preference query).
BATCH_SIZE = 200
# The high-usage alert compares the last 7 days, so a high week stays "current" for days:
# one email per recommendation within this many days, not one every morning.
HIGH_USAGE_ALERT_COOLDOWN_DAYS = 7
# Errors of the mail transport a later retry may get past (server down, connection dropped).
SEND_ERRORS = (smtplib.SMTPException, OSError)


class UnsubscribeTokenInvalid(ShoeneError):
    code = "unsubscribe_token_invalid"
    http_status = 400


class EmailsNotSent(ShoeneError):
    """Some messages of a run failed; they are marked "failed" and a retry sends them."""

    code = "emails_not_sent"
    http_status = 503


# --- Preferences -------------------------------------------------------------------------------


def _language_or_default(language: str | None) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    language = (language or "").split("-")[0]
    return language if language in supported else settings.LANGUAGE_CODE


def preference_for(*, user, language: str | None = None) -> NotificationPreference:
    """The customer's preferences, created with the defaults on first use; a new row takes
    ``language`` (the portal language the customer is using), else Japanese."""
    preference, _created = NotificationPreference.objects.get_or_create(
        user=user, defaults={"language": _language_or_default(language)}
    )
    return preference


def preference_update(
    *,
    user,
    event_announcements: bool,
    high_usage_alerts: bool,
    weekly_summary: bool,
    language: str,
) -> NotificationPreference:
    preference = preference_for(user=user, language=language)
    preference.event_announcements = event_announcements
    preference.high_usage_alerts = high_usage_alerts
    preference.weekly_summary = weekly_summary
    preference.language = _language_or_default(language)
    preference.save()
    return preference


def _preferences_of(user_ids: list[int]) -> dict[int, NotificationPreference]:
    """Every listed user's preferences, creating missing rows with the defaults (2 queries)."""
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user_id=user_id) for user_id in user_ids], ignore_conflicts=True
    )
    return {
        preference.user_id: preference
        for preference in NotificationPreference.objects.filter(
            user_id__in=user_ids
        ).select_related("user")
    }


# --- Unsubscribe links ---------------------------------------------------------------------------


def unsubscribe_token(*, user, kind: str) -> str:
    if kind not in KIND_PREFERENCES:
        raise ValueError(f"Unknown email kind: {kind}")
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, user, kind: str) -> str:
    path = reverse(
        "dashboards:notification_unsubscribe",
        kwargs={"token": unsubscribe_token(user=user, kind=kind)},
    )
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class UnsubscribeTarget:
    preference: NotificationPreference
    kind: str

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


def unsubscribe_check(*, token: str) -> UnsubscribeTarget:
    """Whose preference and which kind a link names; UnsubscribeTokenInvalid when the link
    was altered, signed for something else, expired or names no customer."""
    try:
        payload = signing.loads(
            token,
            salt=UNSUBSCRIBE_SALT,
            max_age=timedelta(days=settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS),
        )
    except signing.SignatureExpired as error:
        raise UnsubscribeTokenInvalid(_("This unsubscribe link has expired.")) from error
    except signing.BadSignature as error:
        raise UnsubscribeTokenInvalid(_("This unsubscribe link is not valid.")) from error
    if not isinstance(payload, dict) or payload.get("k") not in KIND_PREFERENCES:
        raise UnsubscribeTokenInvalid(_("This unsubscribe link is not valid."))
    user = get_user_model().objects.filter(pk=payload.get("u")).first()
    if user is None:
        raise UnsubscribeTokenInvalid(_("This unsubscribe link is not valid."))
    return UnsubscribeTarget(preference=preference_for(user=user), kind=payload["k"])


def unsubscribe_apply(*, token: str) -> UnsubscribeTarget:
    """Turn off the one kind of email the link names (and nothing else)."""
    target = unsubscribe_check(token=token)
    field = KIND_PREFERENCES[target.kind]
    setattr(target.preference, field, False)
    target.preference.save(update_fields=[field, "updated_at"])
    return target


# --- Sending once ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingEmail:
    key: str
    user: object
    kind: str
    subject: str
    text: str
    html: str | None = None


def _claim(*, key: str, user, kind: str) -> EmailDelivery | None:
    """Commit the delivery as "sending" before anything is sent; None when it was sent or is
    being sent already (a retry, or another run at the same time)."""
    with transaction.atomic():
        delivery, created = EmailDelivery.objects.select_for_update().get_or_create(
            key=key,
            defaults={"user": user, "kind": kind, "status": EmailDelivery.Status.SENDING},
        )
        if not created and delivery.status != EmailDelivery.Status.FAILED:
            return None
        delivery.status = EmailDelivery.Status.SENDING
        delivery.attempts += 1
        delivery.save(update_fields=["status", "attempts"])
    return delivery


def _message(email: OutgoingEmail, *, connection) -> EmailMultiAlternatives:
    url = unsubscribe_url(user=email.user, kind=email.kind)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        to=[email.user.email],
        connection=connection,
        headers={
            # RFC 2369 and RFC 8058: mail clients show an "unsubscribe" button that POSTs here.
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def email_send_once(
    *, key: str, user, kind: str, subject: str, text: str, html: str | None = None, connection=None
) -> bool:
    """Send the email unless the key was sent (or is being sent); True when it went out now.

    A transport error marks the delivery "failed" (a later call sends it again) and is raised.
    """
    return _send_once(
        OutgoingEmail(key=key, user=user, kind=kind, subject=subject, text=text, html=html),
        connection=connection or get_connection(),
    )


def _send_once(email: OutgoingEmail, *, connection) -> bool:
    delivery = _claim(key=email.key, user=email.user, kind=email.kind)
    if delivery is None:
        return False
    try:
        _message(email, connection=connection).send()
    except Exception as error:
        EmailDelivery.objects.filter(pk=delivery.pk).update(
            status=EmailDelivery.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status=EmailDelivery.Status.SENT, sent_at=timezone.now(), error=""
    )
    return True


@dataclass
class SendSummary:
    sent: int = 0
    skipped: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return {"sent": self.sent, "skipped": self.skipped, "failed": self.failed}


def emails_send(emails, *, summary: SendSummary | None = None) -> SendSummary:
    """Send each email once over one connection; failures are recorded and the rest still go.

    Raises EmailsNotSent at the end when any failed, so the task retries just those.
    """
    summary = summary or SendSummary()
    with get_connection() as connection:
        for email in emails:
            try:
                if _send_once(email, connection=connection):
                    summary.sent += 1
                else:
                    summary.skipped += 1
            except SEND_ERRORS:
                logger.warning("email %s not sent", email.key, exc_info=True)
                summary.failed += 1
    return summary


def _raise_if_failed(summary: SendSummary) -> SendSummary:
    if summary.failed:
        raise EmailsNotSent(
            f"{summary.failed} emails not sent; a retry sends them", details=summary.as_dict()
        )
    return summary


def _batches(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _recipient_ids(user_ids, *, preference_field: str) -> list[int]:
    """Users with an email address who have not turned this kind off (no row: the default)."""
    default = NotificationPreference._meta.get_field(preference_field).default
    wanted = Q(**{f"notification_preference__{preference_field}": True})
    if default:
        wanted |= Q(notification_preference__isnull=True)
    return list(
        get_user_model()
        .objects.filter(wanted, pk__in=set(user_ids), is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _render(template: str, context: dict) -> str:
    return render_to_string(f"energy/emails/{template}", context).strip() + "\n"


def _portal_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _email(*, preference, kind: str, key: str, subject: str, template: str, context: dict):
    """Render ``template`` (.txt) in the customer's language, with the unsubscribe link."""
    context = {
        **context,
        "unsubscribe_url": unsubscribe_url(user=preference.user, kind=kind),
        "preferences_url": _portal_url(reverse("dashboards:notification_preferences")),
    }
    return OutgoingEmail(
        key=key,
        user=preference.user,
        kind=kind,
        subject=subject,
        text=_render(template, context),
    )


# --- Demand-response event announcements ----------------------------------------------------------


def event_announce(*, event: DemandResponseEvent) -> DemandResponseEvent:
    """Staff announce an event: mark it announced and email the participants after commit."""
    with transaction.atomic():
        event = DemandResponseEvent.objects.select_for_update().get(pk=event.pk)
        if event.status == CampaignStatus.ANNOUNCED:
            return event  # announced already: the emails are on their way
        if event.status != CampaignStatus.DRAFT:
            raise Conflict(_("Only a draft event can be announced."), code="event_not_draft")
        event.status = CampaignStatus.ANNOUNCED
        event.announced_at = timezone.now()
        event.save(update_fields=["status", "announced_at", "updated_at"])
        task_by_name("energy.tasks.event_announcement_send").delay_on_commit(event.pk)
    return event


def event_cancel(*, event: DemandResponseEvent) -> DemandResponseEvent:
    """Cancel an event; announcement emails not yet sent are not sent."""
    with transaction.atomic():
        event = DemandResponseEvent.objects.select_for_update().get(pk=event.pk)
        if event.status == CampaignStatus.CANCELLED:
            return event
        if event.status == CampaignStatus.FINISHED:
            raise Conflict(_("A finished event cannot be cancelled."), code="event_finished")
        from energy.campaigns.demand_response import window_utc

        window_start, _window_end = window_utc(
            day=event.event_date,
            start_hour=event.start_hour,
            end_hour=event.end_hour,
            time_zone=settings.TIME_ZONE,
        )
        if window_start <= timezone.now():
            # Customers may already have saved in good faith; their points stand.
            raise Conflict(
                _("The event's hours have begun: it can no longer be cancelled."),
                code="event_started",
            )
        event.status = CampaignStatus.CANCELLED
        event.cancelled_at = timezone.now()
        event.save(update_fields=["status", "cancelled_at", "updated_at"])
    return event


def _hours_text(event: DemandResponseEvent) -> str:
    return f"{event.start_hour:02d}:00–{event.end_hour:02d}:00"


def event_announcement_email(*, event: DemandResponseEvent, preference) -> OutgoingEmail:
    with translation.override(preference.language):
        language = translation.get_language()
        title = getattr(event, f"title_{language}") or event.title_ja
        description = getattr(event, f"description_{language}") or ""
        return _email(
            preference=preference,
            kind=EVENT_ANNOUNCEMENT,
            key=f"event-announcement:{event.pk}:{preference.user_id}",
            subject=_("Saving event on %(date)s: %(title)s")
            % {"date": formats.date_format(event.event_date), "title": title},
            template="event_announcement.txt",
            context={
                "title": title,
                "description": description,
                "date": formats.date_format(event.event_date),
                "hours": _hours_text(event),
                "points_per_kwh": formats.number_format(event.points_per_kwh, 1),
                "campaigns_url": _portal_url("/campaigns/"),
            },
        )


def event_announcement_recipient_count(*, event: DemandResponseEvent) -> int:
    """How many customers announcing ``event`` now would email (once each)."""
    user_ids = [participant.user_id for participant in participants(campaign=event)]
    return len(_recipient_ids(user_ids, preference_field="event_announcements"))


def event_announcement_emails_send(*, event_id: int) -> SendSummary:
    """Email every participant who wants event announcements, once each, in batches."""
    event = DemandResponseEvent.objects.get(pk=event_id)
    summary = SendSummary()
    if event.status != CampaignStatus.ANNOUNCED or event.event_date < timezone.localdate():
        return summary  # cancelled since, or over: nothing (more) to announce
    user_ids = _recipient_ids(
        [participant.user_id for participant in participants(campaign=event)],
        preference_field="event_announcements",
    )
    for batch in _batches(user_ids):
        preferences = _preferences_of(batch)
        emails = (
            event_announcement_email(event=event, preference=preferences[user_id])
            for user_id in batch
        )
        emails_send(emails, summary=summary)
    return _raise_if_failed(summary)


# --- High-usage alerts --------------------------------------------------------------------------


def high_usage_alert_email(*, recommendation, preference) -> OutgoingEmail:
    from energy.savings.templates import recommendation_render

    computed_on = timezone.localdate(recommendation.computed_at)
    with translation.override(preference.language):
        rendered = recommendation_render(recommendation=recommendation)
        return _email(
            preference=preference,
            kind=HIGH_USAGE_ALERT,
            key=f"high-usage:{recommendation.pk}:{computed_on.isoformat()}",
            subject=rendered.title,
            template="high_usage_alert.txt",
            context={
                "title": rendered.title,
                "body": rendered.body,
                "premise_name": recommendation.premise.name,
                "recommendations_url": _portal_url(
                    reverse(
                        "dashboards:recommendations",
                        kwargs={"premise_id": recommendation.premise_id},
                    )
                ),
            },
        )


def high_usage_alerts_send(*, now: datetime | None = None) -> SendSummary:
    """Email the owners of premises with a current high-usage alert from the last day's
    computation, at most once per recommendation within the cooldown."""
    from energy.savings.models import Recommendation, RecommendationKind

    now = now or timezone.now()
    recommendations = list(
        Recommendation.objects.filter(
            kind=RecommendationKind.HIGH_USAGE,
            is_alert=True,
            is_current=True,
            computed_at__gte=now - timedelta(days=1),
        )
        .select_related("premise")
        .order_by("pk")
    )
    recently_alerted = {
        int(key.split(":")[1])
        for key in EmailDelivery.objects.filter(
            kind=HIGH_USAGE_ALERT,
            status=EmailDelivery.Status.SENT,
            sent_at__gte=now - timedelta(days=HIGH_USAGE_ALERT_COOLDOWN_DAYS),
        ).values_list("key", flat=True)
    }
    wanted = set(
        _recipient_ids(
            [r.premise.owner_id for r in recommendations], preference_field="high_usage_alerts"
        )
    )
    summary = SendSummary()
    for batch in _batches(
        [
            r
            for r in recommendations
            if r.premise.owner_id in wanted
            and (
                r.pk not in recently_alerted
                # this day's key was claimed but not sent: a retry finishes it
                or _high_usage_key_pending(r)
            )
        ]
    ):
        preferences = _preferences_of([r.premise.owner_id for r in batch])
        emails = (
            high_usage_alert_email(recommendation=r, preference=preferences[r.premise.owner_id])
            for r in batch
        )
        emails_send(emails, summary=summary)
    return _raise_if_failed(summary)


def _high_usage_key_pending(recommendation) -> bool:
    computed_on = timezone.localdate(recommendation.computed_at)
    return EmailDelivery.objects.filter(
        key=f"high-usage:{recommendation.pk}:{computed_on.isoformat()}",
        status=EmailDelivery.Status.FAILED,
    ).exists()


# --- Weekly summary -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeterWeek:
    """One meter's use over the last 7 complete local days and the 7 days before."""

    meter_id: int
    label: str
    unit: str
    this_week: float | None  # None: no day of the week has data
    this_week_days: int  # days with data
    previous_week: float | None
    previous_week_days: int

    @property
    def change_percent(self) -> float | None:
        """Only when both weeks have all 7 days and something to compare against."""
        if self.this_week_days < 7 or self.previous_week_days < 7 or not self.previous_week:
            return None
        return 100.0 * (self.this_week - self.previous_week) / self.previous_week


def weekly_usage_for(*, user, today: date) -> list[MeterWeek]:
    """For each meter of the customer's premises: the 7 days before ``today`` and the 7 days
    before those. A day counts only when its rollup has every interval (a partial day would
    make a week look smaller than it was)."""
    from energy.models import DailyUsage, Meter

    weeks = []
    meters = Meter.objects.filter(premise__owner=user).order_by("premise_id", "pk")
    for meter in meters:
        figures = []
        for first, last in (
            (today - timedelta(days=7), today - timedelta(days=1)),
            (today - timedelta(days=14), today - timedelta(days=8)),
        ):
            rows = (
                DailyUsage.objects.filter(meter=meter, date__range=(first, last))
                .complete()
                .aggregate(total=Sum("total"), days=Count("pk"))
            )
            figures.append((rows["total"], rows["days"]))
        (this_total, this_days), (previous_total, previous_days) = figures
        weeks.append(
            MeterWeek(
                meter_id=meter.pk,
                label=f"{meter.get_commodity_display()} ({meter.serial})",
                unit=meter.get_unit_display(),
                this_week=this_total,
                this_week_days=this_days,
                previous_week=previous_total,
                previous_week_days=previous_days,
            )
        )
    return weeks


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{formats.number_format(round(value, 1), 1, force_grouping=True)} {unit}"


def weekly_summary_email(*, preference, weeks: list[MeterWeek], today: date) -> OutgoingEmail:
    year, week, _weekday = today.isocalendar()
    with translation.override(preference.language):
        lines = []
        for meter_week in weeks:
            change = meter_week.change_percent
            lines.append(
                {
                    "label": meter_week.label,
                    "this_week": _amount(meter_week.this_week, meter_week.unit),
                    "previous_week": _amount(meter_week.previous_week, meter_week.unit),
                    "this_week_days": meter_week.this_week_days,
                    "previous_week_days": meter_week.previous_week_days,
                    "change": None
                    if change is None
                    else f"{'+' if change >= 0 else '−'}"
                    f"{formats.number_format(abs(round(change, 1)), 1)} %",
                }
            )
        return _email(
            preference=preference,
            kind=WEEKLY_SUMMARY,
            key=f"weekly:{preference.user_id}:{year}-W{week:02d}",
            subject=_("Your energy use this week"),
            template="weekly_summary.txt",
            context={
                "lines": lines,
                "first_day": formats.date_format(today - timedelta(days=7)),
                "last_day": formats.date_format(today - timedelta(days=1)),
                "portal_url": _portal_url("/"),
            },
        )


def weekly_summaries_send(*, today: date | None = None) -> SendSummary:
    """Email the weekly summary to everyone who asked for it and has a meter with data.

    The week is the 7 days before ``today`` in the display time zone (Japan: one zone)."""
    from energy.models import Premise

    today = today or timezone.localdate()
    owner_ids = Premise.objects.filter(meters__isnull=False).values_list("owner_id", flat=True)
    user_ids = _recipient_ids(owner_ids, preference_field="weekly_summary")
    summary = SendSummary()
    for batch in _batches(user_ids):
        preferences = _preferences_of(batch)
        emails = []
        for user_id in batch:
            preference = preferences[user_id]
            weeks = [w for w in weekly_usage_for(user=preference.user, today=today) if w.this_week]
            if weeks:  # nothing measured this week: no email rather than an empty one
                emails.append(weekly_summary_email(preference=preference, weeks=weeks, today=today))
        emails_send(emails, summary=summary)
    return _raise_if_failed(summary)

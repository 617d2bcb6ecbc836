"""The customer portal: thin views over the selectors (energy.usage.selectors for use and cost),
charts and presentation."""

from datetime import timedelta
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.errors import NotFound, ValidationFailed
from config.observability.version import deployed_version
from dashboards import charts, overview, overview_presentation, presentation
from energy.bills import selectors as bills
from energy.campaigns import notifications
from energy.savings.lifecycle import recommendation_status_set
from energy.savings.templates import recommendation_templates
from energy.usage import selectors
from flags import services as flags


def not_found_is_404(view):
    """The selectors' NotFound (another customer's premise, a malformed period) as the portal's
    404 page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from error

    return wrapped


def _meter_links(meters) -> list[tuple]:
    """(meter, label) for the navigation; the serial is added where a kind repeats."""
    return [(meter, presentation.meter_name(meter, meters=meters)) for meter in meters]


def _portal_context(request: HttpRequest, premises, premise, **extra) -> dict:
    """What every portal page shows around its content: the premises and their meters.

    It also counts the customer's visit for the day (an experiment metric; one write a day).
    """
    flags.portal_visit_record(user=request.user)
    return {
        "premises": premises,
        "premise": premise,
        "meter_links": _meter_links(list(premise.meters.all())) if premise else [],
        **extra,
    }


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Signed-in customers go to their first premise; others see how to sign in."""
    if not request.user.is_authenticated:
        return render(request, "dashboards/landing.html")
    premises = selectors.customer_premises(user=request.user)
    if not premises:
        return render(request, "dashboards/no_premises.html", {"premises": []})
    return redirect("dashboards:premise_home", premise_id=premises[0].pk)


@login_required
@require_GET
@not_found_is_404
def premise_home(request: HttpRequest, premise_id: int) -> HttpResponse:
    premises = selectors.customer_premises(user=request.user)
    premise = selectors.premise_pick(premises=premises, premise_id=premise_id)
    today = selectors.local_today(premise=premise)
    recommendations = selectors.premise_recommendations(premise=premise)
    months = selectors.month_so_far(
        premise=premise, today=today, hourly_shares=selectors.hourly_shares(recommendations)
    )
    meters = [month.meter for month in months]
    comparisons = []
    for index, month in enumerate(months):
        figure = presentation.month_so_far_figure(month, meters=meters)
        comparisons.append(
            {
                "view": presentation.month_so_far_view(month, today=today, meters=meters),
                "figure": figure
                and charts.figure_html(figure, div_id=f"chart-month-so-far-{index}"),
                "div_id": f"chart-month-so-far-{index}",
            }
        )
    framing = flags.recommendation_framing(request=request)
    cards = presentation.recommendation_cards(
        recommendations, templates=recommendation_templates(), framing=framing
    )
    context = _portal_context(
        request,
        premises,
        premise,
        active="home",
        framing=framing,
        comparisons=comparisons,
        month_so_far_headers=presentation.MONTH_SO_FAR_HEADERS,
        cards=presentation.home_cards(cards),
    )
    return render(request, "dashboards/premise_home.html", context)


def _measure(request: HttpRequest) -> str | None:
    measure = request.GET.get("measure", "use")
    return measure if measure in selectors.MEASURES else None


def _bad_measure() -> HttpResponse:
    return HttpResponseBadRequest(
        _("Unknown measure: use one of %(choices)s.") % {"choices": ", ".join(selectors.MEASURES)}
    )


@login_required
@require_GET
@not_found_is_404
def meter_latest(request: HttpRequest, meter_id: int) -> HttpResponse:
    premises = selectors.customer_premises(user=request.user)
    meter = selectors.meter_pick(premises=premises, meter_id=meter_id)
    today = selectors.local_today(premise=meter.premise)
    month = selectors.period_of("month", today - timedelta(days=1))
    return redirect("dashboards:usage", meter_id=meter_id, period="month", key=month.key)


@login_required
@require_GET
@not_found_is_404
def usage(request: HttpRequest, meter_id: int, period: str, key: str) -> HttpResponse:
    measure = _measure(request)
    if measure is None:
        return _bad_measure()
    premises = selectors.customer_premises(user=request.user)
    meter = selectors.meter_pick(premises=premises, meter_id=meter_id)
    shown = selectors.period_parse(period, key)
    today = selectors.local_today(premise=meter.premise)
    if shown.start > today:
        raise Http404("No data from the future.")
    series = selectors.usage_series(meter=meter, period=shown)
    following = shown.shifted(1)
    preceding = shown.shifted(-1)

    def link(target, kind=None, to_measure=None):
        return (
            reverse(
                "dashboards:usage",
                kwargs={"meter_id": meter.pk, "period": kind or target.kind, "key": target.key},
            )
            + f"?measure={to_measure or measure}"
        )

    day_in_view = min(shown.end, today - timedelta(days=1))
    context = _portal_context(
        request,
        premises,
        meter.premise,
        meter=meter,
        series=series,
        has_incomplete=any(p.use is not None and not p.complete for p in series.points),
        measure=measure,
        title=presentation.usage_title(series, measure),
        period_label=presentation.period_label(shown),
        figure=charts.figure_html(presentation.usage_figure(series, measure), div_id="usage-chart"),
        table=presentation.usage_table(series, measure),
        total=presentation.value_text(series.total(measure), measure, meter.commodity),
        previous_url=link(preceding) if preceding.start.year >= selectors.FIRST_YEAR else None,
        cost_notes=presentation.cost_problem_notes(series.cost_problems),
        chart_title=presentation.usage_title(series, measure),
        next_url=link(following) if following.start <= today else None,
        period_links=[
            (kind, presentation.PERIOD_LABELS[kind], link(selectors.period_of(kind, day_in_view)))
            for kind in selectors.PERIODS
        ],
        measure_links=[
            (choice, label, link(shown, to_measure=choice))
            for choice, label in presentation.measure_choices(meter.commodity)
        ],
        bills_url=reverse("dashboards:bill_history", kwargs={"meter_id": meter.pk})
        if bills.meter_has_billing_periods(meter=meter)
        else None,
        has_data=any(p.use is not None for p in series.points),
        csv_url=reverse(
            "dashboards:usage_csv",
            kwargs={"meter_id": meter.pk, "period": shown.kind, "key": shown.key},
        )
        + f"?measure={measure}",
    )
    return render(request, "dashboards/usage.html", context)


@login_required
@require_GET
@not_found_is_404
def bill_history(request: HttpRequest, meter_id: int) -> HttpResponse:
    """The meter's billing periods: its use before a smart meter, or from a supplier's bills."""
    premises = selectors.customer_premises(user=request.user)
    meter = selectors.meter_pick(premises=premises, meter_id=meter_id)
    view = presentation.bills_view(bills.meter_billing_periods(meter=meter), meter)
    context = _portal_context(
        request,
        premises,
        meter.premise,
        meter=meter,
        bills=view,
        figure=view["figure"] and charts.figure_html(view["figure"], div_id="bills-chart"),
        usage_url=reverse("dashboards:meter_latest", kwargs={"meter_id": meter.pk}),
    )
    return render(request, "dashboards/bills.html", context)


@login_required
@require_GET
@not_found_is_404
def usage_csv(request: HttpRequest, meter_id: int, period: str, key: str) -> HttpResponse:
    measure = _measure(request)
    if measure is None:
        return _bad_measure()
    premises = selectors.customer_premises(user=request.user)
    meter = selectors.meter_pick(premises=premises, meter_id=meter_id)
    shown = selectors.period_parse(period, key)
    if shown.start > selectors.local_today(premise=meter.premise):
        raise Http404("No data from the future.")
    header = request.GET.get("header", "labels")
    if header not in presentation.CSV_HEADERS:
        return HttpResponseBadRequest(
            _("Unknown header: use one of %(choices)s.")
            % {"choices": ", ".join(presentation.CSV_HEADERS)}
        )
    series = selectors.usage_series(meter=meter, period=shown)
    response = HttpResponse(
        presentation.usage_csv(series, measure, header=header),
        content_type="text/csv; charset=utf-8",
    )
    filename = presentation.usage_csv_filename(series, measure)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
@not_found_is_404
def recommendations(request: HttpRequest, premise_id: int) -> HttpResponse:
    premises = selectors.customer_premises(user=request.user)
    premise = selectors.premise_pick(premises=premises, premise_id=premise_id)
    cards = presentation.recommendation_cards(
        selectors.premise_recommendations(premise=premise),
        templates=recommendation_templates(),
        framing=flags.recommendation_framing(request=request),
    )
    context = _portal_context(
        request,
        premises,
        premise,
        active="recommendations",
        cards=cards,
        statuses=[
            (status, presentation.STATUS_LABELS[status])
            for status in ("will_do", "done", "not_for_me")
        ],
    )
    return render(request, "dashboards/recommendations.html", context)


@login_required
@require_POST
@not_found_is_404
def recommendation_status(request: HttpRequest, recommendation_id: int) -> HttpResponse:
    premises = selectors.customer_premises(user=request.user)
    recommendation = selectors.premise_recommendation(
        premises=premises, recommendation_id=recommendation_id
    )
    if recommendation.kind not in selectors.ACTION_KINDS:
        return HttpResponseBadRequest(_("This is information, not something to do."))
    try:
        recommendation_status_set(
            recommendation=recommendation, status=request.POST.get("status", "")
        )
    except ValidationFailed:
        return HttpResponseBadRequest(_("Choose “will do”, “done” or “not for me”."))
    messages.success(
        request,
        _("Saved: %(status)s.") % {"status": presentation.STATUS_LABELS[recommendation.status]},
    )
    url = reverse("dashboards:recommendations", kwargs={"premise_id": recommendation.premise_id})
    return redirect(f"{url}#recommendation-{recommendation.pk}")


@login_required
@require_GET
def campaigns(request: HttpRequest) -> HttpResponse:
    """Saving campaigns and events the customer takes part in, and their points."""
    from energy.campaigns.portal import customer_campaigns

    premises = selectors.customer_premises(user=request.user)
    premise = premises[0] if premises else None
    today = selectors.local_today(premise=premise) if premise else selectors.local_today()
    data = customer_campaigns(user=request.user, today=today)
    context = _portal_context(
        request,
        premises,
        premise,
        active="campaigns",
        data=data,
        current=[(item, presentation.yoy_progress_text(item)) for item in data.current],
        language=(request.LANGUAGE_CODE or "ja")[:2],
    )
    return render(request, "dashboards/campaigns.html", context)


# --- Notification emails ---------------------------------------------------------------------


class NotificationPreferencesForm(forms.Form):
    event_announcements = forms.BooleanField(
        label=gettext_lazy("Saving event announcements"), required=False
    )
    high_usage_alerts = forms.BooleanField(
        label=gettext_lazy("Alerts when my use is unusually high"), required=False
    )
    weekly_summary = forms.BooleanField(
        label=gettext_lazy("A weekly summary of my use"), required=False
    )
    language = forms.ChoiceField(label=gettext_lazy("Email language"), choices=settings.LANGUAGES)


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    preference = notifications.preference_for(user=request.user, language=request.LANGUAGE_CODE)
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST)
        if form.is_valid():
            notifications.preference_update(user=request.user, **form.cleaned_data)
            messages.success(request, _("Your email settings are saved."))
            return redirect("dashboards:notification_preferences")
    else:
        form = NotificationPreferencesForm(
            initial={
                "event_announcements": preference.event_announcements,
                "high_usage_alerts": preference.high_usage_alerts,
                "weekly_summary": preference.weekly_summary,
                "language": preference.language,
            }
        )
    premises = selectors.customer_premises(user=request.user)
    context = _portal_context(
        request,
        premises,
        premises[0] if premises else None,
        active="notifications",
        form=form,
        email=request.user.email,
    )
    return render(request, "dashboards/notification_preferences.html", context)


# The link in an email works without logging in: the signed token names the customer and the
# kind of email, and is the only authority the request needs. CSRF protection is off for this
# view alone because RFC 8058 one-click unsubscribe has mail clients POST here with no cookie
# or CSRF token; a forged request could only do what the link's holder can do anyway (turn
# off that one kind of email). GET changes nothing (link scanners and prefetchers follow
# links): it shows a confirmation with the one-click button.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    apply = request.method == "POST"
    try:
        target = (notifications.unsubscribe_apply if apply else notifications.unsubscribe_check)(
            token=token
        )
    except notifications.UnsubscribeTokenInvalid as error:
        return render(
            request,
            "dashboards/notification_unsubscribe.html",
            {"invalid": error.message},
            status=400,
        )
    # A customer arriving from an email has no language cookie yet: their email's language.
    language = (
        translation.get_language()
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        else target.preference.language
    )
    with translation.override(language):
        response = render(
            request,
            "dashboards/notification_unsubscribe.html",
            {"target": target, "done": apply, "kind_label": target.kind_label},
        )
    return response


# Seconds between the overview's own reloads (its figures are recomputed every minute).
OVERVIEW_REFRESH_SECONDS = 60


@staff_member_required
@require_GET
def staff_overview(request: HttpRequest) -> HttpResponse:
    """Business and operations on one page, for staff, from the latest pre-computed snapshot."""
    now = timezone.now()
    latest = overview.overview_latest()
    overview.overview_refresh_if_stale(latest=latest, now=now)
    context = {
        "snapshot": latest,
        "version": deployed_version(),
        "refresh_seconds": OVERVIEW_REFRESH_SECONDS,
    }
    if latest is not None:
        context["business"] = overview_presentation.business_context(latest.data["business"])
        context["operations"] = overview_presentation.operations_context(
            latest.data["operations"], now=now
        )
    return render(request, "dashboards/staff_overview.html", context)

"""The staff overview's page: figures, tiles and tables from a snapshot's plain data.

Titles and labels are translated here; dashboards/charts.py draws; the view only renders.
"""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dashboards import charts
from energy.ingest.validate import reason_label
from energy.savings.models import RecommendationKind
from flags.models import Metric


@dataclass(frozen=True)
class Chart:
    div_id: str
    title: str
    html: str


def _local(iso: str) -> datetime:
    return timezone.localtime(datetime.fromisoformat(iso))


def _number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return number_format(round(value, digits), decimal_pos=digits, force_grouping=True)


def _kind_label(kind: str) -> str:
    try:
        return str(RecommendationKind(kind).label)
    except ValueError:
        return kind


def _region_label(region: str, names: dict[str, dict[str, str]]) -> str:
    """The region in the reader's language (a snapshot from before regions had names: its id)."""
    return (names.get(region) or {}).get((get_language() or "ja").split("-")[0]) or region


def _chart(div_id: str, figure: dict) -> Chart:
    html = charts.figure_html(figure, div_id=div_id)
    return Chart(div_id, figure["layout"]["title"]["text"], html)


def business_context(business: dict) -> dict:
    savings = business["savings"]
    kinds = sorted(set(savings["estimated"]["by_kind"]) | set(savings["measured"]["by_kind"]))
    zero = {"kwh": 0.0, "m3": 0.0, "jpy": 0.0, "co2_kg": 0.0}
    figures = []
    counts = business["recommendations"]
    figures.append(
        _chart(
            "overview-recommendations",
            charts.category_figure(
                title=_("Recommendations"),
                labels=[_("Shown"), _("Will do"), _("Done")],
                traces=[
                    (
                        _("Recommendations"),
                        [counts["shown"], counts["will_do"], counts["done"]],
                    )
                ],
                value_title=_("Recommendations"),
            ),
        )
    )
    if kinds:
        figures.append(
            _chart(
                "overview-savings-by-kind",
                charts.category_figure(
                    title=_("Savings per year by kind (yen)"),
                    labels=[_kind_label(kind) for kind in kinds],
                    traces=[
                        (
                            _("Estimated"),
                            [savings["estimated"]["by_kind"].get(k, zero)["jpy"] for k in kinds],
                        ),
                        (
                            _("Measured"),
                            [savings["measured"]["by_kind"].get(k, zero)["jpy"] for k in kinds],
                        ),
                    ],
                    value_title=_("Yen per year"),
                ),
            )
        )
    savings_rows = [
        (
            label,
            [_number(savings[which]["total"][key], digits) for which in ("estimated", "measured")],
        )
        for key, label, digits in (
            ("kwh", _("Electricity (kWh per year)"), 0),
            ("m3", _("Gas (m³ per year)"), 0),
            ("jpy", _("Yen per year"), 0),
            ("co2_kg", _("CO2 (kg per year)"), 0),
        )
    ]
    experiments = []
    for experiment in business["experiments"]:
        try:
            metric = str(Metric(experiment["primary_metric"]).label)
        except ValueError:
            metric = experiment["primary_metric"]
        experiments.append(
            {
                **experiment,
                "metric_label": metric,
                "lifts_text": [
                    (
                        lift["variant"],
                        "–" if lift["relative"] is None else f"{lift['relative']:+.1%}",
                        ""
                        if not lift["relative_ci"]
                        else f"[{lift['relative_ci'][0]:+.1%}, {lift['relative_ci'][1]:+.1%}]",
                    )
                    for lift in experiment["lifts"]
                ],
                "srm_text": (
                    _("not computed yet")
                    if experiment["srm_flagged"] is None
                    else _("mismatch")
                    if experiment["srm_flagged"]
                    else _("ok")
                ),
                "url": reverse("admin:flags_experiment_change", args=[experiment["id"]]),
            }
        )
    return {
        "active_7d": business["active_customers"]["7d"],
        "active_30d": business["active_customers"]["30d"],
        "recommendation_counts": counts,
        "savings_rows": savings_rows,
        "experiments": experiments,
        "flag_changes": [
            {
                **change,
                "at": _local(change["at"]),
                "change": {
                    "created": _("created"),
                    "changed": _("changed"),
                    "deleted": _("deleted"),
                }.get(change["change"], change["change"]),
            }
            for change in business["flag_changes"]
        ],
        "figures": figures,
    }


def operations_context(operations: dict, *, now: datetime) -> dict:
    ingest = operations["ingest"]
    hours = [_local(hour) for hour in ingest["hours"]]
    figures = [
        _chart(
            "overview-readings-per-hour",
            charts.hourly_figure(
                title=_("Readings ingested per hour"),
                hours=hours,
                traces=[(_("Accepted"), ingest["accepted"]), (_("Rejected"), ingest["rejected"])],
                value_title=_("Readings"),
                stacked=True,
            ),
        ),
        _chart(
            "overview-batch-latency",
            charts.hourly_figure(
                title=_("Batch latency, received to rolled up (seconds)"),
                hours=hours,
                traces=[
                    ("p50", ingest["latency_p50_s"]),
                    ("p95", ingest["latency_p95_s"]),
                ],
                value_title=_("Seconds"),
                lines=True,
            ),
        ),
    ]
    delivered = ingest["rows_delivered"]
    reasons = list(ingest["rejected_by_reason"])
    if reasons:
        figures.append(
            _chart(
                "overview-rejections",
                charts.category_figure(
                    title=_("Rejection rate by reason (last 24 hours)"),
                    labels=[reason_label(r) for r in reasons],
                    traces=[
                        (
                            _("Share of delivered rows"),
                            [ingest["rejected_by_reason"][r] / delivered for r in reasons],
                        )
                    ],
                    value_title=_("Share of delivered rows"),
                    percent=True,
                ),
            )
        )
    lag_minutes = {
        region: (now - datetime.fromisoformat(newest)).total_seconds() / 60
        for region, newest in operations["newest_reading"].items()
        if newest
    }
    if lag_minutes:
        figures.append(
            _chart(
                "overview-ingest-lag",
                charts.category_figure(
                    title=_("Ingest lag by region (minutes)"),
                    labels=[
                        _region_label(region, operations.get("region_names") or {})
                        for region in lag_minutes
                    ],
                    traces=[(_("Minutes since the newest reading"), list(lag_minutes.values()))],
                    value_title=_("Minutes"),
                ),
            )
        )
    web = operations["web"]
    figures.append(
        _chart(
            "overview-web-errors",
            charts.hourly_figure(
                title=_("Web requests answered with a server error"),
                hours=hours,
                traces=[(_("Error rate"), web["error_rate"])],
                value_title=_("Error rate"),
                lines=True,
                percent=True,
            ),
        )
    )
    queues = operations["queue_depth"]
    if queues:
        figures.append(
            _chart(
                "overview-queue-depth",
                charts.category_figure(
                    title=_("Celery queue depth"),
                    labels=list(queues),
                    traces=[(_("Messages waiting"), list(queues.values()))],
                    value_title=_("Messages waiting"),
                ),
            )
        )
    failed = operations["failed_batches"]
    return {
        "figures": figures,
        "latency_day_p50_s": ingest["latency_day_p50_s"],
        "latency_day_p95_s": ingest["latency_day_p95_s"],
        "readings_day": sum(ingest["accepted"]),
        "rejected_day": sum(ingest["rejected"]),
        "requests_day": sum(web["requests"]),
        "errors_day": sum(web["errors"]),
        "queue_depth": queues,
        "failed_count": failed["count"],
        "failed_batches": [
            {
                **batch,
                "received_at": _local(batch["received_at"]),
                "url": reverse("admin:energy_ingestbatch_change", args=[batch["id"]]),
            }
            for batch in failed["batches"]
        ],
    }

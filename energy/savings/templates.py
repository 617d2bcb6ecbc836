"""Recommendation wording: the default templates, placeholder checks and rendering.

A template is ``str.format`` text with named placeholders only (``{saving_yen}``); which names a
kind may use is listed in ``PLACEHOLDERS``. Numbers are formatted for the active language
(grouping, fixed decimals); a figure that could not be estimated renders as "—".
"""

import string
from dataclasses import dataclass
from datetime import date

from django.utils import formats, translation

from energy.models import RecommendationKind, RecommendationTemplate

# Placeholders every kind may use, with decimals (None: text).
COMMON_PLACEHOLDERS: dict[str, int | None] = {
    "saving_value": 0,  # per year, in the meter's unit
    "unit": None,
    "saving_yen": 0,
    "saving_co2_kg": 0,
    "confidence": None,
}
PLACEHOLDERS: dict[str, dict[str, int | None]] = {
    RecommendationKind.STANDBY: {
        "own_kwh_per_day": 1,
        "cohort_kwh_per_day": 1,
        "cohort": None,
    },
    RecommendationKind.HEATING: {
        "own_per_hdd": 2,
        "cohort_per_hdd": 2,
        "percent_above": 0,
        "heating_days": 0,
        "cohort": None,
    },
    RecommendationKind.PEAK_SHIFT: {
        "peak_hours": None,
        "peak_use_per_year": 0,
        "shift_percent": 0,
        "price_difference_yen": 1,
    },
    RecommendationKind.HIGH_USAGE: {
        "week_value": 0,
        "expected_value": 0,
        "excess_value": 0,
        "excess_percent": 0,
        "excess_yen": 0,
    },
    RecommendationKind.SIMILAR_HOMES: {
        "own_value": 0,
        "efficient_value": 0,
        "percent_more": 0,
        "percentile": 0,
        "cohort": None,
    },
    RecommendationKind.BILL_FORECAST: {
        "month": None,
        "to_date_value": 0,
        "forecast_value": 0,
        "forecast_yen": 0,
    },
}

UNIT_LABELS = {"kWh": "kWh", "m3": "m³"}
DWELLING_LABELS = {
    "ja": {"detached": "戸建て", "apartment": "集合住宅", "terraced": "長屋", "shop": "店舗"},
    "en": {
        "detached": "detached houses",
        "apartment": "apartments",
        "terraced": "terraced houses",
        "shop": "small shops",
    },
}
CONFIDENCE_LABELS = {
    "ja": {"low": "低", "medium": "中", "high": "高"},
    "en": {"low": "low", "medium": "medium", "high": "high"},
}

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    RecommendationKind.STANDBY: {
        "title_ja": "待機電力を見直すと年間約{saving_yen}円の節約",
        "body_ja": (
            "深夜の最小使用量は1日あたり{own_kwh_per_day}kWhで、{cohort}の少ない方から25%の家庭"
            "（{cohort_kwh_per_day}kWh）より多めです。使っていない機器のプラグを抜くなどで、"
            "年間約{saving_value}{unit}・{saving_co2_kg}kg-CO2の削減が見込めます。"
            "（推定の確かさ：{confidence}）"
        ),
        "title_en": "Cut standby power and save about ¥{saving_yen} a year",
        "body_en": (
            "Your night-time minimum is {own_kwh_per_day} kWh a day; the lowest quarter of "
            "{cohort} use {cohort_kwh_per_day} kWh. Unplugging idle devices could save about "
            "{saving_value} {unit} and {saving_co2_kg} kg CO2 a year. (Confidence: {confidence})"
        ),
    },
    RecommendationKind.HEATING: {
        "title_ja": "暖房の設定温度を1℃下げると年間約{saving_yen}円の節約",
        "body_ja": (
            "気温1℃の低下あたりの暖房使用量は{own_per_hdd}{unit}/日で、{cohort}の中央値"
            "（{cohort_per_hdd}{unit}/日）より{percent_above}%多めです。平年の暖房日数"
            "{heating_days}日で、設定温度を1℃下げると年間約{saving_value}{unit}・"
            "{saving_co2_kg}kg-CO2の削減が見込めます。（推定の確かさ：{confidence}）"
        ),
        "title_en": "Turn the heating down 1 °C and save about ¥{saving_yen} a year",
        "body_en": (
            "Your heating uses {own_per_hdd} {unit} a day per degree of cold, {percent_above} % "
            "more than the median of {cohort} ({cohort_per_hdd} {unit}). Over the "
            "{heating_days} heating days of a normal year, a setpoint 1 °C lower would save "
            "about {saving_value} {unit} and {saving_co2_kg} kg CO2. (Confidence: {confidence})"
        ),
    },
    RecommendationKind.PEAK_SHIFT: {
        "title_ja": "ピーク時間帯の使用を移すと年間約{saving_yen}円の節約",
        "body_ja": (
            "ピーク時間帯（{peak_hours}）の使用量は年間約{peak_use_per_year}kWhです。その"
            "{shift_percent}%を安い時間帯に移すと、1kWhあたり{price_difference_yen}円の差で"
            "年間約{saving_yen}円の節約になります。（推定の確かさ：{confidence}）"
        ),
        "title_en": "Shift use out of peak hours and save about ¥{saving_yen} a year",
        "body_en": (
            "You use about {peak_use_per_year} kWh a year in the peak hours ({peak_hours}). "
            "Moving {shift_percent} % of it to the cheapest hours, at ¥{price_difference_yen} "
            "less per kWh, would save about ¥{saving_yen} a year. (Confidence: {confidence})"
        ),
    },
    RecommendationKind.HIGH_USAGE: {
        "title_ja": "この1週間の使用量がいつもより{excess_percent}%多くなっています",
        "body_ja": (
            "直近7日間の使用量は{week_value}{unit}で、気温から見込まれる{expected_value}{unit}"
            "より{excess_value}{unit}（約{excess_yen}円）多めです。つけっぱなしの機器や"
            "設備の不具合がないかご確認ください。"
        ),
        "title_en": "You used {excess_percent} % more than usual this week",
        "body_en": (
            "In the last 7 days you used {week_value} {unit}; for that weather we expected "
            "{expected_value} {unit}. That is {excess_value} {unit} (about ¥{excess_yen}) more. "
            "Check for something left on or a faulty appliance."
        ),
    },
    RecommendationKind.SIMILAR_HOMES: {
        "title_ja": "省エネな似た家庭より{percent_more}%多く使っています",
        "body_ja": (
            "この1年の使用量は{own_value}{unit}で、{cohort}のうち省エネな家庭（少ない方から"
            "20%）は{efficient_value}{unit}です。あなたは少ない方から{percentile}%の位置に"
            "います。省エネな家庭並みになると年間約{saving_yen}円の節約です。"
        ),
        "title_en": "You used {percent_more} % more than efficient similar homes",
        "body_en": (
            "Over the last year you used {own_value} {unit}; efficient {cohort} (the lowest "
            "20 %) used {efficient_value} {unit}. You are at the {percentile}th percentile. "
            "Using as little as they do would save about ¥{saving_yen} a year."
        ),
    },
    RecommendationKind.BILL_FORECAST: {
        "title_ja": "{month}の使用量の見込みは{forecast_value}{unit}（約{forecast_yen}円）",
        "body_ja": (
            "今月これまでの使用量は{to_date_value}{unit}です。残りの日を平年並みの気温で"
            "見込むと、月の合計は約{forecast_value}{unit}・約{forecast_yen}円になります。"
        ),
        "title_en": "{month}: about {forecast_value} {unit} (about ¥{forecast_yen}) expected",
        "body_en": (
            "So far this month you have used {to_date_value} {unit}. With normal weather for "
            "the rest of the month we expect about {forecast_value} {unit}, about "
            "¥{forecast_yen}."
        ),
    },
}


def placeholders_allowed(*, kind: str) -> set[str]:
    return set(COMMON_PLACEHOLDERS) | set(PLACEHOLDERS[kind])


def template_placeholder_errors(*, kind: str, text: str) -> list[str]:
    """Why ``text`` cannot be a template of this kind (empty when it can)."""
    allowed = placeholders_allowed(kind=kind)
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        return [
            translation.gettext(
                "The text is not a valid template (%(reason)s); write braces as {{ and }}."
            )
            % {"reason": exc}
        ]
    errors = []
    for name in fields:
        if name not in allowed:
            errors.append(
                translation.gettext(
                    "Unknown placeholder {%(name)s}; this kind can use: %(allowed)s"
                )
                % {"name": name, "allowed": ", ".join(f"{{{p}}}" for p in sorted(allowed))}
            )
    return errors


def templates_ensure(*, using: str = "default") -> int:
    """Create the default template of every kind that has none; never overwrite staff edits."""
    templates = RecommendationTemplate.objects.using(using)
    existing = set(templates.values_list("kind", flat=True))
    missing = [
        RecommendationTemplate(kind=kind, **texts)
        for kind, texts in DEFAULT_TEMPLATES.items()
        if kind not in existing
    ]
    templates.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


class _Values(dict):
    # A template stored before its placeholders were checked (the shell, a fixture) still
    # renders; the unknown placeholder shows as "—".
    def __missing__(self, key: str) -> str:
        return "—"


@dataclass(frozen=True)
class RenderedText:
    title: str
    body: str


def _language() -> str:
    language = (translation.get_language() or "ja").split("-")[0]
    return language if language in ("ja", "en") else "ja"


def _number(value, decimals: int) -> str:
    if value is None:
        return "—"
    return formats.number_format(round(float(value), decimals), decimals, force_grouping=True)


def _month_label(value: str) -> str:
    """ "2026-11" as the active language writes a month (2026年11月, November 2026)."""
    try:
        month = date.fromisoformat(f"{value}-01")
    except ValueError:
        return value
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def _cohort_label(cohort: dict | None, language: str) -> str:
    if not cohort:
        return "—"
    dwelling = DWELLING_LABELS[language].get(cohort.get("dwelling_type") or "", "")
    band = cohort.get("size_band")
    region = cohort.get("region") or ("供給エリア" if language == "ja" else "the service area")
    if language == "ja":
        label = f"{region}の{dwelling or '家庭'}"
        return f"{label}（{band}人世帯）" if band else label
    label = f"{dwelling or 'homes'} in {region}"
    return f"{label} with {band} people" if band else label


def recommendation_placeholder_values(*, recommendation) -> dict[str, str]:
    """Every placeholder of the recommendation's kind, formatted for the active language."""
    language = _language()
    basis = recommendation.basis or {}
    values = {
        "saving_value": _number(recommendation.saving_per_year, 0),
        "unit": UNIT_LABELS.get(recommendation.unit, recommendation.unit),
        "saving_yen": _number(recommendation.saving_jpy, 0),
        "saving_co2_kg": _number(recommendation.saving_co2_kg, 0),
        "confidence": CONFIDENCE_LABELS[language].get(recommendation.confidence, ""),
    }
    for name, decimals in PLACEHOLDERS[recommendation.kind].items():
        if name == "cohort":
            values[name] = _cohort_label(basis.get("cohort"), language)
        elif name == "month" and basis.get("month"):
            values[name] = _month_label(basis["month"])
        elif decimals is None:
            values[name] = str(basis.get(name, "—"))
        else:
            values[name] = _number(basis.get(name), decimals)
    return values


def recommendation_render(
    *, recommendation, template: RecommendationTemplate | None = None
) -> RenderedText:
    """The title and body in the active language (Japanese unless English is active)."""
    if template is None:
        template = RecommendationTemplate.objects.filter(kind=recommendation.kind).first()
    if template is None:  # deleted by staff: the defaults, so the customer still sees text
        template = RecommendationTemplate(
            kind=recommendation.kind, **DEFAULT_TEMPLATES[recommendation.kind]
        )
    language = _language()
    values = _Values(recommendation_placeholder_values(recommendation=recommendation))
    title = getattr(template, f"title_{language}")
    body = getattr(template, f"body_{language}")
    return RenderedText(title=title.format_map(values), body=body.format_map(values))


def on_post_migrate(sender, using="default", **kwargs) -> None:
    templates_ensure(using=using)

"""Recommendation wording: the default templates, placeholder checks and rendering.

A template is ``str.format`` text with named placeholders only (``{saving_yen}``); which names a
kind may use is listed in ``PLACEHOLDERS``. Numbers are formatted for the active language
(grouping, fixed decimals); a figure that could not be estimated renders as "—".
"""

import string
from dataclasses import dataclass
from datetime import date

from django.utils import formats, translation
from django.utils.translation import gettext_lazy

from energy.models import NameInTwoLanguages
from energy.savings.models import Confidence, RecommendationKind, RecommendationTemplate

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
        "own_watts": 0,
        "cohort_watts": 0,
        "reducible_percent": 0,
        "always_on_share_percent": 0,
        "cohort": None,
    },
    RecommendationKind.HEATING: {
        "own_per_hdd": 2,
        "own_per_hdd_100m2": 2,
        "cohort_per_hdd_100m2": 2,
        "cohort_p25_per_hdd_100m2": 2,
        "cohort_p75_per_hdd_100m2": 2,
        "percent_above": 0,
        "heating_days": 0,
        "cohort": None,
    },
    RecommendationKind.PEAK_SHIFT: {
        "peak_hours": None,  # "17:00-22:00"
        "peak_band": None,  # the band's name in the reader's language, e.g. ピーク / peak
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
        "median_value": 0,
        "cohort_p25_value": 0,
        "cohort_p75_value": 0,
        "cohort_homes": 0,
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

DWELLING_LABELS = {
    "ja": {"detached": "戸建て", "apartment": "集合住宅", "terraced": "長屋", "shop": "店舗"},
    "en": {
        "detached": "detached houses",
        "apartment": "apartments",
        "terraced": "terraced houses",
        "shop": "small shops",
    },
}
# As the cohort label says them: "札幌のガス暖房の戸建て", "gas-heated detached houses".
FUEL_LABELS = {
    "ja": {"gas": "ガス暖房の", "heat_pump": "ヒートポンプ暖房の", "other": "灯油などで暖房する"},
    "en": {"gas": "gas-heated ", "heat_pump": "heat-pump-heated ", "other": "kerosene-heated "},
}
# Household size bands (``energy.savings.cohorts.household_size_band``) as the label says them.
SIZE_BAND_LABELS = {
    "ja": {"1": "1人", "2": "2人", "3-4": "3〜4人", "5+": "5人以上の"},
    "en": {"1": "1 person", "2": "2 people", "3-4": "3-4 people", "5+": "5 or more people"},
}
# A confidence as it reads in a sentence ("Confidence: low"), for the templates and the portal.
CONFIDENCE_LABELS = {
    Confidence.LOW: gettext_lazy("low"),
    Confidence.MEDIUM: gettext_lazy("medium"),
    Confidence.HIGH: gettext_lazy("high"),
}

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    RecommendationKind.STANDBY: {
        "title_ja": "待機電力を見直すと年間約{saving_yen}円の節約",
        "body_ja": (
            "夜中も止まらずに使われている電力は約{own_watts}W（1日{own_kwh_per_day}kWh）で、"
            "{cohort}の少ない方から25%の家庭（約{cohort_watts}W）より多めです。冷蔵庫や換気扇の"
            "ように止められないものもあるため、差の{reducible_percent}%を、使っていない機器の"
            "主電源を切る・プラグを抜くことで減らせると見込むと、年間約{saving_value}{unit}・"
            "{saving_co2_kg}kg-CO2の削減です。（推定の確かさ：{confidence}）"
        ),
        "title_en": "Cut standby power and save about ¥{saving_yen} a year",
        "body_en": (
            "Your home draws about {own_watts} W around the clock ({own_kwh_per_day} kWh a "
            "day); the lowest quarter of {cohort} draw about {cohort_watts} W. The fridge and "
            "the ventilation fan stay on, so we count {reducible_percent} % of the difference "
            "as devices you can switch off at the plug: about {saving_value} {unit} and "
            "{saving_co2_kg} kg CO2 a year. (Confidence: {confidence})"
        ),
    },
    RecommendationKind.HEATING: {
        "title_ja": "暖房の設定温度を1℃下げると年間約{saving_yen}円の節約",
        "body_ja": (
            "外気温が1℃下がるごとの暖房の使用量（1度日あたり）は、床面積100m²あたり"
            "{own_per_hdd_100m2}{unit}で、{cohort}の中央値（{cohort_per_hdd_100m2}{unit}、"
            "半数は{cohort_p25_per_hdd_100m2}〜{cohort_p75_per_hdd_100m2}{unit}）より"
            "{percent_above}%多めです。平年の暖房日数{heating_days}日で、設定温度を1℃下げると"
            "年間約{saving_value}{unit}・{saving_co2_kg}kg-CO2の削減が見込めます。"
            "（推定の確かさ：{confidence}）"
        ),
        "title_en": "Turn the heating down 1 °C and save about ¥{saving_yen} a year",
        "body_en": (
            "Per degree-day (a day 1 °C colder), your heating uses {own_per_hdd_100m2} {unit} "
            "per 100 m² of floor, {percent_above} % more than the median of {cohort} "
            "({cohort_per_hdd_100m2} {unit}; the middle half use {cohort_p25_per_hdd_100m2} to "
            "{cohort_p75_per_hdd_100m2} {unit}). Over the {heating_days} heating days of a "
            "normal year, a setpoint 1 °C lower would save about {saving_value} {unit} and "
            "{saving_co2_kg} kg CO2. (Confidence: {confidence})"
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
            "この1年の使用量は{own_value}{unit}です。{cohort}（{cohort_homes}軒）では、省エネな"
            "家庭（少ない方から20%）が{efficient_value}{unit}、中央値が{median_value}{unit}で、半数の家庭が"
            "{cohort_p25_value}〜{cohort_p75_value}{unit}の間です。あなたは少ない方から"
            "{percentile}%の位置にいます。"
        ),
        "title_en": "You used {percent_more} % more than efficient similar homes",
        "body_en": (
            "Over the last year you used {own_value} {unit}. Among {cohort} ({cohort_homes} "
            "homes), efficient homes "
            "(the lowest 20 %) used {efficient_value} {unit} and the median {median_value} "
            "{unit}; the middle half used between {cohort_p25_value} and {cohort_p75_value} "
            "{unit}. {percentile} % of these homes used less than you."
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


# The wording when an estimate is beyond its plausibility cap (``energy.savings.plausibility``):
# the observation stays, no saving is promised. Not editable by staff: it must never carry a
# figure the engine declined to show.
CAPPED_TEXTS: dict[str, dict[str, str]] = {
    RecommendationKind.STANDBY: {
        "title_ja": "夜中も使われている電力が似た家庭より多めです",
        "body_ja": (
            "止まらずに使われている電力は約{own_watts}W（1日{own_kwh_per_day}kWh）で、{cohort}の"
            "少ない方から25%の家庭（約{cohort_watts}W）より多めです。この差は待機電力だけでは"
            "説明できない大きさのため（暖房や換気、2台目の冷蔵庫などの可能性）、節約額は"
            "示していません。使っていない機器の主電源を切り、翌月の変化をご確認ください。"
        ),
        "title_en": "Your home draws more around the clock than similar homes",
        "body_en": (
            "Your home draws about {own_watts} W around the clock ({own_kwh_per_day} kWh a "
            "day); the lowest quarter of {cohort} draw about {cohort_watts} W. The gap is too "
            "large to be standby alone (heating, ventilation or a second fridge may be part of "
            "it), so we show no saving. Switch off idle devices and see next month's change."
        ),
    },
    RecommendationKind.HEATING: {
        "title_ja": "暖房の使用量が似た家庭より多めです",
        "body_ja": (
            "床面積100m²・1度日あたりの暖房の使用量は{own_per_hdd_100m2}{unit}で、{cohort}の"
            "中央値（{cohort_per_hdd_100m2}{unit}）より多めです。設定温度を1℃下げた場合の"
            "見込みがこの家の暖房の使用量に対して大きすぎるため、節約額は示していません。"
        ),
        "title_en": "Your heating uses more than similar homes'",
        "body_en": (
            "Your heating uses {own_per_hdd_100m2} {unit} per 100 m² and degree-day; the median "
            "of {cohort} is {cohort_per_hdd_100m2} {unit}. What 1 °C lower would save came out "
            "too large for your home's heating use, so we show no saving."
        ),
    },
    RecommendationKind.PEAK_SHIFT: {
        "title_ja": "ピーク時間帯（{peak_hours}）の使用を減らすと電気代が下がります",
        "body_ja": (
            "ピーク時間帯の使用量は年間約{peak_use_per_year}kWhです。洗濯や食器洗いを安い時間帯"
            "に移すと電気代が下がりますが、見込み額が電気代に対して大きすぎるため示していません。"
        ),
        "title_en": "Using less in the peak hours ({peak_hours}) lowers your bill",
        "body_en": (
            "You use about {peak_use_per_year} kWh a year in the peak hours. Moving laundry "
            "or the dishwasher to cheaper hours lowers the bill; the estimate came out too "
            "large for your bill, so we show no figure."
        ),
    },
}


def estimate_capped(recommendation) -> bool:
    """Whether the engine declined to show this recommendation's saving (beyond its cap)."""
    cap = ((recommendation.basis or {}).get("plausibility") or {}).get("cap") or {}
    return bool(cap.get("exceeded"))


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
    fuel = FUEL_LABELS[language].get(cohort.get("heating_fuel") or "", "")
    band = cohort.get("size_band")
    region = (
        NameInTwoLanguages(
            cohort["region"], cohort.get("region_ja") or "", cohort.get("region_en") or ""
        ).in_language(language)
        if cohort.get("region")
        else ("供給エリア" if language == "ja" else "the service area")
    )
    if language == "ja":
        label = f"{region}の{fuel}{dwelling or '家庭'}"
        return f"{label}（{SIZE_BAND_LABELS['ja'][band]}世帯）" if band else label
    label = f"{fuel}{dwelling or 'homes'} in {region}"
    return f"{label} with {SIZE_BAND_LABELS['en'][band]}" if band else label


def _peak_hours(basis: dict) -> str:
    """ "17:00-22:00". A basis written before the band had names in both languages held the
    raw name in front ("ピーク peak 17:00-22:00"): only its hours are shown."""
    hours = str(basis["peak_hours"])
    return hours if "peak_band" in basis else hours.rsplit(" ", 1)[-1]


def _peak_band_name(basis: dict, language: str) -> str:
    band = basis.get("peak_band") or {}
    if not band.get("name"):
        return "—"
    return NameInTwoLanguages(
        band["name"], band.get("name_ja") or "", band.get("name_en") or ""
    ).in_language(language)


def recommendation_placeholder_values(*, recommendation) -> dict[str, str]:
    """Every placeholder of the recommendation's kind, formatted for the active language."""
    language = _language()
    basis = recommendation.basis or {}
    values = {
        "saving_value": _number(recommendation.saving_per_year, 0),
        "unit": recommendation.get_unit_display(),
        "saving_yen": _number(recommendation.saving_jpy, 0),
        "saving_co2_kg": _number(recommendation.saving_co2_kg, 0),
        "confidence": str(CONFIDENCE_LABELS.get(recommendation.confidence, "")),
    }
    for name, decimals in PLACEHOLDERS[recommendation.kind].items():
        if name == "cohort":
            values[name] = _cohort_label(basis.get("cohort"), language)
        elif name == "cohort_homes":
            values[name] = _number((basis.get("cohort") or {}).get("n_homes"), 0)
        elif name == "month" and basis.get("month"):
            values[name] = _month_label(basis["month"])
        elif name == "peak_hours" and basis.get("peak_hours"):
            values[name] = _peak_hours(basis)
        elif name == "peak_band":
            values[name] = _peak_band_name(basis, language)
        elif decimals is None:
            values[name] = str(basis.get(name, "—"))
        else:
            values[name] = _number(basis.get(name), decimals)
    return values


def recommendation_templates() -> dict[str, RecommendationTemplate]:
    """The wording of every kind, by kind (one query): pass each to ``recommendation_render``."""
    return {template.kind: template for template in RecommendationTemplate.objects.all()}


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
    if estimate_capped(recommendation) and recommendation.kind in CAPPED_TEXTS:
        texts = CAPPED_TEXTS[recommendation.kind]
        title, body = texts[f"title_{language}"], texts[f"body_{language}"]
    else:
        title = getattr(template, f"title_{language}")
        body = getattr(template, f"body_{language}")
    return RenderedText(title=title.format_map(values), body=body.format_map(values))


def on_post_migrate(sender, using="default", **kwargs) -> None:
    templates_ensure(using=using)

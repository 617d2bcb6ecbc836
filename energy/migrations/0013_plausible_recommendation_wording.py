"""The default wording of standby, heating and similar-homes recommendations, rewritten for
plausible figures (always-on watts and a stated reducible share; heating per 100 m² within one
heating fuel; similar homes as a comparison with the cohort's size and spread, without a yen
saving). A text staff have edited is left alone: each field still holding the previous default
is updated on its own. Both wordings are frozen here, so later changes of the defaults in code
do not change what this migration does. Similar-homes rows lose their yen, kWh and CO2 figures
(a comparison is not a saving); the nightly recomputation fills in the rest."""

from django.db import migrations

PREVIOUS_DEFAULTS = {
    "heating": {
        "body_en": "Your heating uses {own_per_hdd} {unit} a day per degree of cold, "
        "{percent_above} % more than the median of {cohort} ({cohort_per_hdd} "
        "{unit}). Over the {heating_days} heating days of a normal year, a "
        "setpoint 1 °C lower would save about {saving_value} {unit} and "
        "{saving_co2_kg} kg CO2. (Confidence: {confidence})",
        "body_ja": "気温1℃の低下あたりの暖房使用量は{own_per_hdd}{unit}/日で、{cohort}の中央値（{cohort_per_hdd}{unit}/日）より{percent_above}%多めです。平年の暖房日数{heating_days}日で、設定温度を1℃下げると年間約{saving_value}{unit}・{saving_co2_kg}kg-CO2の削減が見込めます。（推定の確かさ：{confidence}）",
        "title_en": "Turn the heating down 1 °C and save about ¥{saving_yen} a year",
        "title_ja": "暖房の設定温度を1℃下げると年間約{saving_yen}円の節約",
    },
    "similar_homes": {
        "body_en": "Over the last year you used {own_value} {unit}; efficient "
        "{cohort} (the lowest 20 %) used {efficient_value} {unit}. You "
        "are at the {percentile}th percentile. Using as little as they "
        "do would save about ¥{saving_yen} a year.",
        "body_ja": "この1年の使用量は{own_value}{unit}で、{cohort}のうち省エネな家庭（少ない方から20%）は{efficient_value}{unit}です。あなたは少ない方から{percentile}%の位置にいます。省エネな家庭並みになると年間約{saving_yen}円の節約です。",
        "title_en": "You used {percent_more} % more than efficient similar homes",
        "title_ja": "省エネな似た家庭より{percent_more}%多く使っています",
    },
    "standby": {
        "body_en": "Your night-time minimum is {own_kwh_per_day} kWh a day; the lowest "
        "quarter of {cohort} use {cohort_kwh_per_day} kWh. Unplugging idle "
        "devices could save about {saving_value} {unit} and {saving_co2_kg} kg "
        "CO2 a year. (Confidence: {confidence})",
        "body_ja": "深夜の最小使用量は1日あたり{own_kwh_per_day}kWhで、{cohort}の少ない方から25%の家庭（{cohort_kwh_per_day}kWh）より多めです。使っていない機器のプラグを抜くなどで、年間約{saving_value}{unit}・{saving_co2_kg}kg-CO2の削減が見込めます。（推定の確かさ：{confidence}）",
        "title_en": "Cut standby power and save about ¥{saving_yen} a year",
        "title_ja": "待機電力を見直すと年間約{saving_yen}円の節約",
    },
}

NEW_DEFAULTS = {
    "heating": {
        "body_en": "Per degree-day (a day 1 °C colder), your heating uses "
        "{own_per_hdd_100m2} {unit} per 100 m² of floor, {percent_above} % "
        "more than the median of {cohort} ({cohort_per_hdd_100m2} {unit}; the "
        "middle half use {cohort_p25_per_hdd_100m2} to "
        "{cohort_p75_per_hdd_100m2} {unit}). Over the {heating_days} heating "
        "days of a normal year, a setpoint 1 °C lower would save about "
        "{saving_value} {unit} and {saving_co2_kg} kg CO2. (Confidence: "
        "{confidence})",
        "body_ja": "外気温が1℃下がるごとの暖房の使用量（1度日あたり）は、床面積100m²あたり{own_per_hdd_100m2}{unit}で、{cohort}の中央値（{cohort_per_hdd_100m2}{unit}、半数は{cohort_p25_per_hdd_100m2}〜{cohort_p75_per_hdd_100m2}{unit}）より{percent_above}%多めです。平年の暖房日数{heating_days}日で、設定温度を1℃下げると年間約{saving_value}{unit}・{saving_co2_kg}kg-CO2の削減が見込めます。（推定の確かさ：{confidence}）",
        "title_en": "Turn the heating down 1 °C and save about ¥{saving_yen} a year",
        "title_ja": "暖房の設定温度を1℃下げると年間約{saving_yen}円の節約",
    },
    "similar_homes": {
        "body_en": "Over the last year you used {own_value} {unit}. Among {cohort} "
        "({cohort_homes} homes), efficient homes (the lowest 20 %) used "
        "{efficient_value} {unit} and the median {median_value} {unit}; "
        "the middle half used between {cohort_p25_value} and "
        "{cohort_p75_value} {unit}. {percentile} % of these homes used "
        "less than you.",
        "body_ja": "この1年の使用量は{own_value}{unit}です。{cohort}（{cohort_homes}軒）では、省エネな家庭（少ない方から20%）が{efficient_value}{unit}、中央値が{median_value}{unit}で、半数の家庭が{cohort_p25_value}〜{cohort_p75_value}{unit}の間です。あなたは少ない方から{percentile}%の位置にいます。",
        "title_en": "You used {percent_more} % more than efficient similar homes",
        "title_ja": "省エネな似た家庭より{percent_more}%多く使っています",
    },
    "standby": {
        "body_en": "Your home draws about {own_watts} W around the clock "
        "({own_kwh_per_day} kWh a day); the lowest quarter of {cohort} draw "
        "about {cohort_watts} W. The fridge and the ventilation fan stay on, "
        "so we count {reducible_percent} % of the difference as devices you "
        "can switch off at the plug: about {saving_value} {unit} and "
        "{saving_co2_kg} kg CO2 a year. (Confidence: {confidence})",
        "body_ja": "夜中も止まらずに使われている電力は約{own_watts}W（1日{own_kwh_per_day}kWh）で、{cohort}の少ない方から25%の家庭（約{cohort_watts}W）より多めです。冷蔵庫や換気扇のように止められないものもあるため、差の{reducible_percent}%を、使っていない機器の主電源を切る・プラグを抜くことで減らせると見込むと、年間約{saving_value}{unit}・{saving_co2_kg}kg-CO2の削減です。（推定の確かさ：{confidence}）",
        "title_en": "Cut standby power and save about ¥{saving_yen} a year",
        "title_ja": "待機電力を見直すと年間約{saving_yen}円の節約",
    },
}


def _replace(apps, before: dict, after: dict) -> None:
    Template = apps.get_model("energy", "RecommendationTemplate")
    for kind, fields in before.items():
        for field, text in fields.items():
            Template.objects.filter(kind=kind, **{field: text}).update(
                **{field: after[kind][field]}
            )


def forwards(apps, schema_editor):
    _replace(apps, PREVIOUS_DEFAULTS, NEW_DEFAULTS)
    apps.get_model("energy", "Recommendation").objects.filter(kind="similar_homes").update(
        saving_per_year=None, saving_jpy=None, saving_co2_kg=None
    )


def backwards(apps, schema_editor):
    _replace(apps, NEW_DEFAULTS, PREVIOUS_DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [("energy", "0012_premise_heating_fuel_demo_truth")]

    operations = [migrations.RunPython(forwards, backwards)]

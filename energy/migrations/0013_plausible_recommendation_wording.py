"""The default wording of standby, heating and similar-homes recommendations, rewritten for
plausible figures (always-on watts and a stated reducible share; heating per 100 m² within one
heating fuel; similar homes as a comparison without a yen saving). A template staff have edited
is left alone: only rows still holding the previous default text are updated."""

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


def forwards(apps, schema_editor):
    from energy.savings.templates import DEFAULT_TEMPLATES

    Template = apps.get_model("energy", "RecommendationTemplate")
    for kind, previous in PREVIOUS_DEFAULTS.items():
        Template.objects.filter(kind=kind, **previous).update(**DEFAULT_TEMPLATES[kind])


def backwards(apps, schema_editor):
    from energy.savings.templates import DEFAULT_TEMPLATES

    Template = apps.get_model("energy", "RecommendationTemplate")
    for kind, previous in PREVIOUS_DEFAULTS.items():
        Template.objects.filter(kind=kind, **DEFAULT_TEMPLATES[kind]).update(**previous)


class Migration(migrations.Migration):
    dependencies = [("energy", "0012_premise_heating_fuel_demo_truth")]

    operations = [migrations.RunPython(forwards, backwards)]

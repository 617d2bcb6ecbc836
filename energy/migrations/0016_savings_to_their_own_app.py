"""Recommendations and interventions belong to the savings app now: energy forgets the models
(state only; the tables stay)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('energy', '0015_tariffs_to_their_own_app'),
        ('savings', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='historicalrecommendationtemplate',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='intervention',
                    name='meter',
                ),
                migrations.RemoveField(
                    model_name='recommendation',
                    name='meter',
                ),
                migrations.RemoveField(
                    model_name='recommendation',
                    name='premise',
                ),
                migrations.DeleteModel(
                    name='RecommendationTemplate',
                ),
                migrations.DeleteModel(
                    name='HistoricalRecommendationTemplate',
                ),
                migrations.DeleteModel(
                    name='Intervention',
                ),
                migrations.DeleteModel(
                    name='Recommendation',
                ),
            ]
        ),
    ]

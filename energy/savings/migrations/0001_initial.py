"""Recommendations, their wording (with its history) and interventions move from the energy app to
their own. The tables (energy_…) and rows stay where they are (state only); the content types
move, and with them the staff groups' permissions and the admin's history of every change."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from core.moves import content_types_move
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('energy', '0015_tariffs_to_their_own_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RecommendationTemplate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('standby', 'Standby power'), ('heating', 'Heating setpoint'), ('peak_shift', 'Peak shift'), ('high_usage', 'High usage alert'), ('similar_homes', 'Similar homes comparison'), ('bill_forecast', 'Bill forecast')], max_length=20, unique=True, verbose_name='kind')),
                        ('title_ja', models.CharField(max_length=200, verbose_name='title (Japanese)')),
                        ('body_ja', models.TextField(verbose_name='body (Japanese)')),
                        ('title_en', models.CharField(max_length=200, verbose_name='title (English)')),
                        ('body_en', models.TextField(verbose_name='body (English)')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                    ],
                    options={
                        'verbose_name': 'recommendation template',
                        'verbose_name_plural': 'recommendation templates',
                        'db_table': 'energy_recommendationtemplate',
                        'ordering': ['kind'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalRecommendationTemplate',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('standby', 'Standby power'), ('heating', 'Heating setpoint'), ('peak_shift', 'Peak shift'), ('high_usage', 'High usage alert'), ('similar_homes', 'Similar homes comparison'), ('bill_forecast', 'Bill forecast')], db_index=True, max_length=20, verbose_name='kind')),
                        ('title_ja', models.CharField(max_length=200, verbose_name='title (Japanese)')),
                        ('body_ja', models.TextField(verbose_name='body (Japanese)')),
                        ('title_en', models.CharField(max_length=200, verbose_name='title (English)')),
                        ('body_en', models.TextField(verbose_name='body (English)')),
                        ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name='updated at')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical recommendation template',
                        'verbose_name_plural': 'historical recommendation templates',
                        'db_table': 'energy_historicalrecommendationtemplate',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Intervention',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(verbose_name='date')),
                        ('description', models.CharField(max_length=200, verbose_name='description')),
                        ('true_saving_fraction', models.FloatField(blank=True, null=True, verbose_name='true saving fraction')),
                        ('meter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='interventions', to='energy.meter', verbose_name='meter')),
                    ],
                    options={
                        'verbose_name': 'intervention',
                        'verbose_name_plural': 'interventions',
                        'db_table': 'energy_intervention',
                        'ordering': ['meter', 'date'],
                    },
                ),
                migrations.CreateModel(
                    name='Recommendation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('standby', 'Standby power'), ('heating', 'Heating setpoint'), ('peak_shift', 'Peak shift'), ('high_usage', 'High usage alert'), ('similar_homes', 'Similar homes comparison'), ('bill_forecast', 'Bill forecast')], max_length=20, verbose_name='kind')),
                        ('unit', models.CharField(blank=True, choices=[('kWh', 'kWh'), ('m3', 'm³')], max_length=8, verbose_name='unit')),
                        ('saving_per_year', models.FloatField(blank=True, help_text="In the meter's unit.", null=True, verbose_name='estimated saving per year')),
                        ('saving_jpy', models.FloatField(blank=True, null=True, verbose_name='estimated saving per year (JPY)')),
                        ('saving_co2_kg', models.FloatField(blank=True, null=True, verbose_name='estimated saving per year (kg CO2)')),
                        ('is_alert', models.BooleanField(default=False, verbose_name='alert')),
                        ('confidence', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High')], max_length=8, verbose_name='confidence')),
                        ('basis', models.JSONField(default=dict, help_text='The numbers used.', verbose_name='basis')),
                        ('computed_at', models.DateTimeField(verbose_name='computed at')),
                        ('is_current', models.BooleanField(default=True, verbose_name='current')),
                        ('status', models.CharField(choices=[('new', 'New'), ('will_do', 'Will do'), ('done', 'Done'), ('not_for_me', 'Not for me')], default='new', max_length=12, verbose_name='status')),
                        ('status_changed_at', models.DateTimeField(blank=True, null=True, verbose_name='status changed at')),
                        ('measured_fractional_savings', models.FloatField(blank=True, null=True, verbose_name='measured fractional savings')),
                        ('measured_fractional_savings_uncertainty', models.FloatField(blank=True, null=True, verbose_name='measured fractional savings uncertainty (90 %)')),
                        ('measured_avoided', models.FloatField(blank=True, help_text="In the meter's unit.", null=True, verbose_name='measured avoided use')),
                        ('measured_avoided_uncertainty', models.FloatField(blank=True, null=True, verbose_name='measured avoided use uncertainty (90 %)')),
                        ('measured_at', models.DateTimeField(blank=True, null=True, verbose_name='measured at')),
                        ('measurement', models.JSONField(blank=True, default=dict, help_text='The M&V result, or why savings cannot be measured yet.', verbose_name='measurement')),
                        ('meter', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='recommendations', to='energy.meter', verbose_name='meter')),
                        ('premise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='recommendations', to='energy.premise', verbose_name='premise')),
                    ],
                    options={
                        'verbose_name': 'recommendation',
                        'verbose_name_plural': 'recommendations',
                        'db_table': 'energy_recommendation',
                        'ordering': ['premise', 'kind', 'meter'],
                        'indexes': [models.Index(fields=['status', 'measured_at'], name='recommendation_status')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('meter__isnull', False)), fields=('premise', 'meter', 'kind'), name='recommendation_one_per_premise_meter_kind'), models.UniqueConstraint(condition=models.Q(('meter__isnull', True)), fields=('premise', 'kind'), name='recommendation_one_per_premise_kind')],
                    },
                ),
            ]
        ),
        content_types_move(
            old_label='energy',
            new_label='savings',
            models=['historicalrecommendationtemplate', 'intervention', 'recommendation', 'recommendationtemplate'],
        ),
    ]

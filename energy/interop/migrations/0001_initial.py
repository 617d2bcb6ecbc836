"""Green Button usage points (with their history and files) and Route B meter registers move from
the energy app to their own. The tables (energy_…) and rows stay where they are (state only); the
content types move, and with them the permissions and the admin's history of every change."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from core.moves import content_types_move
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('energy', '0017_campaigns_to_their_own_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='GreenButtonUsagePoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('identifier', models.CharField(help_text="The UsagePoint entry's self link (href) in the feed, or its id (urn:uuid:…) when it has no self link.", max_length=500, unique=True, verbose_name='usage point identifier')),
                        ('title', models.CharField(blank=True, max_length=300, verbose_name='title')),
                        ('commodity', models.CharField(choices=[('electricity', 'Electricity'), ('gas', 'Gas')], max_length=20, verbose_name='commodity')),
                        ('first_seen_at', models.DateTimeField(auto_now_add=True, verbose_name='first seen at')),
                        ('batches', models.ManyToManyField(blank=True, help_text='The ingest batches (files) that held this usage point.', related_name='greenbutton_usage_points', to='energy.ingestbatch', verbose_name='files')),
                        ('meter', models.ForeignKey(blank=True, help_text='Empty: not assigned yet. Its readings wait in the stored files.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='greenbutton_usage_points', to='energy.meter', verbose_name='meter')),
                    ],
                    options={
                        'verbose_name': 'Green Button usage point',
                        'verbose_name_plural': 'Green Button usage points',
                        'db_table': 'energy_greenbuttonusagepoint',
                        'ordering': ['identifier'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalGreenButtonUsagePoint',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('identifier', models.CharField(db_index=True, help_text="The UsagePoint entry's self link (href) in the feed, or its id (urn:uuid:…) when it has no self link.", max_length=500, verbose_name='usage point identifier')),
                        ('title', models.CharField(blank=True, max_length=300, verbose_name='title')),
                        ('commodity', models.CharField(choices=[('electricity', 'Electricity'), ('gas', 'Gas')], max_length=20, verbose_name='commodity')),
                        ('first_seen_at', models.DateTimeField(blank=True, editable=False, verbose_name='first seen at')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('meter', models.ForeignKey(blank=True, db_constraint=False, help_text='Empty: not assigned yet. Its readings wait in the stored files.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='energy.meter', verbose_name='meter')),
                    ],
                    options={
                        'verbose_name': 'historical Green Button usage point',
                        'verbose_name_plural': 'historical Green Button usage points',
                        'db_table': 'energy_historicalgreenbuttonusagepoint',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='MeterRegister',
                    fields=[
                        ('meter', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='register', serialize=False, to='energy.meter', verbose_name='meter')),
                        ('ts', models.DateTimeField(verbose_name='register time')),
                        ('value', models.PositiveBigIntegerField(verbose_name='register value')),
                        ('coefficient', models.PositiveIntegerField(verbose_name='coefficient')),
                        ('unit_code', models.PositiveSmallIntegerField(verbose_name='unit code')),
                        ('digits', models.PositiveSmallIntegerField(verbose_name='effective digits')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('batch', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='energy.ingestbatch', verbose_name='ingest batch')),
                    ],
                    options={
                        'verbose_name': 'meter register',
                        'verbose_name_plural': 'meter registers',
                        'db_table': 'energy_meterregister',
                    },
                ),
            ]
        ),
        content_types_move(
            old_label='energy',
            new_label='interop',
            models=['greenbuttonusagepoint', 'historicalgreenbuttonusagepoint', 'meterregister'],
        ),
    ]

"""Campaigns, demand-response events, the points ledger, notification preferences and email
deliveries move from the energy app to their own. The tables (energy_…, with the campaigns'
region and group tables) and rows stay where they are (state only); the content types move, and
with them the staff groups' permissions and the admin's history of every change."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from core.moves import content_types_move
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('energy', '0016_savings_to_their_own_app'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('flags', '0004_history_and_scheduled_changes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DemandResponseEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title_ja', models.CharField(max_length=200, verbose_name='title (Japanese)')),
                        ('title_en', models.CharField(max_length=200, verbose_name='title (English)')),
                        ('description_ja', models.TextField(blank=True, verbose_name='description (Japanese)')),
                        ('description_en', models.TextField(blank=True, verbose_name='description (English)')),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('announced', 'Announced'), ('finished', 'Finished'), ('cancelled', 'Cancelled')], default='draft', max_length=10, verbose_name='status')),
                        ('commodity', models.CharField(choices=[('electricity', 'Electricity'), ('gas', 'Gas')], default='electricity', max_length=20, verbose_name='commodity')),
                        ('experiment_variant', models.CharField(blank=True, help_text='The variant key whose customers take part; empty: every exposed customer.', max_length=50, verbose_name='experiment variant')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('event_date', models.DateField(verbose_name='date')),
                        ('start_hour', models.PositiveSmallIntegerField(help_text='Local time, 0-23.', validators=[django.core.validators.MaxValueValidator(23)], verbose_name='from (hour)')),
                        ('end_hour', models.PositiveSmallIntegerField(help_text='Local time, exclusive: 17 to 20 means 17:00-20:00.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(24)], verbose_name='until (hour)')),
                        ('points_per_kwh', models.DecimalField(decimal_places=1, max_digits=6, validators=[django.core.validators.MinValueValidator(0)], verbose_name='points per kWh saved')),
                        ('baseline_method', models.CharField(choices=[('average_5', 'Average of the last 5 similar days'), ('high_4_of_5', 'High 4 of the last 5 similar days'), ('weather', 'Weather-adjusted model (savings engine)')], default='average_5', max_length=20, verbose_name='baseline')),
                        ('announced_at', models.DateTimeField(blank=True, null=True, verbose_name='announced at')),
                        ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='cancelled at')),
                        ('experiment', models.ForeignKey(blank=True, help_text='Only customers exposed to this experiment (with the variant below).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='flags.experiment', verbose_name='experiment')),
                        ('groups', models.ManyToManyField(blank=True, help_text='Only members of these groups. Empty: everyone.', related_name='+', to='auth.group', verbose_name='groups')),
                        ('regions', models.ManyToManyField(blank=True, help_text='Only customers with a home in these regions. Empty: all regions.', related_name='+', to='energy.region', verbose_name='regions')),
                    ],
                    options={
                        'verbose_name': 'demand-response event',
                        'verbose_name_plural': 'demand-response events',
                        'db_table': 'energy_demandresponseevent',
                        'ordering': ['-event_date'],
                    },
                ),
                migrations.CreateModel(
                    name='EmailDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=150, unique=True, verbose_name='key')),
                        ('kind', models.CharField(max_length=30, verbose_name='kind')),
                        ('status', models.CharField(choices=[('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed')], max_length=10, verbose_name='status')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL, verbose_name='customer')),
                    ],
                    options={
                        'verbose_name': 'email delivery',
                        'verbose_name_plural': 'email deliveries',
                        'db_table': 'energy_emaildelivery',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='NotificationPreference',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_announcements', models.BooleanField(default=True, verbose_name='event announcements')),
                        ('high_usage_alerts', models.BooleanField(default=True, verbose_name='high-usage alerts')),
                        ('weekly_summary', models.BooleanField(default=False, verbose_name='weekly usage summary')),
                        ('language', models.CharField(choices=[('ja', '日本語'), ('en', 'English')], default='ja', max_length=5, verbose_name='language')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='notification_preference', to=settings.AUTH_USER_MODEL, verbose_name='customer')),
                    ],
                    options={
                        'verbose_name': 'notification preference',
                        'verbose_name_plural': 'notification preferences',
                        'db_table': 'energy_notificationpreference',
                    },
                ),
                migrations.CreateModel(
                    name='YearOnYearCampaign',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title_ja', models.CharField(max_length=200, verbose_name='title (Japanese)')),
                        ('title_en', models.CharField(max_length=200, verbose_name='title (English)')),
                        ('description_ja', models.TextField(blank=True, verbose_name='description (Japanese)')),
                        ('description_en', models.TextField(blank=True, verbose_name='description (English)')),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('announced', 'Announced'), ('finished', 'Finished'), ('cancelled', 'Cancelled')], default='draft', max_length=10, verbose_name='status')),
                        ('commodity', models.CharField(choices=[('electricity', 'Electricity'), ('gas', 'Gas')], default='electricity', max_length=20, verbose_name='commodity')),
                        ('experiment_variant', models.CharField(blank=True, help_text='The variant key whose customers take part; empty: every exposed customer.', max_length=50, verbose_name='experiment variant')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('period_start', models.DateField(help_text='Any day of the first month.', verbose_name='first month')),
                        ('period_end', models.DateField(help_text='Any day of the final month.', verbose_name='final month')),
                        ('min_saving_percent', models.DecimalField(decimal_places=1, help_text="A month qualifies when its use is at least this much below last year's.", max_digits=4, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='minimum saving (%)')),
                        ('weather_normalised', models.BooleanField(default=False, help_text="Compare last year's month with what it would have been in this year's weather (the customer's own heating and cooling model).", verbose_name='weather-normalised')),
                        ('points_per_month', models.PositiveIntegerField(verbose_name='points per qualifying month')),
                        ('cap_points', models.PositiveIntegerField(help_text='The most points a customer can earn in this campaign.', verbose_name='cap per customer')),
                        ('experiment', models.ForeignKey(blank=True, help_text='Only customers exposed to this experiment (with the variant below).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='flags.experiment', verbose_name='experiment')),
                        ('groups', models.ManyToManyField(blank=True, help_text='Only members of these groups. Empty: everyone.', related_name='+', to='auth.group', verbose_name='groups')),
                        ('regions', models.ManyToManyField(blank=True, help_text='Only customers with a home in these regions. Empty: all regions.', related_name='+', to='energy.region', verbose_name='regions')),
                    ],
                    options={
                        'verbose_name': 'year-on-year campaign',
                        'verbose_name_plural': 'year-on-year campaigns',
                        'db_table': 'energy_yearonyearcampaign',
                        'ordering': ['-period_start'],
                    },
                ),
                migrations.CreateModel(
                    name='PointsEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('award_key', models.CharField(db_index=True, max_length=100, verbose_name='award')),
                        ('kind', models.CharField(choices=[('award', 'Award'), ('correction', 'Correction')], max_length=12, verbose_name='kind')),
                        ('points', models.IntegerField(verbose_name='points')),
                        ('basis', models.JSONField(default=dict, verbose_name='basis')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('event', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='points', to='campaigns.demandresponseevent', verbose_name='demand-response event')),
                        ('premise', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='energy.premise', verbose_name='premise')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='points', to=settings.AUTH_USER_MODEL, verbose_name='customer')),
                        ('yoy_campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='points', to='campaigns.yearonyearcampaign', verbose_name='year-on-year campaign')),
                    ],
                    options={
                        'verbose_name': 'points entry',
                        'verbose_name_plural': 'points ledger',
                        'db_table': 'energy_pointsentry',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
            ]
        ),
        content_types_move(
            old_label='energy',
            new_label='campaigns',
            models=['demandresponseevent', 'emaildelivery', 'notificationpreference', 'pointsentry', 'yearonyearcampaign'],
        ),
    ]

"""API keys move from the energy app to their own: the table ``energy_apikey`` and its rows stay
where they are (state only), and the content type moves with its permissions, so every group and
user that could manage keys still can."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.moves import content_types_move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The table was created by energy's 0008; energy forgets the model in 0014.
        ("energy", "0013_plausible_recommendation_wording"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(
            name='ApiKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='What the key is for.', max_length=100, verbose_name='name')),
                ('prefix', models.CharField(editable=False, max_length=16, unique=True, verbose_name='prefix')),
                ('secret_sha256', models.CharField(editable=False, max_length=64, verbose_name='secret SHA-256')),
                ('scopes', models.JSONField(default=list, verbose_name='scopes')),
                ('rate', models.CharField(blank=True, help_text='Requests per period, e.g. 600/min. Empty: the site default.', max_length=20, validators=[django.core.validators.RegexValidator('^[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)$', 'Write it as a number of requests per s, min, hour or day, e.g. 600/min.')], verbose_name='rate limit')),
                ('expires_at', models.DateTimeField(blank=True, null=True, verbose_name='expires at')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='last used at')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('user', models.ForeignKey(help_text='Batches the key posts are recorded under this account.', on_delete=django.db.models.deletion.PROTECT, related_name='api_keys', to=settings.AUTH_USER_MODEL, verbose_name='acts as')),
            ],
            options={
                'verbose_name': 'API key',
                'verbose_name_plural': 'API keys',
                'db_table': 'energy_apikey',
                'ordering': ['-created_at'],
            },
        )]),
        content_types_move(old_label="energy", new_label="apikeys", models=["apikey"]),
    ]

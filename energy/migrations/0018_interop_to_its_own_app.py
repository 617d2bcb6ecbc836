"""Green Button usage points and meter registers belong to the interop app now: energy forgets the
models (state only; the tables stay)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('energy', '0017_campaigns_to_their_own_app'),
        ('interop', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='historicalgreenbuttonusagepoint',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalgreenbuttonusagepoint',
                    name='meter',
                ),
                migrations.RemoveField(
                    model_name='meterregister',
                    name='batch',
                ),
                migrations.RemoveField(
                    model_name='meterregister',
                    name='meter',
                ),
                migrations.DeleteModel(
                    name='GreenButtonUsagePoint',
                ),
                migrations.DeleteModel(
                    name='HistoricalGreenButtonUsagePoint',
                ),
                migrations.DeleteModel(
                    name='MeterRegister',
                ),
            ]
        ),
    ]

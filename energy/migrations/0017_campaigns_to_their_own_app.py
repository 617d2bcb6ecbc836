"""Campaigns, the points ledger and notifications belong to the campaigns app now: energy forgets
the models (state only; the tables stay)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('energy', '0016_savings_to_their_own_app'),
        ('campaigns', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='pointsentry',
                    name='event',
                ),
                migrations.RemoveField(
                    model_name='emaildelivery',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='notificationpreference',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='pointsentry',
                    name='premise',
                ),
                migrations.RemoveField(
                    model_name='pointsentry',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='pointsentry',
                    name='yoy_campaign',
                ),
                migrations.RemoveField(
                    model_name='yearonyearcampaign',
                    name='experiment',
                ),
                migrations.RemoveField(
                    model_name='yearonyearcampaign',
                    name='groups',
                ),
                migrations.RemoveField(
                    model_name='yearonyearcampaign',
                    name='regions',
                ),
                migrations.DeleteModel(
                    name='DemandResponseEvent',
                ),
                migrations.DeleteModel(
                    name='EmailDelivery',
                ),
                migrations.DeleteModel(
                    name='NotificationPreference',
                ),
                migrations.DeleteModel(
                    name='PointsEntry',
                ),
                migrations.DeleteModel(
                    name='YearOnYearCampaign',
                ),
            ]
        ),
    ]

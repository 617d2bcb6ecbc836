"""Tariffs belong to the tariffs app now: energy forgets the models (state only; tables stay), and
a premise's plans point at tariffs.ElectricityTariff and tariffs.GasTariff."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('energy', '0014_apikey_to_its_own_app'),
        ('tariffs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='fuelcostadjustment',
                    name='tariff',
                ),
                migrations.RemoveField(
                    model_name='historicalfuelcostadjustment',
                    name='tariff',
                ),
                migrations.RemoveField(
                    model_name='electricitytariffversion',
                    name='tariff',
                ),
                migrations.RemoveField(
                    model_name='historicalelectricitytariffversion',
                    name='tariff',
                ),
                migrations.AlterField(
                    model_name='premise',
                    name='electricity_tariff',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='premises', to='tariffs.electricitytariff', verbose_name='electricity tariff'),
                ),
                migrations.RemoveField(
                    model_name='historicaltimeofuseband',
                    name='version',
                ),
                migrations.RemoveField(
                    model_name='timeofuseband',
                    name='version',
                ),
                migrations.DeleteModel(
                    name='EmissionFactor',
                ),
                migrations.RemoveField(
                    model_name='gasrawmaterialadjustment',
                    name='tariff',
                ),
                migrations.RemoveField(
                    model_name='historicalgasrawmaterialadjustment',
                    name='tariff',
                ),
                migrations.RemoveField(
                    model_name='gastariffversion',
                    name='tariff',
                ),
                migrations.AlterField(
                    model_name='premise',
                    name='gas_tariff',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='premises', to='tariffs.gastariff', verbose_name='gas tariff'),
                ),
                migrations.RemoveField(
                    model_name='historicalgastariffversion',
                    name='tariff',
                ),
                migrations.RemoveField(
                    model_name='gasusageband',
                    name='version',
                ),
                migrations.RemoveField(
                    model_name='historicalgasusageband',
                    name='version',
                ),
                migrations.RemoveField(
                    model_name='historicalelectricitytariff',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalelectricitytariffversion',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalemissionfactor',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalfuelcostadjustment',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalgasrawmaterialadjustment',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalgastariff',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalgastariffversion',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalgasusageband',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicaltimeofuseband',
                    name='history_user',
                ),
                migrations.DeleteModel(
                    name='FuelCostAdjustment',
                ),
                migrations.DeleteModel(
                    name='ElectricityTariff',
                ),
                migrations.DeleteModel(
                    name='ElectricityTariffVersion',
                ),
                migrations.DeleteModel(
                    name='TimeOfUseBand',
                ),
                migrations.DeleteModel(
                    name='GasRawMaterialAdjustment',
                ),
                migrations.DeleteModel(
                    name='GasTariff',
                ),
                migrations.DeleteModel(
                    name='GasUsageBand',
                ),
                migrations.DeleteModel(
                    name='GasTariffVersion',
                ),
                migrations.DeleteModel(
                    name='HistoricalElectricityTariff',
                ),
                migrations.DeleteModel(
                    name='HistoricalElectricityTariffVersion',
                ),
                migrations.DeleteModel(
                    name='HistoricalEmissionFactor',
                ),
                migrations.DeleteModel(
                    name='HistoricalFuelCostAdjustment',
                ),
                migrations.DeleteModel(
                    name='HistoricalGasRawMaterialAdjustment',
                ),
                migrations.DeleteModel(
                    name='HistoricalGasTariff',
                ),
                migrations.DeleteModel(
                    name='HistoricalGasTariffVersion',
                ),
                migrations.DeleteModel(
                    name='HistoricalGasUsageBand',
                ),
                migrations.DeleteModel(
                    name='HistoricalTimeOfUseBand',
                ),
            ]
        ),
    ]

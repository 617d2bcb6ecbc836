"""Tariffs, their versions and emission factors move from the energy app to their own. Their
tables (energy_…, and energy_historical… for their history) and rows stay where they are
(state only); the content types move, and with them the staff groups' permissions and the admin's
history of every change."""

import django.core.validators
import django.db.models.deletion
import energy.tariffs.models
import simple_history.models
from django.conf import settings
from core.moves import content_types_move
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('energy', '0014_apikey_to_its_own_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ElectricityTariff',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                        ('utility', models.CharField(blank=True, max_length=100, verbose_name='utility')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                    ],
                    options={
                        'verbose_name': 'electricity tariff',
                        'verbose_name_plural': 'electricity tariffs',
                        'db_table': 'energy_electricitytariff',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='EmissionFactor',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('valid_from', models.DateField(help_text='The first day it applies.', verbose_name='valid from')),
                        ('valid_until', models.DateField(blank=True, help_text='The last day it applies. Empty: until a later version replaces it.', null=True, verbose_name='valid until')),
                        ('commodity', models.CharField(choices=[('electricity', 'Electricity'), ('gas', 'Gas')], max_length=20, verbose_name='commodity')),
                        ('kg_co2_per_unit', models.DecimalField(decimal_places=4, help_text="Electricity: kg-CO2/kWh, the utility's adjusted emission factor (調整後排出係数) published by the Ministry of the Environment. Gas: kg-CO2/m³; for 13A city gas about 2.23 (44.8 MJ/m³ × 0.0499 kg-CO2/MJ).", max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='kg CO2 per unit')),
                        ('source', models.CharField(blank=True, help_text='Where the figure was published.', max_length=300, verbose_name='source')),
                    ],
                    options={
                        'verbose_name': 'emission factor',
                        'verbose_name_plural': 'emission factors',
                        'db_table': 'energy_emissionfactor',
                        'ordering': ['commodity', '-valid_from'],
                    },
                ),
                migrations.CreateModel(
                    name='GasTariff',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                        ('utility', models.CharField(blank=True, max_length=100, verbose_name='utility')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('has_raw_material_adjustment', models.BooleanField(default=True, help_text='原料費調整: when ticked, every billed month needs its adjustment entered; a month without one is reported as missing, never taken as zero.', verbose_name='monthly raw-material cost adjustment')),
                    ],
                    options={
                        'verbose_name': 'gas tariff',
                        'verbose_name_plural': 'gas tariffs',
                        'db_table': 'energy_gastariff',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='ElectricityTariffVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('valid_from', models.DateField(help_text='The first day it applies.', verbose_name='valid from')),
                        ('valid_until', models.DateField(blank=True, help_text='The last day it applies. Empty: until a later version replaces it.', null=True, verbose_name='valid until')),
                        ('basic_charge_jpy', models.DecimalField(decimal_places=2, help_text='基本料金 for the contract size, e.g. 30 A.', max_digits=9, validators=[django.core.validators.MinValueValidator(0)], verbose_name='basic charge (JPY per month)')),
                        ('tier1_limit_kwh', models.PositiveIntegerField(default=120, help_text='Monthly kWh charged at the tier 1 price (第1段階).', verbose_name='tier 1 up to (kWh)')),
                        ('tier2_limit_kwh', models.PositiveIntegerField(default=300, help_text='Monthly kWh up to which the tier 2 price applies; above it, tier 3.', verbose_name='tier 2 up to (kWh)')),
                        ('tier1_price_jpy_per_kwh', models.DecimalField(decimal_places=2, max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='tier 1 price (JPY/kWh)')),
                        ('tier2_price_jpy_per_kwh', models.DecimalField(decimal_places=2, max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='tier 2 price (JPY/kWh)')),
                        ('tier3_price_jpy_per_kwh', models.DecimalField(decimal_places=2, max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='tier 3 price (JPY/kWh)')),
                        ('renewable_levy_jpy_per_kwh', models.DecimalField(decimal_places=2, help_text='再エネ賦課金, set nationally each fiscal year from May.', max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='renewable energy levy (JPY/kWh)')),
                        ('tariff', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='tariffs.electricitytariff', verbose_name='tariff')),
                    ],
                    options={
                        'verbose_name': 'electricity tariff version',
                        'verbose_name_plural': 'electricity tariff versions',
                        'db_table': 'energy_electricitytariffversion',
                        'ordering': ['tariff', '-valid_from'],
                    },
                ),
                migrations.CreateModel(
                    name='FuelCostAdjustment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField(help_text='The first day of the month.', validators=[energy.tariffs.models.validate_first_of_month], verbose_name='month')),
                        ('jpy_per_kwh', models.DecimalField(decimal_places=2, help_text='Negative when fuel was cheaper than the tariff assumed.', max_digits=8, verbose_name='adjustment (JPY/kWh)')),
                        ('tariff', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='fuel_adjustments', to='tariffs.electricitytariff', verbose_name='tariff')),
                    ],
                    options={
                        'verbose_name': 'fuel-cost adjustment',
                        'verbose_name_plural': 'fuel-cost adjustments',
                        'db_table': 'energy_fuelcostadjustment',
                        'ordering': ['tariff', '-month'],
                    },
                ),
                migrations.CreateModel(
                    name='GasRawMaterialAdjustment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField(help_text='The first day of the month.', validators=[energy.tariffs.models.validate_first_of_month], verbose_name='month')),
                        ('jpy_per_m3', models.DecimalField(decimal_places=2, max_digits=8, verbose_name='adjustment (JPY/m³)')),
                        ('tariff', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='raw_material_adjustments', to='tariffs.gastariff', verbose_name='tariff')),
                    ],
                    options={
                        'verbose_name': 'raw-material cost adjustment',
                        'verbose_name_plural': 'raw-material cost adjustments',
                        'db_table': 'energy_gasrawmaterialadjustment',
                        'ordering': ['tariff', '-month'],
                    },
                ),
                migrations.CreateModel(
                    name='GasTariffVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('valid_from', models.DateField(help_text='The first day it applies.', verbose_name='valid from')),
                        ('valid_until', models.DateField(blank=True, help_text='The last day it applies. Empty: until a later version replaces it.', null=True, verbose_name='valid until')),
                        ('tariff', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='tariffs.gastariff', verbose_name='tariff')),
                    ],
                    options={
                        'verbose_name': 'gas tariff version',
                        'verbose_name_plural': 'gas tariff versions',
                        'db_table': 'energy_gastariffversion',
                        'ordering': ['tariff', '-valid_from'],
                    },
                ),
                migrations.CreateModel(
                    name='GasUsageBand',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('label', models.CharField(help_text='For example A, B, C.', max_length=20, verbose_name='table')),
                        ('up_to_m3', models.DecimalField(blank=True, decimal_places=1, help_text="The largest monthly use this table applies to (inclusive); it starts above the previous table's limit. Empty for the last, open-ended table.", max_digits=9, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='up to (m³ per month)')),
                        ('basic_charge_jpy', models.DecimalField(decimal_places=2, max_digits=9, validators=[django.core.validators.MinValueValidator(0)], verbose_name='basic charge (JPY per month)')),
                        ('unit_price_jpy_per_m3', models.DecimalField(decimal_places=2, help_text='Before the raw-material cost adjustment.', max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='unit price (JPY/m³)')),
                        ('version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bands', to='tariffs.gastariffversion', verbose_name='tariff version')),
                    ],
                    options={
                        'verbose_name': 'gas usage band',
                        'verbose_name_plural': 'gas usage bands',
                        'db_table': 'energy_gasusageband',
                        'ordering': ['version', models.OrderBy(models.F('up_to_m3'), nulls_last=True)],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalElectricityTariff',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('name', models.CharField(db_index=True, max_length=100, verbose_name='name')),
                        ('utility', models.CharField(blank=True, max_length=100, verbose_name='utility')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical electricity tariff',
                        'verbose_name_plural': 'historical electricity tariffs',
                        'db_table': 'energy_historicalelectricitytariff',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalElectricityTariffVersion',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('valid_from', models.DateField(help_text='The first day it applies.', verbose_name='valid from')),
                        ('valid_until', models.DateField(blank=True, help_text='The last day it applies. Empty: until a later version replaces it.', null=True, verbose_name='valid until')),
                        ('basic_charge_jpy', models.DecimalField(decimal_places=2, help_text='基本料金 for the contract size, e.g. 30 A.', max_digits=9, validators=[django.core.validators.MinValueValidator(0)], verbose_name='basic charge (JPY per month)')),
                        ('tier1_limit_kwh', models.PositiveIntegerField(default=120, help_text='Monthly kWh charged at the tier 1 price (第1段階).', verbose_name='tier 1 up to (kWh)')),
                        ('tier2_limit_kwh', models.PositiveIntegerField(default=300, help_text='Monthly kWh up to which the tier 2 price applies; above it, tier 3.', verbose_name='tier 2 up to (kWh)')),
                        ('tier1_price_jpy_per_kwh', models.DecimalField(decimal_places=2, max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='tier 1 price (JPY/kWh)')),
                        ('tier2_price_jpy_per_kwh', models.DecimalField(decimal_places=2, max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='tier 2 price (JPY/kWh)')),
                        ('tier3_price_jpy_per_kwh', models.DecimalField(decimal_places=2, max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='tier 3 price (JPY/kWh)')),
                        ('renewable_levy_jpy_per_kwh', models.DecimalField(decimal_places=2, help_text='再エネ賦課金, set nationally each fiscal year from May.', max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='renewable energy levy (JPY/kWh)')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('tariff', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tariffs.electricitytariff', verbose_name='tariff')),
                    ],
                    options={
                        'verbose_name': 'historical electricity tariff version',
                        'verbose_name_plural': 'historical electricity tariff versions',
                        'db_table': 'energy_historicalelectricitytariffversion',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalEmissionFactor',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('valid_from', models.DateField(help_text='The first day it applies.', verbose_name='valid from')),
                        ('valid_until', models.DateField(blank=True, help_text='The last day it applies. Empty: until a later version replaces it.', null=True, verbose_name='valid until')),
                        ('commodity', models.CharField(choices=[('electricity', 'Electricity'), ('gas', 'Gas')], max_length=20, verbose_name='commodity')),
                        ('kg_co2_per_unit', models.DecimalField(decimal_places=4, help_text="Electricity: kg-CO2/kWh, the utility's adjusted emission factor (調整後排出係数) published by the Ministry of the Environment. Gas: kg-CO2/m³; for 13A city gas about 2.23 (44.8 MJ/m³ × 0.0499 kg-CO2/MJ).", max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='kg CO2 per unit')),
                        ('source', models.CharField(blank=True, help_text='Where the figure was published.', max_length=300, verbose_name='source')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical emission factor',
                        'verbose_name_plural': 'historical emission factors',
                        'db_table': 'energy_historicalemissionfactor',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalFuelCostAdjustment',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('month', models.DateField(help_text='The first day of the month.', validators=[energy.tariffs.models.validate_first_of_month], verbose_name='month')),
                        ('jpy_per_kwh', models.DecimalField(decimal_places=2, help_text='Negative when fuel was cheaper than the tariff assumed.', max_digits=8, verbose_name='adjustment (JPY/kWh)')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('tariff', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tariffs.electricitytariff', verbose_name='tariff')),
                    ],
                    options={
                        'verbose_name': 'historical fuel-cost adjustment',
                        'verbose_name_plural': 'historical fuel-cost adjustments',
                        'db_table': 'energy_historicalfuelcostadjustment',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalGasRawMaterialAdjustment',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('month', models.DateField(help_text='The first day of the month.', validators=[energy.tariffs.models.validate_first_of_month], verbose_name='month')),
                        ('jpy_per_m3', models.DecimalField(decimal_places=2, max_digits=8, verbose_name='adjustment (JPY/m³)')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('tariff', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tariffs.gastariff', verbose_name='tariff')),
                    ],
                    options={
                        'verbose_name': 'historical raw-material cost adjustment',
                        'verbose_name_plural': 'historical raw-material cost adjustments',
                        'db_table': 'energy_historicalgasrawmaterialadjustment',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalGasTariff',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('name', models.CharField(db_index=True, max_length=100, verbose_name='name')),
                        ('utility', models.CharField(blank=True, max_length=100, verbose_name='utility')),
                        ('description', models.TextField(blank=True, verbose_name='description')),
                        ('has_raw_material_adjustment', models.BooleanField(default=True, help_text='原料費調整: when ticked, every billed month needs its adjustment entered; a month without one is reported as missing, never taken as zero.', verbose_name='monthly raw-material cost adjustment')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical gas tariff',
                        'verbose_name_plural': 'historical gas tariffs',
                        'db_table': 'energy_historicalgastariff',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalGasTariffVersion',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('valid_from', models.DateField(help_text='The first day it applies.', verbose_name='valid from')),
                        ('valid_until', models.DateField(blank=True, help_text='The last day it applies. Empty: until a later version replaces it.', null=True, verbose_name='valid until')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('tariff', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tariffs.gastariff', verbose_name='tariff')),
                    ],
                    options={
                        'verbose_name': 'historical gas tariff version',
                        'verbose_name_plural': 'historical gas tariff versions',
                        'db_table': 'energy_historicalgastariffversion',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalGasUsageBand',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('label', models.CharField(help_text='For example A, B, C.', max_length=20, verbose_name='table')),
                        ('up_to_m3', models.DecimalField(blank=True, decimal_places=1, help_text="The largest monthly use this table applies to (inclusive); it starts above the previous table's limit. Empty for the last, open-ended table.", max_digits=9, null=True, validators=[django.core.validators.MinValueValidator(0)], verbose_name='up to (m³ per month)')),
                        ('basic_charge_jpy', models.DecimalField(decimal_places=2, max_digits=9, validators=[django.core.validators.MinValueValidator(0)], verbose_name='basic charge (JPY per month)')),
                        ('unit_price_jpy_per_m3', models.DecimalField(decimal_places=2, help_text='Before the raw-material cost adjustment.', max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='unit price (JPY/m³)')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('version', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tariffs.gastariffversion', verbose_name='tariff version')),
                    ],
                    options={
                        'verbose_name': 'historical gas usage band',
                        'verbose_name_plural': 'historical gas usage bands',
                        'db_table': 'energy_historicalgasusageband',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalTimeOfUseBand',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('name', models.CharField(help_text='For example peak, day or night.', max_length=50, verbose_name='name')),
                        ('start_hour', models.PositiveSmallIntegerField(help_text='Local time, 0-23. The band starts at the top of this hour.', validators=[django.core.validators.MaxValueValidator(23)], verbose_name='start hour')),
                        ('end_hour', models.PositiveSmallIntegerField(help_text='Local time, 1-24; the band ends at the top of this hour. An end at or before the start runs past midnight (22 to 8 is a night band).', validators=[django.core.validators.MaxValueValidator(24)], verbose_name='end hour')),
                        ('price_jpy_per_kwh', models.DecimalField(decimal_places=2, max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='price (JPY/kWh)')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('version', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tariffs.electricitytariffversion', verbose_name='tariff version')),
                    ],
                    options={
                        'verbose_name': 'historical time-of-use band',
                        'verbose_name_plural': 'historical time-of-use bands',
                        'db_table': 'energy_historicaltimeofuseband',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='TimeOfUseBand',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(help_text='For example peak, day or night.', max_length=50, verbose_name='name')),
                        ('start_hour', models.PositiveSmallIntegerField(help_text='Local time, 0-23. The band starts at the top of this hour.', validators=[django.core.validators.MaxValueValidator(23)], verbose_name='start hour')),
                        ('end_hour', models.PositiveSmallIntegerField(help_text='Local time, 1-24; the band ends at the top of this hour. An end at or before the start runs past midnight (22 to 8 is a night band).', validators=[django.core.validators.MaxValueValidator(24)], verbose_name='end hour')),
                        ('price_jpy_per_kwh', models.DecimalField(decimal_places=2, max_digits=8, validators=[django.core.validators.MinValueValidator(0)], verbose_name='price (JPY/kWh)')),
                        ('version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bands', to='tariffs.electricitytariffversion', verbose_name='tariff version')),
                    ],
                    options={
                        'verbose_name': 'time-of-use band',
                        'verbose_name_plural': 'time-of-use bands',
                        'db_table': 'energy_timeofuseband',
                        'ordering': ['version', 'start_hour'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='electricitytariffversion',
                    constraint=models.CheckConstraint(condition=models.Q(('tier2_limit_kwh__gt', models.F('tier1_limit_kwh'))), name='electricity_tier2_above_tier1'),
                ),
                migrations.AddConstraint(
                    model_name='fuelcostadjustment',
                    constraint=models.UniqueConstraint(fields=('tariff', 'month'), name='fuel_adjustment_one_per_tariff_month'),
                ),
                migrations.AddConstraint(
                    model_name='gasrawmaterialadjustment',
                    constraint=models.UniqueConstraint(fields=('tariff', 'month'), name='raw_material_adjustment_one_per_tariff_month'),
                ),
                migrations.AddConstraint(
                    model_name='gasusageband',
                    constraint=models.UniqueConstraint(fields=('version', 'up_to_m3'), name='gas_band_limit_unique_per_version'),
                ),
                migrations.AddConstraint(
                    model_name='gasusageband',
                    constraint=models.UniqueConstraint(condition=models.Q(('up_to_m3__isnull', True)), fields=('version',), name='gas_band_one_open_ended_per_version'),
                ),
            ]
        ),
        content_types_move(
            old_label='energy',
            new_label='tariffs',
            models=['electricitytariff', 'electricitytariffversion', 'emissionfactor', 'fuelcostadjustment', 'gasrawmaterialadjustment', 'gastariff', 'gastariffversion', 'gasusageband', 'historicalelectricitytariff', 'historicalelectricitytariffversion', 'historicalemissionfactor', 'historicalfuelcostadjustment', 'historicalgasrawmaterialadjustment', 'historicalgastariff', 'historicalgastariffversion', 'historicalgasusageband', 'historicaltimeofuseband', 'timeofuseband'],
        ),
    ]

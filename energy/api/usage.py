"""Daily usage rollups, weather and tariffs: ``GET /api/v1/daily-usage/``, ``/weather/``,
``/tariffs/electricity/`` and ``/tariffs/gas/``."""

import django_filters
from rest_framework import generics, serializers

from config.filters import BooleanFilter, DateFilter, StrictFilterSet
from energy.api.access import meters_visible, scope_required
from energy.apikeys.models import ApiScope
from energy.models import DailyUsage, WeatherObservation
from energy.tariffs.models import (
    ElectricityTariff,
    ElectricityTariffVersion,
    FuelCostAdjustment,
    GasRawMaterialAdjustment,
    GasTariff,
    GasTariffVersion,
    GasUsageBand,
    TimeOfUseBand,
)

CanRead = scope_required(ApiScope.EXPORT)


class DailyUsageOutputSerializer(serializers.ModelSerializer):
    meter = serializers.CharField(source="meter.serial")
    unit = serializers.CharField(source="meter.unit")

    class Meta:
        model = DailyUsage
        fields = [
            "meter",
            "date",
            "total",
            "unit",
            "baseload",
            "peak",
            "peak_at",
            "night_total",
            "intervals",
            "computed_at",
        ]


class DailyUsageFilter(StrictFilterSet):
    meter = django_filters.BaseInFilter(
        field_name="meter__serial", help_text="Meter serials, comma-separated."
    )
    start = DateFilter(field_name="date", lookup_expr="gte")
    end = DateFilter(field_name="date", lookup_expr="lt", help_text="Exclusive.")
    complete = BooleanFilter(
        method="filter_complete", help_text="Only days with every interval present."
    )

    class Meta:
        model = DailyUsage
        fields = ["meter", "start", "end", "complete"]

    def filter_complete(self, queryset, name, value):
        return queryset.complete() if value else queryset.incomplete()


class DailyUsageListView(generics.ListAPIView):
    """A meter's totals per local day (the rollup the portal and the savings engine read)."""

    permission_classes = [CanRead]
    serializer_class = DailyUsageOutputSerializer
    filterset_class = DailyUsageFilter
    keyset = ("meter_id", "date")

    def get_queryset(self):
        return DailyUsage.objects.filter(meter__in=meters_visible(self.request)).select_related(
            "meter"
        )


class WeatherOutputSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name")

    class Meta:
        model = WeatherObservation
        fields = ["region", "date", "temperature_mean_c"]


class WeatherFilter(StrictFilterSet):
    region = django_filters.CharFilter(field_name="region__name")
    start = DateFilter(field_name="date", lookup_expr="gte")
    end = DateFilter(field_name="date", lookup_expr="lt", help_text="Exclusive.")

    class Meta:
        model = WeatherObservation
        fields = ["region", "start", "end"]


class WeatherListView(generics.ListAPIView):
    """Daily mean temperature per region (public data: any caller who may read)."""

    permission_classes = [CanRead]
    serializer_class = WeatherOutputSerializer
    filterset_class = WeatherFilter
    keyset = ("region_id", "date")
    queryset = WeatherObservation.objects.select_related("region")


class TimeOfUseBandSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimeOfUseBand
        exclude = ["id", "version"]


class ElectricityVersionSerializer(serializers.ModelSerializer):
    bands = TimeOfUseBandSerializer(many=True)

    class Meta:
        model = ElectricityTariffVersion
        exclude = ["id", "tariff"]


class FuelCostAdjustmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = FuelCostAdjustment
        exclude = ["id", "tariff"]


class ElectricityTariffOutputSerializer(serializers.ModelSerializer):
    versions = ElectricityVersionSerializer(many=True)
    fuel_adjustments = FuelCostAdjustmentSerializer(many=True)

    class Meta:
        model = ElectricityTariff
        fields = ["id", "name", "utility", "description", "versions", "fuel_adjustments"]


class GasUsageBandSerializer(serializers.ModelSerializer):
    class Meta:
        model = GasUsageBand
        exclude = ["id", "version"]


class GasVersionSerializer(serializers.ModelSerializer):
    bands = GasUsageBandSerializer(many=True)

    class Meta:
        model = GasTariffVersion
        exclude = ["id", "tariff"]


class GasRawMaterialAdjustmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = GasRawMaterialAdjustment
        exclude = ["id", "tariff"]


class GasTariffOutputSerializer(serializers.ModelSerializer):
    versions = GasVersionSerializer(many=True)
    raw_material_adjustments = GasRawMaterialAdjustmentSerializer(many=True)

    class Meta:
        model = GasTariff
        fields = ["id", "name", "utility", "description", "versions", "raw_material_adjustments"]


class ElectricityTariffListView(generics.ListAPIView):
    """Electricity plans with every price version, time-of-use band and monthly adjustment."""

    permission_classes = [CanRead]
    serializer_class = ElectricityTariffOutputSerializer
    keyset = ("id",)
    queryset = ElectricityTariff.objects.prefetch_related("versions__bands", "fuel_adjustments")


class GasTariffListView(generics.ListAPIView):
    """Gas plans with every price version, usage band and monthly adjustment."""

    permission_classes = [CanRead]
    serializer_class = GasTariffOutputSerializer
    keyset = ("id",)
    queryset = GasTariff.objects.prefetch_related("versions__bands", "raw_material_adjustments")

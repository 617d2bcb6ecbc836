"""Premises and meters: ``GET /api/v1/premises/[<id>/]`` and ``/meters/[<serial>/]``.

Premises are known by their pseudonymous ``public_id``; ``personal`` (name, address and the
owner's email) is filled only for keys with the ``pii`` scope and for the customer themselves.
"""

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import generics, serializers

from config.filters import StrictFilterSet, UtcDateTimeFilter
from energy.api.access import meters_visible, premises_visible, scope_required, sees_personal_fields
from energy.apikeys.models import ApiScope
from energy.models import Commodity, DwellingType, Meter, Premise

CanRead = scope_required(ApiScope.EXPORT)


class MeterOutputSerializer(serializers.ModelSerializer):
    premise = serializers.CharField(source="premise.public_id")

    class Meta:
        model = Meter
        fields = [
            "serial",
            "premise",
            "commodity",
            "unit",
            "interval_minutes",
            "max_value_per_interval",
            "installed_on",
        ]


class PersonalFieldsSerializer(serializers.Serializer):
    name = serializers.CharField()
    address = serializers.CharField()
    owner_email = serializers.EmailField(source="owner.email")


class PremiseOutputSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    region = serializers.CharField(source="region.name")
    time_zone = serializers.CharField(source="region.time_zone")
    electricity_tariff = serializers.CharField(
        source="electricity_tariff.name", default=None, allow_null=True
    )
    gas_tariff = serializers.CharField(source="gas_tariff.name", default=None, allow_null=True)
    meters = serializers.SlugRelatedField(slug_field="serial", many=True, read_only=True)
    personal = serializers.SerializerMethodField()

    class Meta:
        model = Premise
        fields = [
            "id",
            "region",
            "time_zone",
            "dwelling_type",
            "floor_area_m2",
            "household_size",
            "electricity_tariff",
            "gas_tariff",
            "meters",
            "created_at",
            "personal",
        ]

    @extend_schema_field(PersonalFieldsSerializer(allow_null=True))
    def get_personal(self, premise: Premise) -> dict | None:
        """Null unless the caller may see personal fields (a ``pii`` key, or the customer)."""
        if not self.context["personal"]:
            return None
        return PersonalFieldsSerializer(premise).data


class PremiseFilter(StrictFilterSet):
    region = django_filters.CharFilter(field_name="region__name")
    dwelling_type = django_filters.ChoiceFilter(choices=DwellingType.choices)
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Premise
        fields = ["region", "dwelling_type", "created_after"]


class PremiseViewMixin:
    permission_classes = [CanRead]
    lookup_field = "public_id"
    lookup_url_kwarg = "public_id"

    serializer_class = PremiseOutputSerializer

    def get_queryset(self):
        premises = premises_visible(self.request).select_related(
            "region", "electricity_tariff", "gas_tariff", "owner"
        )
        return premises.prefetch_related("meters")

    def get_serializer_context(self):
        return super().get_serializer_context() | {"personal": sees_personal_fields(self.request)}


class PremiseListView(PremiseViewMixin, generics.ListAPIView):
    """Premises the caller may read, in id order (keyset pages)."""

    filterset_class = PremiseFilter
    keyset = ("id",)


class PremiseDetailView(PremiseViewMixin, generics.RetrieveAPIView):
    pass


class MeterFilter(StrictFilterSet):
    premise = django_filters.CharFilter(field_name="premise__public_id")
    commodity = django_filters.ChoiceFilter(choices=Commodity.choices)
    serial = django_filters.BaseInFilter(field_name="serial", help_text="Comma-separated serials.")

    class Meta:
        model = Meter
        fields = ["premise", "commodity", "serial"]


class MeterViewMixin:
    permission_classes = [CanRead]
    serializer_class = MeterOutputSerializer
    lookup_field = "serial"

    def get_queryset(self):
        return meters_visible(self.request).select_related("premise")


class MeterListView(MeterViewMixin, generics.ListAPIView):
    filterset_class = MeterFilter
    keyset = ("id",)


class MeterDetailView(MeterViewMixin, generics.RetrieveAPIView):
    pass

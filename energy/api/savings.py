from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.filters import DATE_BOUNDS
from energy.api.access import meters_visible, scope_required
from energy.apikeys.models import ApiScope
from energy.savings.services import meter_billing_savings_measure, meter_savings_measure

METHODS = {"daily": meter_savings_measure, "billing": meter_billing_savings_measure}


class MeterSavingsView(APIView):
    """Measured savings of one meter since an intervention date, by the CalTRACK daily method
    (from its daily use) or billing method (from its billing periods).

    ``GET /api/v1/meters/<serial>/savings/?intervention=YYYY-MM-DD[&reporting_end=YYYY-MM-DD]
    [&method=daily|billing]`` A customer sees their own meters; the data team every meter. When
    the data do not qualify the answer is 422 ``insufficient_data`` with the reasons.
    """

    permission_classes = [scope_required(ApiScope.EXPORT)]

    class InputSerializer(serializers.Serializer):
        intervention = serializers.DateField(validators=DATE_BOUNDS)
        method = serializers.ChoiceField(
            choices=list(METHODS),
            default="daily",
            help_text="daily (daily use, the default) or billing (billing periods)",
        )
        reporting_end = serializers.DateField(required=False, validators=DATE_BOUNDS)

        def validate(self, attrs):
            end = attrs.get("reporting_end")
            if end and end < attrs["intervention"]:
                raise serializers.ValidationError(
                    {"reporting_end": "must be on or after the intervention date"}
                )
            if attrs["intervention"] > timezone.localdate():
                raise serializers.ValidationError({"intervention": "is in the future"})
            return attrs

    @extend_schema(parameters=[InputSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, serial: str) -> Response:
        meter = get_object_or_404(
            meters_visible(request).select_related("premise__region"), serial=serial
        )
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        arguments = dict(params.validated_data)
        method = arguments.pop("method")
        savings = METHODS[method](meter=meter, **arguments)
        return Response(
            {"meter": meter.serial, "commodity": meter.commodity, "unit": meter.unit}
            | {"method": method}
            | savings.as_dict()
        )

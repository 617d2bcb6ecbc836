"""A meter's billing periods: ``GET`` exports them, ``POST`` (a bill CSV) imports them.

``/api/v1/meters/<serial>/billing-periods/``. Reading needs the ``export`` scope (customers see
their own meters); importing needs the ``ingest`` scope, or for a session the permission to add
billing periods (the data team).
"""

from datetime import timedelta

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import PayloadTooLarge, ValidationFailed
from config.filters import DATE_BOUNDS
from energy.api.access import api_key_of, meters_visible, scope_required
from energy.apikeys.models import ApiScope
from energy.bills.models import BillingPeriod, BillingSource
from energy.bills.parse import billing_periods_parse
from energy.bills.selectors import meter_billing_periods
from energy.bills.services import billing_periods_import
from energy.models import Meter

MAX_BODY_BYTES = 1_000_000  # about 20,000 bills


class BillingPeriodOutputSerializer(serializers.ModelSerializer):
    days = serializers.IntegerField()

    class Meta:
        model = BillingPeriod
        fields = ["start", "end", "days", "usage", "cost_jpy", "estimated", "source"]


class BillingImportOutputSerializer(serializers.Serializer):
    meter = serializers.CharField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    ends_are_read_days = serializers.BooleanField()


class CanImportBills(permissions.BasePermission):
    """Bills change what customers read and what savings are measured from: a key needs the
    ``ingest`` scope *and* a user who may add billing periods (the Data team), so a meter
    gateway's key cannot; a session needs the permission."""

    message = "Importing bills needs the bills.add_billingperiod permission (the Data team)."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        key = api_key_of(request)
        if key is not None and not key.has_scope(ApiScope.INGEST):
            self.message = f"This API key lacks the '{ApiScope.INGEST}' scope."
            return False
        return request.user.has_perm("bills.add_billingperiod")


class MeterBillingPeriodsView(APIView):
    """A meter's billing periods, oldest first (``start`` and ``end`` are both included)."""

    parser_classes = []  # the CSV body is read as it came

    def get_permissions(self):
        if self.request.method == "POST":
            return [CanImportBills()]
        return [scope_required(ApiScope.EXPORT)()]

    class InputSerializer(serializers.Serializer):
        start = serializers.DateField(required=False, validators=DATE_BOUNDS)
        end = serializers.DateField(
            required=False,
            validators=DATE_BOUNDS,
            help_text="exclusive: periods that share a day with start..end-1",
        )

    @extend_schema(parameters=[InputSerializer], responses=BillingPeriodOutputSerializer(many=True))
    def get(self, request: Request, serial: str) -> Response:
        meter = get_object_or_404(meters_visible(request), serial=serial)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        end = params.validated_data.get("end")
        periods = meter_billing_periods(
            meter=meter,
            start=params.validated_data.get("start"),
            end=end - timedelta(days=1) if end else None,
        )
        return Response(BillingPeriodOutputSerializer(periods, many=True).data)

    @extend_schema(
        request={
            "text/csv": {
                "type": "string",
                "description": "start,end,value[,cost][,estimated] rows, one per billing period",
            }
        },
        responses={
            201: BillingImportOutputSerializer,
            400: OpenApiResponse(description="invalid_bill_file: a reason per line"),
        },
    )
    def post(self, request: Request, serial: str) -> Response:
        meter = get_object_or_404(Meter.objects.select_related("premise__region"), serial=serial)
        if request.content_type.split(";")[0].strip() != "text/csv":
            raise ValidationFailed(
                "Send the bill file as text/csv (start,end,value[,cost][,estimated]).",
                code="unsupported_media_type",
                http_status=415,
            )
        if len(request.body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"A bill file may be at most {MAX_BODY_BYTES} bytes.")
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(
                f"The body is not UTF-8 text (invalid byte at offset {exc.start}).",
                code="invalid_bill_file",
            ) from exc
        parsed = billing_periods_parse(text, source="body")
        result = billing_periods_import(
            meter=meter, periods=parsed.periods, source=BillingSource.API, name="body"
        )
        return Response(
            {
                "meter": meter.serial,
                **result.as_dict(),
                "ends_are_read_days": parsed.ends_are_read_days,
            },
            status=status.HTTP_201_CREATED,
        )

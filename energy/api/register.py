"""``POST /api/v1/ingest/register-readings/``: a meter's cumulative register readings (ECHONET
Lite "Route B" 0xEA with 0xD3, 0xE1 and 0xD7), differenced into interval readings."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from energy.api.access import scope_required
from energy.api.fields import AwareDateTimeField
from energy.api.ingest import BatchOutputSerializer, batch_accepted_response
from energy.apikeys.models import ApiScope
from energy.interop.routeb.register import (
    COEFFICIENT_MAX,
    DIGITS_MAX,
    DIGITS_MIN,
    NO_DATA,
    REGISTER_MAX,
    UNIT_EXPONENTS,
    Register,
    RegisterSettings,
)
from energy.interop.routeb.services import RegisterReceipt, register_readings_receive

UNIT_CODES_TEXT = ", ".join(
    f"{code} (0x{code:02X}) = {10.0**exponent:g} kWh" for code, exponent in UNIT_EXPONENTS.items()
)


class RegisterReadingSerializer(serializers.Serializer):
    ts = AwareDateTimeField(
        help_text="The fixed time of the register (0xEA's timestamp), ISO 8601 with an offset; "
        "Route B meters give Japan time, so send +09:00."
    )
    value = serializers.IntegerField(
        min_value=0,
        max_value=REGISTER_MAX,
        help_text=f"The raw register (0xEA's 4-byte value); {NO_DATA} (0xFFFFFFFE) = no data.",
    )


class RegisterPayloadSerializer(serializers.Serializer):
    meter = serializers.CharField(max_length=64, help_text="The meter's serial.")
    coefficient = serializers.IntegerField(
        min_value=1,
        max_value=COEFFICIENT_MAX,
        default=1,
        help_text="0xD3, the coefficient; 1 when the meter has none.",
    )
    unit_code = serializers.ChoiceField(
        choices=sorted(UNIT_EXPONENTS), help_text=f"0xE1, the unit: {UNIT_CODES_TEXT}."
    )
    effective_digits = serializers.IntegerField(
        min_value=DIGITS_MIN,
        max_value=DIGITS_MAX,
        help_text="0xD7: the register wraps to 0 after 10**digits - 1.",
    )
    readings = RegisterReadingSerializer(many=True, allow_empty=False)

    def validate_readings(self, readings: list[dict]) -> list[dict]:
        limit = settings.INGEST_MAX_ROWS
        if len(readings) > limit:
            raise serializers.ValidationError(f"At most {limit} registers per request.")
        return readings


class RegisterGapSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="A register with data …")
    end = serializers.DateTimeField(help_text="… and the next one, not one interval on.")


class KeptRegisterSerializer(serializers.Serializer):
    ts = serializers.DateTimeField()
    value = serializers.IntegerField()


class RegisterSummarySerializer(serializers.Serializer):
    intervals = serializers.IntegerField(help_text="Interval readings differenced and queued.")
    chained = serializers.BooleanField(
        help_text="The first interval was differenced from the meter's kept register."
    )
    out_of_order = serializers.BooleanField(
        help_text="Nothing here is later than the kept register: differenced within itself."
    )
    gaps = RegisterGapSerializer(many=True)
    no_data = serializers.ListField(child=serializers.DateTimeField())
    kept = KeptRegisterSerializer(
        allow_null=True, help_text="The meter's latest register after this delivery."
    )


class RegisterBatchOutputSerializer(BatchOutputSerializer):
    registers = serializers.SerializerMethodField()

    class Meta(BatchOutputSerializer.Meta):
        fields = [*BatchOutputSerializer.Meta.fields, "registers"]

    def get_registers(self, batch) -> dict | None:
        receipt: RegisterReceipt | None = self.context.get("receipt")
        if receipt is None or receipt.differenced is None:
            return None
        differenced = receipt.differenced
        kept = receipt.kept
        return RegisterSummarySerializer(
            {
                "intervals": len(differenced.intervals),
                "chained": differenced.chained,
                "out_of_order": receipt.out_of_order,
                "gaps": [{"start": start, "end": end} for start, end in differenced.gaps],
                "no_data": differenced.no_data,
                "kept": kept,
            }
        ).data


EXAMPLE = {
    "meter": "E-0001",
    "coefficient": 1,
    "unit_code": 1,
    "effective_digits": 6,
    "readings": [
        {"ts": "2026-01-15T00:00:00+09:00", "value": 123456},
        {"ts": "2026-01-15T00:30:00+09:00", "value": 123461},
        {"ts": "2026-01-15T01:00:00+09:00", "value": 4294967294},
        {"ts": "2026-01-15T01:30:00+09:00", "value": 123470},
        {"ts": "2026-01-15T02:00:00+09:00", "value": 123474},
    ],
}


REGISTER_SCHEMA = extend_schema(
    operation_id="ingest_register_readings",
    request=RegisterPayloadSerializer,
    examples=[
        OpenApiExample(
            "Route B registers with a no-data slot",
            value=EXAMPLE,
            request_only=True,
            description=(
                "0.1 kWh units: 00:00-00:30 used 0.5 kWh and 01:30-02:00 0.4 kWh. The 01:00 "
                "slot has no data, so 00:30-01:30 is a gap: nothing is stored for 00:30 or "
                "01:00."
            ),
        )
    ],
    responses={
        202: RegisterBatchOutputSerializer,
        400: OpenApiResponse(description="Bad payload: {code, message, details}."),
        401: OpenApiResponse(description="No or an unknown API key."),
        403: OpenApiResponse(description="The key lacks the ingest scope."),
        422: OpenApiResponse(description="Idempotency-Key reused with a different body."),
    },
)


class IngestRegisterReadingsView(APIView):
    """Cumulative register readings of one meter, turned into interval readings by differences
    (wrap-around at 10**digits; a missing or no-data slot is a gap) and processed as a batch.

    The meter's latest register is kept, so consecutive deliveries chain; see docs/api.md.
    """

    permission_classes = [scope_required(ApiScope.INGEST, session_perm="energy.ingest_readings")]
    parser_classes = [JSONParser]

    @REGISTER_SCHEMA
    def post(self, request: Request) -> Response:
        raw_payload = request.body.decode("utf-8", errors="replace")
        payload = RegisterPayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        receipt = register_readings_receive(
            client=request.user,
            meter_serial=data["meter"],
            settings=RegisterSettings(
                coefficient=data["coefficient"],
                unit_code=data["unit_code"],
                digits=data["effective_digits"],
            ),
            registers=[Register(reading["ts"], reading["value"]) for reading in data["readings"]],
            raw_payload=raw_payload,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        return batch_accepted_response(
            request=request,
            batch=receipt.batch,
            created=receipt.created,
            serializer_class=RegisterBatchOutputSerializer,
            receipt=receipt,
        )

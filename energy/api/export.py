"""``GET /api/v1/export/readings.csv`` and ``.parquet``: every reading of a set of meters over a
time range, streamed (energy/export.py)."""

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from energy.api.access import meters_visible, scope_required
from energy.api.fields import AwareDateTimeField
from energy.apikeys.models import ApiScope
from energy.export import (
    FORMATS,
    ReadingsExport,
    export_meters_resolve,
    export_range_check,
    readings_export_stream,
)
from energy.models import Quality


class FirstRendererNegotiation(BaseContentNegotiation):
    """The body is CSV or Parquet whatever Accept says; errors before it are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportQuerySerializer(serializers.Serializer):
    start = AwareDateTimeField(help_text="From this time (inclusive), ISO 8601 with an offset.")
    end = AwareDateTimeField(help_text="Up to this time (exclusive), ISO 8601 with an offset.")
    quality = serializers.ChoiceField(choices=Quality.choices, required=False)


def meter_serials(request: Request) -> list[str]:
    """``?meter=A&meter=B`` or ``?meter=A,B`` (or both), without blanks or repeats."""
    serials = [
        serial.strip()
        for value in request.query_params.getlist("meter")
        for serial in value.split(",")
    ]
    return list(dict.fromkeys(serial for serial in serials if serial))


EXPORT_PARAMETERS = [
    OpenApiParameter(
        "meter",
        OpenApiTypes.STR,
        many=True,
        explode=True,
        description=(
            "Meter serials: repeat the parameter or separate them with commas. "
            "None: every meter you may read. A meter you may not read is a 404."
        ),
    ),
    OpenApiParameter(
        "start",
        OpenApiTypes.DATETIME,
        required=True,
        description="From this time (inclusive), ISO 8601 with an offset.",
    ),
    OpenApiParameter(
        "end",
        OpenApiTypes.DATETIME,
        required=True,
        description="Up to this time (exclusive). At most EXPORT_MAX_DAYS (731) after start.",
    ),
    OpenApiParameter(
        "quality", OpenApiTypes.STR, enum=Quality.values, description="Only this quality."
    ),
]
ERRORS = {
    400: OpenApiResponse(description="Bad parameters: {code, message, details}."),
    401: OpenApiResponse(description="No or an unknown API key."),
    403: OpenApiResponse(description="The key lacks the export scope."),
    404: OpenApiResponse(description="A named meter is not visible to the caller."),
}


class ReadingsExportView(APIView):
    """Readings ordered by meter serial, then interval start; columns meter, ts (UTC, ISO
    8601), value, unit, quality. Streamed: the response starts at once and memory stays flat.

    Keys need the ``export`` scope; a signed-in customer exports their own meters only. An error
    after the body has started ends the response early (an incomplete chunked body).
    """

    permission_classes = [scope_required(ApiScope.EXPORT)]
    content_negotiation_class = FirstRendererNegotiation
    fmt = "csv"

    def get(self, request: Request) -> StreamingHttpResponse:
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        export_range_check(start=start, end=end, max_days=settings.EXPORT_MAX_DAYS)
        export = ReadingsExport(
            meters=export_meters_resolve(
                visible=meters_visible(request), serials=meter_serials(request)
            ),
            start=start,
            end=end,
            quality=query.validated_data.get("quality"),
        )
        response = StreamingHttpResponse(
            readings_export_stream(export=export, fmt=self.fmt), content_type=FORMATS[self.fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="{export.filename(self.fmt)}"'
        response["Cache-Control"] = "no-store"
        return response


CSV_SCHEMA = extend_schema(
    operation_id="export_readings_csv",
    parameters=EXPORT_PARAMETERS,
    responses={
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR,
            description="CSV with a header line; one line per reading.",
            examples=[
                OpenApiExample(
                    "Two readings",
                    value="meter,ts,value,unit,quality\n"
                    "E-00001,2025-01-01T00:00:00Z,0.412,kWh,measured\n"
                    "E-00001,2025-01-01T00:30:00Z,0.388,kWh,estimated\n",
                    media_type="text/csv",
                )
            ],
        ),
        **ERRORS,
    },
)


class ReadingsCsvExportView(ReadingsExportView):
    fmt = "csv"

    @CSV_SCHEMA
    def get(self, request: Request) -> StreamingHttpResponse:
        return super().get(request)


PARQUET_SCHEMA = extend_schema(
    operation_id="export_readings_parquet",
    parameters=EXPORT_PARAMETERS,
    responses={
        (200, "application/vnd.apache.parquet"): OpenApiResponse(
            OpenApiTypes.BINARY,
            description=(
                "Parquet (zstd): meter string, ts timestamp[us, UTC], value double, "
                "unit string, quality string; row groups of up to 500,000 readings."
            ),
        ),
        **ERRORS,
    },
)


class ReadingsParquetExportView(ReadingsExportView):
    fmt = "parquet"

    @PARQUET_SCHEMA
    def get(self, request: Request) -> StreamingHttpResponse:
        return super().get(request)

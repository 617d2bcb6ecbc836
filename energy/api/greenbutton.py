"""Green Button (ESPI XML): ``POST /api/v1/ingest/greenbutton/`` and
``GET /api/v1/meters/<serial>/greenbutton.xml?start=&end=`` (docs/api.md, "Green Button")."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import ValidationFailed
from config.filters import DATE_BOUNDS
from config.schema import ErrorSerializer
from energy.api.access import meters_visible, scope_required
from energy.api.ingest import BatchOutputSerializer, batch_accepted_response
from energy.apikeys.models import ApiScope
from energy.ingest.parse import UnsupportedFormat
from energy.ingest.services import batch_receive
from energy.interop.greenbutton.services import EXPORT_MAX_DAYS, meter_feed_export
from energy.models import BatchFormat

XML_MEDIA_TYPES = ("application/xml", "text/xml", "application/atom+xml")
FEED_MEDIA_TYPE = "application/atom+xml"
# Readings start in 1970 at the earliest; the upper bound keeps the days computable.


class AtomFeedRenderer(BaseRenderer):
    """Lets ``Accept: application/atom+xml`` through negotiation (the view writes the feed
    itself; errors are rendered as JSON by the exception handler)."""

    media_type = FEED_MEDIA_TYPE
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return JSONRenderer().render(data)


class GreenButtonIngestView(APIView):
    """Accept a Green Button (ESPI XML) file; store it and process it like any batch."""

    permission_classes = [scope_required(ApiScope.INGEST, session_perm="energy.ingest_readings")]
    parser_classes = [MultiPartParser]  # an XML body is read raw, as delivered

    @extend_schema(
        operation_id="ingest_greenbutton",
        summary="Import a Green Button (ESPI XML) file",
        description=(
            "The body is the ESPI Atom feed (`application/xml`, `text/xml` or "
            "`application/atom+xml`), or a `multipart/form-data` upload with the file in "
            "`file`. The file is stored as a batch before the 202; its IntervalReadings become "
            "readings of the meter each UsagePoint is assigned to. Readings of unassigned "
            "usage points, and readings whose interval is not the meter's (monthly billing "
            "periods), are rejected with reasons on the batch. An optional `Idempotency-Key` "
            "header makes a retry return the first batch."
        ),
        request={
            "application/xml": OpenApiTypes.BINARY,
            "multipart/form-data": inline_serializer(
                "GreenButtonUpload", fields={"file": serializers.FileField()}
            ),
        },
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        responses={
            202: BatchOutputSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="Not a readable Green Button file, and why."
            ),
            413: OpenApiResponse(ErrorSerializer, description="Too large, or too many readings."),
            415: OpenApiResponse(
                ErrorSerializer, description="Neither XML nor a multipart upload."
            ),
        },
        tags=["ingest"],
    )
    def post(self, request: Request) -> Response:
        media_type = (request.content_type or "").split(";", 1)[0].strip().lower()
        if media_type == "multipart/form-data":
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationFailed(
                    'The upload has no "file" part holding the Green Button file.',
                    code="invalid",
                )
            body = upload.read()
        elif media_type in XML_MEDIA_TYPES:
            body = request.body
        else:
            raise UnsupportedFormat(
                f"Content-Type {media_type or '(none)'!r} is not accepted; send the file as "
                "application/xml or as multipart/form-data with a 'file' part."
            )
        batch, created = batch_receive(
            client=request.user,
            body=body,
            content_type=media_type,
            fmt=BatchFormat.GREENBUTTON,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        return batch_accepted_response(request=request, batch=batch, created=created)


class MeterGreenButtonView(APIView):
    """One meter's readings as a Green Button (ESPI) feed over a range of local days."""

    permission_classes = [scope_required(ApiScope.EXPORT)]
    # Only the feed (?format=json is a 404, Accept: application/json a 406); errors are JSON
    # whatever was negotiated (config.api.exception_handler).
    renderer_classes = [AtomFeedRenderer]

    class InputSerializer(serializers.Serializer):
        start = serializers.DateField(
            help_text="First local day (YYYY-MM-DD), included.",
            validators=DATE_BOUNDS,
        )
        end = serializers.DateField(
            help_text="Last local day (YYYY-MM-DD), included.",
            validators=DATE_BOUNDS,
        )

    @extend_schema(
        operation_id="meter_greenbutton_export",
        summary="Export a meter's readings as Green Button (ESPI XML)",
        description=(
            "An ESPI Atom feed: UsagePoint, LocalTimeParameters (the premise region's time "
            "zone), MeterReading, ReadingType (electricity Wh × 10^-3, gas m³ × 10^-6) and one "
            f"IntervalBlock per local day. At most {EXPORT_MAX_DAYS} days. A customer signed in "
            "sees only their own meters; any other serial is a 404."
        ),
        parameters=[InputSerializer],
        responses={
            (200, FEED_MEDIA_TYPE): OpenApiTypes.BINARY,
            (422, "application/json"): OpenApiResponse(
                ErrorSerializer,
                description="The time zone observes DST in the range (not supported).",
            ),
        },
        tags=["export"],
    )
    def get(self, request: Request, serial: str) -> HttpResponse:
        meter = get_object_or_404(
            meters_visible(request).select_related("premise__region"), serial=serial
        )
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        first_day, last_day = params.validated_data["start"], params.validated_data["end"]
        base_href = request.build_absolute_uri(
            reverse("api:meter-greenbutton", args=[meter.serial])
        ).removesuffix(".xml")
        feed = meter_feed_export(
            meter=meter, first_day=first_day, last_day=last_day, base_href=base_href
        )
        response = HttpResponse(feed, content_type=f"{FEED_MEDIA_TYPE}; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{meter.serial}-{first_day:%Y%m%d}-{last_day:%Y%m%d}.xml"'
        )
        return response

"""``POST /api/v1/ingest/readings/`` and ``GET /api/v1/ingest/batches/<id>/``."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from energy.api.access import api_key_of, scope_required
from energy.apikeys.models import ApiScope
from energy.ingest.services import batch_receive
from energy.models import IngestBatch


class BatchOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    notes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=(
            "What was inferred rather than read in the delivery, one sentence each naming the "
            "elements: e.g. a Green Button UsagePoint without ServiceCategory/kind whose "
            "commodity was taken from its ReadingTypes. Empty when nothing was inferred."
        ),
    )

    class Meta:
        model = IngestBatch
        fields = [
            "id",
            "url",
            "status",
            "format",
            "source",
            "idempotency_key",
            "row_count",
            "counts",
            "source_time",
            "received_at",
            "started_at",
            "finished_at",
            "attempts",
            "rejected_rows",
            "notes",
            "error",
        ]

    def get_url(self, batch: IngestBatch) -> str:
        return reverse(
            "api:ingest-batch-detail", args=[batch.pk], request=self.context.get("request")
        )

    def get_counts(self, batch: IngestBatch) -> dict[str, int]:
        return {
            "accepted": batch.accepted_count,
            "duplicate": batch.duplicate_count,
            "corrected": batch.corrected_count,
            "stale": batch.stale_count,
            "rejected": batch.rejected_count,
        }


class JsonReadingSerializer(serializers.Serializer):
    meter = serializers.CharField(help_text="The meter's serial number.")
    ts = serializers.DateTimeField(help_text="The interval's start, with an offset.")
    value = serializers.FloatField(help_text="kWh or m³ in the interval.")
    quality = serializers.ChoiceField(choices=["measured", "estimated"], required=False)
    source_time = serializers.DateTimeField(
        required=False,
        help_text=(
            "When the source produced the value (e.g. the gateway's reading time), with an "
            "offset; default: when the batch was received. A changed value replaces the stored "
            "one only if it is no older; an older one is kept as a revision."
        ),
    )


def batch_accepted_response(
    *,
    request: Request,
    batch: IngestBatch,
    created: bool,
    serializer_class: type[BatchOutputSerializer] = BatchOutputSerializer,
    **context,
) -> Response:
    """202 Accepted for a stored batch: its status so far, its Location, and
    ``Idempotent-Replayed`` when an Idempotency-Key returned an earlier batch."""
    # Processing may already have run (in-process tasks). Not the payload: megabytes nobody
    # reads here.
    batch.refresh_from_db(
        fields=[f.attname for f in IngestBatch._meta.concrete_fields if f.name != "payload"]
    )
    data = serializer_class(batch, context={"request": request, **context}).data
    response = Response(data, status=status.HTTP_202_ACCEPTED)
    response["Location"] = data["url"]
    if not created:
        response["Idempotent-Replayed"] = "true"
    return response


class JsonReadingsSerializer(serializers.Serializer):
    """Only documents the JSON body; the body is checked row by row by the ingest services."""

    readings = JsonReadingSerializer(many=True, allow_empty=False)


class IngestReadingsView(APIView):
    """Accept a JSON or CSV body of readings; store it and process it in the background."""

    # Keys need the ``ingest`` scope; sessions the permission (the "Meter gateways" group).
    permission_classes = [scope_required(ApiScope.INGEST, session_perm="energy.ingest_readings")]
    parser_classes = []  # the raw body is stored as delivered

    @extend_schema(
        request={
            "application/json": JsonReadingsSerializer,
            "text/csv": {
                "type": "string",
                "description": "meter,ts,value[,quality][,source_time] rows",
            },
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Resending with the same key returns the first batch.",
            )
        ],
        responses={202: BatchOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        batch, created = batch_receive(
            client=request.user,
            body=request.body,
            content_type=request.content_type,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        return batch_accepted_response(request=request, batch=batch, created=created)


class BatchDetailView(APIView):
    """A batch's status, counts, rejected rows and notes.

    A client sees only its own batches; the data team (``export`` keys, or sessions with the
    view permission) all.
    """

    @extend_schema(responses=BatchOutputSerializer)
    def get(self, request: Request, batch_id) -> Response:
        batches = IngestBatch.objects.defer("payload")
        key = api_key_of(request)
        sees_all = (
            key.has_scope(ApiScope.EXPORT)
            if key is not None
            else request.user.has_perm("energy.view_ingestbatch")
        )
        if not sees_all:
            batches = batches.filter(client=request.user)
        batch = get_object_or_404(batches, pk=batch_id)
        return Response(BatchOutputSerializer(batch, context={"request": request}).data)

"""Experiments for the data team: definitions with exposure counts, exposures, latest results.

``GET /api/v1/experiments/``, ``/experiments/<key>/exposures/`` and
``/experiments/<key>/results/``. Keys need the ``experiments:read`` scope; sessions the
``flags.view_experiment`` permission (the Data team and Business staff groups have it).
"""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from energy.api.access import customer_pseudonym, scope_required
from energy.apikeys.models import ApiScope
from flags.experiments.results import experiment_results_calculate
from flags.models import Experiment, Exposure
from flags.selectors import experiment_result_latest

CanReadExperiments = scope_required(ApiScope.EXPERIMENTS_READ, session_perm="flags.view_experiment")


class VariantOutput(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    weight = serializers.DecimalField(max_digits=4, decimal_places=3)
    value = serializers.JSONField()
    exposures = serializers.IntegerField(source="exposure_count")


class ExperimentOutput(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    hypothesis = serializers.CharField()
    owner = serializers.CharField()
    status = serializers.CharField()
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    traffic_percent = serializers.DecimalField(max_digits=4, decimal_places=1)
    primary_metric = serializers.CharField()
    guardrail_metrics = serializers.ListField(child=serializers.CharField())
    variants = serializers.SerializerMethodField()

    def get_variants(self, experiment) -> list[dict]:
        variants = experiment.variants.annotate(exposure_count=Count("exposures")).order_by(
            "position", "pk"
        )
        return VariantOutput(variants, many=True).data


class ExperimentListView(generics.ListAPIView):
    permission_classes = [CanReadExperiments]
    serializer_class = ExperimentOutput
    filterset_fields = ["status"]
    keyset = ("id",)
    queryset = Experiment.objects.all()


class ExposureOutput(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.SerializerMethodField()
    variant = serializers.CharField(source="variant.key")
    exposed_at = serializers.DateTimeField()

    def get_customer(self, exposure) -> str:
        return customer_pseudonym(exposure.user_id)


class ExposureListView(generics.ListAPIView):
    """Who met the experiment, in which variant and when (customers pseudonymous)."""

    permission_classes = [CanReadExperiments]
    serializer_class = ExposureOutput
    keyset = ("id",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema's generation
            return Exposure.objects.none()
        experiment = get_object_or_404(Experiment, key=self.kwargs["key"])
        return Exposure.objects.filter(experiment=experiment).select_related("variant")


class ExperimentResultsView(APIView):
    """The latest stored results (computed hourly); ``?fresh=1`` calculates them now, without
    storing them (a GET changes nothing; staff store results from the admin)."""

    permission_classes = [CanReadExperiments]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "fresh",
                OpenApiTypes.STR,
                enum=["1"],
                description="1: calculate the results now (not stored) instead of reading the "
                "latest stored ones.",
            )
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, key: str):
        experiment = get_object_or_404(Experiment, key=key)
        if request.query_params.get("fresh") == "1":
            result = experiment_results_calculate(experiment=experiment)
        else:
            result = experiment_result_latest(experiment=experiment)
        if result is None:
            return Response(
                {
                    "code": "not_computed",
                    "message": "No results yet: they are computed hourly; add ?fresh=1.",
                    "details": {},
                },
                status=404,
            )
        return Response(
            {
                "experiment": experiment.key,
                "computed_at": result.computed_at,
                "srm_p_value": result.srm_p_value,
                "srm_flagged": result.srm_flagged,
                **result.data,
            }
        )

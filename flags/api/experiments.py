"""Experiments for the data team: definitions with exposure counts, and the latest results.

``GET /api/v1/experiments/`` and ``GET /api/v1/experiments/<key>/results/``; readers need the
``flags.view_experiment`` permission (the Data team and Business staff groups have it).
"""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from flags.experiments.results import experiment_results_compute
from flags.models import Experiment


class CanReadExperiments(BasePermission):
    message = "Reading experiments needs the flags.view_experiment permission."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.has_perm("flags.view_experiment"))


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


class ExperimentListView(APIView):
    permission_classes = [IsAuthenticated, CanReadExperiments]

    def get(self, request):
        experiments = Experiment.objects.order_by("-created_at").prefetch_related("variants")
        return Response({"results": ExperimentOutput(experiments, many=True).data})


class ExperimentResultsView(APIView):
    """The latest stored results (computed hourly); ``?fresh=1`` computes them now."""

    permission_classes = [IsAuthenticated, CanReadExperiments]

    def get(self, request, key: str):
        experiment = get_object_or_404(Experiment, key=key)
        if request.query_params.get("fresh") == "1":
            result = experiment_results_compute(experiment=experiment)
        else:
            result = experiment.results.order_by("-computed_at").first()
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

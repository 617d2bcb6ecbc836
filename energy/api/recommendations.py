"""Recommendations: ``GET /api/v1/recommendations/`` (customers their own, the data team all) and
``POST /api/v1/recommendations/<id>/status/`` (the owner only; anyone else's is a 404)."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.filters import BooleanFilter, StrictFilterSet
from energy.api.access import premises_visible, scope_required
from energy.apikeys.models import ApiScope
from energy.savings.lifecycle import CUSTOMER_STATUSES, recommendation_status_set
from energy.savings.models import Recommendation, RecommendationKind, RecommendationStatus
from energy.savings.templates import recommendation_render, recommendation_templates


class RecommendationOutputSerializer(serializers.ModelSerializer):
    premise = serializers.CharField(source="premise.public_id")
    meter = serializers.CharField(source="meter.serial", default=None)
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    measured = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "premise",
            "meter",
            "kind",
            "title",
            "body",
            "unit",
            "saving_per_year",
            "saving_jpy",
            "saving_co2_kg",
            "is_alert",
            "confidence",
            "basis",
            "computed_at",
            "status",
            "status_changed_at",
            "measured",
        ]

    def _text(self, recommendation: Recommendation):
        templates = self.context.get("templates", {})
        return recommendation_render(
            recommendation=recommendation, template=templates.get(recommendation.kind)
        )

    def get_title(self, recommendation: Recommendation) -> str:
        return self._text(recommendation).title

    def get_body(self, recommendation: Recommendation) -> str:
        return self._text(recommendation).body

    def get_measured(self, recommendation: Recommendation) -> dict | None:
        if recommendation.status != "done":
            return None
        return {
            "fractional_savings": recommendation.measured_fractional_savings,
            "fractional_savings_uncertainty": (
                recommendation.measured_fractional_savings_uncertainty
            ),
            "avoided": recommendation.measured_avoided,
            "avoided_uncertainty": recommendation.measured_avoided_uncertainty,
            "measured_at": recommendation.measured_at,
            "detail": recommendation.measurement or None,
        }


class RecommendationFilter(StrictFilterSet):
    premise = django_filters.CharFilter(
        field_name="premise__public_id", help_text="A premise's id (its public id)."
    )
    kind = django_filters.ChoiceFilter(choices=RecommendationKind.choices)
    status = django_filters.ChoiceFilter(choices=RecommendationStatus.choices)
    current = BooleanFilter(
        field_name="is_current", help_text="Only the latest of each kind (default: true)."
    )

    class Meta:
        model = Recommendation
        fields = ["premise", "kind", "status", "current"]


class RecommendationListView(generics.ListAPIView):
    """Recommendations of the premises the caller may read, in the request's language.

    A customer sees their own; data-team keys every premise's. Current ones unless
    ``current=false``.
    """

    permission_classes = [scope_required(ApiScope.EXPORT)]
    serializer_class = RecommendationOutputSerializer
    filterset_class = RecommendationFilter
    keyset = ("id",)

    def get_queryset(self):
        recommendations = Recommendation.objects.filter(
            premise__in=premises_visible(self.request)
        ).select_related("meter", "premise")
        if "current" not in self.request.query_params:
            recommendations = recommendations.filter(is_current=True)
        return recommendations

    def get_serializer_context(self):
        return super().get_serializer_context() | {"templates": recommendation_templates()}


class RecommendationStatusView(APIView):
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=CUSTOMER_STATUSES)

    @extend_schema(request=InputSerializer, responses=RecommendationOutputSerializer)
    def post(self, request: Request, recommendation_id: int) -> Response:
        recommendation = get_object_or_404(
            Recommendation.objects.filter(premise__owner=request.user).select_related("meter"),
            pk=recommendation_id,
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recommendation = recommendation_status_set(
            recommendation=recommendation, status=serializer.validated_data["status"]
        )
        return Response(
            RecommendationOutputSerializer(
                recommendation,
                context={"request": request, "templates": recommendation_templates()},
            ).data
        )

"""The customer's recommendations: ``GET /api/v1/recommendations/?premise=<id>`` and
``POST /api/v1/recommendations/<id>/status/``. Owners only; anyone else's is a 404."""

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from energy.models import Premise, Recommendation, RecommendationTemplate
from energy.savings.lifecycle import (
    CUSTOMER_STATUSES,
    recommendation_status_set,
    recommendations_for_owner,
)
from energy.savings.templates import recommendation_render


class RecommendationOutputSerializer(serializers.ModelSerializer):
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


def _templates() -> dict[str, RecommendationTemplate]:
    return {template.kind: template for template in RecommendationTemplate.objects.all()}


class RecommendationListView(APIView):
    """The signed-in owner's current recommendations, in the request's language."""

    def get(self, request: Request) -> Response:
        premise_id = request.query_params.get("premise")
        if premise_id is not None:
            if not premise_id.isdigit():
                raise serializers.ValidationError({"premise": ["Must be a premise id."]})
            premise_id = int(premise_id)
            get_object_or_404(Premise.objects.filter(owner=request.user), pk=premise_id)
        recommendations = recommendations_for_owner(owner=request.user, premise_id=premise_id)
        data = RecommendationOutputSerializer(
            recommendations, many=True, context={"request": request, "templates": _templates()}
        ).data
        return Response({"results": data})


class RecommendationStatusView(APIView):
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=CUSTOMER_STATUSES)

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
                recommendation, context={"request": request, "templates": _templates()}
            ).data
        )

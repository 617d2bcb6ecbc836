from django.urls import path

from energy.api.ingest import BatchDetailView, IngestReadingsView
from energy.api.points import PointsLedgerView
from energy.api.recommendations import RecommendationListView, RecommendationStatusView
from energy.api.savings import MeterSavingsView

urlpatterns = [
    path("ingest/readings/", IngestReadingsView.as_view(), name="ingest-readings"),
    path("ingest/batches/<uuid:batch_id>/", BatchDetailView.as_view(), name="ingest-batch-detail"),
    path("meters/<str:serial>/savings/", MeterSavingsView.as_view(), name="meter-savings"),
    path("recommendations/", RecommendationListView.as_view(), name="recommendations"),
    path("points/", PointsLedgerView.as_view(), name="points"),
    path(
        "recommendations/<int:recommendation_id>/status/",
        RecommendationStatusView.as_view(),
        name="recommendation-status",
    ),
]

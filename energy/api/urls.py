from django.urls import path

from energy.api.ingest import BatchDetailView, IngestReadingsView
from energy.api.recommendations import RecommendationListView, RecommendationStatusView

urlpatterns = [
    path("ingest/readings/", IngestReadingsView.as_view(), name="ingest-readings"),
    path("ingest/batches/<uuid:batch_id>/", BatchDetailView.as_view(), name="ingest-batch-detail"),
    path("recommendations/", RecommendationListView.as_view(), name="recommendations"),
    path(
        "recommendations/<int:recommendation_id>/status/",
        RecommendationStatusView.as_view(),
        name="recommendation-status",
    ),
]

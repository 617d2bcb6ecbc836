from django.urls import path

from energy.api.ingest import BatchDetailView, IngestReadingsView
from energy.api.savings import MeterSavingsView

urlpatterns = [
    path("ingest/readings/", IngestReadingsView.as_view(), name="ingest-readings"),
    path("ingest/batches/<uuid:batch_id>/", BatchDetailView.as_view(), name="ingest-batch-detail"),
    path("meters/<str:serial>/savings/", MeterSavingsView.as_view(), name="meter-savings"),
]

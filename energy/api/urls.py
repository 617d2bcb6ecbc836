from django.urls import path

from energy.api.bills import MeterBillingPeriodsView
from energy.api.export import ReadingsCsvExportView, ReadingsParquetExportView
from energy.api.greenbutton import GreenButtonIngestView, MeterGreenButtonView
from energy.api.ingest import BatchDetailView, IngestReadingsView
from energy.api.points import PointsLedgerView
from energy.api.premises import MeterDetailView, MeterListView, PremiseDetailView, PremiseListView
from energy.api.readings import ReadingListView
from energy.api.recommendations import RecommendationListView, RecommendationStatusView
from energy.api.register import IngestRegisterReadingsView
from energy.api.savings import MeterSavingsView
from energy.api.usage import (
    DailyUsageListView,
    ElectricityTariffListView,
    GasTariffListView,
    WeatherListView,
)

urlpatterns = [
    path("export/readings.csv", ReadingsCsvExportView.as_view(), name="export-readings-csv"),
    path(
        "export/readings.parquet",
        ReadingsParquetExportView.as_view(),
        name="export-readings-parquet",
    ),
    path("ingest/readings/", IngestReadingsView.as_view(), name="ingest-readings"),
    path(
        "ingest/register-readings/",
        IngestRegisterReadingsView.as_view(),
        name="ingest-register-readings",
    ),
    path("ingest/greenbutton/", GreenButtonIngestView.as_view(), name="ingest-greenbutton"),
    path("ingest/batches/<uuid:batch_id>/", BatchDetailView.as_view(), name="ingest-batch-detail"),
    path("premises/", PremiseListView.as_view(), name="premises"),
    path("premises/<str:public_id>/", PremiseDetailView.as_view(), name="premise-detail"),
    path("meters/", MeterListView.as_view(), name="meters"),
    path("meters/<str:serial>/", MeterDetailView.as_view(), name="meter-detail"),
    path(
        "meters/<str:serial>/greenbutton.xml",
        MeterGreenButtonView.as_view(),
        name="meter-greenbutton",
    ),
    path("meters/<str:serial>/savings/", MeterSavingsView.as_view(), name="meter-savings"),
    path(
        "meters/<str:serial>/billing-periods/",
        MeterBillingPeriodsView.as_view(),
        name="meter-billing-periods",
    ),
    path("readings/", ReadingListView.as_view(), name="readings"),
    path("daily-usage/", DailyUsageListView.as_view(), name="daily-usage"),
    path("weather/", WeatherListView.as_view(), name="weather"),
    path("tariffs/electricity/", ElectricityTariffListView.as_view(), name="tariffs-electricity"),
    path("tariffs/gas/", GasTariffListView.as_view(), name="tariffs-gas"),
    path("recommendations/", RecommendationListView.as_view(), name="recommendations"),
    path("points/", PointsLedgerView.as_view(), name="points"),
    path(
        "recommendations/<int:recommendation_id>/status/",
        RecommendationStatusView.as_view(),
        name="recommendation-status",
    ),
]

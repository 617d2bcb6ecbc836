from django.urls import path

from flags.api.experiments import ExperimentListView, ExperimentResultsView, ExposureListView

urlpatterns = [
    path("experiments/", ExperimentListView.as_view(), name="experiments"),
    path(
        "experiments/<slug:key>/exposures/",
        ExposureListView.as_view(),
        name="experiment-exposures",
    ),
    path(
        "experiments/<slug:key>/results/",
        ExperimentResultsView.as_view(),
        name="experiment-results",
    ),
]

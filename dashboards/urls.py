from django.urls import path, register_converter

from dashboards import views

app_name = "dashboards"


class PeriodConverter:
    regex = "day|month|year"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PeriodConverter, "period")

urlpatterns = [
    path("", views.home, name="home"),
    path("premises/<int:premise_id>/", views.premise_home, name="premise_home"),
    path(
        "premises/<int:premise_id>/recommendations/",
        views.recommendations,
        name="recommendations",
    ),
    path(
        "recommendations/<int:recommendation_id>/status/",
        views.recommendation_status,
        name="recommendation_status",
    ),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("staff/overview/", views.staff_overview, name="staff_overview"),
    path("meters/<int:meter_id>/", views.meter_latest, name="meter_latest"),
    path("meters/<int:meter_id>/bills/", views.bill_history, name="bill_history"),
    path("meters/<int:meter_id>/<period:period>/<str:key>/", views.usage, name="usage"),
    path(
        "meters/<int:meter_id>/<period:period>/<str:key>/download.csv",
        views.usage_csv,
        name="usage_csv",
    ),
    path("notifications/", views.notification_preferences, name="notification_preferences"),
    path(
        "notifications/unsubscribe/<str:token>/",
        views.notification_unsubscribe,
        name="notification_unsubscribe",
    ),
]

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config.health import healthz, readyz
from config.observability.views import metrics

api_patterns = (
    [
        path("", include("energy.api.urls")),
        path("", include("flags.api.urls")),
        # The OpenAPI schema, and Swagger UI and ReDoc on it, open to anyone (no data in them).
        path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
        path(
            "docs/",
            SpectacularSwaggerView.as_view(url_name="api:schema", permission_classes=[]),
            name="swagger-ui",
        ),
        path(
            "redoc/",
            SpectacularRedocView.as_view(
                url_name="api:schema", permission_classes=[], template_name="api/redoc.html"
            ),
            name="redoc",
        ),
    ],
    "api",
)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    # Recent staff changes across every model with a history (core/history_admin.py).
    path("admin/changes/", include("core.history_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_patterns)),
    # Session login for the browsable API (the data team exploring the API in a browser).
    path("api/v1/auth/", include("rest_framework.urls")),
    path("accounts/", include("dashboards.account_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("dashboards.urls")),
]

# Under /api/ errors outside a view answer in the API's error format too; elsewhere Django's pages.
handler400 = "config.api.api_bad_request"
handler403 = "config.api.api_permission_denied"
handler404 = "config.api.api_page_not_found"
handler500 = "config.api.api_server_error"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

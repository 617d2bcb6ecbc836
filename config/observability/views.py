"""``/metrics``: Prometheus metrics for staff or a scraper holding the scrape token."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from config.observability.metrics import exposition, scrape_token_ok, web_registry


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    user = getattr(request, "user", None)
    if not (
        scrape_token_ok(request.headers.get("Authorization", ""))
        or (user is not None and user.is_active and user.is_staff)
    ):
        return JsonResponse(
            {
                "code": "forbidden",
                "message": "Metrics are for staff, or a scraper with the scrape token "
                "(Authorization: Bearer <METRICS_SCRAPE_TOKEN>).",
                "details": {},
            },
            status=403,
        )
    body, content_type = exposition(web_registry(), request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)

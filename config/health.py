from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving (no dependency checks: see /readyz when it lands)."""
    return JsonResponse({"status": "ok"})

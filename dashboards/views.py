from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboards.selectors import site_summary


def home(request: HttpRequest) -> HttpResponse:
    """A starting page until the customer portal lands: where to go and what is loaded."""
    return render(request, "dashboards/home.html", {"summary": site_summary()})

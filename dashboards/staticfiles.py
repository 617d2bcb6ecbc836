"""Serve plotly.js from the plotly package itself as ``vendor/plotly.min.js``.

The portal makes no request outside the site, so the browser bundle that ships inside the
plotly Python package is served (and collected by ``collectstatic``) like our own static files,
always the version that matches the Python package.
"""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_STATIC_PATH = "vendor/plotly.min.js"


def _plotly_js() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


class _PlotlyStorage(FileSystemStorage):
    def path(self, name: str) -> str:
        if name != PLOTLY_STATIC_PATH:
            raise FileNotFoundError(name)
        return str(_plotly_js())


class PlotlyFinder(BaseFinder):
    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path == PLOTLY_STATIC_PATH and _plotly_js().exists():
            found = str(_plotly_js())
            return [found] if find_all or kwargs.get("all") else found
        return [] if find_all or kwargs.get("all") else None

    def list(self, ignore_patterns):
        yield PLOTLY_STATIC_PATH, _PlotlyStorage(location=str(_plotly_js().parent))

"""Serve plotly.js as ``vendor/plotly.min.js``: plotly's basic bundle where ``make install``
fetched it (``dashboards/vendor/plotly-basic.min.js``), else the full bundle inside the plotly
Python package.

The portal makes no request outside the site, so plotly.js is served (and collected by
``collectstatic``, which in production gives it a content-hashed name and a compressed copy)
like our own static files. The portal's charts use only bar and scatter traces, which the basic
bundle (scatter, bar, pie) holds at a quarter of the full bundle's size; both are the plotly.js
version the Python package ships (tests/dashboards/test_plotly_bundle.py).
"""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_STATIC_PATH = "vendor/plotly.min.js"
BASIC_BUNDLE = Path(__file__).resolve().parent / "vendor" / "plotly-basic.min.js"


def full_bundle() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def plotly_js() -> Path:
    """The bundle served: the basic one when fetched, else the full one."""
    return BASIC_BUNDLE if BASIC_BUNDLE.exists() else full_bundle()


class _PlotlyStorage(FileSystemStorage):
    def path(self, name: str) -> str:
        if name != PLOTLY_STATIC_PATH:
            raise FileNotFoundError(name)
        return str(plotly_js())


class PlotlyFinder(BaseFinder):
    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path == PLOTLY_STATIC_PATH and plotly_js().exists():
            found = str(plotly_js())
            return [found] if find_all or kwargs.get("all") else found
        return [] if find_all or kwargs.get("all") else None

    def list(self, ignore_patterns):
        yield PLOTLY_STATIC_PATH, _PlotlyStorage(location=str(plotly_js().parent))

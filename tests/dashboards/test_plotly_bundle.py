"""The plotly.js served: plotly's basic bundle (fetched by `make install`), the same plotly.js
version as the Python package's, holding every trace type the charts draw."""

import re
from pathlib import Path

import pytest

from dashboards import staticfiles
from tests.required import needed

CHART_MODULES = ("core/charts.py", "dashboards/charts.py", "flags/charts.py")
ROOT = Path(__file__).resolve().parents[2]


def version(bundle: Path) -> str:
    return re.search(r"plotly\.js (?:\([^)]*\) )?v(\d+\.\d+\.\d+)", bundle.read_text()[:400])[1]


@pytest.fixture(scope="module")
def basic_bundle() -> Path:
    if not staticfiles.BASIC_BUNDLE.exists():
        needed("dashboards/vendor/plotly-basic.min.js", how="`make install` fetches it with npm")
    return staticfiles.BASIC_BUNDLE


def test_the_basic_bundle_is_served_when_fetched(basic_bundle):
    assert staticfiles.plotly_js() == basic_bundle
    assert basic_bundle.stat().st_size < staticfiles.full_bundle().stat().st_size / 3


def test_it_is_the_plotly_js_version_of_the_python_package(basic_bundle):
    assert version(basic_bundle) == version(staticfiles.full_bundle())


def trace_types(bundle: Path) -> set[str]:
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', bundle.read_text()))


def test_it_draws_every_trace_type_the_charts_use(basic_bundle):
    every_type = trace_types(staticfiles.full_bundle())
    quoted = set()
    for module in CHART_MODULES:
        quoted |= set(re.findall(r'"(\w+)"', (ROOT / module).read_text()))
    used = quoted & every_type  # the chart modules' strings that name a trace type
    assert used, "no trace type found in the chart modules"
    missing = used - trace_types(basic_bundle)
    assert not missing, f"the charts draw {missing}, which the basic bundle lacks"


def test_the_image_fetches_the_same_bundle_as_make_install():
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    for name in ("PLOTLY_BASIC_VERSION", "PLOTLY_BASIC_SHA256"):
        [made] = re.findall(rf"^{name} := (\S+)$", makefile, re.M)
        [built] = re.findall(rf"^ARG {name}=(\S+)$", dockerfile, re.M)
        assert made == built, name

"""OpenTelemetry tracing: Django requests, psycopg queries and Celery tasks, off by default.

On only when the standard environment asks for an exporter (``OTEL_TRACES_EXPORTER``, or an
OTLP endpoint in ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) and
``OTEL_SDK_DISABLED`` is not true. Off, nothing is instrumented and the OpenTelemetry API's
no-op tracer answers the few spans of our own (bench/tracing.py measures the difference).

``OTEL_TRACES_EXPORTER`` names exporters by their entry point (``otlp``, ``console``; a comma
list), as the OpenTelemetry SDK's auto-configuration does; ``none`` makes spans (trace ids in
logs, context carried into tasks) and exports nothing. The rest (endpoint, headers, protocol,
sampler, resource attributes, service name) is read by the SDK from its usual variables.
"""

import os
from collections.abc import Sequence
from contextlib import nullcontext
from importlib.metadata import entry_points

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

from config.observability.version import deployed_version

_state: dict = {"provider": None, "instrumented": False}


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def tracing_requested() -> bool:
    """Whether the environment asks for tracing (see the module's docstring)."""
    if _env_true("OTEL_SDK_DISABLED"):
        return False
    return bool(
        os.environ.get("OTEL_TRACES_EXPORTER", "").strip()
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    )


def exporters_from_env() -> list[SpanExporter]:
    """The exporters ``OTEL_TRACES_EXPORTER`` names (``otlp`` when only an endpoint is set)."""
    names = [
        name.strip()
        for name in os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")
        if name.strip() and name.strip() != "none"
    ]
    exporters = []
    for name in names:
        if name == "otlp":
            # OTLP over HTTP/protobuf (the SDK default port 4318; gRPC is not installed).
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
            continue
        found = entry_points(group="opentelemetry_traces_exporter", name=name)
        if not found:
            raise RuntimeError(
                f"OTEL_TRACES_EXPORTER names {name!r}, which is not an installed span exporter"
            )
        exporters.append(next(iter(found)).load()())
    return exporters


def tracing_setup(*, service_name: str, exporters: Sequence[SpanExporter] | None = None) -> bool:
    """Start tracing for this process when asked (or with these exporters, in tests).

    Returns whether tracing is on. Call before Django loads its middleware (config/wsgi.py,
    config/asgi.py) or in each Celery pool process (config/celery_app.py). Calling it again
    adds the exporters to the tracer provider already set and instruments again if needed.
    """
    if exporters is None:
        if not tracing_requested():
            return False
        exporters = exporters_from_env()
        processor = BatchSpanProcessor
    else:
        processor = SimpleSpanProcessor  # tests read spans right after the request
    provider = _state["provider"]
    if provider is None:
        attributes = {"service.name": os.environ.get("OTEL_SERVICE_NAME") or service_name}
        version = deployed_version()
        attributes["service.version"] = version.commit
        provider = TracerProvider(resource=Resource.create(attributes))
        trace.set_tracer_provider(provider)
        _state["provider"] = provider
    for exporter in exporters:
        provider.add_span_processor(processor(exporter))
    instrument()
    return True


def instrument() -> None:
    """Instrument Django, psycopg and Celery (once)."""
    if _state["instrumented"]:
        return
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    # Health checks and scrapes are not traced: they would drown the requests that matter.
    DjangoInstrumentor().instrument(excluded_urls="healthz,readyz,metrics")
    PsycopgInstrumentor().instrument(enable_commenter=False)
    CeleryInstrumentor().instrument()
    _state["instrumented"] = True


def uninstrument() -> None:
    """Tests: stop instrumenting (the tracer provider stays; OpenTelemetry sets it once)."""
    if not _state["instrumented"]:
        return
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    DjangoInstrumentor().uninstrument()
    PsycopgInstrumentor().uninstrument()
    CeleryInstrumentor().uninstrument()
    _state["instrumented"] = False


class _OffTracer:
    """Tracing off: Shoene's own spans cost an empty ``with`` (the API's no-op tracer would
    still make a span object and switch the context, about 5 µs a span; bench/tracing.py)."""

    def start_as_current_span(self, name: str, *args, **kwargs):
        return nullcontext(trace.INVALID_SPAN)


_OFF = _OffTracer()
_TRACER = trace.get_tracer("shoene")  # a proxy: it follows the provider once one is set


def tracer() -> trace.Tracer:
    """The tracer for Shoene's own spans (one that does nothing while tracing is off)."""
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return _OFF  # no provider set: neither ours nor one from opentelemetry-instrument
    return _TRACER

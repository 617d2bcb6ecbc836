"""Telemetry for web and workers: traces (OpenTelemetry), JSON logs, Prometheus metrics.

See docs/observability.md for the environment variables, the metrics and how to go from a
metric spike to a trace to its log lines.
"""

"""Where the metrics go: the OTLP/HTTP metrics URL, given or taken from the traces URL."""

from __future__ import annotations

import pytest

from infohus.kit.settings import TelemetrySettings


@pytest.mark.parametrize(("endpoint", "metrics_endpoint", "expected"), [
    ("http://otel-collector:4318/v1/traces", None, "http://otel-collector:4318/v1/metrics"),
    ("http://otel-collector:4318/v1/traces/", None, "http://otel-collector:4318/v1/metrics"),
    ("http://otel-collector:4318", None, "http://otel-collector:4318/v1/metrics"),
    ("http://otel-collector:4318/v1/traces", "http://other:4318/v1/metrics", "http://other:4318/v1/metrics"),
    (None, None, None),  # the exporter's own default (OTEL_EXPORTER_OTLP_* or localhost)
])
def test_the_metrics_url_is_given_or_follows_the_traces_url(endpoint: str | None, metrics_endpoint: str | None,
                                                            expected: str | None) -> None:
    settings = TelemetrySettings(exporter="otlp", endpoint=endpoint, metrics_endpoint=metrics_endpoint)
    assert settings.otlp_metrics_endpoint() == expected

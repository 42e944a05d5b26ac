"""OpenTelemetry set-up. One global tracer provider and one meter provider per process; the exporter is a setting."""

from __future__ import annotations

import functools
import uuid

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from infohus.kit.settings import TelemetrySettings


def configure_telemetry(service_name: str, settings: TelemetrySettings) -> None:
    configure_tracing(service_name, settings)
    configure_metrics(service_name, settings)


@functools.cache
def _resource(service_name: str) -> Resource:
    """``service.instance.id`` tells the replicas apart: without it the collector's Prometheus exporter
    would merge their counters into one series. OTEL_RESOURCE_ATTRIBUTES may set it instead."""
    resource = Resource.create({"service.name": f"infohus-{service_name}"})
    if "service.instance.id" in resource.attributes:
        return resource
    return resource.merge(Resource({"service.instance.id": str(uuid.uuid4())}))


def configure_tracing(service_name: str, settings: TelemetrySettings) -> None:
    """Install a tracer provider unless one is installed already (tests install their own)."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=_resource(service_name))
    exporter = _exporter(settings)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def configure_metrics(service_name: str, settings: TelemetrySettings) -> None:
    """Install a meter provider that exports every ``metrics_export_interval_s``, unless one is installed
    already (tests install their own) or there is no exporter: then the instruments do nothing at all."""
    exporter = _metric_exporter(settings)
    if exporter is None or isinstance(metrics.get_meter_provider(), MeterProvider):
        return
    reader = PeriodicExportingMetricReader(exporter,
                                           export_interval_millis=settings.metrics_export_interval_s * 1000)
    metrics.set_meter_provider(MeterProvider(resource=_resource(service_name), metric_readers=[reader]))


def _exporter(settings: TelemetrySettings) -> SpanExporter | None:
    if settings.exporter == "console":
        return ConsoleSpanExporter()
    if settings.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=settings.endpoint) if settings.endpoint else OTLPSpanExporter()
    return None


def _metric_exporter(settings: TelemetrySettings) -> MetricExporter | None:
    if settings.exporter == "console":
        return ConsoleMetricExporter()
    if settings.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        endpoint = settings.otlp_metrics_endpoint()
        return OTLPMetricExporter(endpoint=endpoint) if endpoint else OTLPMetricExporter()
    return None


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None

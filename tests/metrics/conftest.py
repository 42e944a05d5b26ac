"""An in-memory metric reader behind the global meter provider, for the tests that read the metrics.

The global provider can be set once per process; the first test that asks for the reader sets it, and
every later one reads the same cumulative points: tests compare what they caused with a reading taken
before (:meth:`Reading.delta`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ExponentialHistogramDataPoint,
    HistogramDataPoint,
    InMemoryMetricReader,
)

from contracts.metrics import MetricSpec

_READER = InMemoryMetricReader()


@pytest.fixture(scope="session")
def metric_reader() -> InMemoryMetricReader:
    provider = metrics.get_meter_provider()
    if not isinstance(provider, MeterProvider):
        metrics.set_meter_provider(MeterProvider(metric_readers=[_READER]))
    assert isinstance(metrics.get_meter_provider(), MeterProvider)
    return _READER


@dataclass(frozen=True)
class Point:
    name: str
    attributes: Mapping[str, Any]
    scope: str  # the meter's name: infohus.* for ours
    value: float  # a sum's or gauge's value; a histogram's count

    @property
    def ours(self) -> bool:
        """Recorded by Infohus' instruments (not, say, by a library's own instrumentation in a test app)."""
        return self.scope.startswith("infohus.")

    def matches(self, spec: MetricSpec, attributes: Mapping[str, Any]) -> bool:
        return (self.ours and self.name == spec.name
                and all(self.attributes.get(k) == v for k, v in attributes.items()))


@dataclass(frozen=True)
class Reading:
    points: tuple[Point, ...]

    @classmethod
    def take(cls, reader: InMemoryMetricReader) -> Reading:
        return cls(tuple(_points(reader)))

    def total(self, spec: MetricSpec, attributes: Mapping[str, Any] | None = None) -> float:
        """The sum over the points of ``spec`` that have these attributes (and maybe others)."""
        return sum(p.value for p in self.points if p.matches(spec, attributes or {}))

    def of(self, spec: MetricSpec) -> list[Point]:
        return [p for p in self.points if p.matches(spec, {})]

    def delta(self, before: Reading, spec: MetricSpec, attributes: Mapping[str, Any] | None = None) -> float:
        return self.total(spec, attributes) - before.total(spec, attributes)


def _points(reader: InMemoryMetricReader) -> Iterator[Point]:
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            scope = scope_metrics.scope.name
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    if isinstance(point, HistogramDataPoint | ExponentialHistogramDataPoint):
                        value: float = point.count
                    else:
                        value = point.value
                    yield Point(metric.name, dict(point.attributes or {}), scope, float(value))

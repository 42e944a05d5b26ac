"""The alert rules (deploy/k8s/components/monitoring) watch the metrics the services really export.

Every metric an alert's expression names is one of ``contracts.metrics`` as the collector's Prometheus
exporter renders it, every label it groups or matches on is one of their attributes, the alerts the
operations runbook promises are there, each points at its section of docs/operations.md, and Prometheus
scrapes the collector where the services' metrics are. Rendered with ``kubectl kustomize`` like the other
policy tests (and skipped, with the reason, without a kubectl with kustomize v5+).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from contracts.metrics import CATALOGUE
from tests.deploy.test_k8s_policies import OPERATIONS_DOC, OVERLAYS, Docs, named, of_kind, render

ALERTS = {"InfohusMessageDeadLettered", "InfohusMailDeadLettered", "InfohusClockBreached", "InfohusOutboxStale",
          "InfohusConsumerStopped"}
PROMQL_FUNCTIONS = {"sum", "max", "min", "by", "on", "unless", "and", "or", "increase", "rate", "min_over_time",
                    "max_over_time", "histogram_quantile"}
RULE_FIELDS = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}


@pytest.fixture(params=OVERLAYS)
def docs(request: pytest.FixtureRequest) -> Docs:
    return render(str(request.param))


def _exported_names() -> set[str]:
    names = set()
    for spec in CATALOGUE:
        base = spec.prometheus_name
        names |= {f"{base}_bucket", f"{base}_sum", f"{base}_count"} if spec.kind == "histogram" else {base}
    return names


def _label_names() -> set[str]:
    return {key.replace(".", "_") for spec in CATALOGUE for key in spec.attributes} | {"job", "instance"}


def _rules(docs: Docs) -> list[dict[str, Any]]:
    rule = named(docs, "PrometheusRule", "infohus-alerts")
    assert set(rule["spec"]) == {"groups"}
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def test_the_promised_alerts_are_shipped_and_documented(docs: Docs) -> None:
    rules = _rules(docs)
    assert {r["alert"] for r in rules} == ALERTS
    headings = {line.lstrip("#").strip().lower() for line in OPERATIONS_DOC.read_text().splitlines()
                if line.startswith("#")}
    for rule in rules:
        assert set(rule) <= RULE_FIELDS, rule["alert"]
        assert rule["labels"]["severity"] in {"page", "warning"}
        anchor = rule["annotations"]["runbook"].removeprefix("docs/operations.md#")
        assert anchor == rule["alert"].lower() and anchor in headings, rule["alert"]


def test_alert_expressions_name_only_exported_metrics_and_their_attributes(docs: Docs) -> None:
    exported, labels = _exported_names(), _label_names()
    for rule in _rules(docs):
        expr = re.sub(r"\[[0-9]+[smh]\]", "", rule["expr"])
        words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)) - PROMQL_FUNCTIONS
        assert words & exported, rule["alert"]
        assert words <= exported | labels, (rule["alert"], words - exported - labels)
        grouped = {w.strip() for group in re.findall(r"\b(?:by|on)\s*\(([^)]*)\)", expr) for w in group.split(",")}
        assert grouped <= labels, (rule["alert"], grouped - labels)


def test_prometheus_scrapes_the_collector_keeping_the_services_job_labels(docs: Docs) -> None:
    (monitor,) = of_kind(docs, "ServiceMonitor")
    service = named(docs, "Service", "otel-collector")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["honorLabels"] is True

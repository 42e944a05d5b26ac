"""Every operation of routing's API declares its response schema, and the OpenAPI description carries it (a
route without one shows an empty schema and answers with whatever it built)."""

from __future__ import annotations

from typing import Any

from tests.routing.conftest import RoutingHarness


def _success_schema(operation: dict[str, Any]) -> dict[str, Any]:
    [status] = [s for s in operation["responses"] if s.startswith("2")]
    schema: dict[str, Any] = operation["responses"][status]["content"]["application/json"]["schema"]
    return schema


async def test_every_api_operation_has_a_typed_response_schema_in_the_openapi_description(
        routing: RoutingHarness) -> None:
    paths = routing.app().openapi()["paths"]
    operations = [(method.upper(), path, operation) for path, item in paths.items() if path.startswith("/api/v1/")
                  for method, operation in item.items()]
    assert len(operations) >= 18  # the cases, tasks, underretninger, rules, watchdog and read-access log
    untyped = [(method, path, schema) for method, path, operation in operations
               if not ((schema := _success_schema(operation)).get("$ref") or schema.get("items", {}).get("$ref"))]
    assert untyped == []

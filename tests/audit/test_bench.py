"""The audit benchmark runs end to end on a small log, on both databases (its figures are not asserted)."""

from __future__ import annotations

from pathlib import Path

from devtools.bench.audit import run_audit_benchmark
from tests.conftest import Databases


async def test_the_benchmark_generates_a_log_that_verifies_and_measures_it(databases: Databases, tmp_path: Path,
                                                                          unique: str) -> None:
    postgres_url = None if databases.backend == "sqlite" else databases.urls["audit"]
    options = {"path": tmp_path / "audit.db", "subjects": 20, "samples": 5, "postgres_url": postgres_url,
               "schema": f"{unique}_bench"}
    results = await run_audit_benchmark(300, **options)
    # measure() asserts that verification found every record and the signed checkpoint intact
    assert results["verify"]["records"] == results["verify_in_one_process"]["records"] == 300
    assert results["generate_s"] is not None
    again = await run_audit_benchmark(300, reuse=True, **options)
    assert again["generate_s"] is None and again["verify"]["records"] == 300

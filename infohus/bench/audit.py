"""The audit benchmark (1,000,000 records), run by ``make bench``."""

from services.audit.entrypoints.bench import run_audit_benchmark

__all__ = ["run_audit_benchmark"]

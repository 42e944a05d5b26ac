"""Local development stack: a Kafka-compatible broker (tansu) and a local SMTP mailbox.

Submodules are imported lazily by callers (``from infohus.devstack.broker import LocalBroker``) so that
importing the package does not pull in aiokafka, aiosmtpd or FastAPI.
"""

from __future__ import annotations

from infohus.devstack.ports import free_port

__all__ = ["free_port"]

"""Local development stack: a Kafka-compatible broker (tansu) and a local SMTP mailbox.

Submodules are imported lazily by callers (``from devtools.devstack.broker import LocalBroker``) so that
importing the package does not pull in aiokafka, aiosmtpd or FastAPI.
"""

from __future__ import annotations

from devtools.devstack.ports import free_port

__all__ = ["free_port"]

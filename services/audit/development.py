"""The local stack's (``make run``) signing of checkpoints: a development key, generated once into the data
folder and kept there (``data/`` is never committed), and a checkpoint every minute, so that the local
system shows the mechanism production runs and ``infohus audit verify`` checks the signatures there too.

Only ``infohus dev`` calls this; production takes its key from a secret (``INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY``).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.domain.checkpoint import load_private_key

SIGNING_KEY_FILE = "audit-checkpoint-signing-key.pem"
PUBLIC_KEY_FILE = "audit-checkpoint-public-key.pem"
CHECKPOINT_INTERVAL_S = 60


def development_signing_key(data_dir: Path) -> str:
    """The PEM of the local stack's signing key, generated on first use (readable by its owner only); its
    public key is written beside it for ``infohus audit verify``."""
    key_file = data_dir / SIGNING_KEY_FILE
    if not key_file.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
    pem_text = key_file.read_text()
    public = load_private_key(pem_text).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (data_dir / PUBLIC_KEY_FILE).write_bytes(public)
    return pem_text


def development_environment(data_dir: Path) -> dict[str, str]:
    """Audit's settings in the local stack: the development key and checkpoints on a short schedule."""
    return {"INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY": development_signing_key(data_dir),
            "INFOHUS_AUDIT_CHECKPOINT_INTERVAL_S": str(CHECKPOINT_INTERVAL_S)}

"""Signed checkpoints: an Ed25519 signature over the Merkle root of the log at a given size.

A checkpoint commits to every record hash up to ``tree_size``. Publishing it (e.g. in the daily ops
report) lets anyone later prove that the log was only appended to (``merkle.verify_consistency``) and
that a record was in it (``merkle.verify_inclusion``), which the hash chain alone cannot show against
truncation or a wholesale rewrite.

The private key comes from settings (PEM or base64 text), never from the repository.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.audit.domain.hashing import canonical_json
from services.audit.domain.merkle import merkle_root
from services.audit.domain.values import Sha256Hex, UtcInstant

__all__ = [
    "Checkpoint",
    "checkpoint_matches_leaves",
    "key_id",
    "load_private_key",
    "load_public_key",
    "public_key_base64",
    "sign_checkpoint",
    "verify_checkpoint",
]

# Domain separation: a signature over a checkpoint can never be replayed as a signature over anything else.
SIGNING_CONTEXT = b"infohus.audit.checkpoint.v1\n"
RAW_KEY_SIZE = 32

KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]


class Checkpoint(BaseModel):
    """``root_hash`` is the RFC 6962 root over the first ``tree_size`` record hashes; ``signature`` is
    base64 of the Ed25519 signature over ``SIGNING_CONTEXT || RFC 8785 JSON of the other fields``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tree_size: int = Field(ge=0)
    root_hash: Sha256Hex
    head_seq_no: int = Field(ge=0)
    head_record_hash: Sha256Hex
    issued_at: UtcInstant
    key_id: KeyId
    signature: str

    def signed_message(self) -> bytes:
        return SIGNING_CONTEXT + canonical_json(self.model_dump(mode="json", exclude={"signature"}))


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex characters of SHA-256 over the raw 32-byte public key."""
    return hashlib.sha256(_raw_public_bytes(public_key)).hexdigest()[:16]


def public_key_base64(public_key: Ed25519PublicKey) -> str:
    return base64.b64encode(_raw_public_bytes(public_key)).decode("ascii")


def sign_checkpoint(
    *,
    tree_size: int,
    root_hash: bytes | str,
    head_seq_no: int,
    head_record_hash: str,
    issued_at: datetime,
    private_key: Ed25519PrivateKey,
) -> Checkpoint:
    unsigned = Checkpoint(
        tree_size=tree_size,
        root_hash=root_hash.hex() if isinstance(root_hash, bytes) else root_hash,
        head_seq_no=head_seq_no,
        head_record_hash=head_record_hash,
        issued_at=issued_at,
        key_id=key_id(private_key.public_key()),
        signature="",
    )
    signature = private_key.sign(unsigned.signed_message())
    return unsigned.model_copy(update={"signature": base64.b64encode(signature).decode("ascii")})


def verify_checkpoint(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    """True when ``public_key`` is the checkpoint's key and its signature covers every field."""
    if checkpoint.key_id != key_id(public_key):
        return False
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        public_key.verify(signature, checkpoint.signed_message())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def checkpoint_matches_leaves(checkpoint: Checkpoint, leaves: Sequence[bytes]) -> bool:
    """Does the log's leaf list (``chain.merkle_leaves``) reproduce the checkpoint's root and head?"""
    if checkpoint.tree_size > len(leaves):
        return False
    covered = leaves[:checkpoint.tree_size]
    head_matches = not covered or covered[-1].hex() == checkpoint.head_record_hash
    return head_matches and merkle_root(covered).hex() == checkpoint.root_hash


def load_private_key(text: str, *, password: bytes | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from settings text: PEM (PKCS#8), or base64 of PEM, of PKCS#8 DER or of
    the raw 32-byte seed. Error messages never echo the key."""
    material = _key_material(text)
    if len(material) == RAW_KEY_SIZE:
        return Ed25519PrivateKey.from_private_bytes(material)
    try:
        if material.startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(material, password=password)
        else:
            key = serialization.load_der_private_key(material, password=password)
    except (ValueError, TypeError) as error:
        raise ValueError("the checkpoint signing key is not a readable Ed25519 private key") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the checkpoint signing key is not an Ed25519 key")
    return key


def load_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key: PEM (SubjectPublicKeyInfo), or base64 of PEM, of SPKI DER or of the raw
    32 bytes."""
    material = _key_material(text)
    if len(material) == RAW_KEY_SIZE:
        return Ed25519PublicKey.from_public_bytes(material)
    try:
        if material.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(material)
        else:
            key = serialization.load_der_public_key(material)
    except (ValueError, TypeError) as error:
        raise ValueError("the checkpoint public key is not a readable Ed25519 public key") from error
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the checkpoint public key is not an Ed25519 key")
    return key


def _key_material(text: str) -> bytes:
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        # Environment variables often carry PEM with its newlines written as "\\n".
        return stripped.replace("\\n", "\n").encode("ascii")
    try:
        return base64.b64decode("".join(stripped.split()), validate=True)
    except binascii.Error as error:
        raise ValueError("key text is neither PEM nor base64") from error


def _raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

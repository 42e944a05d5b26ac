from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.domain.chain import ChainEntry, merkle_leaves
from services.audit.domain.checkpoint import (
    Checkpoint,
    checkpoint_matches_leaves,
    key_id,
    load_private_key,
    load_public_key,
    public_key_base64,
    sign_checkpoint,
    verify_checkpoint,
)
from services.audit.domain.hashing import GENESIS_PREV_HASH
from services.audit.domain.merkle import merkle_root
from tests.audit.domain.builders import a_chain

# RFC 8032 §7.1, TEST 1.
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
ISSUED_AT = datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET)


def a_checkpoint(length: int = 5, key: Ed25519PrivateKey = KEY) -> Checkpoint:
    records = a_chain(length)
    return sign_checkpoint(
        tree_size=length,
        root_hash=merkle_root(merkle_leaves(records)),
        head_seq_no=records[-1].seq_no,
        head_record_hash=records[-1].record_hash,
        issued_at=ISSUED_AT,
        private_key=key,
    )


def test_a_signed_checkpoint_verifies() -> None:
    checkpoint = a_checkpoint()
    assert verify_checkpoint(checkpoint, KEY.public_key())
    assert checkpoint.key_id == hashlib.sha256(RFC8032_PUBLIC).hexdigest()[:16]


@pytest.mark.parametrize(("field", "value"), [
    ("tree_size", 6),
    ("root_hash", "0" * 64),
    ("head_seq_no", 4),
    ("head_record_hash", "1" * 64),
    ("issued_at", ISSUED_AT + timedelta(microseconds=1)),
    ("signature", base64.b64encode(bytes(64)).decode()),
    ("signature", "not base64!"),
])
def test_a_tampered_checkpoint_is_refused(field: str, value: Any) -> None:
    tampered = a_checkpoint().model_copy(update={field: value})
    assert not verify_checkpoint(tampered, KEY.public_key())


def test_another_key_is_refused_even_with_a_matching_key_id() -> None:
    other = Ed25519PrivateKey.generate()
    assert not verify_checkpoint(a_checkpoint(), other.public_key())
    relabelled = a_checkpoint(key=other).model_copy(update={"key_id": key_id(KEY.public_key())})
    assert not verify_checkpoint(relabelled, KEY.public_key())


def test_a_checkpoint_survives_json() -> None:
    checkpoint = a_checkpoint()
    assert verify_checkpoint(Checkpoint.model_validate_json(checkpoint.model_dump_json()), KEY.public_key())


def test_the_checkpoint_matches_the_log_it_was_made_from() -> None:
    records = a_chain(7)
    checkpoint = a_checkpoint(5)
    assert checkpoint_matches_leaves(checkpoint, merkle_leaves(records))
    assert not checkpoint_matches_leaves(checkpoint, merkle_leaves(records[:4]))


def test_an_empty_log_has_a_checkpoint_too() -> None:
    empty = sign_checkpoint(tree_size=0, root_hash=merkle_root([]), head_seq_no=0,
                            head_record_hash=GENESIS_PREV_HASH, issued_at=ISSUED_AT, private_key=KEY)
    assert verify_checkpoint(empty, KEY.public_key())
    assert checkpoint_matches_leaves(empty, [])


def test_a_forged_hash_on_the_erased_head_is_caught_by_the_checkpoint() -> None:
    # The chain cannot see this (nothing links to the head); the signed root can.
    rows = [ChainEntry.from_record(record) for record in a_chain(5)]
    rows[-1] = ChainEntry(rows[-1].seq_no, rows[-1].prev_hash, "e" * 64, None)
    assert not checkpoint_matches_leaves(a_checkpoint(5), merkle_leaves(rows))


def _pkcs8(key: Ed25519PrivateKey, encoding: serialization.Encoding) -> bytes:
    return key.private_bytes(encoding, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _pem(key: Ed25519PrivateKey) -> str:
    return _pkcs8(key, serialization.Encoding.PEM).decode()


@pytest.mark.parametrize("text", [
    pytest.param(_pem(KEY), id="PEM"),
    pytest.param(_pem(KEY).replace("\n", "\\n"), id="PEM with escaped newlines"),
    pytest.param(base64.b64encode(_pem(KEY).encode()).decode(), id="base64 of PEM"),
    pytest.param(base64.b64encode(_pkcs8(KEY, serialization.Encoding.DER)).decode(), id="base64 of DER"),
    pytest.param(base64.b64encode(RFC8032_SECRET).decode(), id="base64 of the raw seed"),
])
def test_the_private_key_loads_from_settings_text(text: str) -> None:
    loaded = load_private_key(text)
    assert loaded.public_key().public_bytes_raw() == RFC8032_PUBLIC


def test_the_public_key_loads_from_pem_and_base64() -> None:
    pem = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert load_public_key(pem).public_bytes_raw() == RFC8032_PUBLIC
    assert load_public_key(public_key_base64(KEY.public_key())).public_bytes_raw() == RFC8032_PUBLIC


def test_unreadable_keys_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="neither PEM nor base64") as refused:
        load_private_key("s3cret-but-not-a-key!")
    assert "s3cret" not in str(refused.value)
    with pytest.raises(ValueError, match="not a readable"):
        load_private_key(base64.b64encode(b"x" * 48).decode())


def test_a_key_of_another_type_is_refused() -> None:
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(ValueError, match="not an Ed25519 key"):
        load_private_key(rsa_pem)

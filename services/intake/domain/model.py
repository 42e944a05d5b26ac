"""The intake aggregate: a concern as received and stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contracts.concern import ConcernIn

_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U

SYSTEM = "system"  # recorded_by of concerns the reporter submitted themself (web form, API)


def make_reference(year: int, random_bits: int) -> str:
    """A reference a person can read out on the phone, e.g. ``IH-2026-7K3M-Q9PX`` (40 random bits)."""
    chars = []
    for _ in range(8):
        random_bits, index = divmod(random_bits, 32)
        chars.append(_REFERENCE_ALPHABET[index])
    code = "".join(chars)
    return f"IH-{year}-{code[:4]}-{code[4:]}"


@dataclass(frozen=True)
class Concern:
    concern_id: UUID
    reference: str
    received_at: datetime
    recorded_at: datetime
    body: ConcernIn
    recorded_by: str = SYSTEM

    @property
    def submission_id(self) -> str:
        return self.body.submission_id

    @property
    def anonymous(self) -> bool:
        return self.body.reporter.anonymous

"""The § 115 disclosure record (docs/legal.md §D1): a draft from the event, then sealed into the chain.

A ``DisclosureDraft`` holds every §D1 field except the chain fields; ``seal`` adds ``seq_no``,
``prev_hash`` and ``record_hash`` and returns the immutable ``DisclosureRecord``.

The model checks structure only: types, code lists, UTC instants, hash formats and the derived
``contains_*`` flags. Whether a record is lawful is the business of ``invariants.check_invariants``,
which reports violations instead of raising, so that the caller can decide what to do with them.

I1 (append-only) is enforced by the store (INSERT/SELECT grants and a trigger), not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.events import DisclosureRecorded
from rules import codes
from rules.codes import (
    CooperationForm,
    DataCategory,
    DisclosureChannel,
    DisclosureDeliveryStatus,
    DisclosureKind,
    LegalBasis,
    OnwardCondition,
    Purpose,
    SourceOfData,
    SubjectInformationStatus,
)
from services.audit.domain.hashing import (
    HASH_FIELDS,
    hashed_record_content,
    header_v2,
    payload_digest,
    record_hash_v2,
)
from services.audit.domain.stored_columns import columns_text, query_columns, subject_keys
from services.audit.domain.values import OptionalText, Sha256Hex, Text, UtcInstant, format_utc

Provenance = Literal["derived", "declared"]

RECORD_SCHEMA_VERSION = 1
# Fields added to the record after its first version. They are left out of the hashed content when
# absent, so a record without them has the same bytes (and hash) as before they existed, and
# ``verify --deep`` re-canonicalises the older records unchanged.
LATER_OPTIONAL_FIELDS = ("review_at", "request_ref", "fact_provenance")
# Fields of the event that are facts *about* the record for the invariant checks, not §D1 fields of
# it: never stored (I10's reporter anonymity is a context, see ``InvariantContext``).
EVENT_CONTEXT_FIELDS = frozenset({"reporter_anonymous"})

DERIVED_FLAGS = {
    "contains_special_categories": codes.contains_special_categories,
    "contains_criminal_data": codes.contains_criminal_data,
    "contains_cpr": codes.contains_cpr,
    "contains_gang_info": codes.contains_gang_info,
}


class DisclosureDraft(BaseModel):
    """A disclosure record before it has a place in the chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_schema_version: Literal[1] = 1
    record_id: UUID
    kind: DisclosureKind
    occurred_at: UtcInstant
    recorded_at: UtcInstant
    decision_at: UtcInstant | None = None

    concern_id: UUID | None = None
    infohus_case_id: UUID | None = None
    underretning_id: UUID | None = None

    subject_person_ids: tuple[Text, ...] = Field(min_length=1)
    subject_cpr_hmacs: tuple[Text, ...] = ()
    subject_age_at_occurrence: int | None = Field(default=None, ge=0, le=150)
    other_person_ids: tuple[Text, ...] = ()

    discloser_authority: Text
    discloser_unit: Text
    executed_by: Text
    decided_by: OptionalText = None

    recipient_authority: Text
    recipient_unit: OptionalText = None
    recipient_persons: tuple[Text, ...] = ()
    recipient_is_cooperation_participant: bool

    channel: DisclosureChannel
    transport_ref: OptionalText = None
    content_hash: Sha256Hex | None = None
    content_manifest: tuple[Text, ...] = Field(min_length=1)

    legal_basis: LegalBasis
    cooperation_form: CooperationForm
    legal_basis_note: OptionalText = None
    purpose: Purpose
    purpose_description: Text
    not_for_investigation: bool
    necessity_assessment: OptionalText = None

    data_categories: tuple[DataCategory, ...] = Field(min_length=1)
    contains_special_categories: bool
    contains_criminal_data: bool
    contains_cpr: bool
    contains_gang_info: bool

    source_of_data: SourceOfData
    source_record_id: UUID | None = None
    onward_conditions_communicated: tuple[OnwardCondition, ...] = ()
    subject_information_status: SubjectInformationStatus
    review_at: date | None = None  # when a DEFERRED_* subject information is to be reviewed (Q14)
    consent_ref: OptionalText = None
    request_ref: OptionalText = None  # the request a disclosure answers (PETL4_ON_REQUEST)
    delivery_status: DisclosureDeliveryStatus
    corrects_record_id: UUID | None = None
    retention_until: date
    routing_table_version: Text
    system_version: Text
    # Per checked fact (``derived.py``): "derived" from what Infohus knows, or "declared" by the caller
    # where nothing could be derived. Hashed with the record; absent from records made before it existed.
    fact_provenance: dict[str, Provenance] | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_missing_flags(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "data_categories" not in data:
            return data
        try:
            categories = [DataCategory(value) for value in data["data_categories"]]
        except (TypeError, ValueError):
            return data  # the field validation reports the bad code
        derived = {name: derive(categories) for name, derive in DERIVED_FLAGS.items() if name not in data}
        return {**data, **derived}

    @field_validator("data_categories", "onward_conditions_communicated")
    @classmethod
    def _as_sorted_set(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        # These are sets in §D1; one order makes equal sets hash equally.
        return tuple(sorted(set(values)))

    @model_validator(mode="after")
    def _flags_match_categories(self) -> DisclosureDraft:
        for name, derive in DERIVED_FLAGS.items():
            if getattr(self, name) != derive(self.data_categories):
                raise ValueError(f"{name} must be derived from data_categories")
        return self

    def payload(self) -> dict[str, Any]:
        """The JSON form of every field except the chain fields: what is stored and hashed."""
        payload = self.model_dump(mode="json", include=set(DisclosureDraft.model_fields))
        for name in LATER_OPTIONAL_FIELDS:
            if payload[name] is None:
                del payload[name]
        return payload

    @classmethod
    def from_event(cls, event: DisclosureRecorded, *, recorded_at: datetime) -> DisclosureDraft:
        return from_event(event, recorded_at=recorded_at)


class DisclosureRecord(DisclosureDraft):
    """A sealed, immutable row of the disclosure log.

    ``record_hash = sha256(prev_hash_bytes || RFC 8785 JSON of all fields except record_hash)``;
    see ``hashing.compute_record_hash``. Building a record does not check its hash, so that a
    tampered row can still be loaded and reported by ``chain.verify_chain``.
    """

    seq_no: int = Field(ge=1)
    prev_hash: Sha256Hex
    record_hash: Sha256Hex

    def draft(self) -> DisclosureDraft:
        return DisclosureDraft.model_validate(self.model_dump(exclude=set(HASH_FIELDS)))


def from_event(event: DisclosureRecorded, *, recorded_at: datetime) -> DisclosureDraft:
    """The draft record for a ``DisclosureRecorded`` event; ``recorded_at`` is when audit received it.

    Raises ``pydantic.ValidationError`` (a ``ValueError``) when a code is unknown or an instant has no
    UTC offset: such an event cannot be represented in the log at all.
    """
    fields = event.model_dump(exclude=set(EVENT_CONTEXT_FIELDS))
    return DisclosureDraft.model_validate({**fields, "recorded_at": recorded_at})


def seal(draft: DisclosureDraft, *, seq_no: int, prev_hash: str) -> DisclosureRecord:
    """Place ``draft`` in the chain after the record whose hash is ``prev_hash``."""
    return seal_with_content(draft, seq_no=seq_no, prev_hash=prev_hash)[0]


def seal_with_content(draft: DisclosureDraft, *, seq_no: int, prev_hash: str) -> tuple[DisclosureRecord, bytes]:
    """:func:`seal`, and the canonical bytes the record hash covers (RFC 8785 is the costly part: done once)."""
    payload = draft.payload()
    record_hash, content = hashed_record_content(seq_no=seq_no, prev_hash=prev_hash, payload=payload)
    record = DisclosureRecord.model_validate(
        {**draft.model_dump(exclude=set(HASH_FIELDS)), "seq_no": seq_no, "prev_hash": prev_hash,
         "record_hash": record_hash}
    )
    return record, content


@dataclass(frozen=True)
class SealedV2:
    """A record sealed with hash version 2 and what is stored for it."""

    record: DisclosureRecord
    content: bytes
    payload_sha256: str


def seal_v2(draft: DisclosureDraft, *, seq_no: int, prev_hash: str, trace_id: str | None) -> SealedV2:
    """Place ``draft`` in the chain with hash version 2 (``hashing.header_v2``): the hash covers the JSON,
    the query columns and subject keys as stored, and the chain row's own columns."""
    payload = draft.payload()
    _, content = hashed_record_content(seq_no=seq_no, prev_hash=prev_hash, payload=payload)
    digest = payload_digest(content, columns_text(query_columns(payload), subject_keys(payload)))
    header = header_v2(seq_no=seq_no, prev_hash=prev_hash, record_id=str(draft.record_id),
                       recorded_at=format_utc(draft.recorded_at), retention_until=draft.retention_until.isoformat(),
                       trace_id=trace_id, payload_sha256=digest)
    record = DisclosureRecord.model_validate(
        {**draft.model_dump(exclude=set(HASH_FIELDS)), "seq_no": seq_no, "prev_hash": prev_hash,
         "record_hash": record_hash_v2(prev_hash, header)})
    return SealedV2(record, content, digest)

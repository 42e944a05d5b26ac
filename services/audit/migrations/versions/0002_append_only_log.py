# ruff: noqa: S608  (DDL built from the constant table names of this file, no input)
"""append-only disclosure log: payloads apart from the chain, triggers, role, checkpoints, query log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:00:00

What this does:

- Splits the record into ``disclosure_log`` (the chain: seq_no, record_id, prev_hash, record_hash,
  recorded_at, retention_until, trace_id; kept for ever) and ``disclosure_payloads`` (``content``, the
  exact RFC 8785 bytes the record hash covers, plus query columns copied from it). Existing rows are
  moved, their content recomputed from the stored payload JSON. ``disclosure_subjects`` is rebuilt.
- Creates ``checkpoints`` and ``auditor_query_log``.
- Makes every audit table append-only in the database:
  * PostgreSQL: BEFORE UPDATE/DELETE (row) and BEFORE TRUNCATE (statement) triggers raise; a role
    ``infohus_audit_app`` (NOLOGIN) gets SELECT and INSERT only (plus UPDATE on the outbox, which the
    relay marks as sent). Production connects as a login role that is a member of it; migrations run
    as the schema owner.
  * SQLite: BEFORE UPDATE and BEFORE DELETE triggers raise (SQLite has no TRUNCATE; ``DELETE FROM t``
    fires the triggers), and a BEFORE INSERT trigger refuses a row whose key exists, which catches
    ``INSERT OR REPLACE`` and upserts (REPLACE deletes without firing delete triggers).
  * Both: a BEFORE INSERT trigger on ``disclosure_log`` refuses a row whose seq_no is not head + 1 or
    whose prev_hash is not the head's record_hash; payload and subject rows may only be added for the
    newest record.
- Retention: rows of ``disclosure_payloads`` and ``disclosure_subjects`` may be deleted only when the
  record's ``disclosure_log.retention_until`` is before today. On PostgreSQL the app role has no
  DELETE grant and erases through ``audit_purge_expired()``, a SECURITY DEFINER function; the trigger
  checks the date for everyone, owner included.
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

APP_ROLE = "infohus_audit_app"
GENESIS = "0" * 64
INSERT_ONLY = {  # table -> the key columns whose re-use would let INSERT OR REPLACE delete a row
    "disclosure_log": ("seq_no", "record_id", "record_hash"),
    "disclosure_payloads": ("seq_no",),
    "disclosure_subjects": ("seq_no", "subject_key"),
    "checkpoints": ("tree_size",),
    "auditor_query_log": ("entry_id",),
}
RETAINED = ("disclosure_payloads", "disclosure_subjects")
INSTANT = 27


def upgrade() -> None:
    bind = op.get_bind()
    old_rows = [dict(r) for r in bind.execute(sa.text(
        "SELECT seq_no, prev_hash, record_hash, payload FROM disclosure_log ORDER BY seq_no")).mappings()]
    _slim_the_log()  # first: SQLite rebuilds the table, which must not yet be referenced by payload rows
    _create_tables()
    _move_payloads(bind, old_rows)
    if bind.dialect.name == "postgresql":
        _postgres_append_only(bind)
    else:
        _sqlite_append_only()


def downgrade() -> None:
    raise NotImplementedError("the disclosure log is append-only: restore a backup instead of downgrading")


def _create_tables() -> None:
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "disclosure_payloads",
        sa.Column("seq_no", seq, sa.ForeignKey("disclosure_log.seq_no"), primary_key=True, autoincrement=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("occurred_at", sa.String(INSTANT), nullable=False),
        sa.Column("occurred_month", sa.String(7), nullable=False),
        sa.Column("recorded_at", sa.String(INSTANT), nullable=False),
        sa.Column("recording_lag_s", sa.BigInteger(), nullable=False),
        sa.Column("decision_at", sa.String(INSTANT), nullable=True),
        sa.Column("concern_id", sa.String(36), nullable=True),
        sa.Column("infohus_case_id", sa.String(36), nullable=True),
        sa.Column("underretning_id", sa.String(36), nullable=True),
        sa.Column("discloser_authority", sa.String(80), nullable=False),
        sa.Column("discloser_unit", sa.String(80), nullable=False),
        sa.Column("executed_by", sa.String(200), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("recipient_authority", sa.String(80), nullable=False),
        sa.Column("recipient_unit", sa.String(200), nullable=True),
        sa.Column("recipient_is_cooperation_participant", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("transport_ref", sa.String(500), nullable=True),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("cooperation_form", sa.String(10), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("not_for_investigation", sa.Boolean(), nullable=False),
        sa.Column("necessity_assessment", sa.Text(), nullable=True),
        sa.Column("data_categories", sa.String(500), nullable=False),
        sa.Column("contains_special_categories", sa.Boolean(), nullable=False),
        sa.Column("contains_criminal_data", sa.Boolean(), nullable=False),
        sa.Column("contains_cpr", sa.Boolean(), nullable=False),
        sa.Column("contains_gang_info", sa.Boolean(), nullable=False),
        sa.Column("subject_age_at_occurrence", sa.Integer(), nullable=True),
        sa.Column("source_of_data", sa.String(30), nullable=False),
        sa.Column("source_record_id", sa.String(36), nullable=True),
        sa.Column("subject_information_status", sa.String(30), nullable=False),
        sa.Column("delivery_status", sa.String(20), nullable=False),
        sa.Column("corrects_record_id", sa.String(36), nullable=True),
        sa.Column("retention_until", sa.String(10), nullable=False),
        sa.CheckConstraint("length(necessity_assessment) <= 2000", name="ck_necessity_assessment_length"),
    )
    for name, columns in {
        "ix_payloads_concern": ["concern_id"], "ix_payloads_recipient": ["recipient_authority", "occurred_at"],
        "ix_payloads_basis": ["legal_basis", "occurred_at"], "ix_payloads_kind": ["kind", "occurred_at"],
        "ix_payloads_occurred": ["occurred_at"], "ix_payloads_executed_by": ["executed_by", "occurred_month"],
        "ix_payloads_corrects": ["corrects_record_id"], "ix_payloads_source_record": ["source_record_id"],
        "ix_payloads_retention": ["retention_until"],
    }.items():
        op.create_index(name, "disclosure_payloads", columns)
    op.drop_table("disclosure_subjects")
    op.create_table(
        "disclosure_subjects",
        sa.Column("seq_no", seq, primary_key=True, autoincrement=False),
        sa.Column("subject_key", sa.String(200), primary_key=True),
    )
    op.create_index("ix_subjects_key", "disclosure_subjects", ["subject_key", "seq_no"])
    op.create_table(
        "checkpoints",
        sa.Column("tree_size", seq, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("head_seq_no", seq, nullable=False),
        sa.Column("head_record_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.String(INSTANT), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
    )
    op.create_table(
        "auditor_query_log",
        sa.Column("entry_id", sa.String(36), primary_key=True),
        sa.Column("at", sa.String(INSTANT), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("query", sa.String(40), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("result_rows", sa.Integer(), nullable=False),
        sa.Column("output_format", sa.String(10), nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=True),
    )
    op.create_index("ix_auditor_query_log_at", "auditor_query_log", ["at"])


def _move_payloads(bind: sa.engine.Connection, rows: list[dict]) -> None:
    """Rows written by 0001 kept the payload as JSON on the log row; move it, as the hashed bytes."""
    from services.audit.adapters.columns import payload_columns, subject_keys
    from services.audit.domain.hashing import canonical_json, hashed_content

    payloads = sa.table("disclosure_payloads", *(sa.column(c) for c in ("seq_no", "content", *_COLUMNS)))
    subjects = sa.table("disclosure_subjects", sa.column("seq_no"), sa.column("subject_key"))
    for row in rows:
        if row["payload"] is None:
            continue
        payload = json.loads(row["payload"])
        content = canonical_json(hashed_content(seq_no=row["seq_no"], prev_hash=row["prev_hash"], payload=payload))
        if hashlib.sha256(bytes.fromhex(row["prev_hash"]) + content).hexdigest() != row["record_hash"]:
            # Copied as it is: `infohus audit verify` will report the record.
            pass
        bind.execute(payloads.insert().values(seq_no=row["seq_no"], content=content.decode("utf-8"),
                                              **payload_columns(payload)))
        keys = subject_keys(payload)
        if keys:
            bind.execute(subjects.insert(), [{"seq_no": row["seq_no"], "subject_key": k} for k in keys])


_COLUMNS = (
    "kind", "occurred_at", "recorded_at", "decision_at", "concern_id", "infohus_case_id", "underretning_id",
    "discloser_authority", "discloser_unit", "executed_by", "decided_by", "recipient_authority",
    "recipient_unit", "recipient_is_cooperation_participant", "channel", "transport_ref", "legal_basis",
    "cooperation_form", "purpose", "not_for_investigation", "necessity_assessment",
    "contains_special_categories", "contains_criminal_data", "contains_cpr", "contains_gang_info",
    "subject_age_at_occurrence", "source_of_data", "source_record_id", "subject_information_status",
    "delivery_status", "corrects_record_id", "retention_until", "occurred_month", "recording_lag_s",
    "data_categories",
)


def _slim_the_log() -> None:
    with op.batch_alter_table("disclosure_log", schema=None) as batch_op:
        batch_op.drop_index("ix_disclosure_log_concern_id")
        batch_op.drop_index("ix_disclosure_log_legal_basis")
        batch_op.drop_index("ix_disclosure_log_recipient_authority")
        for column in ("kind", "occurred_at", "concern_id", "legal_basis", "purpose", "recipient_authority",
                       "payload"):
            batch_op.drop_column(column)


# --- SQLite -----------------------------------------------------------------------------------------

def _sqlite_append_only() -> None:
    for table, keys in INSERT_ONLY.items():
        op.execute(f"""
            CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END""")
        not_expired = "" if table not in RETAINED else (
            "WHEN COALESCE((SELECT retention_until FROM disclosure_log WHERE seq_no = OLD.seq_no), "
            "'9999-12-31') >= date('now')")
        op.execute(f"""
            CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {not_expired}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END""")
        if table in RETAINED:
            same_key = " AND ".join(f"{k} = NEW.{k}" for k in keys)
        else:
            same_key = " OR ".join(f"{k} = NEW.{k}" for k in keys)
        op.execute(f"""
            CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}
            WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_key})
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: INSERT OR REPLACE refused'); END""")
    op.execute(f"""
        CREATE TRIGGER disclosure_log_chain BEFORE INSERT ON disclosure_log
        WHEN NEW.seq_no <> COALESCE((SELECT MAX(seq_no) FROM disclosure_log), 0) + 1
          OR NEW.prev_hash <> COALESCE((SELECT record_hash FROM disclosure_log ORDER BY seq_no DESC LIMIT 1),
                                       '{GENESIS}')
        BEGIN SELECT RAISE(ABORT, 'disclosure_log: seq_no and prev_hash must continue the chain'); END""")
    for table in RETAINED:
        op.execute(f"""
            CREATE TRIGGER {table}_newest_only BEFORE INSERT ON {table}
            WHEN NEW.seq_no IS NOT (SELECT MAX(seq_no) FROM disclosure_log)
            BEGIN SELECT RAISE(ABORT, '{table}: rows may only be added for the newest record'); END""")


# --- PostgreSQL -------------------------------------------------------------------------------------

def _postgres_append_only(bind: sa.engine.Connection) -> None:
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    op.execute("""
        CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = '42501';
        END $$""")
    op.execute("""
        CREATE FUNCTION audit_refuse_unless_expired() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND
               (SELECT retention_until FROM disclosure_log WHERE seq_no = OLD.seq_no) < current_date THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '% is append-only: % refused before retention_until', TG_TABLE_NAME, TG_OP
                USING ERRCODE = '42501';
        END $$""")
    op.execute(f"""
        CREATE FUNCTION audit_chain_continues() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE head_seq bigint; head_hash text;
        BEGIN
            SELECT seq_no, record_hash INTO head_seq, head_hash FROM disclosure_log ORDER BY seq_no DESC LIMIT 1;
            IF NEW.seq_no <> COALESCE(head_seq, 0) + 1 OR NEW.prev_hash <> COALESCE(head_hash, '{GENESIS}') THEN
                RAISE EXCEPTION 'disclosure_log: seq_no and prev_hash must continue the chain'
                    USING ERRCODE = '23514';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute("""
        CREATE FUNCTION audit_newest_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.seq_no IS DISTINCT FROM (SELECT max(seq_no) FROM disclosure_log) THEN
                RAISE EXCEPTION '%: rows may only be added for the newest record', TG_TABLE_NAME
                    USING ERRCODE = '23514';
            END IF;
            RETURN NEW;
        END $$""")
    for table in INSERT_ONLY:
        row_function = "audit_refuse_unless_expired" if table in RETAINED else "audit_refuse"
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {row_function}()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()")
    op.execute("CREATE TRIGGER disclosure_log_chain BEFORE INSERT ON disclosure_log "
               "FOR EACH ROW EXECUTE FUNCTION audit_chain_continues()")
    for table in RETAINED:
        op.execute(f"CREATE TRIGGER {table}_newest_only BEFORE INSERT ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_newest_only()")
    op.execute(f"""
        CREATE FUNCTION audit_purge_expired() RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = "{schema}", pg_temp AS $$
        DECLARE erased bigint;
        BEGIN
            DELETE FROM disclosure_subjects s USING disclosure_log l
             WHERE s.seq_no = l.seq_no AND l.retention_until < current_date;
            DELETE FROM disclosure_payloads p USING disclosure_log l
             WHERE p.seq_no = l.seq_no AND l.retention_until < current_date;
            GET DIAGNOSTICS erased = ROW_COUNT;
            RETURN erased;
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION audit_purge_expired() FROM PUBLIC")
    op.execute(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
                    CREATE ROLE {APP_ROLE} NOLOGIN;
                ELSE
                    RAISE NOTICE 'role {APP_ROLE} not created: the migrating user may not create roles';
                    RETURN;
                END IF;
            END IF;
            EXECUTE 'GRANT USAGE ON SCHEMA "{schema}" TO {APP_ROLE}';
            EXECUTE 'GRANT SELECT, INSERT ON disclosure_log, disclosure_payloads, disclosure_subjects, '
                    'checkpoints, auditor_query_log, processed_events TO {APP_ROLE}';
            EXECUTE 'GRANT SELECT, INSERT, UPDATE ON outbox TO {APP_ROLE}';
            EXECUTE 'GRANT SELECT ON alembic_version TO {APP_ROLE}';
            EXECUTE 'GRANT EXECUTE ON FUNCTION audit_purge_expired() TO {APP_ROLE}';
        END $$""")

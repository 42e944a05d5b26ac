# ruff: noqa: S608  (DDL built from the constant names of this file, no input)
"""hash version 2 columns, fact provenance, the facts audit derives from, and the statutory minimum in purge

Revision ID: 0005
Revises: 0004

- ``disclosure_log.hash_version`` (1 for every existing row) and ``payload_sha256``: from version 2 the
  record hash covers the chain row, the query columns and the subject keys (``domain/hashing.py``).
- ``disclosure_payloads.fact_provenance``: which checked facts were derived and which only declared.
- ``case_facts.reporter_anonymous``, ``subject_person_id``, ``subject_adult_from``: from routing's
  ``CaseOpened``, what audit derives a record's reporter anonymity and subject age from.
- Retention: a payload (and its subject rows) may be erased only once ``retention_until`` has passed
  **and** the disclosure is more than 5 years old (docs/legal.md §A3 (ii)), so that a record accepted
  before the minimum was checked at append is not erased early either. Both the deletion trigger and
  ``audit_purge_expired()`` apply it (``domain/retention_rules.MIN_RETENTION_YEARS``; the same 5 here).
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MIN_RETENTION_YEARS = 5
RETAINED = ("disclosure_payloads", "disclosure_subjects")


def upgrade() -> None:
    op.add_column("disclosure_log", sa.Column("hash_version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("disclosure_log", sa.Column("payload_sha256", sa.String(64), nullable=True))
    op.add_column("disclosure_payloads", sa.Column("fact_provenance", sa.String(200), nullable=True))
    op.add_column("case_facts", sa.Column("reporter_anonymous", sa.Boolean(), nullable=True))
    op.add_column("case_facts", sa.Column("subject_person_id", sa.String(200), nullable=True))
    op.add_column("case_facts", sa.Column("subject_adult_from", sa.String(10), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _postgres_minimum(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one())
    else:
        _sqlite_minimum()


def downgrade() -> None:
    raise NotImplementedError("the disclosure log is append-only: restore a backup instead of downgrading")


def _sqlite_minimum() -> None:
    for table in RETAINED:
        op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute(f"""
            CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            WHEN COALESCE((SELECT retention_until FROM disclosure_log WHERE seq_no = OLD.seq_no), '9999-12-31')
                     >= date('now')
              OR COALESCE((SELECT substr(occurred_at, 1, 10) FROM disclosure_payloads WHERE seq_no = OLD.seq_no),
                          '0000-01-01') >= date('now', '-{MIN_RETENTION_YEARS} years')
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END""")


def _postgres_minimum(schema: str) -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION audit_refuse_unless_expired() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE'
               AND (SELECT retention_until FROM disclosure_log WHERE seq_no = OLD.seq_no) < current_date
               AND COALESCE((SELECT substr(occurred_at, 1, 10) FROM disclosure_payloads WHERE seq_no = OLD.seq_no),
                            '0000-01-01') < (current_date - interval '{MIN_RETENTION_YEARS} years')::date::text THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '% is append-only: % refused before retention_until and the statutory minimum',
                TG_TABLE_NAME, TG_OP USING ERRCODE = '42501';
        END $$""")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION audit_purge_expired() RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = "{schema}", pg_temp AS $$
        DECLARE erased bigint;
        BEGIN
            -- The subject rows first: the minimum is read from the payload row, which goes second.
            DELETE FROM disclosure_subjects s USING disclosure_log l, disclosure_payloads p
             WHERE s.seq_no = l.seq_no AND p.seq_no = l.seq_no AND l.retention_until < current_date
               AND substr(p.occurred_at, 1, 10) < (current_date - interval '{MIN_RETENTION_YEARS} years')::date::text;
            DELETE FROM disclosure_payloads p USING disclosure_log l
             WHERE p.seq_no = l.seq_no AND l.retention_until < current_date
               AND substr(p.occurred_at, 1, 10) < (current_date - interval '{MIN_RETENTION_YEARS} years')::date::text;
            GET DIAGNOSTICS erased = ROW_COUNT;
            RETURN erased;
        END $$""")

# ruff: noqa: S608  (DDL built from the constant names of this file, no input)
"""retention: what routing said about each concern (held, erased); read-access-log rows past the statutory
minimum may be deleted; payloads are erased by a list that leaves held records out

Revision ID: 0006
Revises: 0005

- ``concern_retention``: projection of routing's ConcernRetentionChanged (the app role: SELECT, INSERT, UPDATE).
- ``read_access_log``: rows older than 183 days may be deleted (triggers); UPDATE and TRUNCATE stay refused.
- ``audit_erase_payloads(bigint[])`` (PostgreSQL, SECURITY DEFINER, for the app role, which has no DELETE on
  the log): erases the payload and subject rows of the listed records, and only of those past their
  ``retention_until`` and at least 5 years after the disclosure. The caller leaves held records out.
- ``auditor_query_log`` (the auditors' own access log): rows older than 183 days may be deleted too.
- ``audit_forget_access(text[], text[])`` (PostgreSQL, SECURITY DEFINER): deletes the listed rows of the two
  access logs, which the triggers allow only when they are older than 183 days. The app role keeps no
  DELETE on any log table; it may delete published outbox rows.
"""
from alembic import op

from infohus.kit.retention import ACCESS_LOG_MIN_DAYS, DISCLOSURE_MIN_YEARS
from infohus.kit.retention.read_log_ddl import allow_deletion_after_minimum, keep_every_row
from infohus.kit.retention.tables import CONCERN_RETENTION, create_concern_retention

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APP_ROLE = "infohus_audit_app"
PAST_MINIMUM = (f"l.retention_until < current_date AND left(p.occurred_at, 10) < "
                f"to_char(current_date - interval '{DISCLOSURE_MIN_YEARS} years', 'YYYY-MM-DD')")


QUERY_LOG = "auditor_query_log"


def upgrade() -> None:
    create_concern_retention(op)
    allow_deletion_after_minimum(op)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.execute(f"DROP TRIGGER {QUERY_LOG}_no_delete")
        op.execute(f"""
            CREATE TRIGGER {QUERY_LOG}_no_delete BEFORE DELETE ON {QUERY_LOG}
            WHEN substr(OLD.at, 1, 10) >= date('now', '-{ACCESS_LOG_MIN_DAYS} days')
            BEGIN SELECT RAISE(ABORT, '{QUERY_LOG} is append-only: DELETE refused'); END""")
        return
    op.execute(f"""
        CREATE FUNCTION audit_refuse_unless_old_query() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND
               left(OLD.at, 10) < to_char(current_date - {ACCESS_LOG_MIN_DAYS}, 'YYYY-MM-DD') THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = '42501';
        END $$""")
    op.execute(f"DROP TRIGGER {QUERY_LOG}_append_only ON {QUERY_LOG}")
    op.execute(f"CREATE TRIGGER {QUERY_LOG}_append_only BEFORE UPDATE OR DELETE ON {QUERY_LOG} "
               "FOR EACH ROW EXECUTE FUNCTION audit_refuse_unless_old_query()")
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar_one()
    op.execute(f"""
        CREATE FUNCTION audit_erase_payloads(wanted bigint[]) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = "{schema}", pg_temp AS $$
        DECLARE erased bigint;
        BEGIN
            DELETE FROM disclosure_subjects s USING disclosure_log l, disclosure_payloads p
             WHERE s.seq_no = l.seq_no AND p.seq_no = l.seq_no AND l.seq_no = ANY(wanted) AND {PAST_MINIMUM};
            DELETE FROM disclosure_payloads p USING disclosure_log l
             WHERE p.seq_no = l.seq_no AND l.seq_no = ANY(wanted) AND {PAST_MINIMUM};
            GET DIAGNOSTICS erased = ROW_COUNT;
            RETURN erased;
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION audit_erase_payloads(bigint[]) FROM PUBLIC")
    op.execute(f"""
        CREATE FUNCTION audit_forget_access(reads text[], queries text[]) RETURNS bigint LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = "{schema}", pg_temp AS $$
        DECLARE forgotten bigint; more bigint;
        BEGIN
            DELETE FROM read_access_log WHERE id = ANY(reads);
            GET DIAGNOSTICS forgotten = ROW_COUNT;
            DELETE FROM {QUERY_LOG} WHERE entry_id = ANY(queries);
            GET DIAGNOSTICS more = ROW_COUNT;
            RETURN forgotten + more;
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION audit_forget_access(text[], text[]) FROM PUBLIC")
    op.execute(f"""
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                EXECUTE 'GRANT SELECT, INSERT, UPDATE ON {CONCERN_RETENTION} TO {APP_ROLE}';
                EXECUTE 'GRANT DELETE ON outbox TO {APP_ROLE}';
                EXECUTE 'GRANT EXECUTE ON FUNCTION audit_erase_payloads(bigint[]) TO {APP_ROLE}';
                EXECUTE 'GRANT EXECUTE ON FUNCTION audit_forget_access(text[], text[]) TO {APP_ROLE}';
            END IF;
        END $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_erase_payloads(bigint[])")
        op.execute("DROP FUNCTION audit_forget_access(text[], text[])")
        op.execute(f"DROP TRIGGER {QUERY_LOG}_append_only ON {QUERY_LOG}")
        op.execute(f"CREATE TRIGGER {QUERY_LOG}_append_only BEFORE UPDATE OR DELETE ON {QUERY_LOG} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_refuse()")
        op.execute("DROP FUNCTION audit_refuse_unless_old_query()")
        op.execute(f"""
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                    EXECUTE 'REVOKE DELETE ON outbox FROM {APP_ROLE}';
                END IF;
            END $$""")
    else:
        op.execute(f"DROP TRIGGER {QUERY_LOG}_no_delete")
        op.execute(f"CREATE TRIGGER {QUERY_LOG}_no_delete BEFORE DELETE ON {QUERY_LOG} "
                   f"BEGIN SELECT RAISE(ABORT, '{QUERY_LOG} is append-only: DELETE refused'); END")
    keep_every_row(op)
    op.drop_index("ix_concern_retention_held", table_name=CONCERN_RETENTION)
    op.drop_table(CONCERN_RETENTION)

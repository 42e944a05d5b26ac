# ruff: noqa: S608  (DDL built from the constant names of this file, no input)
"""the read-access log: every auditor's read of the records about a concern (append-only)

Revision ID: 0004
Revises: 0003
"""
from alembic import op

from infohus.kit.auth.read_log import TABLE_NAME
from infohus.kit.auth.read_log_migration import create_read_access_log

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APP_ROLE = "infohus_audit_app"


def upgrade() -> None:
    create_read_access_log(op)
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"""
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                    EXECUTE 'GRANT SELECT, INSERT ON {TABLE_NAME} TO {APP_ROLE}';
                END IF;
            END $$""")


def downgrade() -> None:
    op.drop_table(TABLE_NAME)

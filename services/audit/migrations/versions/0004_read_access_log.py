# ruff: noqa: S608  (DDL built from the constant names of this file, no input)
"""the read-access log: every auditor's read of the records about a concern (append-only)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from infohus.kit.auth.read_log import TABLE_NAME, append_only_ddl

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APP_ROLE = "infohus_audit_app"


def upgrade() -> None:
    op.create_table(TABLE_NAME,
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("service", sa.String(length=50), nullable=False),
    sa.Column("user_id", sa.String(length=255), nullable=False),
    sa.Column("roles", sa.String(length=255), nullable=False),
    sa.Column("case_kind", sa.String(length=30), nullable=False),
    sa.Column("case_id", sa.String(length=100), nullable=False),
    sa.Column("purpose", sa.String(length=50), nullable=False),
    sa.Column("fields", sa.Text(), nullable=False),
    sa.Column("trace_id", sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index(f"ix_{TABLE_NAME}_case", TABLE_NAME, ["case_id", "read_at"], unique=False)
    op.create_index(f"ix_{TABLE_NAME}_user", TABLE_NAME, ["user_id", "read_at"], unique=False)
    op.create_index(f"ix_{TABLE_NAME}_read_at", TABLE_NAME, ["read_at"], unique=False)
    dialect = op.get_bind().dialect.name
    schema = op.get_context().version_table_schema if dialect == "postgresql" else None
    for statement in append_only_ddl(dialect, TABLE_NAME, schema):
        op.execute(statement)
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

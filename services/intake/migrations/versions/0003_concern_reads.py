"""reading concerns back: the read-access log (append-only), concern_persons for search (backfilled), and
concerns by time of receipt

Revision ID: 0003
Revises: 0002
"""
import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

from infohus.kit.auth.read_log import TABLE_NAME
from infohus.kit.auth.read_log_migration import create_read_access_log
from services.intake.domain.lookup import fold_name

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    create_read_access_log(op)

    persons = op.create_table("concern_persons",
    sa.Column("concern_id", sa.String(length=36), nullable=False),
    sa.Column("path", sa.String(length=24), nullable=False),
    sa.Column("name_folded", sa.Text(), nullable=True),
    sa.Column("cpr", sa.String(length=10), nullable=True),
    sa.Column("date_of_birth", sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(["concern_id"], ["concerns.concern_id"]),
    sa.PrimaryKeyConstraint("concern_id", "path")
    )
    op.create_index("ix_concern_persons_cpr", "concern_persons", ["cpr"], unique=False)
    op.create_index("ix_concerns_received_at", "concerns", ["received_at", "concern_id"], unique=False)
    _backfill(persons)


def _backfill(persons: sa.Table) -> None:
    """One row per person of every stored concern, in batches (the bodies are parsed here, never logged)."""
    bind = op.get_bind()
    concerns = sa.table("concerns", sa.column("concern_id", sa.String), sa.column("body", sa.Text))
    last = ""
    while True:
        rows = bind.execute(sa.select(concerns.c.concern_id, concerns.c.body).where(concerns.c.concern_id > last)
                            .order_by(concerns.c.concern_id).limit(_BATCH)).all()
        if not rows:
            return
        values = [row for concern_id, body in rows for row in _person_rows(concern_id, json.loads(body))]
        if values:
            bind.execute(persons.insert(), values)
        last = rows[-1][0]


def _person_rows(concern_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for kind in ("subjects", "children_at_risk"):
        for index, person in enumerate(body.get(kind) or []):
            name, born = person.get("name"), person.get("date_of_birth")
            out.append({"concern_id": concern_id, "path": f"{kind}[{index}]",
                        "name_folded": fold_name(name) if name else None, "cpr": person.get("cpr"),
                        "date_of_birth": date.fromisoformat(born) if born else None})
    return out


def downgrade() -> None:
    op.drop_index("ix_concerns_received_at", table_name="concerns")
    op.drop_index("ix_concern_persons_cpr", table_name="concern_persons")
    op.drop_table("concern_persons")
    dialect = op.get_bind().dialect.name
    op.drop_table(TABLE_NAME)
    if dialect == "postgresql":
        schema = op.get_context().version_table_schema
        prefix = f"{schema}." if schema else ""
        op.execute(f"DROP FUNCTION IF EXISTS {prefix}{TABLE_NAME}_refuse_change()")

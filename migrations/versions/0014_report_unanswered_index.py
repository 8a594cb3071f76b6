"""report: partial index of the unanswered reports per commune, for the queue's "chưa trả lời" filter

At 10 million reports the filter "unanswered" (alone or with "urgent") found its few rows by reading every report
of the commune from the table: 3,058 blocks for 3 rows (benchmarks/scale.py). Answered reports leave this index,
so it stays the size of the backlog, however old the commune's history. Built CONCURRENTLY on PostgreSQL.

Revision ID: 0014_report_unanswered_index
Revises: 0013_report_kind_index
Create Date: 2026-12-03 08:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_report_unanswered_index"
down_revision = "0013_report_kind_index"
branch_labels = None
depends_on = None

NAME = "ix_report_commune_unanswered"
COLUMNS = ["commune_id", "received_at"]
UNANSWERED = sa.text("first_response_at IS NULL")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(
                NAME, "report", COLUMNS, postgresql_where=UNANSWERED, postgresql_concurrently=True, if_not_exists=True
            )
    else:
        op.create_index(NAME, "report", COLUMNS, sqlite_where=UNANSWERED)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(NAME, "report", postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(NAME, "report")

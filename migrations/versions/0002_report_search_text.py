"""report search text: tracking code, body and location folded for tone-less search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:17:29.532759

"""

import sqlalchemy as sa
from alembic import op

from server.reports.search import report_search_text

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_report = sa.table(
    "report",
    sa.column("id", sa.Uuid()),
    sa.column("tracking_code", sa.String()),
    sa.column("body", sa.Text()),
    sa.column("location", sa.String()),
    sa.column("search_text", sa.Text()),
)


def upgrade():
    # A server default lets the column be added to a table that already holds reports; the rows are then
    # filled in and the default dropped again, since the application always sets the value itself.
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_report.c.id, _report.c.tracking_code, _report.c.body, _report.c.location))
    for row in rows.all():
        connection.execute(
            _report.update()
            .where(_report.c.id == row.id)
            .values(search_text=report_search_text(row.tracking_code, row.body, row.location or ""))
        )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.alter_column("search_text", server_default=None)


def downgrade():
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("search_text")

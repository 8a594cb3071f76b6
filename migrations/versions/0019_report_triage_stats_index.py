"""report: the open reports in triage order, and the stats' columns in the commune-and-date index

Two console requests read one table block per report of the commune, and at 10 million reports those blocks
are seldom in memory (benchmarks/scale.py, docs/deploy.md):

- the open reports in triage order (unanswered, then urgent, then the longest waiting) sorted every open
  report of the commune to show 50: a partial index in that order, of open reports only, lets the page read
  its 50 rows and the total be counted from the index;
- the stats screen read every report of the year to count them by kind, category, village and status: on
  PostgreSQL those columns now ride in ``ix_report_commune_received`` (INCLUDE), so a year is counted from the
  index alone. SQLite has no INCLUDE and keeps its index as it is.

Built CONCURRENTLY on PostgreSQL, as the release in the field keeps writing: the wider index is built beside the
old one, which is dropped only then, so the queue never goes without it.

Revision ID: 0019_report_triage_stats_index
Revises: 0018_live_event_ids_never_reused
Create Date: 2026-12-04 11:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_report_triage_stats_index"
down_revision = "0018_live_event_ids_never_reused"
branch_labels = None
depends_on = None

TRIAGE = "ix_report_commune_triage"
TRIAGE_KEYS = [
    "commune_id",
    sa.text("(first_response_at IS NOT NULL)"),
    sa.text("(urgency <> 'urgent')"),
    "received_at",
    "id",
]
OPEN = sa.text("status IN ('new', 'acknowledged', 'in_progress')")  # server/reports/models.py OPEN_STATUSES
RECEIVED = "ix_report_commune_received"
RECEIVED_KEYS = ["commune_id", "received_at"]
STATS_COLUMNS = ["kind", "category", "village_id", "status", "first_response_at"]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(TRIAGE, "report", TRIAGE_KEYS, sqlite_where=OPEN)
        return
    with op.get_context().autocommit_block():
        op.create_index(
            TRIAGE, "report", TRIAGE_KEYS, postgresql_where=OPEN, postgresql_concurrently=True, if_not_exists=True
        )
        _swap_received_index(STATS_COLUMNS)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.drop_index(TRIAGE, "report")
        return
    with op.get_context().autocommit_block():
        _swap_received_index([])
        op.drop_index(TRIAGE, "report", postgresql_concurrently=True, if_exists=True)


def _swap_received_index(include: list[str]) -> None:
    """Build the new ``ix_report_commune_received`` beside the old one, then drop the old and take its name."""
    building = RECEIVED + "_new"
    op.drop_index(building, "report", postgresql_concurrently=True, if_exists=True)  # left by a failed build
    op.create_index(building, "report", RECEIVED_KEYS, postgresql_include=include, postgresql_concurrently=True)
    op.drop_index(RECEIVED, "report", postgresql_concurrently=True, if_exists=True)
    op.execute(f"ALTER INDEX {building} RENAME TO {RECEIVED}")

"""report: a trigram index of the folded search text per commune, for the queue's tone-less text search (PostgreSQL)

The search is a substring match (``search_text LIKE '%trom ga%'``, server/reports/search.py). Without an index it
reads every report of the commune: at 10 million reports, about 3,000 heap blocks per search, 9.8 s at p95 from a
cold cache (docs/deploy.md). A GIN index of the text's trigrams, with the commune as its first key (btree_gin), finds
the few reports that contain the words without reading the others. SQLite, the embedded single-commune set-up,
keeps the plain scan. Both extensions are trusted (PostgreSQL 13+): the database owner may create them. Built
CONCURRENTLY, as the release in the field keeps writing.

Revision ID: 0015_report_search_index
Revises: 0014_report_unanswered_index
Create Date: 2026-12-03 12:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_report_search_index"
down_revision = "0014_report_unanswered_index"
branch_labels = None
depends_on = None

NAME = "ix_report_search_trgm"  # server/reports/models.py POSTGRESQL_ONLY_INDEXES


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        op.create_index(
            NAME,
            "report",
            ["commune_id", sa.text("search_text gin_trgm_ops")],
            postgresql_using="gin",
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.drop_index(NAME, "report", postgresql_concurrently=True, if_exists=True)

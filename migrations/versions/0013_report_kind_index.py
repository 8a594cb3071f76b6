"""report: index (commune_id, kind, category, received_at) for the queue's kind and category filters

At 10 million reports (3,300 communes, about 3,000 reports each; benchmarks/scale.py) the queue filtered by a kind
and a category counted its matches by reading every report of the commune from the table: 3,017 heap blocks for
534 matching tips, one block per report since a commune's reports arrive interleaved with every other commune's
(1 s from a cold cache; p50 51 ms, p95 70 ms warm). With the filter columns in an index the count reads the
index only and the page walks it in received order. Built CONCURRENTLY on PostgreSQL: phones keep writing
while it builds (docs/deploy.md, "Upgrades").

Revision ID: 0013_report_kind_index
Revises: 0012_commune_keys
Create Date: 2026-12-03 08:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_report_kind_index"
down_revision = "0012_commune_keys"
branch_labels = None
depends_on = None

NAME = "ix_report_commune_kind_category"
COLUMNS = ["commune_id", "kind", "category", "received_at"]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(NAME, "report", COLUMNS, postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index(NAME, "report", COLUMNS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(NAME, "report", postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(NAME, "report")

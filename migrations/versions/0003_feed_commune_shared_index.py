"""feed: partial index on the commune-wide entries, so a phone's pull reads only its own changes

A pull asks for the group's entries OR the commune's shared ones (announcements, group_id IS NULL). With
only (commune_id, id), PostgreSQL read every feed entry of the commune, every other group's included, and
threw almost all of them away: about 1,000 heap blocks per pull at province scale (benchmarks/scale.py). With
this index beside (group_id, id) the planner ORs two narrow index scans instead.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SHARED = sa.text("group_id IS NULL")


def upgrade():
    with op.batch_alter_table("feed_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feed_commune_shared",
            ["commune_id", "id"],
            unique=False,
            postgresql_where=SHARED,
            sqlite_where=SHARED,
        )


def downgrade():
    with op.batch_alter_table("feed_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_commune_shared")

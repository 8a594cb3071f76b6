"""live_event: on SQLite, ids are never handed out again after a purge (AUTOINCREMENT)

Without it SQLite gives the next event ``max(id) + 1``: once a purge empties the table, ids restart from 1 and a
console reconnecting with ``Last-Event-ID: 500`` hears nothing until event 501. SQLite cannot add AUTOINCREMENT to
a table, so the table is copied (a few minutes of events at most). PostgreSQL's sequence never goes back: nothing
to do there.

Revision ID: 0018_live_event_ids_never_reused
Revises: 0017_attachment_sealed
Create Date: 2026-12-04 08:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_live_event_ids_never_reused"
down_revision = "0017_attachment_sealed"
branch_labels = None
depends_on = None


def upgrade():
    _recreate(autoincrement=True)


def downgrade():
    _recreate(autoincrement=False)


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("live_event", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass

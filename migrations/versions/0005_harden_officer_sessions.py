"""officer_session: server-side officer sessions, so that signing out ends a session for good

The signed cookie alone could not be revoked: a copy taken before sign-out kept working and every request
extended it. Each sign-in now has a row (keyed by the SHA-256 of the cookie's token); sign-out, a password
change or "sign out everywhere" delete rows, and idle time and absolute lifetime are checked against it.

Revision ID: 0005_harden_sessions
Revises: 0004
Create Date: 2026-12-02 12:00:00

"""

import sqlalchemy as sa
from alembic import op

import server.database

# revision identifiers, used by Alembic.
revision = "0005_harden_sessions"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "officer_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["officer_id"], ["officer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("officer_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_officer_session_officer_id"), ["officer_id"], unique=False)


def downgrade():
    with op.batch_alter_table("officer_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_session_officer_id"))
    op.drop_table("officer_session")

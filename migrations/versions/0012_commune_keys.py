"""commune_key, sealed tip texts: tips sealed on the phone to the commune's key (issue 11)

The server keeps each commune key's private half only wrapped (by the officers' passphrase, and to the
province's recovery key); a tip's text and location, and its follow-ups, arrive sealed and are kept so
(``sealed_text`` with its ``sealed_key_version``; ``body`` and ``location`` stay empty).

Revision ID: 0012_commune_keys
Revises: 0011_voice
Create Date: 2026-12-03 07:30:00

"""

import sqlalchemy as sa
from alembic import op

import server.database

# revision identifiers, used by Alembic.
revision = "0012_commune_keys"
down_revision = "0011_voice"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "commune_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=65), nullable=False),
        sa.Column("passphrase_wrap", sa.Text(), nullable=False),
        sa.Column("recovery_wrap", sa.Text(), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["officer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_id", "version", name="uq_commune_key_version"),
    )
    for table in ("report", "message"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("sealed_text", sa.Text(), nullable=True))
            batch_op.add_column(sa.Column("sealed_key_version", sa.Integer(), nullable=True))


def downgrade():
    for table in ("message", "report"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("sealed_key_version")
            batch_op.drop_column("sealed_text")
    op.drop_table("commune_key")

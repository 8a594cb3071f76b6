"""attachment: duration and transcript of a recording, and the officer reply a voice answer belongs to (issue 16)

Expand-only: three nullable columns and an index; a running release never names them.

Revision ID: 0011_voice
Revises: 0010_appointment_slots
Create Date: 2026-12-03 07:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_voice"
down_revision = "0010_appointment_slots"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("attachment", sa.Column("message_id", sa.Uuid(), nullable=True))
    op.add_column("attachment", sa.Column("duration_ms", sa.Integer(), nullable=True))
    op.add_column("attachment", sa.Column("transcript", sa.Text(), nullable=True))
    # CONCURRENTLY on PostgreSQL: phones keep uploading while it builds (docs/deploy.md, "Upgrades").
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_attachment_message_id",
                "attachment",
                ["message_id"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
    else:
        op.create_index("ix_attachment_message_id", "attachment", ["message_id"])


def downgrade():
    op.drop_index("ix_attachment_message_id", table_name="attachment")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_column("transcript")
        batch_op.drop_column("duration_ms")
        batch_op.drop_column("message_id")

"""attachment: duration and transcript of a recording, and the officer reply a voice answer belongs to (issue 16)

Expand-only: three nullable columns and an index; a running release never names them.

Revision ID: 0011_voice
Revises: 0007_household_keys
Create Date: 2026-12-03 07:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_voice"
down_revision = "0007_household_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("attachment", sa.Column("message_id", sa.Uuid(), nullable=True))
    op.add_column("attachment", sa.Column("duration_ms", sa.Integer(), nullable=True))
    op.add_column("attachment", sa.Column("transcript", sa.Text(), nullable=True))
    op.create_index(op.f("ix_attachment_message_id"), "attachment", ["message_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_attachment_message_id"), table_name="attachment")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_column("transcript")
        batch_op.drop_column("duration_ms")
        batch_op.drop_column("message_id")

"""enrolment_code: request_hash, so a phone can retry an enrolment whose answer was lost

The phone sends a random request_id with its code; the hash of it is kept with the spent code, and the same
code with the same request_id within a few minutes re-issues the token of the device it created.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrolment_code", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("enrolment_code", schema=None) as batch_op:
        batch_op.drop_column("request_hash")

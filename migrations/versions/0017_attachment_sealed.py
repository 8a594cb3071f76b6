"""attachment: a photo or recording may come sealed from the phone, to the commune's key or the server's (issue 11)

Adds a nullable ``sealed_key_version``: the version of the commune's reading key the phone sealed the file to. The
server then holds ciphertext only: it checks the SHA-256 and size the tip declared, never the picture or the sound
(officers open and check it in the console). Null for every earlier row and every named report's file. And a
nullable ``queue_key_id``: the server's queue key a named report's file was sealed to in the phone's queue; the
server opens it when the upload completes, then checks and cleans it as any other. Expand-only and instant
(nullable columns, no default to write).

Revision ID: 0017_attachment_sealed
Revises: 0016_sms_secrets_sealed
Create Date: 2026-12-04 03:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_attachment_sealed"
down_revision = "0016_sms_secrets_sealed"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("attachment", sa.Column("sealed_key_version", sa.Integer(), nullable=True))
    op.add_column("attachment", sa.Column("queue_key_id", sa.String(16), nullable=True))


def downgrade():
    op.drop_column("attachment", "queue_key_id")
    op.drop_column("attachment", "sealed_key_version")

"""sms_gateway: the webhook signing key and the send API's password kept sealed, not in clear (issue 17)

Adds nullable columns for the sealed values (server/at_rest.py: AES-GCM under a key derived from SECRET_KEY) and
moves every gateway's secrets into them, emptying the clear columns: a database dump or backup no longer holds a
key that forges webhooks. Expand-only: the clear columns stay (a later release drops them). During a rolling
upgrade an instance of the earlier release reads an empty key and refuses the gateway's webhooks (401); the gateway
retries for about two days, so nothing is lost once the instances run this code.

Revision ID: 0016_sms_secrets_sealed
Revises: 0015_report_search_index
Create Date: 2026-12-03 12:40:00

"""

import sqlalchemy as sa
from alembic import op

from server import at_rest
from server.sms.models import API_PASSWORD, SIGNING_KEY

# revision identifiers, used by Alembic.
revision = "0016_sms_secrets_sealed"
down_revision = "0015_report_search_index"
branch_labels = None
depends_on = None

gateway = sa.table(
    "sms_gateway",
    sa.column("id", sa.Integer),
    sa.column("signing_key", sa.String),
    sa.column("signing_key_sealed", sa.Text),
    sa.column("api_password", sa.String),
    sa.column("api_password_sealed", sa.Text),
)


def upgrade():
    op.add_column("sms_gateway", sa.Column("signing_key_sealed", sa.Text(), nullable=True))
    op.add_column("sms_gateway", sa.Column("api_password_sealed", sa.Text(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(gateway.c.id, gateway.c.signing_key, gateway.c.api_password).where(gateway.c.signing_key != "")
    ).all()
    for row in rows:
        bind.execute(
            gateway.update()
            .where(gateway.c.id == row.id)
            .values(
                signing_key_sealed=at_rest.seal(row.signing_key, SIGNING_KEY),
                signing_key="",
                api_password_sealed=at_rest.seal(row.api_password, API_PASSWORD) if row.api_password else None,
                api_password=None,
            )
        )


def downgrade():
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(gateway.c.id, gateway.c.signing_key_sealed, gateway.c.api_password_sealed).where(
            gateway.c.signing_key_sealed.is_not(None)
        )
    ).all()
    for row in rows:
        password = row.api_password_sealed and at_rest.open_sealed(row.api_password_sealed, API_PASSWORD)
        bind.execute(
            gateway.update()
            .where(gateway.c.id == row.id)
            .values(signing_key=at_rest.open_sealed(row.signing_key_sealed, SIGNING_KEY), api_password=password)
        )
    with op.batch_alter_table("sms_gateway") as batch_op:
        batch_op.drop_column("api_password_sealed")
        batch_op.drop_column("signing_key_sealed")

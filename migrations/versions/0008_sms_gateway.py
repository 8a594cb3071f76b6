"""sms_gateway, sms_inbound, sms_part, sms_thread, sms_outbound: reports by SMS (issue 17, ADR 0006)

A commune's gateway phone (its number, webhook signing key and send API), the log of what the gateway delivered
(the dedupe of its retries, and the refusals officers read), the parts of multi-part reports waiting for the
others, and the replies by SMS: which reports came by SMS from which number, and the SMS queued for them.

Revision ID: 0008_sms_gateway
Revises: 0007_household_keys
Create Date: 2026-12-03 07:40:00

"""

import sqlalchemy as sa
from alembic import op

import server.database

# revision identifiers, used by Alembic.
revision = "0008_sms_gateway"
down_revision = "0007_household_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sms_gateway",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("signing_key", sa.String(length=200), nullable=False),
        sa.Column("api_url", sa.String(length=300), nullable=True),
        sa.Column("api_username", sa.String(length=100), nullable=True),
        sa.Column("api_password", sa.String(length=200), nullable=True),
        sa.Column("updated_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_id"),
    )
    op.create_table(
        "sms_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("envelope_id", sa.String(length=100), nullable=False),
        sa.Column("received_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("sender", sa.String(length=8), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_id", "envelope_id", name="uq_sms_inbound_envelope"),
    )
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_inbound_commune_id"), ["commune_id"], unique=False)
    op.create_table(
        "sms_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("sender_hash", sa.String(length=64), nullable=False),
        sa.Column("message_key", sa.String(length=8), nullable=False),
        sa.Column("part_index", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=200), nullable=False),
        sa.Column("received_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_id", "sender_hash", "message_key", "part_index", name="uq_sms_part"),
    )
    with op.batch_alter_table("sms_part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_part_commune_id"), ["commune_id"], unique=False)
    op.create_table(
        "sms_thread",
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("told_status", sa.String(length=20), nullable=False),
        sa.Column("told_until", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("report_id"),
    )
    with op.batch_alter_table("sms_thread", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_thread_commune_id"), ["commune_id"], unique=False)
    op.create_table(
        "sms_outbound",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("text", sa.String(length=160), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("created_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sms_outbound", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_outbound_commune_id"), ["commune_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_outbound_report_id"), ["report_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sms_outbound", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_outbound_report_id"))
        batch_op.drop_index(batch_op.f("ix_sms_outbound_commune_id"))
    op.drop_table("sms_outbound")
    with op.batch_alter_table("sms_thread", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_thread_commune_id"))
    op.drop_table("sms_thread")
    with op.batch_alter_table("sms_part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_part_commune_id"))
    op.drop_table("sms_part")
    with op.batch_alter_table("sms_inbound", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_inbound_commune_id"))
    op.drop_table("sms_inbound")
    op.drop_table("sms_gateway")

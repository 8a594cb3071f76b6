"""household_key, household_code: a household's keys on the shared phone (issue 11, ADR 0005)

A household's first PIN needs a one-time household code from the commune; the server keeps the household's
public keys, a peppered PIN verifier and its share of the wrapping key, released only after an online,
counted PIN check.

Revision ID: 0007_household_keys
Revises: 0006_anonymous_tips
Create Date: 2026-12-02 16:00:00

"""

import sqlalchemy as sa
from alembic import op

import server.database

# revision identifiers, used by Alembic.
revision = "0007_household_keys"
down_revision = "0006_anonymous_tips"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "household_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("box_public_key", sa.LargeBinary(length=65), nullable=False),
        sa.Column("sign_public_key", sa.LargeBinary(length=65), nullable=False),
        sa.Column("pin_verifier", sa.LargeBinary(length=32), nullable=False),
        sa.Column("wrapped_share", sa.LargeBinary(length=60), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("failed_day", sa.Date(), nullable=True),
        sa.Column("locked_at", server.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", server.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("household_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_key_household_id"), ["household_id"], unique=False)
        batch_op.create_index(
            "ux_household_key_current",
            ["household_id"],
            unique=True,
            postgresql_where=sa.text("retired_at IS NULL"),
            sqlite_where=sa.text("retired_at IS NULL"),
        )
    op.create_table(
        "household_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose", sa.Enum("claim", "reset", name="codepurpose", native_enum=False, length=8), nullable=False
        ),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", server.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["officer.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["key_id"], ["household_key.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    with op.batch_alter_table("household_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_code_household_id"), ["household_id"], unique=False)


def downgrade():
    with op.batch_alter_table("household_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_code_household_id"))
    op.drop_table("household_code")
    with op.batch_alter_table("household_key", schema=None) as batch_op:
        batch_op.drop_index("ux_household_key_current")
        batch_op.drop_index(batch_op.f("ix_household_key_household_id"))
    op.drop_table("household_key")

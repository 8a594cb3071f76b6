"""appointment_slot, appointment_procedure, appointment_holiday, appointment_booking (issue 15)

The commune publishes slots for paperwork appointments (capacity, officer on duty, holidays) and the papers each
common procedure needs; an appointment names a slot, and a booking takes one of its seats or is answered with
the nearest free slots.

Revision ID: 0010_appointment_slots
Revises: 0009_live_alerts
Create Date: 2026-12-03 07:30:00

"""

import sqlalchemy as sa
from alembic import op

import server.database

# revision identifiers, used by Alembic.
revision = "0010_appointment_slots"
down_revision = "0009_live_alerts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "appointment_procedure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("papers", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment_procedure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointment_procedure_commune_id"), ["commune_id"], unique=False)
    op.create_table(
        "appointment_holiday",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_id", "day", name="uq_appointment_holiday_day"),
    )
    op.create_table(
        "appointment_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_appointment_slot_booked"),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.ForeignKeyConstraint(["officer_id"], ["officer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment_slot", schema=None) as batch_op:
        batch_op.create_index("ix_appointment_slot_commune_start", ["commune_id", "starts_at"], unique=False)
    op.create_table(
        "appointment_booking",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("confirmed", "full", "released", name="outcome", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", server.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", server.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["procedure_id"], ["appointment_procedure.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.ForeignKeyConstraint(["slot_id"], ["appointment_slot.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment_booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointment_booking_report_id"), ["report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointment_booking_slot_id"), ["slot_id"], unique=False)


def downgrade():
    with op.batch_alter_table("appointment_booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_booking_slot_id"))
        batch_op.drop_index(batch_op.f("ix_appointment_booking_report_id"))
    op.drop_table("appointment_booking")
    with op.batch_alter_table("appointment_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_slot_commune_start")
    op.drop_table("appointment_slot")
    op.drop_table("appointment_holiday")
    with op.batch_alter_table("appointment_procedure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_procedure_commune_id"))
    op.drop_table("appointment_procedure")

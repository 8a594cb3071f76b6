"""Command-line tasks: ``flask --app wsgi seed-demo | enrolment-code GROUP | create-officer USERNAME``, and each
feature's own group (``attachments export|import FILE``, ``commune-keys recovery-key|recover``); ``after-restore``
is in server/ops/cli.py."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TypeVar

import click
from flask import Flask
from sqlalchemy import select

from .alerts import operations as alerts
from .announcements import operations as announcements
from .announcements.models import Announcement
from .appointments import operations as appointments
from .attachments.cli import attachments_cli
from .commune_keys.cli import commune_keys_cli, demo_recovery_key
from .communes.models import Commune, Village
from .extensions import db
from .groups import operations as groups
from .groups.models import Household, HouseholdGroup
from .officers.auth import hash_password
from .officers.models import Officer, Role
from .sms import operations as sms
from .sms import outbox as sms_outbox

M = TypeVar("M")
DEMO_COMMUNE = ("BINHAN", "Xã Bình An")
DEMO_VILLAGES = ("Thôn Đông", "Thôn Tây", "Thôn Bắc")
DEMO_GROUPS = (  # code, name, village, households
    ("DONG-01", "Tổ liên gia 1 — Thôn Đông", "Thôn Đông", 6),
    ("DONG-02", "Tổ liên gia 2 — Thôn Đông", "Thôn Đông", 5),
    ("TAY-01", "Tổ liên gia 1 — Thôn Tây", "Thôn Tây", 8),
    ("BAC-01", "Tổ liên gia 1 — Thôn Bắc", "Thôn Bắc", 10),
)
DEMO_HOUSEHOLDS = (
    "Hộ ông Nguyễn Văn An",
    "Hộ bà Trần Thị Bình",
    "Hộ ông Lê Văn Cường",
    "Hộ bà Phạm Thị Dung",
    "Hộ ông Hoàng Văn Đức",
    "Hộ bà Vũ Thị Hà",
    "Hộ ông Đặng Văn Hùng",
    "Hộ bà Bùi Thị Lan",
    "Hộ ông Đỗ Văn Minh",
    "Hộ bà Ngô Thị Nga",
)
DEMO_SMS_NUMBER = "+84900000113"  # the demo commune office's gateway phone (issue 17; docs/deploy-sms.md)
DEMO_OFFICERS = (  # username, password, display name, role
    ("demo", "demo-officer", "Cán bộ Nguyễn Minh Tuấn", Role.OFFICER),
    ("truongcongan", "demo-head", "Trưởng Công an xã Lê Quang Vinh", Role.HEAD),
    ("admin", "demo-admin", "Quản trị hệ thống", Role.ADMIN),
)


def _get_or_create(model: type[M], defaults: dict[str, object] | None = None, **keys: object) -> M:
    instance = db.session.scalar(select(model).filter_by(**keys))
    if instance is None:
        instance = model(**keys, **(defaults or {}))
        db.session.add(instance)
        db.session.flush()
    return instance


def seed_demo() -> dict[str, object]:
    """Create the demo commune once; running it again changes nothing."""
    code, name = DEMO_COMMUNE
    commune = _get_or_create(Commune, {"name": name}, code=code)
    villages = {v: _get_or_create(Village, commune_id=commune.id, name=v) for v in DEMO_VILLAGES}
    for group_code, group_name, village, size in DEMO_GROUPS:
        group = _get_or_create(
            HouseholdGroup,
            {"name": group_name, "commune_id": commune.id, "village_id": villages[village].id},
            code=group_code,
        )
        for household_name in DEMO_HOUSEHOLDS[:size]:
            _get_or_create(Household, group_id=group.id, name=household_name)
    for username, password, display_name, role in DEMO_OFFICERS:
        _get_or_create(
            Officer,
            {
                "password_hash": hash_password(password),
                "display_name": display_name,
                "role": role,
                "commune_id": commune.id,
            },
            username=username,
        )
    appointments.seed_procedures(commune.id)
    db.session.commit()
    if not db.session.scalar(select(Announcement).where(Announcement.commune_id == commune.id)):
        welcome = announcements.create(
            commune.id,
            None,
            "Chào mừng đến với Bình An",
            "Công an xã Bình An tiếp nhận tin báo, khiếu nại và câu hỏi của bà con qua ứng dụng này, kể cả khi "
            "không có sóng: tin sẽ tự gửi khi điện thoại có mạng. Trường hợp khẩn cấp, gọi 113.",
            [],
        )
        announcements.publish(welcome, None)
    gateway = sms.gateway(commune.id) or sms.set_gateway(commune, DEMO_SMS_NUMBER, secrets.token_urlsafe(24))
    return {"commune": commune, "groups": [g[0] for g in DEMO_GROUPS], "sms_gateway": gateway}


def register(app: Flask) -> None:
    app.cli.add_command(attachments_cli)
    app.cli.add_command(commune_keys_cli)

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create the demo commune, villages, groups, households and officers (idempotent)."""
        seeded = seed_demo()
        click.echo("Demo commune: Xã Bình An (3 villages, 4 household groups)")
        for group_code, group_name, _village, size in DEMO_GROUPS:
            click.echo(f"  group {group_code}: {group_name}, {size} households")
        click.echo("Officer logins (username / password):")
        for username, password, _name, role in DEMO_OFFICERS:
            click.echo(f"  {username} / {password}  ({role.value})")
        click.echo(f"Demo province recovery key for the tip keys: {demo_recovery_key()} (offline in production)")
        gateway = seeded["sms_gateway"]
        click.echo("SMS gateway (set these in the gateway app; webhook POST /api/v1/sms/inbound, docs/deploy-sms.md):")
        click.echo(f"  number: {gateway.number}")  # type: ignore[attr-defined]
        click.echo(f"  signing key: {gateway.signing_key}")  # type: ignore[attr-defined]

    @app.cli.command("sms-gateway")
    @click.argument("commune_code")
    @click.option("--number", required=True, help="The gateway phone's number, which households' phones write to.")
    @click.option("--signing-key", required=True, help="The gateway app's webhook signing key.")
    @click.option("--api-url", help="Its send API for replies by SMS, e.g. http://192.168.1.50:8080/messages.")
    @click.option("--api-username", default="", help="The send API's username (the app's Home tab).")
    @click.option("--api-password", default="", help="The send API's password.")
    def sms_gateway_command(
        commune_code: str, number: str, signing_key: str, api_url: str | None, api_username: str, api_password: str
    ) -> None:
        """Set COMMUNE_CODE's SMS gateway (SMS Gateway for Android): its number and webhook signing key."""
        commune = db.session.scalar(select(Commune).where(Commune.code == commune_code))
        if commune is None:
            raise click.UsageError(f"No commune has the code {commune_code}.")
        api = (api_url, api_username, api_password) if api_url is not None else None
        sms.set_gateway(commune, number, signing_key, api=api)
        click.echo(f"SMS gateway of {commune.name}: {number.strip()} (webhook: POST /api/v1/sms/inbound)")

    @app.cli.command("sms-outbox")
    def sms_outbox_command() -> None:
        """Queue SMS for new replies and statuses of reports that came by SMS, and send what is due (run it every
        minute from a timer: docs/deploy-sms.md)."""
        queued = sms_outbox.collect()
        counts = sms_outbox.send_due()
        click.echo(f"queued {queued}; " + ", ".join(f"{k} {v}" for k, v in counts.items()))

    @app.cli.command("appointment-reminders")
    @click.option("--now", "now_text", help="ISO time to act as now (a test clock); default: the real time.")
    def appointment_reminders_command(now_text: str | None) -> None:
        """Run daily: remind households booked for tomorrow (sealed, with the papers) and republish open slots."""
        now = datetime.fromisoformat(now_text) if now_text else None
        if now is not None and now.tzinfo is None:
            raise click.UsageError("--now needs an offset, e.g. 2026-12-03T18:00:00+07:00")
        reminded = appointments.send_reminders(now)  # committed: a push never announces what is not in the feed
        pushed = alerts.push_reminders({b.report.group_id for b in reminded if b.report.group_id is not None})
        click.echo(f"Reminded {len(reminded)} appointment(s); {pushed} phone(s) told by push.")

    @app.cli.command("enrolment-code")
    @click.argument("group_code")
    def enrolment_code_command(group_code: str) -> None:
        """Print a fresh one-time enrolment code for GROUP_CODE (alone on the last line)."""
        group = groups.find_group_by_code(group_code)
        code = groups.issue_enrolment_code(group)
        click.echo(f"Enrolment code for {group.code} ({group.name}), valid for 72 hours, usable once:")
        click.echo(code)

    @app.cli.command("create-officer")
    @click.argument("username")
    @click.option("--name", "display_name", required=True, help="Name shown in the console.")
    @click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.OFFICER.value)
    @click.option("--commune", "commune_code", help="Commune code (required except for admins).")
    @click.password_option()
    def create_officer_command(
        username: str, display_name: str, role: str, commune_code: str | None, password: str
    ) -> None:
        """Create an officer account."""
        commune = db.session.scalar(select(Commune).where(Commune.code == commune_code)) if commune_code else None
        if role != Role.ADMIN.value and commune is None:
            raise click.UsageError("--commune must name an existing commune code.")
        db.session.add(
            Officer(
                username=username.lower(),
                display_name=display_name,
                role=Role(role),
                commune_id=commune.id if commune else None,
                password_hash=hash_password(password),
            )
        )
        db.session.commit()
        click.echo(f"Created {role} {username}.")

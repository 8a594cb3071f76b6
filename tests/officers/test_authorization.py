"""Every officer endpoint × role × own or other commune: the status each cell must answer.

The table is the specification: a row per endpoint, for each role the status for an object of the officer's
own commune and for the same kind of object in another commune (``None`` where the endpoint names no object
of a commune, such as the queue or sign-in). Another commune's object answers 404, never 403, so that its
existence is not revealed. ``test_the_table_covers_every_officer_endpoint`` fails when an endpoint is added
under /api/v1/officer without a row here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app

from server.announcements import operations as announcements
from server.appointments.models import Holiday, Procedure, Slot
from server.commune_keys import wrapping
from server.extensions import db
from server.groups.models import Device
from server.mailbox import sealing
from server.officers.auth import hash_password
from server.officers.models import Officer, Role
from tests.conftest import PDF, Demo, Phone, photo_declaration, png_bytes

VOICE = (Path(__file__).parents[1] / "attachments" / "data" / "voice.webm").read_bytes()  # issue 16

ROLES = {"officer": ("demo", "demo-officer"), "head": ("truongcongan", "demo-head"), "admin": ("admin", "demo-admin")}
SIDES = ("own", "other")
Cell = tuple[int, int | None]


@dataclass
class World:
    """Objects of the officer's commune ("own") or of the other one, made on demand for a row."""

    demo: Demo
    other: Demo
    enrol_phone: Callable[[str], Phone]
    role: str
    side: str = "own"
    _phones: dict[str, Phone] = field(default_factory=dict)

    @property
    def commune(self) -> Demo:
        return self.demo if self.side == "own" else self.other

    @property
    def group(self) -> Any:
        return self.commune.groups["DONG-01" if self.side == "own" else "NAM-01"]

    def phone(self) -> Phone:
        if self.side not in self._phones:
            self._phones[self.side] = self.enrol_phone(self.group.code)
        return self._phones[self.side]

    def report(self, **overrides: Any) -> str:
        return self.phone().send_report(**overrides)

    def appointment(self) -> str:
        return self.report(kind="appointment", category=None, appointment_at="2030-01-02T09:00:00+07:00")

    def recording(self) -> tuple[str, str]:
        """A spoken report of this side's commune and its recording's id, uploaded (issue 16)."""
        declared = photo_declaration(VOICE, "audio/webm")
        report_id = self.report(body="", attachments=[declared])
        assert self.phone().upload(declared["id"], VOICE).json["complete"]
        return report_id, declared["id"]

    def photo(self) -> str:
        data = png_bytes()
        declared = photo_declaration(data)
        self.report(attachments=[declared])
        assert self.phone().upload(declared["id"], data).json["complete"]
        return declared["id"]

    def device(self) -> int:
        self.phone()
        return db.session.scalar(db.select(Device.id).where(Device.group_id == self.group.id))

    def announcement(self, *, published: bool = False, with_file: bool = False) -> Any:
        item = announcements.create(self.commune.commune.id, None, "Thông báo", "Nội dung", [])
        if with_file:
            announcements.add_file(item, None, "mau-don.pdf", "application/pdf", PDF)
        if published:
            announcements.publish(item, None)
        return item

    def _row(self, row: Any) -> int:
        db.session.add(row)
        db.session.commit()
        return int(row.id)

    def slot(self) -> int:
        start = datetime.now(UTC) + timedelta(days=3)
        return self._row(Slot(commune_id=self.commune.commune.id, starts_at=start, ends_at=start + timedelta(hours=1)))

    def holiday(self) -> int:
        day = date(2031, 1, 1) + timedelta(days=int(uuid.uuid4().int % 300))
        return self._row(Holiday(commune_id=self.commune.commune.id, day=day, name="Nghỉ"))

    def procedure(self) -> int:
        return self._row(Procedure(commune_id=self.commune.commune.id, name="Đăng ký tạm trú", papers="CT01"))

    def account(self) -> int:
        officer = Officer(
            username=f"u{uuid.uuid4().hex[:8]}",
            display_name="Cán bộ mới",
            role=Role.OFFICER,
            commune_id=self.commune.commune.id,
            password_hash=hash_password("a-password"),
        )
        db.session.add(officer)
        db.session.commit()
        return officer.id


Request = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    request: Callable[[World], Request]
    expect: dict[str, Cell]


def everyone(ok: int, other: int | None = 404) -> dict[str, Cell]:
    """Any signed-in officer, within their commune."""
    return {"officer": (ok, other), "head": (ok, other), "admin": (ok, other), "anonymous": (401, 401)}


def managers(ok: int, other: int | None = 404) -> dict[str, Cell]:
    """The commune's head and admins; an officer is refused by role before any lookup."""
    no = None if other is None else 403
    return {"officer": (403, no), "head": (ok, other), "admin": (ok, other), "anonymous": (401, 401)}


def admins(ok: int, other: int | None = None) -> dict[str, Cell]:
    """Admins only, in every commune."""
    no = None if other is None else 403
    return {"officer": (403, no), "head": (403, no), "admin": (ok, other), "anonymous": (401, 401)}


def accounts(ok: int) -> dict[str, Cell]:
    """Officer accounts: a head manages their commune's, an admin everyone's."""
    return {"officer": (403, 403), "head": (ok, 404), "admin": (ok, ok), "anonymous": (401, 401)}


BASE = "/api/v1/officer"
R = f"{BASE}/reports/<uuid:report_id>"
A = f"{BASE}/announcements/<uuid:announcement_id>"


def _new_officer(w: World) -> Request:
    body = {
        "username": f"n{uuid.uuid4().hex[:8]}",
        "display_name": "Cán bộ mới",
        "password": "a-new-password",
        "role": "officer",
        "commune_id": w.commune.commune.id,
    }
    return f"{BASE}/officers", {"json": body}


def _transcript(w: World) -> Request:
    report_id, recording_id = w.recording()
    return f"{BASE}/reports/{report_id}/transcript", {
        "json": {"attachment_id": recording_id, "transcript": "Có người."}
    }


def _file_on_draft(w: World) -> Request:
    item = w.announcement(with_file=True)
    return f"{BASE}/announcements/{item.id}/files/{item.files[0].id}", {}


def _new_commune_key(w: World) -> Request:
    """What the head's browser sends (pwa/officer/js/commune-key.js), sealed to the configured province key."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    province = sealing.from_b64url(current_app.config["PROVINCE_RECOVERY_KEY"])
    body = {
        "public_key": sealing.b64url(sealing.public_point(key)),
        "passphrase_wrap": json.loads(wrapping.wrap_with_passphrase(key, "mật khẩu khoá của xã")),
        "recovery_wrap": sealing.seal(province, der, wrapping.RECOVERY_INFO),
    }
    return f"{BASE}/commune-keys", {"json": body}


def _push() -> dict[str, Any]:
    """A browser's push subscription (its keys as a push service would hand them out)."""
    point = sealing.public_point(ec.generate_private_key(ec.SECP256R1()))
    keys = {"p256dh": sealing.b64url(point), "auth": sealing.b64url(b"16 bytes of auth")}
    return {"json": {"endpoint": "https://push.example.test/officer-browser", "keys": keys, "on_duty": True}}


TABLE: list[Row] = [
    # Session: no commune object, so no "other" cell.
    Row(
        "POST",
        f"{BASE}/login",
        lambda w: (
            f"{BASE}/login",
            {"json": dict(zip(("username", "password"), ROLES.get(w.role, ("demo", "wrong-password")), strict=True))},
        ),
        everyone(200, None),
    ),
    Row("POST", f"{BASE}/logout", lambda w: (f"{BASE}/logout", {}), everyone(204, None)),
    Row("POST", f"{BASE}/logout-everywhere", lambda w: (f"{BASE}/logout-everywhere", {}), everyone(204, None)),
    Row("GET", f"{BASE}/me", lambda w: (f"{BASE}/me", {}), everyone(200, None)),
    Row(
        "POST",
        f"{BASE}/me/password",
        lambda w: (
            f"{BASE}/me/password",
            {"json": {"current_password": ROLES.get(w.role, ("", "x"))[1], "new_password": "a-new-password-1"}},
        ),
        everyone(204, None),
    ),
    # Reports
    Row("GET", f"{BASE}/reports", lambda w: (f"{BASE}/reports", {}), everyone(200, None)),
    Row("GET", R, lambda w: (f"{BASE}/reports/{w.report()}", {}), everyone(200)),
    Row(
        "POST",
        f"{R}/messages",
        lambda w: (f"{BASE}/reports/{w.report()}/messages", {"json": {"body": "Đã nhận."}}),
        everyone(201),
    ),
    Row(
        "POST",
        f"{R}/voice-reply",
        lambda w: (f"{BASE}/reports/{w.report()}/voice-reply", {"data": VOICE, "content_type": "audio/webm"}),
        everyone(201),
    ),
    Row(
        "POST",
        f"{R}/transcript",
        _transcript,
        everyone(200),
    ),
    Row(
        "POST",
        f"{R}/status",
        lambda w: (f"{BASE}/reports/{w.report()}/status", {"json": {"status": "acknowledged"}}),
        everyone(200),
    ),
    Row(
        "POST",
        f"{R}/appointment",
        lambda w: (
            f"{BASE}/reports/{w.appointment()}/appointment",
            {"json": {"appointment_at": "2030-01-03T08:30:00+07:00"}},
        ),
        everyone(200),
    ),
    Row(
        "POST",
        f"{R}/assign",
        lambda w: (f"{BASE}/reports/{w.report()}/assign", {"json": {"officer_id": None}}),
        everyone(200),
    ),
    Row(
        "GET",
        f"{BASE}/attachments/<uuid:attachment_id>",
        lambda w: (f"{BASE}/attachments/{w.photo()}", {}),
        everyone(200),
    ),
    # Accounts
    Row("GET", f"{BASE}/officers", lambda w: (f"{BASE}/officers", {}), everyone(200, None)),
    Row("POST", f"{BASE}/officers", _new_officer, {**accounts(201), "head": (201, 403)}),
    Row(
        "PATCH",
        f"{BASE}/officers/<int:officer_id>",
        lambda w: (f"{BASE}/officers/{w.account()}", {"json": {"display_name": "Cán bộ Trần Văn Mới"}}),
        accounts(200),
    ),
    Row(
        "POST",
        f"{BASE}/officers/<int:officer_id>/password",
        lambda w: (f"{BASE}/officers/{w.account()}/password", {"json": {"new_password": "a-reset-password"}}),
        accounts(204),
    ),
    Row(
        "POST",
        f"{BASE}/officers/<int:officer_id>/logout",
        lambda w: (f"{BASE}/officers/{w.account()}/logout", {}),
        accounts(204),
    ),
    # Communes and villages
    Row("GET", f"{BASE}/communes", lambda w: (f"{BASE}/communes", {}), admins(200)),
    Row(
        "POST",
        f"{BASE}/communes",
        lambda w: (
            f"{BASE}/communes",
            {"json": {"code": f"X{uuid.uuid4().hex[:6]}", "name": "Xã Mới", "village_names": ["Thôn 1"]}},
        ),
        admins(201),
    ),
    Row(
        "PATCH",
        f"{BASE}/communes/<int:commune_id>",
        lambda w: (f"{BASE}/communes/{w.commune.commune.id}", {"json": {"name": "Xã Đổi Tên"}}),
        admins(200, 200),
    ),
    Row("GET", f"{BASE}/villages", lambda w: (f"{BASE}/villages", {}), everyone(200, None)),
    Row(
        "POST", f"{BASE}/villages", lambda w: (f"{BASE}/villages", {"json": {"name": "Thôn Mới"}}), managers(201, None)
    ),
    Row(
        "PATCH",
        f"{BASE}/villages/<int:village_id>",
        lambda w: (f"{BASE}/villages/{w.group.village_id}", {"json": {"name": "Thôn Đổi Tên"}}),
        managers(200),
    ),
    # Groups, households, phones
    Row("GET", f"{BASE}/groups", lambda w: (f"{BASE}/groups", {}), managers(200, None)),
    Row(
        "POST",
        f"{BASE}/groups",
        lambda w: (
            f"{BASE}/groups",
            {"json": {"village_id": w.group.village_id, "code": f"G{uuid.uuid4().hex[:6]}", "name": "Tổ mới"}},
        ),
        managers(201),
    ),
    Row("GET", f"{BASE}/groups/<int:group_id>", lambda w: (f"{BASE}/groups/{w.group.id}", {}), managers(200)),
    Row(
        "PATCH",
        f"{BASE}/groups/<int:group_id>",
        lambda w: (f"{BASE}/groups/{w.group.id}", {"json": {"name": "Tổ 9"}}),
        managers(200),
    ),
    Row(
        "POST",
        f"{BASE}/groups/<int:group_id>/households",
        lambda w: (f"{BASE}/groups/{w.group.id}/households", {"json": {"name": "Hộ ông Mới"}}),
        managers(201),
    ),
    Row(
        "PATCH",
        f"{BASE}/households/<int:household_id>",
        lambda w: (f"{BASE}/households/{w.group.households[0].id}", {"json": {"name": "Hộ đổi tên"}}),
        managers(200),
    ),
    Row(
        "POST",
        f"{BASE}/groups/<int:group_id>/enrolment-codes",
        lambda w: (f"{BASE}/groups/{w.group.id}/enrolment-codes", {}),
        managers(201),
    ),
    Row(
        "POST",
        f"{BASE}/devices/<int:device_id>/revoke",
        lambda w: (f"{BASE}/devices/{w.device()}/revoke", {}),
        managers(200),
    ),
    # Household keys (ADR 0005): codes for a household's first PIN or a reset, the group's sheet, PIN unlocks.
    Row(
        "POST",
        f"{BASE}/households/<int:household_id>/codes",
        lambda w: (f"{BASE}/households/{w.group.households[0].id}/codes", {"json": {"purpose": "claim"}}),
        managers(201),
    ),
    Row(
        "POST",
        f"{BASE}/groups/<int:group_id>/household-codes",
        lambda w: (f"{BASE}/groups/{w.group.id}/household-codes", {}),
        managers(201),
    ),
    Row(
        "GET",
        f"{BASE}/groups/<int:group_id>/household-keys",
        lambda w: (f"{BASE}/groups/{w.group.id}/household-keys", {}),
        managers(200),
    ),
    Row(
        "POST",
        f"{BASE}/households/<int:household_id>/unlock",
        lambda w: (f"{BASE}/households/{w.group.households[0].id}/unlock", {}),
        managers(200),
    ),
    # Announcements: a draft naming another commune's village is refused as invalid input.
    Row("GET", f"{BASE}/announcements", lambda w: (f"{BASE}/announcements", {}), everyone(200, None)),
    Row(
        "POST",
        f"{BASE}/announcements",
        lambda w: (
            f"{BASE}/announcements",
            {"json": {"title": "Cảnh báo", "body": "Lừa đảo qua điện thoại", "village_ids": [w.group.village_id]}},
        ),
        everyone(201, 422),
    ),
    Row("GET", A, lambda w: (f"{BASE}/announcements/{w.announcement().id}", {}), everyone(200)),
    Row(
        "PATCH", A, lambda w: (f"{BASE}/announcements/{w.announcement().id}", {"json": {"title": "Sửa"}}), everyone(200)
    ),
    Row(
        "POST",
        f"{A}/files",
        lambda w: (
            f"{BASE}/announcements/{w.announcement().id}/files?name=don.pdf",
            {"data": PDF, "content_type": "application/pdf"},
        ),
        everyone(201),
    ),
    Row("DELETE", f"{A}/files/<uuid:file_id>", _file_on_draft, everyone(204)),
    Row("POST", f"{A}/publish", lambda w: (f"{BASE}/announcements/{w.announcement().id}/publish", {}), everyone(200)),
    Row(
        "POST",
        f"{A}/expire",
        lambda w: (f"{BASE}/announcements/{w.announcement(published=True).id}/expire", {}),
        everyone(200),
    ),
    Row("POST", f"{A}/withdraw", lambda w: (f"{BASE}/announcements/{w.announcement().id}/withdraw", {}), everyone(200)),
    # The commune's reading key for tips: every officer opens it; only the head makes it (not an admin).
    Row("GET", f"{BASE}/commune-keys", lambda w: (f"{BASE}/commune-keys", {}), everyone(200, None)),
    Row(
        "POST",
        f"{BASE}/commune-keys",
        _new_commune_key,
        {"officer": (403, None), "head": (201, None), "admin": (403, None), "anonymous": (401, None)},
    ),
    # The live console, urgent alerts and the officers' push subscriptions (issue 15): the officer's own commune.
    Row("GET", f"{BASE}/live/stream", lambda w: (f"{BASE}/live/stream", {}), everyone(200, None)),
    Row("GET", f"{BASE}/live/events", lambda w: (f"{BASE}/live/events", {}), everyone(200, None)),
    Row("GET", f"{BASE}/alerts", lambda w: (f"{BASE}/alerts", {}), everyone(200, None)),
    Row(
        "POST",
        f"{BASE}/alerts/<uuid:report_id>/ack",
        lambda w: (f"{BASE}/alerts/{w.report(urgency='urgent')}/ack", {}),
        everyone(200),
    ),
    Row("GET", f"{BASE}/alerts/stats", lambda w: (f"{BASE}/alerts/stats", {}), everyone(200, None)),
    Row("GET", f"{BASE}/alerts/settings", lambda w: (f"{BASE}/alerts/settings", {}), everyone(200, None)),
    Row(
        "PUT",
        f"{BASE}/alerts/settings",
        lambda w: (f"{BASE}/alerts/settings", {"json": {"urgent_categories": ["drugs"], "escalate_after_minutes": 5}}),
        {"officer": (403, None), "head": (200, None), "admin": (403, None), "anonymous": (401, None)},
    ),
    Row("GET", f"{BASE}/push/key", lambda w: (f"{BASE}/push/key", {}), everyone(200, None)),
    Row("PUT", f"{BASE}/push/subscription", lambda w: (f"{BASE}/push/subscription", _push()), everyone(200, None)),
    Row("GET", f"{BASE}/push/subscription", lambda w: (f"{BASE}/push/subscription", {}), everyone(200, None)),
    Row(
        "DELETE",
        f"{BASE}/push/subscription",
        lambda w: (f"{BASE}/push/subscription", {"json": {"endpoint": _push()["json"]["endpoint"]}}),
        everyone(204, None),
    ),
    Row(
        "POST",
        f"{BASE}/reports/bulk",
        lambda w: (f"{BASE}/reports/bulk", {"json": {"report_ids": [w.report()], "action": "acknowledge"}}),
        everyone(200),
    ),
    # Appointment slots, holidays and procedures (issue 15): every officer of the commune keeps them.
    Row(
        "GET",
        f"{BASE}/appointments",
        lambda w: (f"{BASE}/appointments?first_day=2030-01-01&last_day=2030-01-31", {}),
        everyone(200, None),
    ),
    Row(
        "GET",
        f"{BASE}/appointments/reports/<uuid:report_id>",
        lambda w: (f"{BASE}/appointments/reports/{w.appointment()}", {}),
        everyone(200),
    ),
    Row(
        "POST",
        f"{BASE}/appointments/slots",
        lambda w: (
            f"{BASE}/appointments/slots",
            {
                "json": {
                    "first_day": (date.today() + timedelta(days=7)).isoformat(),
                    "last_day": (date.today() + timedelta(days=7)).isoformat(),
                    "weekdays": list(range(7)),
                    "periods": [{"start": "08:00", "end": "09:00"}],
                    "minutes": 30,
                }
            },
        ),
        everyone(201, None),
    ),
    Row(
        "PATCH",
        f"{BASE}/appointments/slots/<int:slot_id>",
        lambda w: (f"{BASE}/appointments/slots/{w.slot()}", {"json": {"capacity": 3}}),
        everyone(200),
    ),
    Row(
        "POST",
        f"{BASE}/appointments/holidays",
        lambda w: (f"{BASE}/appointments/holidays", {"json": {"day": "2031-09-02", "name": "Quốc khánh"}}),
        everyone(201, None),
    ),
    Row(
        "DELETE",
        f"{BASE}/appointments/holidays/<int:holiday_id>",
        lambda w: (f"{BASE}/appointments/holidays/{w.holiday()}", {}),
        everyone(204),
    ),
    Row(
        "POST",
        f"{BASE}/appointments/procedures",
        lambda w: (f"{BASE}/appointments/procedures", {"json": {"name": "Đăng ký xe", "papers": "Hoá đơn"}}),
        everyone(201, None),
    ),
    Row(
        "PATCH",
        f"{BASE}/appointments/procedures/<int:procedure_id>",
        lambda w: (f"{BASE}/appointments/procedures/{w.procedure()}", {"json": {"papers": "CT01\nCCCD"}}),
        everyone(200),
    ),
    # Audit and stats
    Row("GET", f"{BASE}/audit", lambda w: (f"{BASE}/audit", {}), managers(200, None)),
    Row("GET", f"{BASE}/audit/export.csv", lambda w: (f"{BASE}/audit/export.csv", {}), managers(200, None)),
    Row("GET", f"{BASE}/stats", lambda w: (f"{BASE}/stats", {}), everyone(200, None)),
    Row("GET", f"{BASE}/stats/export.csv", lambda w: (f"{BASE}/stats/export.csv", {}), everyone(200, None)),
    # The commune's SMS gateway (issue 17): its settings for managers, its refused SMS for everyone
    Row("GET", f"{BASE}/sms/gateway", lambda w: (f"{BASE}/sms/gateway", {}), managers(200, None)),
    Row(
        "PUT",
        f"{BASE}/sms/gateway",
        lambda w: (f"{BASE}/sms/gateway", {"json": {"number": "+84900000113", "signing_key": "k" * 16}}),
        managers(200, None),
    ),
    Row("GET", f"{BASE}/sms/refused", lambda w: (f"{BASE}/sms/refused", {}), everyone(200, None)),
]

CASES = [
    pytest.param(row, role, id=f"{row.method} {row.rule.removeprefix(BASE)} as {role}")
    for row in TABLE
    for role in (*ROLES, "anonymous")
]


@pytest.mark.parametrize(("row", "role"), CASES)
def test_cell(row: Row, role: str, app, demo, other_commune, enrol_phone, sign_in) -> None:
    if role == "anonymous":
        client = app.test_client()
        call = lambda method, url, **kw: client.open(url, method=method, buffered=True, **kw)  # noqa: E731
    else:
        officer = sign_in(*ROLES[role])
        call = lambda method, url, **kw: officer.request(method, url, **kw)  # noqa: E731
    world = World(demo, other_commune, enrol_phone, role)
    for side, expected in zip(SIDES, row.expect[role], strict=True):
        if expected is None:
            continue
        world.side = side
        url, kwargs = row.request(world)
        response = call(row.method, url, **kwargs)
        assert response.status_code == expected, (side, response.get_json(silent=True))
        if expected >= 400:
            assert response.json["error"]["code"], "every refusal uses the one JSON error shape"


def test_the_table_covers_every_officer_endpoint(app) -> None:
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(BASE)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(row.method, row.rule) for row in TABLE}
    assert served - listed == set(), "officer endpoints without a row in the authorization table"
    assert listed - served == set(), "rows for endpoints that no longer exist"
    assert len(listed) == len(TABLE), "one row per endpoint"


CHANGES = [
    pytest.param(row, id=f"{row.method} {row.rule.removeprefix(BASE)}")
    for row in TABLE
    if row.method != "GET" and not row.rule.endswith("/login")
]


@pytest.mark.parametrize("row", CHANGES)
def test_every_change_needs_the_csrf_token(row: Row, app, demo, other_commune, enrol_phone, sign_in) -> None:
    officer = sign_in(*ROLES["admin"])
    url, kwargs = row.request(World(demo, other_commune, enrol_phone, "admin"))
    response = officer.client.open(url, method=row.method, buffered=True, **kwargs)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "csrf_failed"

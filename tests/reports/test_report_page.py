"""The report page: thread, internal notes, status workflow, assignment, appointments, photos, audit."""

from __future__ import annotations

from datetime import UTC, datetime

from server.audit.models import AuditEvent
from server.extensions import db
from tests.conftest import message_item, photo_declaration, png_bytes

R = "/api/v1/officer/reports"


def test_reply_reaches_the_phone_and_notes_never_do(officer, phone) -> None:
    report_id = phone.send_report()
    phone.pull_all()
    reply = officer.post(f"{R}/{report_id}/messages", json={"body": "Công an xã đã nhận, sẽ xuống kiểm tra."})
    note = officer.post(f"{R}/{report_id}/messages", json={"body": "Nghi là nhóm ở xóm Bãi.", "internal": True})
    assert reply.status_code == 201 and note.status_code == 201
    changes = phone.pull_all()
    bodies = [c["body"] for c in changes if c["type"] == "message"]
    assert bodies == ["Công an xã đã nhận, sẽ xuống kiểm tra."]
    thread = officer.get(f"{R}/{report_id}").json["messages"]
    assert [(m["author"], m["internal"]) for m in thread] == [("officer", False), ("officer", True)]
    assert thread[0]["officer_name"] == "Cán bộ Nguyễn Minh Tuấn"


def test_household_follow_up_appears_in_the_thread(officer, phone) -> None:
    report_id = phone.send_report()
    phone.sync([message_item(report_id, "Tối nay họ lại đến.")])
    thread = officer.get(f"{R}/{report_id}").json["messages"]
    assert [(m["author"], m["body"]) for m in thread] == [("household", "Tối nay họ lại đến.")]


def test_status_workflow_with_reason_reaches_the_phone(officer, phone) -> None:
    report_id = phone.send_report()
    detail = officer.get(f"{R}/{report_id}").json
    assert detail["transitions"] == ["acknowledged", "in_progress", "referred", "rejected", "resolved"]
    no_reason = officer.post(f"{R}/{report_id}/status", json={"status": "rejected"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["error"]["fields"]
    assert officer.post(f"{R}/{report_id}/status", json={"status": "in_progress"}).status_code == 200
    assert officer.post(f"{R}/{report_id}/status", json={"status": "acknowledged"}).status_code == 409
    done = officer.post(f"{R}/{report_id}/status", json={"status": "referred", "reason": "Chuyển Công an huyện"})
    assert done.status_code == 200 and done.json["status"] == "referred"
    statuses = [(c["status"], c["reason"]) for c in phone.pull_all() if c["type"] == "report_status"]
    assert statuses[-1] == ("referred", "Chuyển Công an huyện")


def test_assign_to_an_officer_of_the_same_commune_only(officer, head, phone, other_commune) -> None:
    report_id = phone.send_report()
    head_id = head.get("/api/v1/officer/me").json["officer"]["id"]
    assigned = officer.post(f"{R}/{report_id}/assign", json={"officer_id": head_id})
    assert assigned.status_code == 200
    assert assigned.json["assigned_officer"]["display_name"] == "Trưởng Công an xã Lê Quang Vinh"
    stranger = db.session.scalar(db.select(db.text("id FROM officer WHERE username = 'khac'")))
    refused = officer.post(f"{R}/{report_id}/assign", json={"officer_id": stranger})
    assert refused.status_code == 422
    assert officer.post(f"{R}/{report_id}/assign", json={"officer_id": 99999}).status_code == 422
    assert officer.post(f"{R}/{report_id}/assign", json={"officer_id": None}).json["assigned_officer"] is None
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.target_id == report_id)).all()
    assert actions.count("report.assigned") == 2


def test_confirmed_appointment_reaches_the_phone(officer, phone) -> None:
    report_id = phone.send_report(
        kind="appointment",
        category=None,
        body="Xin hẹn làm lại căn cước",
        appointment_at="2030-03-04T08:00:00+07:00",
    )
    confirmed = officer.post(f"{R}/{report_id}/appointment", json={"appointment_at": "2030-03-05T09:30:00+07:00"})
    assert confirmed.status_code == 200
    assert confirmed.json["appointment_requested_at"].startswith("2030-03-04T01:00:00")
    status = [c for c in phone.pull_all() if c["type"] == "report_status"][-1]
    assert datetime.fromisoformat(status["appointment_at"]) == datetime(2030, 3, 5, 2, 30, tzinfo=UTC)
    tip = phone.send_report()
    assert (
        officer.post(f"{R}/{tip}/appointment", json={"appointment_at": "2030-03-05T09:30:00+07:00"}).status_code == 409
    )


def test_photos_show_what_is_still_uploading(officer, phone) -> None:
    done_bytes, partial_bytes = png_bytes("red"), png_bytes("blue", 64)
    done, partial = photo_declaration(done_bytes), photo_declaration(partial_bytes)
    report_id = phone.send_report(attachments=[done, partial])
    assert phone.upload(done["id"], done_bytes).status_code == 200
    half = partial_bytes[: len(partial_bytes) // 2]
    assert phone.upload(partial["id"], half).json["received"] == len(half)
    photos = {a["id"]: a for a in officer.get(f"{R}/{report_id}").json["attachments"]}
    assert photos[done["id"]]["complete"] is True
    assert (photos[partial["id"]]["complete"], photos[partial["id"]]["received"]) == (False, len(half))
    assert photos[partial["id"]]["size"] == len(partial_bytes)
    image = officer.get(f"/api/v1/officer/attachments/{done['id']}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert officer.get(f"/api/v1/officer/attachments/{partial['id']}").status_code == 409


def test_every_view_and_change_is_audited(officer, phone) -> None:
    report_id = phone.send_report()
    officer.get(f"{R}/{report_id}")
    officer.post(f"{R}/{report_id}/messages", json={"body": "Đã nhận."})
    officer.post(f"{R}/{report_id}/messages", json={"body": "Ghi chú", "internal": True})
    officer.post(f"{R}/{report_id}/status", json={"status": "resolved"})
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.target_id == report_id).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "report.viewed",
        "report.replied",
        "report.note_added",
        "report.status_changed",
    ]
    assert all(e.officer_id is not None for e in events)

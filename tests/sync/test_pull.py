"""Pulling changes: each group sees its own, officers' replies reach exactly the sender's phone, pages never skip."""

from __future__ import annotations

from server.announcements import operations as announcements
from server.announcements.models import AnnouncementRead
from server.extensions import db
from server.reports.models import Message
from tests.conftest import receipt_item, report_item


def _types(changes):
    return [change["type"] for change in changes]


def test_new_phone_gets_the_commune_announcements(phone, demo):
    changes = phone.pull_all()
    assert _types(changes) == ["announcement"]
    assert changes[0]["title"] == "Chào mừng đến với Bình An"


def test_officer_reply_reaches_exactly_the_group_that_sent_the_report(enrol_phone, officer, demo):
    sender, neighbour, elsewhere = enrol_phone("DONG-01"), enrol_phone("DONG-02"), enrol_phone("TAY-01")
    for p in (sender, neighbour, elsewhere):
        p.pull_all()
    item = report_item(demo.household("DONG-01", 1).id)
    sender.sync([item])
    reply = officer.post(
        f"/api/v1/officer/reports/{item['id']}/messages",
        json={"body": "Công an xã đã nhận tin, sáng mai sẽ xuống kiểm tra."},
    )
    assert reply.status_code == 201
    note = officer.post(
        f"/api/v1/officer/reports/{item['id']}/messages",
        json={"body": "Nghi là nhóm thanh niên xóm trên", "internal": True},
    )
    assert note.status_code == 201
    status = officer.post(f"/api/v1/officer/reports/{item['id']}/status", json={"status": "in_progress"})
    assert status.status_code == 200

    got = sender.pull_all()
    assert _types(got) == ["message", "report_status"]
    assert got[0]["report_id"] == item["id"]
    assert got[0]["body"] == "Công an xã đã nhận tin, sáng mai sẽ xuống kiểm tra."
    assert got[1]["status"] == "in_progress"
    assert "Nghi là" not in str(got)  # internal notes never leave the console
    assert neighbour.pull_all() == []
    assert elsewhere.pull_all() == []


def test_group_a_never_sees_group_b(enrol_phone, officer, demo):
    a, b = enrol_phone("DONG-01"), enrol_phone("BAC-01")
    a.pull_all()
    b.pull_all()
    items = [report_item(demo.household("BAC-01", n).id) for n in range(3)]
    b.sync(items)
    for item in items:
        officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": "Đã nhận."})
    assert a.pull_all() == []
    assert len(b.pull_all()) == 3


def test_village_announcement_reaches_only_that_village(enrol_phone, demo):
    dong, tay = enrol_phone("DONG-01"), enrol_phone("TAY-01")
    dong.pull_all()
    tay.pull_all()
    village = demo.groups["TAY-01"].village_id
    notice = announcements.create(demo.commune.id, None, "Cắt điện thôn Tây", "Thứ Bảy cắt điện 7h–11h.", [village])
    announcements.publish(notice, None)
    assert dong.pull_all() == []
    got = tay.pull_all()
    assert _types(got) == ["announcement"]
    assert got[0]["village_ids"] == [village]
    announcements.withdraw(notice, None)
    assert _types(tay.pull_all()) == ["announcement_withdrawn"]


def test_paging_sets_more_and_loses_nothing(app, phone, officer, demo):
    phone.pull_all()
    item = report_item(demo.household("DONG-01").id)
    phone.sync([item])
    bodies = [f"Trả lời số {n}" for n in range(7)]
    for body in bodies:
        officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": body})
    app.config["SYNC_PAGE_SIZE"] = 3
    try:
        pages = []
        while True:
            response = phone.sync()
            pages.append((len(response.json["changes"]), response.json["more"]))
            if not response.json["more"]:
                break
    finally:
        app.config["SYNC_PAGE_SIZE"] = 200
    assert pages == [(3, True), (3, True), (1, False)]
    assert [c["body"] for c in phone.seen if c["type"] == "message"] == bodies


def test_old_cursor_replays_harmlessly(phone, officer, demo):
    start = phone.pull_all() and phone.cursor
    item = report_item(demo.household("DONG-01").id)
    phone.sync([item])
    officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": "Đã nhận."})
    first = phone.sync(cursor=start).json
    again = phone.sync(cursor=start).json
    assert first["changes"] == again["changes"] and len(first["changes"]) == 1
    assert first["cursor"] == again["cursor"]


def test_a_new_phone_does_not_get_replies_meant_for_the_old_one(enrol_phone, officer, demo):
    old = enrol_phone("DONG-01")
    item = report_item(demo.household("DONG-01").id)
    old.sync([item])
    officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": "Trả lời cho máy cũ"})
    new = enrol_phone("DONG-01")
    assert _types(new.pull_all()) == ["announcement"]


def test_invalid_cursor_is_refused_before_anything_is_stored(phone, demo):
    response = phone.sync([report_item(demo.household("DONG-01").id)], cursor="not-a-cursor")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_cursor"


def test_read_receipts_are_recorded_once(phone, officer, demo):
    announcement = phone.pull_all()[0]
    item = report_item(demo.household("DONG-01").id)
    phone.sync([item])
    officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": "Mời bác lên xã."})
    reply = phone.pull_all()[0]
    read_at = "2026-11-23T08:00:00+07:00"
    receipts = [
        receipt_item(reply["id"], id="8b0a4f0e-8a43-4a8e-9d0b-0e0f7f3f9a11", read_at=read_at),
        receipt_item(announcement["id"], "announcement", id="8b0a4f0e-8a43-4a8e-9d0b-0e0f7f3f9a12", read_at=read_at),
    ]
    assert [r["status"] for r in phone.sync(receipts).json["results"]] == ["created", "created"]
    assert [r["status"] for r in phone.sync(receipts).json["results"]] == ["duplicate", "duplicate"]
    assert db.session.scalar(db.select(Message).where(Message.read_at.is_not(None))) is not None
    assert db.session.scalar(db.select(db.func.count()).select_from(AnnouncementRead)) == 1


def test_confirmed_appointment_reaches_the_phone_in_utc(phone, officer, demo):
    phone.pull_all()
    item = report_item(
        demo.household("DONG-01").id,
        kind="appointment",
        category=None,
        body="Xin hẹn làm lại căn cước",
        appointment_at="2026-12-01T09:00:00+07:00",
    )
    phone.sync([item])
    answer = officer.post(
        f"/api/v1/officer/reports/{item['id']}/appointment", json={"appointment_at": "2026-12-02T14:30:00+07:00"}
    )
    assert answer.status_code == 200
    change = phone.pull_all()[-1]
    assert change["type"] == "report_status"
    assert change["status"] == "acknowledged"
    assert change["appointment_at"] == "2026-12-02T07:30:00+00:00"

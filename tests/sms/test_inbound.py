"""``POST /api/v1/sms/inbound`` as "SMS Gateway for Android" calls it: signed webhooks, retries, parts in any
order, forgeries and revoked phones refused and logged, and exactly one report across SMS and data (on SQLite and
PostgreSQL: the ``app`` fixture runs both)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from server.extensions import db
from server.reports.models import Report
from server.sms import codec
from server.sms import operations as sms
from server.sms.models import SmsInbound, SmsPart

from .gateway import Gateway, PhoneSms, gateway_of, sms_item


@pytest.fixture
def gateway(app: Any, demo: Any) -> Gateway:
    return gateway_of(app, demo.commune.id)


def reports_with(item_id: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Report).where(Report.id == uuid.UUID(item_id)))


def test_sms_then_data_then_sms_is_one_report_and_replies_reach_the_phone(phone, gateway, officer) -> None:
    texts = PhoneSms(phone)
    item = sms_item(phone, urgency="urgent", body="Tối nay có khoảng 10 người tụ tập đánh bạc ở nhà kho cuối thôn.")
    (part,) = texts.encode(item)
    first = gateway.deliver(part)
    assert first.status_code == 200 and first.json["status"] == "stored", first.json
    assert first.json["tracking_code"]
    shown = officer.get(f"/api/v1/officer/reports/{item['id']}").json
    assert shown["body"] == item["body"] and shown["urgency"] == "urgent"

    synced = phone.sync([item])  # data comes back: the outbox sends the same item as usual
    assert synced.json["results"][0]["status"] == "duplicate"
    assert synced.json["results"][0]["tracking_code"] == first.json["tracking_code"]
    again = gateway.deliver(part)  # the villager pressed send twice: a new envelope, the same report
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    assert reports_with(item["id"]) == 1

    officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": "Đã nhận, đang cử người đến."})
    changes = phone.pull_all()
    assert any(c.get("type") == "message" and c.get("body") == "Đã nhận, đang cử người đến." for c in changes)


def test_a_copy_of_the_phone_opens_no_sms_it_sent_and_first_build_phones_still_get_through(app, phone, gateway) -> None:
    """Issue 11: the phone kept only the next key of its chain and a copy's token fetches a new epoch; neither opens
    what the phone sent. A phone still on the first build (version 1, the device key itself) is still heard."""
    texts = PhoneSms(phone)
    item = sms_item(phone, body="Có người lạ đến hỏi thăm nhà ông Bảy lúc nửa đêm.")
    parts = texts.encode(item)
    copy = PhoneSms(phone)  # the copy, online with the phone's token
    assert copy.epoch != texts.epoch
    for key in (texts.key, copy.key):
        with pytest.raises(codec.Malformed):
            codec.decode_parts(parts, lambda _, key=key: key)
    assert gateway.deliver(parts[0]).json["status"] == "stored"

    with app.app_context():
        device_key = sms.device_key(texts.device_id)
    old = sms_item(phone, body="Tin nhắn từ máy chưa cập nhật.")
    stored = gateway.deliver(codec.encode(old, texts.device_id, device_key)[0]).json
    assert stored["status"] == "stored", stored


def test_a_retried_delivery_is_answered_2xx_and_stored_once(phone, gateway) -> None:
    texts = PhoneSms(phone)
    item = sms_item(phone)
    raw = gateway.body(texts.encode(item)[0], envelope="retry-me")
    assert gateway.post(raw).json["status"] == "stored"
    retried = gateway.post(raw, timestamp=int(time.time()) + 20)  # the gateway signs each attempt anew
    assert retried.status_code == 200 and retried.json["status"] == "duplicate"
    assert reports_with(item["id"]) == 1
    assert db.session.scalar(select(func.count()).select_from(SmsInbound)) == 1


def test_wrong_signature_and_stale_replay_are_refused_with_nothing_stored(phone, gateway) -> None:
    texts = PhoneSms(phone)
    item = sms_item(phone)
    raw = gateway.body(texts.encode(item)[0])
    forged = gateway.post(raw, key="not-the-gateway-key")
    assert forged.status_code == 401 and forged.json["error"]["code"] == "sms_signature_invalid"
    unsigned = gateway.client.post("/api/v1/sms/inbound", data=raw, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    captured = int(time.time()) - 301  # a request captured and replayed after its 5-minute window
    stale = gateway.post(raw, timestamp=captured)
    assert stale.status_code == 401 and stale.json["error"]["code"] == "sms_stale"
    assert reports_with(item["id"]) == 0
    assert db.session.scalar(select(func.count()).select_from(SmsInbound)) == 0


def test_bad_mac_revoked_phone_and_garbage_are_refused_for_good_and_logged(phone, gateway, head) -> None:
    texts = PhoneSms(phone)
    forged = sms_item(phone)
    answer = gateway.deliver(texts.encode(forged, key=bytes(32))[0])  # someone without the phone's key
    assert answer.status_code == 200 and answer.json == {"status": "refused", "reason": "bad_mac"}
    assert gateway.deliver("Chào anh, mai họp tổ lúc 8 giờ nhé").json["reason"] == "not_ours"
    long_item = sms_item(phone, body="Nhà kho cuối thôn có đánh bạc. " * 12)
    parts = texts.encode(long_item)
    assert gateway.deliver(parts[0][:-10]).json["reason"] == "truncated"

    head.post(f"/api/v1/officer/devices/{texts.device_id}/revoke")
    revoked = sms_item(phone)
    assert gateway.deliver(texts.encode(revoked)[0]).json["reason"] == "revoked_device"
    assert reports_with(forged["id"]) == 0 and reports_with(revoked["id"]) == 0

    log = head.get("/api/v1/officer/sms/refused").json
    assert [row["reason"] for row in log] == ["revoked_device", "truncated", "not_ours", "bad_mac"]
    assert all(row["sender"] == "…678" for row in log), "officers see only the last digits of the number"
    assert log[0]["report_id"] == revoked["id"]


def test_parts_arriving_out_of_order_reassemble(phone, gateway) -> None:
    texts = PhoneSms(phone)
    body = (
        "Đêm qua khoảng 2 giờ sáng nhà tôi ở thôn Đông bị mất 2 con bò. Hàng xóm thấy 3 người đi xe tải nhỏ biển "
        "29C-123.45 chạy về phía cầu tre. Mấy hôm nay trong xóm mất trộm liên tục, xin công an xã sớm xử lý. "
    ) * 4
    item = sms_item(phone, body=body)
    parts = texts.encode(item)
    assert len(parts) >= 3
    answers = [gateway.deliver(p).json for p in reversed(parts)]
    assert [a["status"] for a in answers] == ["waiting"] * (len(parts) - 1) + ["stored"]
    assert answers[0] == {"status": "waiting", "parts": 1, "of": len(parts)}
    assert gateway.deliver(parts[1]).json["status"] == "duplicate", "a late copy of a part changes nothing"
    assert reports_with(item["id"]) == 1
    assert db.session.scalar(select(func.count()).select_from(SmsPart)) == len(parts)


def test_the_sync_rules_still_apply_to_what_comes_by_sms(phone, gateway, other_commune) -> None:
    texts = PhoneSms(phone)
    item = sms_item(phone)
    item["household_id"] = other_commune.household("NAM-01").id  # not a household of this phone's group
    answer = gateway.deliver(texts.encode(item)[0])
    assert answer.json == {"status": "refused", "reason": "unknown_household"}
    assert reports_with(item["id"]) == 0


def test_the_head_sets_the_gateway_officers_cannot(head, officer, gateway) -> None:
    shown = head.get("/api/v1/officer/sms/gateway").json
    assert shown["configured"] and shown["number"] == "+84900000113"
    assert shown["webhook_url"].endswith("/api/v1/sms/inbound")
    assert (
        officer.request(
            "PUT", "/api/v1/officer/sms/gateway", json={"number": "0912", "signing_key": "x" * 8}
        ).status_code
        == 403
    )
    changed = head.request(
        "PUT", "/api/v1/officer/sms/gateway", json={"number": "+84 987 654 321", "signing_key": "k" * 24}
    )
    assert changed.status_code == 200 and changed.json["key_hint"] == "kkkk"
    assert gateway.deliver("x").status_code == 401, "the old key no longer signs"


def test_the_command_line_sets_a_gateway_and_seed_demo_prints_it(app, demo) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sms-gateway", "BINHAN", "--number", "+84911222333", "--signing-key", "s3cret-key"])
    assert result.exit_code == 0, result.output
    row = sms.gateway(demo.commune.id)
    assert (row.number, row.signing_key) == ("+84911222333", "s3cret-key")
    printed = runner.invoke(args=["seed-demo"]).output
    assert "+84911222333" in printed and "s3cret-key" in printed
    assert runner.invoke(args=["sms-gateway", "NOPE", "--number", "1", "--signing-key", "k"]).exit_code != 0


def _gateway_row(commune_id: int) -> dict[str, Any]:
    """The row as a database dump shows it."""
    row = db.session.execute(text("SELECT * FROM sms_gateway WHERE commune_id = :c"), {"c": commune_id}).mappings()
    return dict(row.one())


def test_the_gateway_secrets_are_sealed_in_the_database(app, head, demo) -> None:
    key, password = "k3y-" + uuid.uuid4().hex, "p4ss-" + uuid.uuid4().hex
    body = {"number": "+84 987 654 321", "signing_key": key, "api_url": "http://192.168.1.50:8080/messages"}
    changed = head.request("PUT", "/api/v1/officer/sms/gateway", json={**body, "api_password": password})
    assert changed.status_code == 200, changed.json
    dumped = " ".join(str(value) for value in _gateway_row(demo.commune.id).values())
    assert key not in dumped and password not in dumped
    assert sms.gateway(demo.commune.id).api_password == password  # what the send API is called with
    assert gateway_of(app, demo.commune.id).deliver("x").status_code != 401, "the sealed key still verifies"


def test_the_migration_seals_a_key_an_earlier_release_stored_in_clear(app, demo) -> None:
    commune_id = demo.commune.id
    db.session.rollback()  # the migration's connection needs the database to itself (SQLite)
    downgrade(revision="0015_report_search_index")
    try:
        db.session.execute(
            text("UPDATE sms_gateway SET signing_key = 'clear-key-1', api_password = 'clear-pw' WHERE commune_id = :c"),
            {"c": commune_id},
        )
        db.session.commit()
    finally:
        upgrade()
    row = _gateway_row(commune_id)
    assert (row["signing_key"], row["api_password"]) == ("", None)
    assert "clear-key-1" not in str(row) and "clear-pw" not in str(row)
    db.session.expire_all()
    gateway = sms.gateway(commune_id)
    assert (gateway.signing_key, gateway.api_password) == ("clear-key-1", "clear-pw")

"""Anonymous tips by SMS (issue 17): the tip queue's item in the SMS codec, stored as ``POST /api/v1/tips`` stores
one, with nothing of the phone, its number or the exact time kept; the later data send is a duplicate that spends
no token, and answers reach the phone through the tip's mailbox (on SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.reports.models import Report
from server.sms.models import SmsInbound, SmsPart, SmsThread
from server.tips.models import SpentTipToken
from tests.commune_keys.test_commune_keys import make_key, open_words, sealed
from tests.tips.tipster import Tip, Tipster

from .gateway import Gateway, PhoneSms, gateway_of

WORDS = "Tối nay khoảng 23 giờ có 6 người lạ cầm dao tụ tập ở bãi đất trống cuối thôn Đông, đi hai xe máy."
PLACE = "Bãi đất trống cuối thôn Đông"


@pytest.fixture
def gateway(app: Any, demo: Any) -> Gateway:
    return gateway_of(app, demo.commune.id)


def deliver_all(gateway: Gateway, parts: list[str]) -> list[dict[str, Any]]:
    """The gateway phone posts each part as it arrives: here in reverse order."""
    answers = [gateway.deliver(part) for part in reversed(parts)]
    assert all(a.status_code == 200 for a in answers), [a.json for a in answers]
    return [a.json for a in answers]


def sms_tip(tipster: Tipster, phone: Any, **fields: Any) -> tuple[Tip, list[str]]:
    tip = tipster.new_tip(urgency="urgent", body=WORDS, location=PLACE, **fields)
    texts = PhoneSms(phone)
    return tip, texts.encode(tip.tip)


def inbound_rows() -> list[SmsInbound]:
    return list(db.session.scalars(select(SmsInbound).order_by(SmsInbound.id)))


def test_a_tip_by_sms_is_stored_with_nothing_of_the_phone_and_data_later_is_a_duplicate(
    tipster: Tipster, phone: Any, gateway: Gateway, officer: Any
) -> None:
    tip, parts = sms_tip(tipster, phone)
    assert len(parts) == 2, "a 100-character tip with its mailbox keys: two SMS"
    *waiting, done = deliver_all(gateway, parts)
    assert [w["status"] for w in waiting] == ["waiting"]
    assert done == {"status": "stored"}, "no tracking code to the gateway phone's log"

    report = db.session.get(Report, uuid.UUID(tip.id))
    assert report is not None and report.anonymous and report.body == WORDS
    assert (report.group_id, report.household_id, report.device_id, report.created_at) == (None, None, None, None)
    assert report.received_at.minute == report.received_at.second == 0, "its hour only, as a tip by data"
    rows = inbound_rows()
    assert all(r.sender == "" and r.device_id is None and r.report_id is None for r in rows), [
        (r.outcome, r.sender, r.device_id) for r in rows
    ]
    assert rows[-1].received_at.minute == rows[-1].received_at.second == 0
    assert db.session.scalar(select(func.count()).select_from(SmsPart)) == 0, "the parts tie the number to the tip"
    assert db.session.get(SmsThread, report.id) is None, "answers go to the mailbox, never by SMS"
    shown = officer.get(f"/api/v1/officer/reports/{tip.id}").json
    assert shown["body"] == WORDS and shown["urgency"] == "urgent" and shown["anonymous"]

    later = tipster.send(tip)  # data came back: the tip queue sends it as usual, with its token
    assert later.status_code == 200 and later.json["status"] == "duplicate", later.json
    assert later.json["tracking_code"] == shown["tracking_code"]
    assert db.session.scalar(select(func.count()).select_from(SpentTipToken)) == 0, "the token stays unspent"
    assert deliver_all(gateway, parts)[-1]["status"] == "duplicate"  # pressed send again
    assert db.session.scalar(select(func.count()).select_from(Report).where(Report.id == report.id)) == 1

    officer.post(f"/api/v1/officer/reports/{tip.id}/messages", json={"body": "Đã nhận, đang cử người đến."})
    assert tipster.mailbox(tip).status_code == 200
    assert [e.get("body") for e in tip.opened] == ["Đã nhận, đang cử người đến."]


def test_a_sealed_tip_by_sms_keeps_only_ciphertext(
    province: Any,
    head: Any,
    officer: Any,
    tipster: Tipster,
    phone: Any,
    gateway: Gateway,
) -> None:
    version, key = make_key(head)
    point = tipster.client.get("/api/v1/tips/key", headers=tipster.device_headers).json["commune_key"]["public_key"]
    tip = tipster.new_tip(sealed=sealed(point, version, body=WORDS, location=PLACE))
    del tip.tip["body"], tip.tip["location"]  # as the phone writes a sealed tip (pwa/js/outbox.js tipWords)
    texts = PhoneSms(phone)
    parts = texts.encode(tip.tip)
    assert deliver_all(gateway, parts)[-1]["status"] == "stored"
    report = db.session.get(Report, uuid.UUID(tip.id))
    assert report is not None and report.body == "" and WORDS not in str(report.sealed_text)
    shown = officer.get(f"/api/v1/officer/reports/{tip.id}").json
    assert open_words(key, shown) == {"body": WORDS, "location": PLACE}
    assert tipster.send(tip).json["status"] == "duplicate"


def test_tips_by_sms_the_server_cannot_take_are_refused_with_nothing_of_the_phone(
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
    tipster: Tipster,
    phone: Any,
    gateway: Gateway,
    other_commune: Any,
    head: Any,
) -> None:
    tipster.tokens(4)  # the tips below are written with tokens, as the phone writes them; the SMS carries none
    elsewhere, parts = sms_tip(tipster, phone, village_id=other_commune.groups["NAM-01"].village_id)
    assert deliver_all(gateway, parts)[-1] == {"status": "refused", "reason": "validation_error"}
    assert db.session.get(Report, uuid.UUID(elsewhere.id)) is None

    monkeypatch.setitem(app.config, "TIP_TOKENS_PER_DAY", 2)
    answers = [deliver_all(gateway, sms_tip(tipster, phone)[1])[-1]["status"] for _ in range(3)]
    assert answers == ["stored", "stored", "refused"], "two tips a day for this phone, as its tokens"
    refused = head.get("/api/v1/officer/sms/refused").json
    assert [r["reason"] for r in refused][:2] == ["tip_quota_exceeded", "validation_error"]
    assert all(r.device_id is None and r.report_id is None and r.sender == "" for r in inbound_rows())

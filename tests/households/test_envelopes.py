"""What a claimed household receives is sealed to its key and what it sends is signed with it (ADR 0005): the
group's device token alone reads no reply or status of that household and cannot post in its name."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag

from tests.conftest import message_item, receipt_item, report_item
from tests.tips.tipster import open_entry

from .keys import HouseholdKeys

HOUSEHOLD_INFO = b"binhan household v1"


@pytest.fixture
def phone(enrol_phone):
    return enrol_phone("DONG-01")


def claimed(phone, head, household_id: int, purpose: str = "claim", keys: HouseholdKeys | None = None):
    keys = keys or HouseholdKeys()
    code = head.post(f"/api/v1/officer/households/{household_id}/codes", json={"purpose": purpose}).json["code"]
    answer = phone.client.post(
        f"/api/v1/households/{household_id}/claim", json=keys.claim_body(code, "2468"), headers=phone.headers
    )
    assert answer.status_code == 201, answer.json
    return keys


def results(phone, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answer = phone.sync(items)
    assert answer.status_code == 200, answer.json
    return answer.json["results"]


def replies_and_statuses(phone) -> list[dict[str, Any]]:
    """The reply and status changes the group's phone pulled (for ``report_id``, or sealed: it cannot tell)."""
    phone.pull_all()
    return [c for c in phone.seen if c["type"] in ("message", "report_status")]


def test_a_claimed_households_reply_and_status_reach_the_phone_sealed_to_its_key(phone, head, officer, demo):
    household = demo.household("DONG-01", 1)
    keys = claimed(phone, head, household.id)
    item = keys.sign(report_item(household.id, body="Nhà bên cạnh có người lạ ra vào ban đêm"))
    assert results(phone, [item])[0]["status"] == "created"
    reply = "Công an xã đã nhận tin, tối nay sẽ đi kiểm tra."
    assert officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": reply}).status_code == 201
    moved = officer.post(f"/api/v1/officer/reports/{item['id']}/status", json={"status": "in_progress"})
    assert moved.status_code == 200
    entries = replies_and_statuses(phone)
    assert [e["type"] for e in entries] == ["message", "report_status"]
    raw = json.dumps(entries, ensure_ascii=False)
    assert reply not in raw and item["id"] not in raw, "the device token alone reads neither the reply nor its report"
    assert all(set(e) == {"type", "household_id", "sealed"} for e in entries)
    opened = [open_entry(keys.box, e["sealed"], HOUSEHOLD_INFO) for e in entries]
    assert opened[0]["body"] == reply and opened[0]["report_id"] == item["id"]
    assert opened[1]["status"] == "in_progress" and opened[1]["report_id"] == item["id"]
    with pytest.raises(InvalidTag):
        open_entry(HouseholdKeys().box, entries[0]["sealed"], HOUSEHOLD_INFO)


def test_the_neighbour_cannot_post_in_a_claimed_households_name(phone, head, demo):
    household, neighbour = demo.household("DONG-01", 1), demo.household("DONG-01", 2)
    keys = claimed(phone, head, household.id)
    neighbours = claimed(phone, head, neighbour.id)
    unsigned = report_item(household.id)
    forged = neighbours.sign(report_item(household.id))
    tampered = {**keys.sign(report_item(household.id)), "body": "Nội dung bị sửa sau khi ký"}
    answers = results(phone, [unsigned, forged, tampered])
    assert [(a["status"], a["error"]["code"]) for a in answers] == [("rejected", "signature_invalid")] * 3
    good = keys.sign(report_item(household.id))
    assert results(phone, [good])[0]["status"] == "created"
    # A retry carries another signature (ECDSA is randomised): still the same item.
    assert results(phone, [keys.sign(good)])[0]["status"] == "duplicate"


def test_follow_ups_and_read_receipts_of_a_claimed_household_are_signed_too(phone, head, officer, demo):
    household = demo.household("DONG-01", 1)
    keys = claimed(phone, head, household.id)
    report = keys.sign(report_item(household.id))
    results(phone, [report])
    reply = officer.post(f"/api/v1/officer/reports/{report['id']}/messages", json={"body": "Đã nhận"}).json
    follow_up, receipt = message_item(report["id"], "Họ lại đến lúc 11 giờ đêm"), receipt_item(reply["id"])
    refused = results(phone, [follow_up, receipt])
    assert [a["error"]["code"] for a in refused] == ["signature_invalid", "signature_invalid"]
    assert [a["status"] for a in results(phone, [keys.sign(follow_up), keys.sign(receipt)])] == ["created"] * 2


def test_what_was_queued_before_a_pin_reset_still_sends(phone, head, demo):
    household = demo.household("DONG-01", 1)
    old = claimed(phone, head, household.id)
    queued = old.sign(report_item(household.id))
    claimed(phone, head, household.id, purpose="reset")
    assert results(phone, [queued])[0]["status"] == "created"


def test_a_household_without_keys_yet_is_served_and_heard_as_before(phone, officer, demo):
    household = demo.household("DONG-01", 3)
    item = report_item(household.id)
    assert results(phone, [item])[0]["status"] == "created"
    officer.post(f"/api/v1/officer/reports/{item['id']}/messages", json={"body": "Trả lời rõ"})
    assert any(e.get("body") == "Trả lời rõ" for e in replies_and_statuses(phone))

"""A household's first PIN needs its printed household code; the PIN is checked online and counted; an officer's
reset code gives a new key set; a locked household waits for an officer. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.extensions import db
from server.households.models import HouseholdCode, HouseholdKey
from server.officers.models import Officer, Role

from .keys import b64, claim_body, pin_check, unb64


@pytest.fixture
def household(demo):
    return demo.household("DONG-01", 1)


@pytest.fixture
def phone(enrol_phone):
    return enrol_phone("DONG-01")


def issue(head, household_id: int, purpose: str = "claim") -> str:
    answer = head.post(f"/api/v1/officer/households/{household_id}/codes", json={"purpose": purpose})
    assert answer.status_code == 201, answer.json
    assert answer.json["purpose"] == purpose
    return answer.json["code"]


def claim(phone, household_id: int, body: dict[str, Any]):
    return phone.client.post(f"/api/v1/households/{household_id}/claim", json=body, headers=phone.headers)


def unlock(phone, household_id: int, pin: str):
    body = {"pin_check": b64(pin_check(pin))}
    return phone.client.post(f"/api/v1/households/{household_id}/unlock", json=body, headers=phone.headers)


def test_the_first_pin_needs_the_household_code_and_the_right_pin_releases_the_share(phone, head, household):
    assert claim(phone, household.id, claim_body("AAAA-BBBB", "4821")).json["error"]["code"] == "household_code_wrong"
    assert unlock(phone, household.id, "4821").json["error"]["code"] == "household_unclaimed"
    claimed = claim(phone, household.id, claim_body(issue(head, household.id), "4821"))
    assert claimed.status_code == 201, claimed.json
    share = unb64(claimed.json["share"])
    assert len(share) == 32
    opened = unlock(phone, household.id, "4821")
    assert opened.status_code == 200
    assert unb64(opened.json["share"]) == share


def test_a_code_for_one_household_does_not_claim_another(phone, head, demo, household):
    other = demo.household("DONG-01", 2)
    answer = claim(phone, other.id, claim_body(issue(head, household.id), "1111"))
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "household_code_wrong"


def test_another_groups_phone_cannot_claim_or_unlock_the_household(enrol_phone, phone, head, household):
    code = issue(head, household.id)
    stranger = enrol_phone("TAY-01")
    assert claim(stranger, household.id, claim_body(code, "1111")).json["error"]["code"] == "household_not_found"
    assert claim(phone, household.id, claim_body(code, "1111")).status_code == 201
    refused = unlock(stranger, household.id, "1111")
    assert refused.status_code == 404
    assert refused.json["error"]["code"] == "household_not_found"


def test_a_claim_whose_answer_was_lost_is_answered_again_and_the_code_is_spent_for_anyone_else(phone, head, household):
    body = claim_body(issue(head, household.id), "2580")
    first = claim(phone, household.id, body)
    again = claim(phone, household.id, body)
    assert first.status_code == again.status_code == 201
    assert again.json["share"] == first.json["share"]
    reused = claim(phone, household.id, {**body, "request_id": str(uuid.uuid4())})
    assert reused.status_code == 410
    assert reused.json["error"]["code"] == "household_code_used"


def test_ten_wrong_pins_in_a_day_lock_the_household_until_an_officer_unlocks_it(phone, head, household):
    claim(phone, household.id, claim_body(issue(head, household.id), "0420"))
    remaining = []
    for guess in range(9):
        answer = unlock(phone, household.id, f"{guess:04d}")
        assert answer.status_code == 403
        remaining.append(answer.json["error"]["remaining"])
    assert remaining == list(range(9, 0, -1))
    tenth = unlock(phone, household.id, "9999")
    assert tenth.status_code == 423
    assert tenth.json["error"]["code"] == "household_locked"
    assert unlock(phone, household.id, "0420").status_code == 423  # the right PIN too, once locked
    states = head.get(f"/api/v1/officer/groups/{household.group_id}/household-keys").json
    assert {"household_id": household.id, "claimed": True, "locked": True, "failed_today": 10} in states
    lifted = head.post(f"/api/v1/officer/households/{household.id}/unlock")
    assert lifted.status_code == 200
    assert lifted.json == {"household_id": household.id, "claimed": True, "locked": False, "failed_today": 0}
    assert unlock(phone, household.id, "0420").status_code == 200
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == str(household.id)))
    assert {"household.claimed", "household.locked", "household.unlocked"} <= set(actions)


def test_a_right_pin_clears_the_wrong_count(phone, head, household):
    claim(phone, household.id, claim_body(issue(head, household.id), "7000"))
    for _ in range(5):
        unlock(phone, household.id, "1234")
    assert unlock(phone, household.id, "7000").status_code == 200
    assert unlock(phone, household.id, "1234").json["error"]["remaining"] == 9


def test_a_forgotten_pin_is_reset_with_an_officers_code_and_the_old_key_set_is_gone(phone, head, household):
    old = claim(phone, household.id, claim_body(issue(head, household.id), "1357")).json
    refused = head.post(f"/api/v1/officer/households/{household.id}/codes", json={"purpose": "claim"})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "household_claimed"
    new = claim(phone, household.id, claim_body(issue(head, household.id, "reset"), "8642"))
    assert new.status_code == 201
    assert new.json["share"] != old["share"]
    assert new.json["key_id"] != old["key_id"]
    assert unlock(phone, household.id, "1357").status_code == 403
    assert unlock(phone, household.id, "8642").json["share"] == new.json["share"]
    keys = db.session.scalars(select(HouseholdKey).where(HouseholdKey.household_id == household.id)).all()
    assert sorted(key.retired_at is None for key in keys) == [False, True]


def test_a_reset_code_is_only_for_a_household_that_has_a_pin(head, household):
    answer = head.post(f"/api/v1/officer/households/{household.id}/codes", json={"purpose": "reset"})
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "household_unclaimed"


def test_a_new_code_replaces_the_households_earlier_unused_one(phone, head, household):
    first, second = issue(head, household.id), issue(head, household.id)
    assert claim(phone, household.id, claim_body(first, "1111")).json["error"]["code"] == "household_code_expired"
    assert claim(phone, household.id, claim_body(second, "1111")).status_code == 201


def test_the_enrolment_sheet_lists_codes_for_households_without_a_pin(phone, head, demo, household):
    group = demo.groups["DONG-01"]
    active = [h.id for h in group.households if h.active]
    sheet = head.post(f"/api/v1/officer/groups/{group.id}/household-codes")
    assert sheet.status_code == 201
    assert [row["household"]["id"] for row in sheet.json] == active
    code = next(row["code"] for row in sheet.json if row["household"]["id"] == household.id)
    assert claim(phone, household.id, claim_body(code, "2468")).status_code == 201
    again = head.post(f"/api/v1/officer/groups/{group.id}/household-codes").json
    assert household.id not in [row["household"]["id"] for row in again]
    assert len(again) == len(active) - 1


def test_officers_of_another_commune_or_without_the_role_get_nothing(sign_in, other_commune, household):
    officer = sign_in()
    assert officer.post(f"/api/v1/officer/households/{household.id}/codes", json={}).status_code == 403
    stranger = db.session.scalar(select(Officer).where(Officer.username == "khac"))
    stranger.role = Role.HEAD
    db.session.commit()
    answer = sign_in("khac", "other-officer").post(f"/api/v1/officer/households/{household.id}/codes", json={})
    assert answer.status_code == 404


def test_the_database_holds_neither_the_share_nor_anything_a_pin_can_be_tried_against_without_the_server_key(
    app, phone, head, household
):
    share = unb64(claim(phone, household.id, claim_body(issue(head, household.id), "3141")).json["share"])
    key = db.session.scalar(select(HouseholdKey).where(HouseholdKey.household_id == household.id))
    stored = key.pin_verifier + key.wrapped_share
    assert share not in stored
    # The thief's dictionary: every 4-digit PIN's check value, raw and hashed. None matches the stored verifier.
    candidates = {pin_check(f"{n:04d}") for n in range(3140, 3143)}
    assert key.pin_verifier not in candidates | {hashlib.sha256(c).digest() for c in candidates}
    codes = db.session.scalars(select(HouseholdCode.code_hash)).all()
    assert all(len(code) == 64 for code in codes)


def test_bad_keys_and_check_values_are_refused_before_anything_is_spent(phone, head, household):
    code = issue(head, household.id)
    body = claim_body(code, "5555")
    for field, value in [
        ("box_public_key", b64(b"\x04" + os.urandom(64))),  # not on the curve
        ("sign_public_key", "not base64url!"),
        ("pin_check", b64(os.urandom(16))),
    ]:
        answer = claim(phone, household.id, {**body, field: value})
        assert answer.status_code == 422
        assert field in answer.json["error"]["fields"]
    assert claim(phone, household.id, body).status_code == 201

"""Anonymous tips sent alone (ADR 0004), as the phone and the console see them: tokens, the tip, its photos and
its mailbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from server.attachments import storage
from server.attachments.models import Attachment
from server.extensions import db
from server.groups.models import Device
from server.reports.models import Message, Report
from server.tips import sending
from server.tips.models import SpentTipToken, TipTokenIssue
from tests.conftest import jpeg, make_other_commune, photo_declaration

from .tipster import Tip, Tipster, b64url, follow_up, new_mailbox, open_entry, receipt

TIPS = "/api/v1/tips"


def _on_the_hour(moment) -> bool:
    return moment.minute == moment.second == moment.microsecond == 0


# --- tokens ----------------------------------------------------------------------------------------------


def test_a_phone_gets_tokens_that_verify_and_a_retry_counts_once(tipster: Tipster) -> None:
    key = tipster.key().json
    assert key["tokens_per_day"] == 5 and key["remaining"] == 5
    answer, tokens = tipster.request_tokens(3)
    assert answer.status_code == 200 and len(tokens) == 3  # each one checked as the phone checks it
    assert answer.json["remaining"] == 2
    again, same = tipster.resend()  # the answer was lost: the same request id and blinded values
    assert again.status_code == 200
    assert again.json["blind_signatures"] == answer.json["blind_signatures"]
    assert [t.signature for t in same] == [t.signature for t in tokens]
    assert tipster.key().json["remaining"] == 2, "the retry was not counted again"
    assert db.session.scalar(db.select(TipTokenIssue.issued)) == 3
    # The same request id with other blinded values is not a retry.
    other = tipster.client.post(
        f"{TIPS}/tokens",
        json={"request_id": tipster.last_request[0], "key_id": tipster.key_id, "blinded": [b64url(b"\x01" * 256)]},
        headers=tipster.device_headers,
    )
    assert other.status_code == 409 and other.json["error"]["code"] == "conflict"


def test_the_daily_quota_is_enforced_per_phone(tipster: Tipster, enrol_phone) -> None:
    _, tokens = tipster.request_tokens(3)
    second, more = tipster.request_tokens(3)
    assert (len(tokens), len(more), second.json["remaining"]) == (3, 2, 0)  # only what was left of the day
    exhausted, none = tipster.request_tokens(1)
    assert exhausted.status_code == 429 and none == []
    assert exhausted.json["error"]["code"] == "tip_tokens_exhausted"
    assert 0 < int(exhausted.headers["Retry-After"]) <= 24 * 3600
    neighbour = Tipster.of(enrol_phone("DONG-02"))
    assert neighbour.key().json["remaining"] == 5, "the quota is the phone's, not the commune's"


def test_tokens_need_the_device_token_and_the_current_key(tipster: Tipster, client) -> None:
    assert client.get(f"{TIPS}/key").status_code == 401
    tipster.key()
    tipster.key_id = "0" * 32
    answer, _ = tipster.request_tokens(1)
    assert answer.status_code == 409 and answer.json["error"]["code"] == "tip_key_changed"
    bad = tipster.client.post(
        f"{TIPS}/tokens",
        json={"request_id": str(uuid.uuid4()), "key_id": tipster.key().json["key_id"], "blinded": [b64url(b"x")]},
        headers=tipster.device_headers,
    )
    assert bad.status_code == 422 and bad.json["error"]["code"] == "validation_error"


def test_revoking_a_phone_retires_the_key_and_its_unspent_tokens(tipster: Tipster, enrol_phone, head) -> None:
    old_key = tipster.key().json["key_id"]
    tipster.tokens(2)
    lost = enrol_phone("DONG-02")
    lost_tipster = Tipster.of(lost)
    lost_tipster.tokens(1)
    token_hash = hashlib.sha256(lost.token.encode()).hexdigest()
    device_id = db.session.scalar(db.select(Device.id).where(Device.token_hash == token_hash))
    assert head.post(f"/api/v1/officer/devices/{device_id}/revoke").status_code == 200
    for who in (lost_tipster, tipster):  # the thief's tokens, and (collateral) everyone's under that key
        answer = who.send(who.new_tip())
        assert answer.status_code == 409 and answer.json["error"]["code"] == "tip_token_retired", answer.json
    assert lost_tipster.key().json["error"]["code"] == "device_revoked"
    new_key = tipster.key().json
    assert new_key["key_id"] != old_key and new_key["remaining"] == 5  # the quota is counted per key
    tipster.wallet.clear()
    assert tipster.send(tipster.new_tip()).status_code == 201


# --- the tip ---------------------------------------------------------------------------------------------


def test_a_tip_sent_alone_is_stored_without_group_device_or_phone_time(app, tipster: Tipster, officer) -> None:
    tip = tipster.new_tip()
    answer = tipster.client.post(TIPS, json=tip.body)  # no Authorization header, no cookie
    assert answer.status_code == 201 and answer.json["status"] == "created"
    report = db.session.get(Report, uuid.UUID(tip.id))
    assert (report.group_id, report.device_id, report.household_id, report.created_at) == (None, None, None, None)
    assert _on_the_hour(report.received_at) and _on_the_hour(report.updated_at)
    assert report.anonymous and report.tracking_code == answer.json["tracking_code"]
    assert report.village_id == tipster.village_id and report.category.value == "drugs"
    shown = officer.get(f"/api/v1/officer/reports/{tip.id}").json
    assert shown["group"] is None and shown["household"] is None and shown["created_at"] is None
    assert shown["received_at"].endswith(":00:00+00:00")
    queue = officer.get("/api/v1/officer/reports?kind=tip").json["items"]
    assert [item["id"] for item in queue] == [tip.id]
    assert officer.get("/api/v1/officer/stats").json["by_category"][0] == {"key": "drugs", "count": 1}


def test_a_retry_is_a_duplicate_and_a_spent_token_is_refused(tipster: Tipster) -> None:
    tip = tipster.new_tip()
    first = tipster.send(tip)
    retry = tipster.send(tip)  # the answer was lost: the same token and tip again
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json == {**first.json, "status": "duplicate"}
    again = tipster.send(tipster.new_tip(token=tip.token))  # the same token on another tip
    assert again.status_code == 409 and again.json["error"]["code"] == "tip_token_spent"
    changed = tipster.new_tip(token=tip.token, id=tip.id, body="Khác hẳn")
    answer = tipster.send(changed)
    assert answer.status_code == 409 and answer.json["error"]["code"] == "conflict"
    reused_id = tipster.send(tipster.new_tip(id=tip.id))  # a fresh token, an id already taken
    assert reused_id.status_code == 409 and reused_id.json["error"]["code"] == "conflict"
    assert db.session.scalar(db.select(db.func.count(Report.id))) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(SpentTipToken)) == 1


def test_the_same_tip_under_another_token_is_a_duplicate_that_spends_nothing(tipster: Tipster) -> None:
    tip = tipster.new_tip()
    assert tipster.send(tip).status_code == 201
    again = Tip(tipster.new_tip().token, tip.tip, tip.secret, tip.private_key)  # same tip, another token
    answer = tipster.send(again)
    assert (answer.status_code, answer.json["status"]) == (200, "duplicate")
    assert tipster.send(tipster.new_tip(token=again.token)).status_code == 201, "that token was not spent"
    assert db.session.scalar(db.select(db.func.count(Report.id))) == 2


def test_a_retry_that_looked_before_its_original_committed_is_still_a_duplicate(
    tipster: Tipster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL each statement sees the latest commits: a retry may find nothing at its first look and the
    original's mailbox a moment later (the API fault run hit it as a 409 ``conflict``)."""
    tip = tipster.new_tip()
    assert tipster.send(tip).status_code == 201
    looks = []
    real = sending._retry_answer

    def first_look_too_early(*args: Any) -> Any:
        looks.append(args)
        return None if len(looks) == 1 else real(*args)

    monkeypatch.setattr(sending, "_retry_answer", first_look_too_early)
    answer = tipster.send(tip)
    assert (answer.status_code, answer.json["status"]) == (200, "duplicate"), answer.json
    assert len(looks) == 2
    assert db.session.scalar(db.select(db.func.count(Report.id))) == 1


def test_a_forged_token_is_refused(tipster: Tipster) -> None:
    tip = tipster.new_tip()
    forged = tip.body
    forged["token"]["signature"] = b64url(bytes(256))
    answer = tipster.client.post(TIPS, json=forged)
    assert answer.status_code == 403 and answer.json["error"]["code"] == "tip_token_invalid"
    forged["token"] = {**tip.token.json(), "key_id": "f" * 32}
    answer = tipster.client.post(TIPS, json=forged)
    assert answer.status_code == 403 and answer.json["error"]["code"] == "tip_token_invalid"
    assert db.session.scalar(db.select(db.func.count(Report.id))) == 0


def test_a_tip_names_a_village_of_its_tokens_commune_only(tipster: Tipster) -> None:
    elsewhere = make_other_commune()
    answer = tipster.send(tipster.new_tip(village_id=elsewhere.groups["NAM-01"].village_id))
    assert answer.status_code == 422 and "village_id" in answer.json["error"]["fields"]
    bad = tipster.new_tip()
    bad.tip["mailbox"]["public_key"] = b64url(b"\x04" + bytes(64))
    answer = tipster.send(bad)
    assert answer.status_code == 422 and "tip" in answer.json["error"]["fields"]


# --- photos ----------------------------------------------------------------------------------------------


def test_a_tips_photo_goes_up_with_its_mailbox_secret_only(app, tipster: Tipster, phone) -> None:
    photo = jpeg(exif=True)
    declared = photo_declaration(photo, "image/jpeg")
    tip = tipster.tip(attachments=[declared])
    other = tipster.tip()
    for headers in ({}, other.header, {"Tip-Mailbox": "not base64!"}, {"Tip-Mailbox": b64url(b"\x00" * 32)}):
        refused = tipster.upload(tip, declared["id"], photo[:1000], headers=headers)
        assert refused.status_code in (401, 404), (headers, refused.json)
    assert tipster.upload(tip, declared["id"], photo[:1000], headers={}).status_code == 401
    assert phone.upload(declared["id"], photo).status_code == 404  # the phone's device token opens nothing
    assert phone.upload_status(declared["id"]).status_code == 404
    first = tipster.upload(tip, declared["id"], photo[:1000])
    assert first.status_code == 200 and first.json["received"] == 1000
    assert tipster.upload_status(tip, declared["id"]).json["received"] == 1000
    done = tipster.upload(tip, declared["id"], photo[1000:], offset=1000)
    assert done.status_code == 200 and done.json["complete"], done.json
    attachment = db.session.get(Attachment, uuid.UUID(declared["id"]))
    assert attachment.group_id is None
    assert _on_the_hour(attachment.created_at) and _on_the_hour(attachment.completed_at)
    data = storage.read_final(attachment.id)
    if app.config.get("ATTACHMENTS_STORE", "local") == "local":
        path = Path(app.config["ATTACHMENTS_DIR"]) / attachment.id.hex[:2] / attachment.id.hex
        assert path.stat().st_mtime == attachment.completed_at.timestamp(), "the file's time is the hour too"
    stored = Image.open(io.BytesIO(data))
    assert len(stored.getexif()) == 0, "the camera's metadata was stripped as for any photo"


# --- the mailbox -----------------------------------------------------------------------------------------


def test_officers_answer_through_the_sealed_mailbox_and_the_console_keeps_the_thread(
    tipster: Tipster, officer, phone
) -> None:
    tip = tipster.tip()
    reply = officer.post(f"/api/v1/officer/reports/{tip.id}/messages", json={"body": "Cảm ơn, đã nhận."})
    note = officer.post(f"/api/v1/officer/reports/{tip.id}/messages", json={"body": "Nội bộ", "internal": True})
    moved = officer.post(f"/api/v1/officer/reports/{tip.id}/status", json={"status": "rejected", "reason": "Sai xã"})
    assert (reply.status_code, note.status_code, moved.status_code) == (201, 201, 200)
    answer = tipster.mailbox(tip)
    assert answer.status_code == 200 and answer.json["tracking_code"] == tip.tracking_code
    assert [entry["seq"] for entry in answer.json["entries"]] == [1, 2] and answer.json["since"] == 2
    message, status = tip.opened  # decrypted with the tip's private key: the note never went out
    assert (message["type"], message["id"], message["body"]) == ("message", reply.json["id"], "Cảm ơn, đã nhận.")
    assert (status["type"], status["status"], status["reason"]) == ("status", "rejected", "Sai xã")
    assert all(entry["at"].endswith(":00:00+00:00") for entry in tip.opened)
    sealed = answer.json["entries"][0]["sealed"]
    with pytest.raises(InvalidTag):  # another phone's key opens nothing
        open_entry(ec.generate_private_key(ec.SECP256R1()), sealed)
    with pytest.raises(InvalidTag):  # nor does a changed entry
        open_entry(tip.private_key, sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:])
    assert tipster.mailbox(tip).json["entries"] == []  # nothing new since 2
    assert len(tipster.mailbox(tip, since=1).json["entries"]) == 1
    # Nothing of it reached the group's feed (nor the commune's: a group-less feed entry would reach every phone).
    assert all(tip.id not in str(change) for change in phone.pull_all())

    item = follow_up("Tối nay họ lại đến.")
    read = receipt(reply.json["id"])
    first = tipster.mailbox(tip, [item, read, receipt(note.json["id"]), {"type": "message", "id": "x"}])
    assert first.json["results"] == [
        {"id": item["id"], "status": "created"},
        {"id": reply.json["id"], "status": "created"},
        {"id": note.json["id"], "status": "rejected", "code": "unknown_message"},
        {"id": "x", "status": "rejected", "code": "validation_error"},
    ]
    again = tipster.mailbox(tip, [item, read])  # the answer was lost: exactly once
    assert [r["status"] for r in again.json["results"]] == ["duplicate", "duplicate"]
    thread = officer.get(f"/api/v1/officer/reports/{tip.id}").json["messages"]
    follow_ups = [m for m in thread if m["author"] == "household"]
    assert [m["body"] for m in follow_ups] == ["Tối nay họ lại đến."]
    assert follow_ups[0]["created_at"].endswith(":00:00+00:00")
    replied = next(m for m in thread if m["id"] == reply.json["id"])
    assert replied["read_at"].endswith(":00:00+00:00")
    stored = db.session.get(Message, uuid.UUID(item["id"]))
    assert _on_the_hour(stored.received_at)


def test_an_unknown_mailbox_is_404(tipster: Tipster) -> None:
    tip = tipster.tip()
    secret, _, _ = new_mailbox()
    answer = tipster.client.post(f"{TIPS}/mailbox", json={"secret": b64url(secret), "since": None, "items": []})
    assert answer.status_code == 404 and answer.json["error"]["code"] == "mailbox_not_found"
    near = bytes([tip.secret[0] ^ 1]) + tip.secret[1:]
    answer = tipster.client.post(f"{TIPS}/mailbox", json={"secret": b64url(near), "items": [follow_up()]})
    assert answer.status_code == 404 and answer.json["error"]["code"] == "mailbox_not_found"


# --- what moves when a phone syncs, and the rules ------------------------------------------------------------


def test_last_seen_is_the_communes_day_and_the_rules_publish_the_tip_settings(phone, head, client) -> None:
    phone.sync()
    groups = head.get("/api/v1/officer/groups").json
    seen = datetime.fromisoformat(next(g["last_seen_at"] for g in groups if g["code"] == "DONG-01"))
    local = seen.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (local.hour, local.minute, local.second) == (0, 0, 0), "midnight of the commune's day"
    assert datetime.now(UTC) - seen < timedelta(days=1)
    tips = client.get("/api/v1/rules").json["tips"]
    assert tips == {
        "tokens_per_day": 5,
        "delay_seconds": {"min": 1800, "max": 10800},
        "urgent_delay_seconds": {"min": 20, "max": 120},
        "mailbox_poll_seconds": 900,
        "quiet_seconds": 3600,
    }

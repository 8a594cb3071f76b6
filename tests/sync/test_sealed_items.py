"""Queued items sealed to the server's queue key (issue 11, server/queue_key.py): the phone seals what it
queues in a household's name, so a copy of the phone cannot read it; the server opens it at the edge of /sync and
stores it exactly as the same item sent in clear. What it cannot open is rejected alone, with a stable code."""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from server import queue_key
from server.attachments import storage
from server.extensions import db
from server.mailbox import sealing
from server.reports.models import Report
from tests.conftest import jpeg, message_item, photo_declaration, report_item
from tests.security.test_uploads import assert_clear_error


def _key(client: Any) -> dict[str, str]:  # the rules' queue key, which the sealing below may change
    answer = client.get("/api/v1/rules")
    assert answer.status_code == 200
    return answer.json["queue_key"]


def _sealed(item: dict[str, Any], key: dict[str, str], packed: bool = False) -> dict[str, Any]:
    """``conftest.sealed_for_server`` to a chosen key: its id, the key's id and the sealed item (``packed``:
    gzipped first, as the phone does)."""
    data = json.dumps(item).encode()
    box = sealing.seal(sealing.from_b64url(key["public_key"]), gzip.compress(data) if packed else data, queue_key.INFO)
    return {"id": item["id"], "key_id": key["key_id"], "sealed": box}


def test_a_sealed_report_is_stored_as_the_same_report_in_clear(client, phone, demo, officer) -> None:
    key = _key(client)
    household = demo.household("DONG-01").id
    item = report_item(household, kind="complaint", category=None, body="Nhà bên cạnh đánh vợ con mỗi tối.")
    first = phone.sync([_sealed(item, key)])
    assert first.json["results"][0]["status"] == "created", first.json
    shown = officer.get(f"/api/v1/officer/reports/{item['id']}").json
    assert shown["body"] == item["body"] and shown["household"]["id"] == household

    again = phone.sync([_sealed(item, key, packed=True)])  # a retry seals again (gzipped): the same item
    assert again.json["results"][0]["status"] == "duplicate"
    in_clear = phone.sync([item])  # an app of the first build sends the same item unsealed
    assert in_clear.json["results"][0]["status"] == "duplicate"
    assert db.session.scalar(db.select(db.func.count()).select_from(Report)) == 1

    follow_up = message_item(item["id"], body="Tối qua lại xảy ra nữa.")
    assert phone.sync([_sealed(follow_up, key)]).json["results"][0]["status"] == "created"


def test_what_the_server_cannot_open_is_rejected_alone(client, phone, demo) -> None:
    key = _key(client)
    household = demo.household("DONG-01").id
    good, other, forged, swapped = (report_item(household, body=f"Tin số {n}") for n in range(4))
    stranger = sealing.b64url(sealing.public_point(ec.generate_private_key(ec.SECP256R1())))
    tampered = _sealed(other, key)
    tampered["sealed"] = tampered["sealed"][:-4] + ("AAAA" if not tampered["sealed"].endswith("AAAA") else "BBBB")
    batch = [
        _sealed(good, key),
        tampered,
        _sealed(forged, {"key_id": key["key_id"], "public_key": stranger}),
        {**_sealed(swapped, key), "id": good["id"]},  # the box of one item sent as another
        {"id": other["id"], "key_id": "unknown", "sealed": "AAAA"},
        {"id": other["id"], "key_id": key["key_id"], "sealed": _bomb(key)},  # anyone may seal to a public key
        {"id": other["id"], "key_id": key["key_id"], "sealed": _gzip_bomb(key)},
    ]
    results = phone.sync(batch).json["results"]
    assert results[0]["status"] == "created"
    for result, sent in zip(results[1:], batch[1:], strict=True):
        assert result["status"] == "rejected" and result["id"] == sent["id"]
        assert result["error"]["code"] == "sealed_unreadable", result
    assert db.session.scalar(db.select(db.func.count()).select_from(Report)) == 1


def test_half_an_envelope_is_refused_as_an_item_of_no_type(client, phone, demo) -> None:
    """Only ``{id, key_id, sealed: "<box>"}`` is opened; anything else is checked as an item in clear."""
    key = _key(client)
    item = report_item(demo.household("DONG-01").id, body="Tin nửa phong bì")
    box = _sealed(item, key)["sealed"]
    batch = [
        {"id": item["id"], "sealed": box},  # no key named
        {"id": item["id"], "key_id": key["key_id"], "sealed": {"box": box}},  # not a box
        {**item, "key_id": key["key_id"], "sealed": box},  # an item in clear with a box beside it
    ]
    results = phone.sync(batch).json["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected"], results
    assert [r["error"]["code"] for r in results] == ["validation_error"] * 3, results
    assert db.session.scalar(db.select(db.func.count()).select_from(Report)) == 0


def test_items_sealed_before_a_secret_key_rotation_still_open(app, client, phone, demo, monkeypatch) -> None:
    old_key = _key(client)
    item = report_item(demo.household("DONG-01").id, body="Viết lúc mất sóng, trước khi máy chủ đổi khoá.")
    sealed = _sealed(item, old_key)
    old_secret = app.config["SECRET_KEY"]
    monkeypatch.setitem(app.config, "SECRET_KEY", "a new secret, after a rotation")
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_secret])
    new_key = _key(client)
    assert new_key["key_id"] != old_key["key_id"], "the rules publish the new key"
    assert phone.sync([sealed]).json["results"][0]["status"] == "created"
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    late = report_item(demo.household("DONG-01").id, body="Viết sau khi khoá cũ bị bỏ hẳn.")
    answer = phone.sync([_sealed(late, old_key)]).json["results"][0]
    assert answer["error"]["code"] == "sealed_unreadable"


def _bomb(key: dict[str, str]) -> str:
    """JSON nested far deeper than any item: what json.loads cannot take without recursing to its limit."""
    point = sealing.from_b64url(key["public_key"])
    return sealing.seal(point, b"[" * 100_000 + b"]" * 100_000, queue_key.INFO)


def _gzip_bomb(key: dict[str, str]) -> str:
    """A few kilobytes that unpack to 64 MB: refused without unpacking it all."""
    packed = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]")
    return sealing.seal(sealing.from_b64url(key["public_key"]), packed, queue_key.INFO)


def _nothing_kept(phone: Any, attachment_id: str) -> None:
    assert phone.upload_status(attachment_id).json["received"] == 0
    assert storage.part_size(attachment_id) == 0 and storage.read_final(attachment_id) is None


def _sealed_file(data: bytes, key: dict[str, str]) -> bytes:
    """What the phone uploads for a named report's photo or recording (pwa/js/outbox.js queuedFiles)."""
    return sealing.from_b64url(sealing.seal(sealing.from_b64url(key["public_key"]), data, queue_key.FILE_INFO))


def test_a_photo_sealed_in_the_queue_is_opened_checked_and_cleaned_once_uploaded(
    app, client, phone, demo, officer, monkeypatch
) -> None:
    key = _key(client)
    household = demo.household("DONG-01").id
    photo = jpeg(exif=True)
    sealed = _sealed_file(photo, key)
    declared = {**photo_declaration(sealed, "image/jpeg"), "key_id": key["key_id"]}
    report_id = phone.send_report(household_id=household, attachments=[declared])
    answer = phone.upload(declared["id"], sealed)
    assert answer.status_code == 200 and answer.json["complete"], answer.json
    shown = officer.get(f"/api/v1/officer/attachments/{declared['id']}")
    assert shown.status_code == 200 and shown.content_type == "image/jpeg"
    assert shown.data.startswith(b"\xff\xd8") and b"Exif" not in shown.data, "opened, then stripped as any photo"
    assert officer.get(f"/api/v1/officer/reports/{report_id}").json["attachments"][0]["key_version"] is None

    # Not the photo it says (a text sealed to the key): opened, then refused as any such upload, nothing kept.
    lie = _sealed_file(b"not a picture at all", key)
    declared_lie = {**photo_declaration(lie, "image/jpeg"), "key_id": key["key_id"]}
    phone.send_report(household_id=household, attachments=[declared_lie])
    assert_clear_error(phone.upload(declared_lie["id"], lie), 422, {"invalid_image"})
    _nothing_kept(phone, declared_lie["id"])
    # Sealed to a key that is not this server's: refused once whole, nothing kept; a retry from the start may follow.
    stranger = {
        "key_id": key["key_id"],
        "public_key": sealing.b64url(sealing.public_point(ec.generate_private_key(ec.SECP256R1()))),
    }
    forged = _sealed_file(photo, stranger)
    declared_forged = {**photo_declaration(forged, "image/jpeg"), "key_id": key["key_id"]}
    phone.send_report(household_id=household, attachments=[declared_forged])
    assert_clear_error(phone.upload(declared_forged["id"], forged), 422, {"sealed_unreadable"})
    _nothing_kept(phone, declared_forged["id"])

    unknown = report_item(household, attachments=[{**declared, "id": str(uuid.uuid4()), "key_id": "AAAAAAAA"}])
    both = report_item(household, attachments=[{**declared, "id": str(uuid.uuid4()), "key_version": 1}])
    results = phone.sync([unknown, both]).json["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"], results

    # Queued before a SECRET_KEY rotation, uploaded after it: the fallback key opens it.
    late = _sealed_file(photo, key)
    declared_late = {**photo_declaration(late, "image/jpeg"), "key_id": key["key_id"]}
    phone.send_report(household_id=household, attachments=[declared_late])
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [app.config["SECRET_KEY"]])
    monkeypatch.setitem(app.config, "SECRET_KEY", "a new secret, after a rotation")
    assert phone.upload(declared_late["id"], late).json["complete"]

"""Tips sealed end to end to the commune (issue 11): the head makes the key, phones seal to it, the server keeps
ciphertext only, officers open it with the passphrase, a new key leaves old tips readable, and the province opens
a lost passphrase's key with its recovery key."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, text

from server.attachments import storage
from server.commune_keys import wrapping
from server.extensions import db
from server.mailbox import sealing
from server.reports.models import Report
from tests.attachments.test_voice import WEBM
from tests.conftest import jpeg, message_item, photo_declaration, report_item
from tests.sync.test_push_statements import counted
from tests.tips.tipster import Tipster, follow_up

PASSPHRASE = "ba con yên tâm báo tin 2026"
WORDS = "Nhà ông Tư ở xóm Đồng Me tối nào cũng có người lạ vào bán ma tuý, khoảng 22 giờ."
PLACE = "Xóm Đồng Me, cạnh trạm bơm"


def make_key(head: Any, passphrase: str = PASSPHRASE) -> tuple[int, ec.EllipticCurvePrivateKey]:
    """What the head's browser does (pwa/officer/js/commune-key.js): a key pair, wrapped twice, the public half."""
    listed = head.get("/api/v1/officer/commune-keys").json
    recovery = sealing.from_b64url(listed["recovery_public_key"])
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    answer = head.post(
        "/api/v1/officer/commune-keys",
        json={
            "public_key": sealing.b64url(sealing.public_point(key)),
            "passphrase_wrap": json.loads(wrapping.wrap_with_passphrase(key, passphrase)),
            "recovery_wrap": sealing.seal(recovery, der, wrapping.RECOVERY_INFO),
        },
    )
    assert answer.status_code == 201, answer.json
    return answer.json["version"], key


def sealed(point: str, version: int, **words: str) -> dict[str, Any]:
    """What the phone sends instead of the words (pwa/js/outbox.js tipWords)."""
    box = sealing.seal(sealing.from_b64url(point), json.dumps(words).encode(), wrapping.TIP_INFO)
    return {"key_version": version, "box": box}


def open_words(key: ec.EllipticCurvePrivateKey, record: dict[str, Any]) -> dict[str, str]:
    return dict(json.loads(sealing.open_sealed(key, record["sealed"]["box"], wrapping.TIP_INFO)))


def unwrap(officer: Any, version: int, passphrase: str = PASSPHRASE) -> ec.EllipticCurvePrivateKey:
    """What an officer's browser does with the passphrase."""
    keys = {k["version"]: k for k in officer.get("/api/v1/officer/commune-keys").json["keys"]}
    return wrapping.unwrap_with_passphrase(json.dumps(keys[version]["passphrase_wrap"]), passphrase)


def test_the_head_makes_the_key_and_phones_get_its_public_half(province, head, officer, tipster: Tipster) -> None:
    assert tipster.client.get("/api/v1/tips/key", headers=tipster.device_headers).json["commune_key"] is None
    made = officer.post("/api/v1/officer/commune-keys", json={})
    assert made.status_code == 403  # only the head makes it
    version, key = make_key(head)
    assert version == 1
    got = tipster.client.get("/api/v1/tips/key", headers=tipster.device_headers).json["commune_key"]
    assert got == {"version": 1, "public_key": sealing.b64url(sealing.public_point(key))}
    listed = officer.get("/api/v1/officer/commune-keys").json["keys"]
    assert [k["version"] for k in listed] == [1] and "recovery_wrap" not in listed[0]
    assert sealing.public_point(unwrap(officer, 1)) == sealing.public_point(key)
    with pytest.raises(InvalidTag):
        unwrap(officer, 1, "not the passphrase at all")


def test_a_sealed_tip_is_stored_and_shown_as_ciphertext_only(province, head, officer, tipster, phone, demo) -> None:
    version, key = make_key(head)
    point = tipster.client.get("/api/v1/tips/key", headers=tipster.device_headers).json["commune_key"]["public_key"]
    anonymous = tipster.new_tip(body="", location="", sealed=sealed(point, version, body=WORDS, location=PLACE))
    assert tipster.send(anonymous).status_code == 201
    follow = follow_up("")
    del follow["body"]
    follow["sealed"] = sealed(point, version, body="Hôm nay họ đổi sang xe tải màu xanh.")
    assert tipster.mailbox(anonymous, [follow]).json["results"][0]["status"] == "created"
    household = demo.household("DONG-01")
    named = report_item(household.id, kind="tip", category="drugs", body="", location="")
    named["sealed"] = sealed(point, version, body=WORDS + " (hộ có tên)", location=PLACE)
    answer = phone.sync([named])
    assert answer.json["results"][0]["status"] == "created", answer.json
    more = message_item(named["id"], body="")
    more["sealed"] = sealed(point, version, body="Bổ sung: có thêm hai người.")
    assert phone.sync([more]).json["results"][0]["status"] == "created"

    for tip_id in (anonymous.id, named["id"]):
        shown = officer.get(f"/api/v1/officer/reports/{tip_id}").json
        assert shown["body"] == "" and shown["location"] == "" and shown["sealed"]["key_version"] == 1
        assert open_words(key, shown)["body"].startswith(WORDS) and open_words(key, shown)["location"] == PLACE
        household_words = [m for m in shown["messages"] if m["author"] == "household"]
        assert household_words[0]["body"] == "" and open_words(key, household_words[0])["body"]
    # The officer's search cannot find sealed words: the server does not hold them. The console asks for the sealed
    # tips alone and searches them once opened.
    assert officer.get("/api/v1/officer/reports?q=ma%20tuy").json["items"] == []
    phone.sync([report_item(household.id, kind="question", category=None, body="Hỏi thủ tục tạm trú")])
    listed = officer.get("/api/v1/officer/reports?sealed=true").json["items"]
    assert sorted(r["id"] for r in listed) == sorted([str(anonymous.id), named["id"]])
    assert _database_text_holds("Đồng Me") == []
    assert _database_text_holds("xe tải") == []


def _database_text_holds(needle: str) -> list[str]:
    """Every text column of every table that holds ``needle`` (a dump of the database, as SQL can read it)."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, (sa.String, sa.Text, sa.JSON)):
                continue
            hit = db.session.execute(
                text(f'SELECT 1 FROM "{table.name}" WHERE CAST("{column.name}" AS TEXT) LIKE :needle'),
                {"needle": f"%{needle}%"},
            ).first()
            if hit:
                found.append(f"{table.name}.{column.name}")
    return found


def test_tips_in_clear_and_sealed_never_both(province, head, phone, demo) -> None:
    version, key = make_key(head)
    point = sealing.b64url(sealing.public_point(key))
    household = demo.household("DONG-01")
    both = report_item(household.id, kind="tip", category="drugs", body=WORDS)
    both["sealed"] = sealed(point, version, body=WORDS)
    neither = report_item(household.id, kind="tip", category="drugs", body="")
    not_a_tip = report_item(household.id, kind="question", category=None, body="", location="")
    not_a_tip["sealed"] = sealed(point, version, body="Hỏi thủ tục")
    unknown = report_item(household.id, kind="tip", category="drugs", body="", location="")
    unknown["sealed"] = sealed(point, version + 1, body=WORDS)
    results = phone.sync([both, neither, not_a_tip, unknown]).json["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4
    codes = [r["error"]["code"] for r in results]
    assert codes == ["validation_error"] * 3 + ["unknown_commune_key"]
    assert [sorted(r["error"]["fields"]) for r in results[:3]] == [["body"], ["body"], ["sealed"]]
    assert db.session.scalar(select(Report.id)) is None


def test_a_new_key_seals_new_tips_and_old_ones_stay_readable(province, head, officer, tipster) -> None:
    first_version, first = make_key(head)
    old = tipster.new_tip(body="", location="", sealed=sealed(_point(first), first_version, body="tin cũ"))
    assert tipster.send(old).status_code == 201
    second_version, second = make_key(head)
    got = tipster.client.get("/api/v1/tips/key", headers=tipster.device_headers).json["commune_key"]
    assert got["version"] == second_version == 2 and got["public_key"] == _point(second)
    new = tipster.new_tip(body="", location="", sealed=sealed(got["public_key"], 2, body="tin mới"))
    assert tipster.send(new).status_code == 201
    opened = {v: unwrap(officer, v) for v in (1, 2)}  # one passphrase opens both versions
    for tip, words in ((old, "tin cũ"), (new, "tin mới")):
        shown = officer.get(f"/api/v1/officer/reports/{tip.id}").json
        assert open_words(opened[shown["sealed"]["key_version"]], shown)["body"] == words


def test_a_lost_passphrase_is_recovered_with_the_province_key(app, province, head, officer, tipster, tmp_path) -> None:
    version, key = make_key(head, "the passphrase nobody remembers")
    tip = tipster.new_tip(body="", location="", sealed=sealed(_point(key), version, body=WORDS))
    assert tipster.send(tip).status_code == 201
    province_file = tmp_path / "province.pem"
    runner = app.test_cli_runner()
    wrong = ec.generate_private_key(ec.SECP256R1())
    wrong_file = tmp_path / "wrong.pem"
    wrong_file.write_bytes(
        wrong.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    refused: Result = runner.invoke(
        args=["commune-keys", "recover", "binhan", "--recovery-key", str(wrong_file)],
        input="một mật khẩu mới dài\nmột mật khẩu mới dài\n",
    )
    assert refused.exit_code != 0 and "not sealed to this recovery key" in refused.output
    done = runner.invoke(
        args=["commune-keys", "recover", "binhan", "--recovery-key", str(province_file)],
        input="một mật khẩu mới dài\nmột mật khẩu mới dài\n",
    )
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    recovered = unwrap(officer, version, "một mật khẩu mới dài")
    shown = officer.get(f"/api/v1/officer/reports/{tip.id}").json
    assert open_words(recovered, shown)["body"] == WORDS
    with pytest.raises(InvalidTag):
        unwrap(officer, version, "the passphrase nobody remembers")


def _point(key: ec.EllipticCurvePrivateKey) -> str:
    return sealing.b64url(sealing.public_point(key))


def test_a_key_without_the_province_recovery_key_is_refused(app, head, monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(app.config, "PROVINCE_RECOVERY_KEY", "")
    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # and no demo .pub
    key = ec.generate_private_key(ec.SECP256R1())
    answer = head.post(
        "/api/v1/officer/commune-keys",
        json={
            "public_key": _point(key),
            "passphrase_wrap": json.loads(wrapping.wrap_with_passphrase(key, PASSPHRASE)),
            "recovery_wrap": sealing.seal(sealing.public_point(key), b"x" * 138, wrapping.RECOVERY_INFO),
        },
    )
    assert answer.status_code == 422 and answer.json["error"]["code"] == "recovery_key_missing"


def test_a_batch_of_sealed_tips_reads_the_commune_key_versions_once(province, head, phone, demo) -> None:
    version, key = make_key(head)
    point = sealing.b64url(sealing.public_point(key))
    household = demo.household("DONG-01")
    batch = []
    for n in range(20):
        tip = report_item(household.id, kind="tip", category="drugs", body="", location="")
        tip["sealed"] = sealed(point, version, body=f"{WORDS} ({n})")
        batch.append(tip)
    with counted() as statements:
        results = phone.sync(batch).json["results"]
    assert [r["status"] for r in results] == ["created"] * 20
    assert len([s for s in statements if "FROM commune_key" in s]) == 1, statements


def seal_file(point: str, data: bytes) -> bytes:
    """What the phone uploads for a tip's photo or recording (pwa/js/outbox.js sealFiles)."""
    return sealing.from_b64url(sealing.seal(sealing.from_b64url(point), data, wrapping.FILE_INFO))


def declare(data: bytes, content_type: str, version: int | None, **more: Any) -> dict[str, Any]:
    return {**photo_declaration(data, content_type), "key_version": version, **more}


def test_a_tips_photo_and_recording_reach_the_server_as_ciphertext_only(
    province, head, officer, tipster: Tipster, phone, demo, app
) -> None:
    version, key = make_key(head)
    point = sealing.b64url(sealing.public_point(key))
    photo, recording = jpeg(exif=True), WEBM
    files = {"photo": seal_file(point, photo), "voice": seal_file(point, recording)}
    assert len(files["photo"]) == len(photo) + 93
    declared = {
        "photo": declare(files["photo"], "image/jpeg", version),
        "voice": declare(files["voice"], "audio/webm", version, duration_ms=4200),
    }
    words = sealed(point, version, body=WORDS, location=PLACE)
    tip = tipster.new_tip(body="", location="", sealed=words, attachments=list(declared.values()))
    assert tipster.send(tip).status_code == 201
    for name, data in files.items():
        answer = tipster.upload(tip, declared[name]["id"], data)
        assert answer.status_code == 200 and answer.json["complete"], answer.json

    shown = officer.get(f"/api/v1/officer/reports/{tip.id}").json
    by_id = {a["id"]: a for a in shown["attachments"]}
    assert by_id[declared["photo"]["id"]]["key_version"] == version
    assert by_id[declared["voice"]["id"]]["duration_ms"] == 4200  # as the phone counted it: the server cannot
    for name, plain in (("photo", photo), ("voice", recording)):
        fetched = officer.get(f"/api/v1/officer/attachments/{declared[name]['id']}")
        assert fetched.status_code == 200 and fetched.content_type == "application/octet-stream"
        assert fetched.data == files[name], "kept as it came: no re-encoding of what the server cannot read"
        assert sealing.open_sealed(key, sealing.b64url(fetched.data), wrapping.FILE_INFO) == plain
        with app.app_context():
            stored = storage.read_final(declared[name]["id"]) or b""
        assert plain[:64] not in stored and b"Exif" not in stored
    transcript = officer.post(
        f"/api/v1/officer/reports/{tip.id}/transcript",
        json={"attachment_id": declared["voice"]["id"], "transcript": "Có người bán ma tuý"},
    )
    assert transcript.status_code == 409 and transcript.json["error"]["code"] == "sealed_file"

    household = demo.household("DONG-01").id
    named = report_item(household, kind="tip", category="drugs", body="", location="")
    named["sealed"] = words
    named["attachments"] = [declare(seal_file(point, photo), "image/jpeg", version)]
    not_a_tip = report_item(household, kind="question", category=None)
    not_a_tip["attachments"] = [declare(seal_file(point, photo), "image/jpeg", version)]
    unknown = report_item(household, kind="tip", category="drugs", body="", location="")
    unknown["sealed"] = words
    unknown["attachments"] = [declare(seal_file(point, photo), "image/jpeg", version + 1)]
    too_big = report_item(household, kind="tip", category="drugs", body="", location="")
    too_big["sealed"] = words
    too_big["attachments"] = [{**declare(photo, "image/jpeg", version), "size": 5 * 1024 * 1024 + 94}]
    results = phone.sync([named, not_a_tip, unknown, too_big]).json["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "rejected", "rejected"], results
    assert results[1]["error"]["fields"] == {"attachments": ["Only a tip's files are sealed to the commune."]}
    assert results[2]["error"]["code"] == "unknown_commune_key"
    assert "attachments" in results[3]["error"]["fields"]

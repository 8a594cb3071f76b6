"""Voice recordings (issue 16): uploaded like photos, checked by their own bytes, stored without metadata.

The fixtures in data/ were made once with espeak-ng and ffmpeg (16 kbit/s mono Opus, titled "Secret title" by
"Nguyen Van A"): voice.webm as a live stream (a Segment of unknown size, as Chromium's MediaRecorder writes it),
voice.ogg as Firefox records. The over-long recording is built here from voice.webm's own clusters.
"""

from __future__ import annotations

import contextlib
import io
import random
import shutil
import struct
import uuid
import zipfile
from pathlib import Path

import pytest

from server.attachments import audio, storage
from server.attachments.models import Attachment
from server.extensions import db
from tests.conftest import photo_declaration, png_bytes, report_item

DATA = Path(__file__).parent / "data"
WEBM = (DATA / "voice.webm").read_bytes()
OGG = (DATA / "voice.ogg").read_bytes()
METADATA = (b"Secret title", b"Nguyen Van A", b"Lavf", b"Lavc", b"ENCODER", b"TITLE")

stores = pytest.mark.usefixtures("attachment_store")


def upload(phone, attachment_id: str, data: bytes, chunk: int = 1024):
    response = None
    for offset in range(0, len(data), chunk):
        response = phone.upload(attachment_id, data[offset : offset + chunk], offset)
    return response


def long_webm(seconds: int) -> bytes:
    """voice.webm's clusters repeated, each copy later by the length of the one before, up to ``seconds``."""
    clean = audio.clean(WEBM).data
    _, _start, end = audio._element(clean, 0, len(clean))
    _, seg_start, seg_end = audio._element(clean, end, len(clean))
    children = audio._children(clean, seg_start, seg_end)
    head = b"".join(audio._write(i, clean[s:e]) for i, s, e in children if i in (audio.INFO, audio.TRACKS))
    clusters = [(s, e) for i, s, e in children if i == audio.CLUSTER]
    out = b""
    step = audio.clean(WEBM).duration_ms + 100
    shift = 0
    while shift < seconds * 1000:
        for s, e in clusters:
            parts = audio._children(clean, s, e)
            body = b""
            for i, ps, pe in parts:
                value = clean[ps:pe]
                if i == audio.TIMECODE:
                    value = struct.pack(">Q", audio._uint(clean, ps, pe) + shift)
                body += audio._write(i, value)
            out += audio._write(audio.CLUSTER, body)
        shift += step
    return clean[:end] + audio._write(audio.SEGMENT, head + out)


@stores
def test_cut_recording_resumes_to_the_same_sound_without_metadata(app, phone, officer, demo):
    for data, content_type in ((WEBM, "audio/webm"), (OGG, "audio/ogg")):
        assert any(marker in data for marker in METADATA)  # the original does say who made it and with what
        declared = photo_declaration(data, content_type)
        report_id = phone.send_report(body="", attachments=[declared])
        cut = len(data) * 3 // 5
        assert phone.upload(declared["id"], data[:cut]).json["received"] == cut
        resume_at = phone.upload_status(declared["id"]).json["received"]  # the link dropped: ask, then go on
        assert resume_at == cut
        assert phone.upload(declared["id"], data[resume_at:], resume_at).json["complete"] is True

        stored = storage.read_final(declared["id"])
        assert stored is not None
        for marker in METADATA:
            assert marker not in stored, marker
        again = audio.clean(stored)  # still a valid recording, of the same length; cleaning it changes nothing
        assert again.data == stored
        row = db.session.get(Attachment, uuid.UUID(declared["id"]))
        assert row.content_type == content_type
        assert 1500 < row.duration_ms < 3000 and again.duration_ms == row.duration_ms
        heard = officer.get(f"/api/v1/officer/attachments/{declared['id']}")
        assert heard.status_code == 200 and heard.mimetype == content_type and heard.data == stored
        assert officer.get(f"/api/v1/officer/reports/{report_id}").json["body"] == ""


def test_the_sound_itself_is_kept(app, phone, demo):
    """Every Opus packet of the original is in the stored file, in order (only the wrapping changed)."""
    declared = photo_declaration(WEBM, "audio/webm")
    phone.send_report(attachments=[declared])
    upload(phone, declared["id"], WEBM, chunk=len(WEBM))
    stored = storage.read_final(declared["id"])
    blocks = [WEBM[i : i + 40] for i in range(WEBM.index(b"\xa3"), len(WEBM) - 40, 997)]
    assert sum(block in stored for block in blocks) >= len(blocks) - 2


def _html() -> bytes:
    return b"<!doctype html><html><body><script>alert(1)</script></body></html>" * 20


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("voice.webm", WEBM)
    return out.getvalue()


@stores
def test_what_is_not_a_recording_is_refused(app, phone, demo):
    payloads = {
        "html-renamed": _html(),
        "png": png_bytes(size=64),
        "zip": _zip(),
        "truncated-webm": WEBM[: len(WEBM) // 2] + bytes(len(WEBM) // 2),
    }
    declared = {name: photo_declaration(payload, "audio/webm") for name, payload in payloads.items()}
    for name, payload in payloads.items():
        phone.send_report(attachments=[declared[name]])
        response = upload(phone, declared[name]["id"], payload, chunk=len(payload))
        assert response.status_code == 422, name
        assert response.json["error"]["code"] == "not_audio", name
        assert phone.upload_status(declared[name]["id"]).json == {
            "id": declared[name]["id"],
            "size": len(payload),
            "received": 0,
            "complete": False,
        }
        assert storage.read_final(declared[name]["id"]) is None
    as_photo = photo_declaration(WEBM, "image/png")  # a recording is not an image either
    phone.send_report(attachments=[as_photo])
    response = upload(phone, as_photo["id"], WEBM, chunk=len(WEBM))
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_image"


def test_over_two_minutes_is_refused(phone, demo):
    payload = long_webm(125)
    assert len(payload) < audio.MAX_BYTES
    declared = photo_declaration(payload, "audio/webm")
    phone.send_report(attachments=[declared])
    response = upload(phone, declared["id"], payload, chunk=200_000)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "audio_too_long"
    assert storage.read_final(declared["id"]) is None
    # Just under the limit is accepted.
    fits = long_webm(115)
    assert 115_000 <= audio.clean(fits).duration_ms <= 121_500


def test_declarations_allow_one_recording_and_need_text_or_voice(phone, demo):
    household = phone.group["households"][0]["id"]
    voice = photo_declaration(WEBM, "audio/webm")
    cases = {
        "no text, no voice": {"body": " ", "attachments": []},
        "two recordings": {"attachments": [voice, photo_declaration(OGG, "audio/ogg")]},
        "four photos": {"attachments": [photo_declaration(png_bytes(c)) for c in ("red", "blue", "green", "white")]},
        "too large": {"attachments": [{**voice, "size": audio.MAX_BYTES + 1}]},
    }
    for name, overrides in cases.items():
        result = phone.sync([report_item(household, **overrides)]).json["results"][0]
        assert result["status"] == "rejected", name
    three_and_voice = [photo_declaration(png_bytes(c)) for c in ("red", "blue", "green")] + [voice]
    ok = phone.sync([report_item(household, body="", attachments=three_and_voice)]).json["results"][0]
    assert ok["status"] == "created"


def test_rules_publish_the_voice_limits(client):
    limits = client.get("/api/v1/rules").json["limits"]
    assert limits["photos_per_report"] == 3
    assert limits["voice_seconds"] == 120 and limits["voice_bytes"] == audio.MAX_BYTES


# --- officers listen, transcribe and answer by voice ------------------------------------------------------------


def test_transcripts_are_searchable_and_the_queue_filters_recordings(phone, officer, demo):
    voice = photo_declaration(WEBM, "audio/webm")
    spoken = phone.send_report(kind="help", category=None, body="", attachments=[voice])
    upload(phone, voice["id"], WEBM, chunk=len(WEBM))
    typed = phone.send_report(kind="help", category=None, body="Đường vào bản bị sạt lở")
    with_voice = officer.get("/api/v1/officer/reports?has_voice=true").json["items"]
    assert [r["id"] for r in with_voice] == [spoken]
    assert with_voice[0]["attachments"][0]["duration_ms"] > 1500
    assert {r["id"] for r in officer.get("/api/v1/officer/reports").json["items"]} == {spoken, typed}

    saved = officer.post(
        f"/api/v1/officer/reports/{spoken}/transcript",
        json={"attachment_id": voice["id"], "transcript": "Nhà tôi bị mất trộm gà"},
    )
    assert saved.status_code == 200, saved.json
    assert saved.json["attachments"][0]["transcript"] == "Nhà tôi bị mất trộm gà"
    found = officer.get("/api/v1/officer/reports?q=trom%20ga").json["items"]
    assert [r["id"] for r in found] == [spoken]  # typed without tones, found in what the officer heard
    not_voice = officer.post(
        f"/api/v1/officer/reports/{typed}/transcript", json={"attachment_id": voice["id"], "transcript": "x"}
    )
    assert not_voice.status_code == 404


def test_a_voice_reply_reaches_only_its_groups_phone_encrypted_with_a_key_in_the_reply(
    phone, officer, demo, enrol_phone
):
    report_id = phone.send_report(kind="question", category=None)
    phone.pull_all()
    refused = officer.post(
        f"/api/v1/officer/reports/{report_id}/voice-reply", data=png_bytes(size=32), content_type="audio/webm"
    )
    assert refused.status_code == 422 and refused.json["error"]["code"] == "not_audio"
    answer = officer.post(
        f"/api/v1/officer/reports/{report_id}/voice-reply?body=Mời+bác+lên+xã", data=OGG, content_type="audio/ogg"
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["voice"]["content_type"] == "audio/ogg" and answer.json["body"] == "Mời bác lên xã"
    [change] = [c for c in phone.pull_all() if c["type"] == "message"]  # the refused one left nothing
    voice = change["voice"]  # this household has no keys yet: the reply is in clear, as its text is
    assert change["voice_id"] == voice["id"] and voice["duration_ms"] > 1500

    fetched = phone.client.get(f"/api/v1/voice-replies/{voice['id']}", headers=phone.headers, buffered=True)
    assert fetched.status_code == 200 and fetched.mimetype == "application/octet-stream"
    assert b"OpusHead" not in fetched.data  # the device token alone gets ciphertext
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from server.mailbox.sealing import from_b64url

    clear = AESGCM(from_b64url(voice["key"])).decrypt(fetched.data[:12], fetched.data[12:], None)
    assert clear == storage.read_final(voice["id"]) and audio.clean(clear).data == clear
    other = enrol_phone("TAY-01")
    elsewhere = other.client.get(f"/api/v1/voice-replies/{voice['id']}", headers=other.headers)
    assert elsewhere.status_code == 404
    heard = officer.get(f"/api/v1/officer/reports/{report_id}").json["messages"][-1]
    assert heard["voice"]["id"] == voice["id"]
    assert officer.get(f"/api/v1/officer/attachments/{voice['id']}").data == clear


def test_a_voice_reply_to_a_claimed_household_is_sealed_to_its_key(phone, head, officer, demo):
    from server.mailbox.sealing import from_b64url
    from tests.households.test_envelopes import HOUSEHOLD_INFO, claimed
    from tests.tips.tipster import open_entry

    household = demo.household("DONG-01", 1)
    keys = claimed(phone, head, household.id)
    item = keys.sign(report_item(household.id, body="", attachments=[photo_declaration(WEBM, "audio/webm")]))
    assert phone.sync([item]).json["results"][0]["status"] == "created"
    answer = officer.post(f"/api/v1/officer/reports/{item['id']}/voice-reply", data=WEBM, content_type="audio/webm")
    assert answer.status_code == 201, answer.json
    [change] = [c for c in phone.pull_all() if c["type"] == "message"]
    assert set(change) == {"type", "household_id", "sealed", "voice_id"}  # the id outside, to fetch; no key
    opened = open_entry(keys.box, change["sealed"], HOUSEHOLD_INFO)
    assert opened["voice"]["id"] == change["voice_id"]
    fetched = phone.client.get(f"/api/v1/voice-replies/{change['voice_id']}", headers=phone.headers, buffered=True)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    clear = AESGCM(from_b64url(opened["voice"]["key"])).decrypt(fetched.data[:12], fetched.data[12:], None)
    assert audio.clean(clear).duration_ms == opened["voice"]["duration_ms"]


def test_an_announcement_carries_a_voice_version(officer, phone):
    draft = officer.post(
        "/api/v1/officer/announcements", json={"title": "Lịch tiêm phòng", "body": "Sáng thứ bảy tại nhà văn hoá."}
    ).json
    uploaded = officer.post(
        f"/api/v1/officer/announcements/{draft['id']}/files?name=doc-thong-bao.webm",
        data=WEBM,
        content_type="audio/webm",
    )
    assert uploaded.status_code == 201 and uploaded.json["content_type"] == "audio/webm"
    officer.post(f"/api/v1/officer/announcements/{draft['id']}/publish")
    [received] = [c for c in phone.pull_all() if c["type"] == "announcement" and c["id"] == draft["id"]]
    [file] = received["files"]
    assert file["content_type"] == "audio/webm"
    got = phone.client.get(
        f"/api/v1/announcements/{draft['id']}/files/{file['id']}", headers=phone.headers, buffered=True
    )
    assert got.status_code == 200 and b"Secret title" not in got.data and audio.clean(got.data).data == got.data


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is not installed")
def test_ffprobe_agrees_when_asked():
    from flask import Flask

    app = Flask("ffprobe")
    app.config["AUDIO_FFPROBE"] = True
    with app.app_context():
        assert audio.clean(WEBM).content_type == "audio/webm"
        assert audio.clean(OGG).content_type == "audio/ogg"


def test_damaged_recordings_are_refused_cleanly():
    """Bytes flipped or cut anywhere: the check answers not_audio (or a length), never a server error."""
    rng = random.Random(16)
    for _ in range(300):
        damaged = bytearray(rng.choice([WEBM, OGG]))
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.3:
            damaged = damaged[: rng.randrange(len(damaged))]
        with contextlib.suppress(audio.NotAudio, audio.AudioTooLong):
            audio.clean(bytes(damaged))


def test_an_anonymous_tip_may_be_spoken_only(phone, officer, demo):
    from tests.tips.tipster import Tipster

    tipster = Tipster.of(phone)
    voice = photo_declaration(OGG, "audio/ogg")
    tip = tipster.tip(body="", attachments=[voice])
    answer = tipster.upload(tip, voice["id"], OGG)
    assert answer.status_code == 200 and answer.json["complete"] is True, answer.json
    [stored] = [r for r in officer.get("/api/v1/officer/reports?has_voice=true").json["items"] if r["anonymous"]]
    assert stored["body"] == "" and stored["group"] is None and stored["attachments"][0]["duration_ms"] > 1500
    assert b"Secret title" not in (storage.read_final(voice["id"]) or b"Secret title")

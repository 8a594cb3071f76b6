"""Voice recordings (issue 16): uploaded like photos, checked by their own bytes, stored without metadata.

The fixtures in data/ were made once with espeak-ng and ffmpeg (16 kbit/s mono Opus, titled "Secret title" by
"Nguyen Van A"): voice.webm as a live stream (a Segment of unknown size, as Chromium's MediaRecorder writes it),
voice.ogg as Firefox records. The over-long recording is built here from voice.webm's own clusters.
"""

from __future__ import annotations

import io
import struct
import uuid
import zipfile
from pathlib import Path

import pytest

from server.attachments import audio, storage
from server.attachments.models import Attachment
from server.extensions import db
from tests.conftest import photo_declaration, png_bytes

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
@pytest.mark.parametrize("data,content_type", [(WEBM, "audio/webm"), (OGG, "audio/ogg")], ids=["webm", "ogg"])
def test_cut_recording_resumes_to_the_same_sound_without_metadata(app, phone, officer, demo, data, content_type):
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
    again = audio.clean(stored)  # still a valid recording, of the same length, and cleaning it changes nothing
    assert again.data == stored
    row = db.session.get(Attachment, uuid.UUID(declared["id"]))
    assert row.content_type == content_type
    assert 1500 < row.duration_ms < 3000 and again.duration_ms == row.duration_ms
    heard = officer.get(f"/api/v1/officer/attachments/{declared['id']}")
    assert heard.status_code == 200 and heard.mimetype == content_type and heard.data == stored
    queued = officer.get(f"/api/v1/officer/reports/{report_id}").json
    assert queued["body"] == ""


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


def test_a_recording_declared_as_a_photo_is_not_an_image(phone, demo):
    declared = photo_declaration(WEBM, "image/png")
    phone.send_report(attachments=[declared])
    response = upload(phone, declared["id"], WEBM, chunk=len(WEBM))
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
    from tests.conftest import report_item

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

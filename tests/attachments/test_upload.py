"""Resumable photo upload: offsets, SHA-256 check, metadata stripped, nothing half-written left behind.

Every test runs on each attachment store (``attachment_store``: the local directory and an S3 bucket).
"""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from PIL import Image

from server.attachments import storage
from server.attachments.models import Attachment
from server.extensions import db
from tests.conftest import GPS_IFD, jpeg, photo_declaration

pytestmark = pytest.mark.usefixtures("attachment_store")


def upload(phone, attachment_id: str, data: bytes, chunk: int = 4096):
    """The whole photo in ``chunk``-byte pieces, as the PWA sends it; returns the last answer."""
    response = None
    for offset in range(0, len(data), chunk):
        response = phone.upload(attachment_id, data[offset : offset + chunk], offset)
    return response


def test_resumed_upload_completes_with_exif_and_gps_gone(app, phone, officer, demo):
    photo = jpeg(exif=True)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(GPS_IFD)  # the original does carry GPS
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    assert phone.upload_status(declared["id"]).json == {
        "id": declared["id"],
        "size": len(photo),
        "received": 0,
        "complete": False,
    }
    cut = len(photo) * 2 // 5
    assert phone.upload(declared["id"], photo[:cut]).json["received"] == cut
    # The link dropped; the phone does not know what arrived. It asks, then resumes from there.
    resume_at = phone.upload_status(declared["id"]).json["received"]
    assert resume_at == cut
    done = phone.upload(declared["id"], photo[resume_at:], resume_at)
    assert done.status_code == 200 and done.json["complete"] is True
    final = phone.upload_status(declared["id"]).json
    assert final["complete"] is True and final["received"] == len(photo)

    downloaded = officer.get(f"/api/v1/officer/attachments/{declared['id']}")
    assert downloaded.status_code == 200
    assert downloaded.mimetype == "image/jpeg"
    cleaned = Image.open(io.BytesIO(downloaded.data))
    assert cleaned.size == (640, 480)
    assert len(cleaned.getexif()) == 0
    assert b"Model X" not in downloaded.data and b"PhoneMaker" not in downloaded.data
    assert storage.part_size(declared["id"]) == 0, "no chunk left behind"
    assert [name for name in storage.current().names() if "part" in name] == []


def test_photo_without_metadata_is_kept_byte_for_byte(app, phone, officer, demo):
    photo = jpeg(exif=False)
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    upload(phone, declared["id"], photo, chunk=5000)
    assert officer.get(f"/api/v1/officer/attachments/{declared['id']}").data == photo
    assert storage.read_final(declared["id"]) == photo


def test_orientation_is_applied_before_exif_goes(phone, officer, demo):
    photo = jpeg(exif=True, size=(400, 200), orientation=6)  # "rotate 90° clockwise to display"
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    upload(phone, declared["id"], photo)
    cleaned = Image.open(io.BytesIO(officer.get(f"/api/v1/officer/attachments/{declared['id']}").data))
    assert cleaned.size == (200, 400)


def test_wrong_offset_is_refused_and_changes_nothing(phone, demo):
    photo = jpeg(exif=False)
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    phone.upload(declared["id"], photo[:1000])
    response = phone.upload(declared["id"], photo[2000:3000], 2000)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "offset_mismatch"
    assert phone.upload_status(declared["id"]).json["received"] == 1000


def test_repeated_last_chunk_after_completion_is_answered_as_complete(phone, demo):
    photo = jpeg(exif=False)
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    half = len(photo) // 2
    phone.upload(declared["id"], photo[:half])
    assert phone.upload(declared["id"], photo[half:], half).json["complete"] is True
    again = phone.upload(declared["id"], photo[half:], half)  # the answer was lost; the phone sends it again
    assert again.status_code == 200
    assert again.json["complete"] is True


def test_checksum_mismatch_drops_the_bytes(app, phone, demo):
    photo = jpeg(exif=False)
    declared = {**photo_declaration(photo, "image/jpeg"), "sha256": hashlib.sha256(b"something else").hexdigest()}
    phone.send_report(attachments=[declared])
    response = upload(phone, declared["id"], photo, chunk=len(photo))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "checksum_mismatch"
    assert phone.upload_status(declared["id"]).json["received"] == 0
    assert storage.read_final(declared["id"]) is None
    assert storage.part_size(declared["id"]) == 0


@pytest.mark.parametrize(
    "payload",
    [b"%PDF-1.7 not a photo at all" * 10, b"\xff\xd8\xff\xe0 truncated jpeg header"],
    ids=["pdf-as-jpeg", "truncated-jpeg"],
)
def test_a_file_that_is_not_a_readable_image_is_refused(app, phone, demo, payload):
    declared = photo_declaration(payload, "image/jpeg")
    phone.send_report(attachments=[declared])
    response = upload(phone, declared["id"], payload, chunk=len(payload))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_image"
    assert phone.upload_status(declared["id"]).json == {
        "id": declared["id"],
        "size": len(payload),
        "received": 0,
        "complete": False,
    }
    assert storage.read_final(declared["id"]) is None


def test_decompression_bomb_is_refused(app, phone, demo):
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 megapixels in a few kilobytes
    bomb = out.getvalue()
    assert len(bomb) < 50_000
    declared = photo_declaration(bomb, "image/png")
    phone.send_report(attachments=[declared])
    response = upload(phone, declared["id"], bomb, chunk=len(bomb))
    assert response.status_code == 422
    assert response.json["error"]["code"] in {"image_too_large", "invalid_image"}
    assert storage.read_final(declared["id"]) is None


def test_more_bytes_than_declared_are_refused(phone, demo):
    photo = jpeg(exif=False)
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    response = phone.upload(declared["id"], photo + b"extra")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_chunk_must_be_octet_stream(phone, demo):
    photo = jpeg(exif=False)
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    response = phone.upload(declared["id"], photo[:100], 0, content_type="text/plain")
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_another_groups_phone_cannot_see_or_fill_the_upload(enrol_phone, demo):
    owner, stranger = enrol_phone("DONG-01"), enrol_phone("TAY-01")
    photo = jpeg(exif=False)
    declared = photo_declaration(photo, "image/jpeg")
    owner.send_report(attachments=[declared])
    assert stranger.upload_status(declared["id"]).status_code == 404
    assert stranger.upload(declared["id"], photo).status_code == 404
    assert db.session.get(Attachment, uuid.UUID(declared["id"])).received == 0


def test_officer_of_another_commune_cannot_download(phone, demo, other_commune, sign_in, officer):
    photo = jpeg(exif=False)
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    upload(phone, declared["id"], photo)
    assert officer.get(f"/api/v1/officer/attachments/{declared['id']}").status_code == 200
    stranger = sign_in("khac", "other-officer")
    assert stranger.get(f"/api/v1/officer/attachments/{declared['id']}").status_code == 404


def test_report_may_arrive_before_its_photos(phone, officer, demo):
    photo = jpeg(exif=False)
    declared = photo_declaration(photo, "image/jpeg")
    report_id = phone.send_report(attachments=[declared])
    listed = officer.get("/api/v1/officer/reports").json["items"][0]
    assert listed["id"] == report_id
    assert listed["attachments"] == [
        {
            "id": declared["id"],
            "content_type": "image/jpeg",
            "size": len(photo),
            "received": 0,
            "complete": False,
            "duration_ms": None,  # a recording's (issue 16)
            "transcript": None,
            "key_version": None,  # a tip's file sealed to the commune (issue 11)
        }
    ]

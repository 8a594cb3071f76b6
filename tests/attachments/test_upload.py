"""Resumable photo upload: offsets, SHA-256 check, metadata stripped, nothing half-written left behind."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pytest
from PIL import Image

from server.attachments.models import Attachment
from server.extensions import db
from tests.conftest import report_item

GPS_IFD = 0x8825


def jpeg(*, exif: bool, size=(640, 480), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    for x in range(0, size[0], 8):  # some detail so the JPEG is not trivially small
        image.putpixel((x, x % size[1]), (0, 0, 0))
    out = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "PhoneMaker"  # Make
        tags[0x0110] = "Model X"  # Model
        if orientation:
            tags[0x0112] = orientation
        tags[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 51.0, 12.0)}
        image.save(out, "JPEG", quality=85, exif=tags)
    else:
        image.save(out, "JPEG", quality=85)
    return out.getvalue()


def declare(data: bytes, content_type: str = "image/jpeg") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "content_type": content_type,
    }


def send_report_with(phone, demo, *declared: dict) -> dict:
    item = report_item(demo.household("DONG-01").id, attachments=list(declared))
    assert phone.sync([item]).json["results"][0]["status"] == "created"
    return item


def patch(phone, attachment_id: str, offset: int, chunk: bytes, content_type="application/octet-stream"):
    return phone.client.patch(
        f"/api/v1/attachments/{attachment_id}?offset={offset}",
        data=chunk,
        headers={**phone.headers, "Content-Type": content_type},
    )


def status(phone, attachment_id: str):
    return phone.client.get(f"/api/v1/attachments/{attachment_id}", headers=phone.headers)


def upload(phone, attachment_id: str, data: bytes, chunk: int = 4096):
    response = None
    for offset in range(0, len(data), chunk):
        response = patch(phone, attachment_id, offset, data[offset : offset + chunk])
    return response


def stored_path(app, attachment_id: str) -> Path:
    hex_id = uuid.UUID(attachment_id).hex
    return Path(app.config["ATTACHMENTS_DIR"]) / hex_id[:2] / hex_id


def test_resumed_upload_completes_with_exif_and_gps_gone(app, phone, officer, demo):
    photo = jpeg(exif=True)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(GPS_IFD)  # the original does carry GPS
    declared = declare(photo)
    send_report_with(phone, demo, declared)
    assert status(phone, declared["id"]).json == {
        "id": declared["id"],
        "size": len(photo),
        "received": 0,
        "complete": False,
    }
    cut = len(photo) * 2 // 5
    assert patch(phone, declared["id"], 0, photo[:cut]).json["received"] == cut
    # The link dropped; the phone does not know what arrived. It asks, then resumes from there.
    resume_at = status(phone, declared["id"]).json["received"]
    assert resume_at == cut
    done = patch(phone, declared["id"], resume_at, photo[resume_at:])
    assert done.status_code == 200 and done.json["complete"] is True
    final = status(phone, declared["id"]).json
    assert final["complete"] is True and final["received"] == len(photo)

    downloaded = officer.get(f"/api/v1/officer/attachments/{declared['id']}")
    assert downloaded.status_code == 200
    assert downloaded.mimetype == "image/jpeg"
    cleaned = Image.open(io.BytesIO(downloaded.data))
    assert cleaned.size == (640, 480)
    assert len(cleaned.getexif()) == 0
    assert b"Model X" not in downloaded.data and b"PhoneMaker" not in downloaded.data
    assert not list(stored_path(app, declared["id"]).parent.glob("*.part"))


def test_photo_without_metadata_is_kept_byte_for_byte(app, phone, officer, demo):
    photo = jpeg(exif=False)
    declared = declare(photo)
    send_report_with(phone, demo, declared)
    upload(phone, declared["id"], photo, chunk=5000)
    assert officer.get(f"/api/v1/officer/attachments/{declared['id']}").data == photo
    assert stored_path(app, declared["id"]).read_bytes() == photo


def test_orientation_is_applied_before_exif_goes(phone, officer, demo):
    photo = jpeg(exif=True, size=(400, 200), orientation=6)  # "rotate 90° clockwise to display"
    declared = declare(photo)
    send_report_with(phone, demo, declared)
    upload(phone, declared["id"], photo)
    cleaned = Image.open(io.BytesIO(officer.get(f"/api/v1/officer/attachments/{declared['id']}").data))
    assert cleaned.size == (200, 400)


def test_wrong_offset_is_refused_and_changes_nothing(phone, demo):
    photo = jpeg(exif=False)
    declared = declare(photo)
    send_report_with(phone, demo, declared)
    patch(phone, declared["id"], 0, photo[:1000])
    response = patch(phone, declared["id"], 2000, photo[2000:3000])
    assert response.status_code == 409
    assert response.json["error"]["code"] == "offset_mismatch"
    assert status(phone, declared["id"]).json["received"] == 1000


def test_repeated_last_chunk_after_completion_is_answered_as_complete(phone, demo):
    photo = jpeg(exif=False)
    declared = declare(photo)
    send_report_with(phone, demo, declared)
    half = len(photo) // 2
    patch(phone, declared["id"], 0, photo[:half])
    assert patch(phone, declared["id"], half, photo[half:]).json["complete"] is True
    again = patch(phone, declared["id"], half, photo[half:])  # the answer was lost; the phone sends it again
    assert again.status_code == 200
    assert again.json["complete"] is True


def test_checksum_mismatch_drops_the_bytes(app, phone, demo):
    photo = jpeg(exif=False)
    declared = {**declare(photo), "sha256": hashlib.sha256(b"something else").hexdigest()}
    send_report_with(phone, demo, declared)
    response = upload(phone, declared["id"], photo, chunk=len(photo))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "checksum_mismatch"
    assert status(phone, declared["id"]).json["received"] == 0
    assert not stored_path(app, declared["id"]).exists()
    assert not stored_path(app, declared["id"]).with_suffix(".part").exists()


@pytest.mark.parametrize(
    "payload",
    [b"%PDF-1.7 not a photo at all" * 10, b"\xff\xd8\xff\xe0 truncated jpeg header"],
    ids=["pdf-as-jpeg", "truncated-jpeg"],
)
def test_a_file_that_is_not_a_readable_image_is_refused(app, phone, demo, payload):
    declared = declare(payload)
    send_report_with(phone, demo, declared)
    response = upload(phone, declared["id"], payload, chunk=len(payload))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_image"
    assert status(phone, declared["id"]).json == {
        "id": declared["id"],
        "size": len(payload),
        "received": 0,
        "complete": False,
    }
    assert not stored_path(app, declared["id"]).exists()


def test_decompression_bomb_is_refused(app, phone, demo):
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 megapixels in a few kilobytes
    bomb = out.getvalue()
    assert len(bomb) < 50_000
    declared = declare(bomb, "image/png")
    send_report_with(phone, demo, declared)
    response = upload(phone, declared["id"], bomb, chunk=len(bomb))
    assert response.status_code == 422
    assert response.json["error"]["code"] in {"image_too_large", "invalid_image"}
    assert not stored_path(app, declared["id"]).exists()


def test_more_bytes_than_declared_are_refused(phone, demo):
    photo = jpeg(exif=False)
    declared = declare(photo)
    send_report_with(phone, demo, declared)
    response = patch(phone, declared["id"], 0, photo + b"extra")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_chunk_must_be_octet_stream(phone, demo):
    photo = jpeg(exif=False)
    declared = declare(photo)
    send_report_with(phone, demo, declared)
    response = patch(phone, declared["id"], 0, photo[:100], content_type="text/plain")
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_another_groups_phone_cannot_see_or_fill_the_upload(enrol_phone, demo):
    owner, stranger = enrol_phone("DONG-01"), enrol_phone("TAY-01")
    photo = jpeg(exif=False)
    declared = declare(photo)
    send_report_with(owner, demo, declared)
    assert status(stranger, declared["id"]).status_code == 404
    assert patch(stranger, declared["id"], 0, photo).status_code == 404
    assert db.session.get(Attachment, uuid.UUID(declared["id"])).received == 0


def test_officer_of_another_commune_cannot_download(phone, demo, other_commune, sign_in, officer):
    photo = jpeg(exif=False)
    declared = declare(photo)
    send_report_with(phone, demo, declared)
    upload(phone, declared["id"], photo)
    assert officer.get(f"/api/v1/officer/attachments/{declared['id']}").status_code == 200
    stranger = sign_in("khac", "other-officer")
    assert stranger.get(f"/api/v1/officer/attachments/{declared['id']}").status_code == 404


def test_report_may_arrive_before_its_photos(phone, officer, demo):
    photo = jpeg(exif=False)
    declared = declare(photo)
    item = send_report_with(phone, demo, declared)
    listed = officer.get("/api/v1/officer/reports").json["items"][0]
    assert listed["id"] == item["id"]
    assert listed["attachments"] == [
        {
            "id": declared["id"],
            "content_type": "image/jpeg",
            "size": len(photo),
            "received": 0,
            "complete": False,
        }
    ]

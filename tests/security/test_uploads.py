"""Uploads that are too large, of the wrong type, or decompression bombs are refused with a clear error and leave
nothing behind; photos and forms are stored without EXIF, GPS, XMP or text chunks.

"Nothing behind" means: no part or final file in the store, the attachment's byte count back at 0 (a phone
starts again cleanly), no report for a refused sync body. "Clear error" means the one JSON error shape with a
stable code a client can act on. Every test runs on each attachment store (the local directory, an S3 bucket).
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import uuid
from typing import Any

import pytest
from PIL import Image

from server.attachments import storage
from server.attachments.models import Attachment
from server.extensions import db
from server.reports.models import Report
from tests.conftest import GPS_IFD, jpeg, photo_declaration, report_item

pytestmark = pytest.mark.usefixtures("attachment_store")

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description GPSLatitude="21,1.5N"/></rdf:RDF></x:xmpmeta>'


def files_of(app: Any) -> list[str]:
    return list(storage.current(app).names())


def assert_clear_error(answer: Any, status_code: int, codes: set[str]) -> None:
    assert answer.status_code == status_code, answer.json
    assert set(answer.json) == {"error"}
    assert answer.json["error"]["code"] in codes
    assert answer.json["error"]["message"]


def assert_nothing_behind(app: Any, phone: Any, attachment_id: str) -> None:
    assert phone.upload_status(attachment_id).json["received"] == 0
    assert storage.part_size(attachment_id) == 0
    assert storage.read_final(attachment_id) is None
    assert list(storage.current(app).names()) == []


@functools.cache  # made once per session: the WebP one takes seconds to encode, and each runs on every store
def png_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")  # 144 megapixels in a few kilobytes
    return out.getvalue()


@functools.cache
def webp_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("L", (16_000, 16_000)).save(out, "WEBP", lossless=True)
    return out.getvalue()


NOT_PHOTOS = {
    "html": b"<!doctype html><script>alert(document.cookie)</script>" * 4,
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>' * 3,
    "pdf": b"%PDF-1.7\n1 0 obj<<>>endobj\n" * 8,
    "truncated jpeg": jpeg(exif=False)[:400],
}


@pytest.mark.parametrize("name", sorted(NOT_PHOTOS))
def test_a_photo_that_is_not_an_image_is_refused_and_leaves_nothing(app, phone, demo, name: str) -> None:
    payload = NOT_PHOTOS[name]
    declared = photo_declaration(payload, "image/jpeg")
    phone.send_report(attachments=[declared])
    answer = phone.upload(declared["id"], payload)
    assert_clear_error(answer, 422, {"invalid_image"})
    assert_nothing_behind(app, phone, declared["id"])


@pytest.mark.parametrize("bomb", [png_bomb, webp_bomb], ids=["png", "webp"])
def test_an_image_bomb_is_refused_before_it_is_decoded(app, phone, demo, bomb: Any) -> None:
    payload = bomb()
    assert len(payload) < 200_000
    declared = photo_declaration(payload, "image/png" if bomb is png_bomb else "image/webp")
    phone.send_report(attachments=[declared])
    answer = phone.upload(declared["id"], payload)
    assert_clear_error(answer, 422, {"image_too_large", "invalid_image"})
    assert_nothing_behind(app, phone, declared["id"])


def test_chunks_and_photos_that_are_too_large_are_refused(app, phone, demo) -> None:
    household = demo.household("DONG-01").id
    too_big = {"id": str(uuid.uuid4()), "sha256": "0" * 64, "size": 5 * 1024 * 1024 + 1, "content_type": "image/jpeg"}
    result = phone.sync([report_item(household, attachments=[too_big])]).json["results"][0]
    assert result["status"] == "rejected" and "attachments" in result["error"]["fields"]

    photo = jpeg(exif=False, size=(1600, 1200))
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    assert_clear_error(phone.upload(declared["id"], b"\0" * (512 * 1024 + 1)), 413, {"payload_too_large"})
    assert_clear_error(phone.upload(declared["id"], photo + b"more"), 413, {"payload_too_large"})
    assert_nothing_behind(app, phone, declared["id"])


def test_a_chunk_of_the_wrong_type_is_refused(app, phone, demo) -> None:
    photo = jpeg(exif=False)
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    for content_type in ("text/plain", "multipart/form-data; boundary=x", "image/svg+xml"):
        answer = phone.upload(declared["id"], photo, 0, content_type=content_type)
        assert_clear_error(answer, 415, {"unsupported_media_type"})
    assert_nothing_behind(app, phone, declared["id"])


def test_a_gzip_bomb_is_refused_before_it_expands_and_stores_nothing(app, phone, demo) -> None:
    body = json.dumps({"push": [report_item(demo.household("DONG-01").id)], "pad": " " * (64 * 1024 * 1024)})
    bomb = gzip.compress(body.encode(), compresslevel=9)
    assert len(bomb) < 200_000
    answer = phone.client.post(
        "/api/v1/sync",
        data=bomb,
        headers={**phone.headers, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert_clear_error(answer, 413, {"payload_too_large"})
    assert db.session.query(Report).count() == 0


def _draft(head: Any) -> str:
    answer = head.post("/api/v1/officer/announcements", json={"title": "Mẫu đơn", "body": "Tải về và điền."})
    assert answer.status_code == 201, answer.json
    return str(answer.json["id"])


def _add_file(head: Any, draft: str, data: bytes, content_type: str) -> Any:
    return head.post(
        f"/api/v1/officer/announcements/{draft}/files?name=mau",
        data=data,
        headers={"Content-Type": content_type},
    )


def test_forms_too_large_of_the_wrong_type_or_bombs_are_refused_and_leave_nothing(app, demo, sign_in) -> None:
    head = sign_in("truongcongan", "demo-head")
    draft = _draft(head)
    before = files_of(app)
    assert_clear_error(
        _add_file(head, draft, b"%PDF-1.7" + b"\0" * (10 * 1024 * 1024), "application/pdf"), 413, {"payload_too_large"}
    )
    assert_clear_error(
        _add_file(head, draft, b"<html><script>x</script></html>", "text/html"), 415, {"unsupported_media_type"}
    )
    assert_clear_error(_add_file(head, draft, NOT_PHOTOS["svg"], "image/svg+xml"), 422, {"invalid_image"})
    assert_clear_error(_add_file(head, draft, b"not a pdf", "application/pdf"), 422, {"invalid_file"})
    assert_clear_error(_add_file(head, draft, png_bomb(), "image/png"), 422, {"image_too_large", "invalid_image"})
    assert files_of(app) == before
    assert db.session.query(Attachment).filter(Attachment.announcement_id == uuid.UUID(draft)).count() == 0


def _metadata(data: bytes) -> dict[str, Any]:
    image = Image.open(io.BytesIO(data))
    found = {key: image.info[key] for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment") if key in image.info}
    if getattr(image, "text", None):
        found["text"] = image.text
    if len(image.getexif()):
        found["exif tags"] = dict(image.getexif())
    return found


def photos_with_metadata() -> dict[str, tuple[bytes, str]]:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 51.0, 12.0)}
    picture = Image.new("RGB", (320, 240), (90, 140, 60))
    out: dict[str, tuple[bytes, str]] = {"jpeg exif+gps": (jpeg(exif=True), "image/jpeg")}
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif, xmp=XMP, comment=b"Nha ong An, xom 2")
    out["jpeg xmp+comment"] = (buffer.getvalue(), "image/jpeg")
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Location", "Xom 2, gan cau tre")
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", pnginfo=text, exif=exif)
    out["png text+exif"] = (buffer.getvalue(), "image/png")
    buffer = io.BytesIO()
    picture.save(buffer, "WEBP", exif=exif, xmp=XMP)
    out["webp exif+xmp"] = (buffer.getvalue(), "image/webp")
    return out


@pytest.mark.parametrize("name", sorted(photos_with_metadata()))
def test_stored_photos_carry_no_metadata(app, phone, demo, officer, name: str) -> None:
    data, content_type = photos_with_metadata()[name]
    assert _metadata(data), "the original does carry metadata"
    declared = photo_declaration(data, content_type)
    phone.send_report(attachments=[declared])
    assert phone.upload(declared["id"], data).json["complete"] is True
    stored = storage.read_final(declared["id"])
    assert stored is not None
    assert _metadata(stored) == {}
    downloaded = officer.get(f"/api/v1/officer/attachments/{declared['id']}").data
    assert downloaded == stored
    for secret in (b"PhoneMaker", b"Model X", b"Xom 2", b"GPSLatitude", b"Nha ong An"):
        assert secret not in stored


@pytest.mark.parametrize("name", sorted(photos_with_metadata()))
def test_stored_forms_carry_no_metadata(app, demo, sign_in, name: str) -> None:
    data, content_type = photos_with_metadata()[name]
    head = sign_in("truongcongan", "demo-head")
    answer = _add_file(head, _draft(head), data, content_type)
    assert answer.status_code == 201, answer.json
    stored = storage.read_final(answer.json["id"])
    assert stored is not None
    assert _metadata(stored) == {}

"""Officers write announcements with forms; phones of the targeted villages receive them on their next sync."""

from __future__ import annotations

import io
import uuid

from PIL import Image

from server.attachments import storage
from server.attachments.models import Attachment
from server.extensions import db
from tests.conftest import PDF, receipt_item

A = "/api/v1/officer/announcements"


def _draft(officer, **fields) -> dict:
    body = {"title": "Cảnh báo lừa đảo", "body": "Không chuyển tiền cho người lạ gọi điện xưng công an.", **fields}
    response = officer.post(A, json=body)
    assert response.status_code == 201, response.json
    return response.json


def _announcements(phone) -> list[dict]:
    return [c for c in phone.pull_all() if c["type"].startswith("announcement")]


def _upload(officer, announcement_id: str, data: bytes, content_type: str, name: str = "mau-don.pdf"):
    return officer.post(f"{A}/{announcement_id}/files?name={name}", data=data, content_type=content_type)


def test_only_the_targeted_villages_receive_it_after_publishing(officer, phone, enrol_phone) -> None:
    west = enrol_phone("TAY-01")
    phone.pull_all(), west.pull_all()
    draft = _draft(officer, village_ids=[phone.group["village"]["id"]])
    assert draft["state"] == "draft"
    assert _announcements(phone) == []  # a draft stays in the console
    published = officer.post(f"{A}/{draft['id']}/publish")
    assert published.status_code == 200 and published.json["state"] == "published"
    [received] = _announcements(phone)
    assert (received["type"], received["title"]) == ("announcement", "Cảnh báo lừa đảo")
    assert _announcements(west) == []


def test_whole_commune_announcement_with_a_pdf_form_the_phone_downloads(officer, phone) -> None:
    draft = _draft(officer)
    uploaded = _upload(officer, draft["id"], PDF, "application/pdf")
    assert uploaded.status_code == 201 and uploaded.json["content_type"] == "application/pdf"
    officer.post(f"{A}/{draft['id']}/publish")
    [received] = [c for c in _announcements(phone) if c["id"] == draft["id"]]
    assert received["village_ids"] == []
    [file] = received["files"]
    assert (file["name"], file["size"]) == ("mau-don.pdf", len(PDF))
    url = f"/api/v1/announcements/{draft['id']}/files/{file['id']}"
    download = phone.client.get(url, headers=phone.headers, buffered=True)
    assert download.status_code == 200 and download.data == PDF


def test_files_are_checked(officer, app) -> None:
    draft = _draft(officer)
    fake_pdf = _upload(officer, draft["id"], b"<html>not a pdf</html>", "application/pdf")
    assert fake_pdf.status_code == 422
    text = _upload(officer, draft["id"], b"hello", "text/plain", "a.txt")
    assert text.status_code == 415
    broken = _upload(officer, draft["id"], b"\x89PNG not really", "image/png", "a.png")
    assert broken.status_code == 422 and broken.json["error"]["code"] == "invalid_image"
    app.config["ANNOUNCEMENT_FILE_MAX_BYTES"] = 1024
    try:
        big = _upload(officer, draft["id"], PDF + b"0" * 2048, "application/pdf")
    finally:
        app.config["ANNOUNCEMENT_FILE_MAX_BYTES"] = 10 * 1024 * 1024
    assert big.status_code == 413
    assert officer.get(f"{A}/{draft['id']}").json["files"] == []


def test_a_form_larger_than_a_sync_body_is_accepted(officer) -> None:
    draft = _draft(officer)
    large = PDF + b"%" + b"0" * (3 * 1024 * 1024)  # over the 2 MB limit of sync bodies, under the 10 MB of forms
    assert _upload(officer, draft["id"], large, "application/pdf").status_code == 201


def test_photo_forms_lose_their_location_metadata(officer) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make, stands for the GPS and device tags
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(out, format="JPEG", exif=exif.tobytes())
    draft = _draft(officer)
    uploaded = _upload(officer, draft["id"], out.getvalue(), "image/jpeg", "thong-bao.jpg")
    assert uploaded.status_code == 201 and uploaded.json["content_type"] == "image/jpeg"
    attachment = db.session.get(Attachment, uuid.UUID(uploaded.json["id"]))
    stored = storage.read_final(attachment.id)
    assert stored is not None
    assert b"PhoneMaker" not in stored
    assert len(Image.open(io.BytesIO(stored)).getexif()) == 0


def test_drafts_are_edited_and_published_ones_only_take_a_new_expiry(officer, phone) -> None:
    draft = _draft(officer)
    edited = officer.patch(f"{A}/{draft['id']}", json={"title": "Cảnh báo mới"})
    assert edited.json["title"] == "Cảnh báo mới"
    officer.post(f"{A}/{draft['id']}/publish")
    frozen = officer.patch(f"{A}/{draft['id']}", json={"title": "Sửa sau khi đăng"})
    assert frozen.status_code == 409
    late_file = _upload(officer, draft["id"], PDF, "application/pdf")
    assert late_file.status_code == 409
    phone.pull_all()
    expired = officer.post(f"{A}/{draft['id']}/expire")
    assert expired.status_code == 200 and expired.json["state"] == "expired"
    [update] = _announcements(phone)
    assert update["id"] == draft["id"] and update["expires_at"] is not None


def test_withdrawn_announcement_is_removed_from_phones(officer, phone) -> None:
    draft = _draft(officer)
    officer.post(f"{A}/{draft['id']}/publish")
    phone.pull_all()
    withdrawn = officer.post(f"{A}/{draft['id']}/withdraw")
    assert withdrawn.json["state"] == "withdrawn"
    assert _announcements(phone) == [{"type": "announcement_withdrawn", "id": draft["id"]}]
    assert officer.post(f"{A}/{draft['id']}/publish").status_code == 409
    listed = officer.get(f"{A}?state=withdrawn").json
    assert [a["id"] for a in listed] == [draft["id"]]


def test_a_village_of_another_commune_cannot_be_targeted(officer, other_commune) -> None:
    village = other_commune.groups["NAM-01"].village_id
    refused = officer.post(A, json={"title": "x", "body": "y", "village_ids": [village]})
    assert refused.status_code == 422 and "village_ids" in refused.json["error"]["fields"]


def test_read_receipts_count_the_groups_that_saw_it(officer, phone) -> None:
    draft = _draft(officer)
    officer.post(f"{A}/{draft['id']}/publish")
    receipt = receipt_item(draft["id"], "announcement", read_at="2026-01-01T00:00:00+07:00")
    assert phone.sync([receipt]).json["results"][0]["status"] == "created"
    assert officer.get(f"{A}/{draft['id']}").json["read_by_groups"] == 1

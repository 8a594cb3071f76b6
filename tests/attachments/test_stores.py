"""What the attachment stores promise beyond one upload (server/attachments/storage.py), on each store:
chunks may land on different app servers, an interrupted restart leaves no bytes that count, downloads are
streamed with their type and revalidated by ETag, and a store that cannot be reached answers "retry later".
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from flask import Flask

from benchmarks.live import free_port
from server import create_app
from server.attachments import storage
from server.attachments.storage import StoreUnavailable
from server.extensions import db
from tests.conftest import PDF, Phone, photo_declaration
from tests.faults.device import photo

on_each_store = pytest.mark.usefixtures("attachment_store")


@pytest.fixture
def second_server(app: Flask) -> Iterator[Flask]:
    """Another app server: its own process state (app, engine, store clients), the same database and store."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("app servers share PostgreSQL; SQLite is one machine's database")
    other = create_app({key: app.config[key] for key in app.config if key.isupper()})
    yield other
    with other.app_context():
        db.engine.dispose()


@on_each_store
def test_chunks_sent_to_two_app_servers_make_one_photo(app, second_server, phone, officer, demo) -> None:
    data = photo(random.Random(3), 60_000)
    declared = photo_declaration(data, "image/png")
    phone.send_report(attachments=[declared])
    servers = [phone, Phone(second_server.test_client(), phone.token, phone.group)]
    chunk, answer = 7_000, None
    for n, offset in enumerate(range(0, len(data), chunk)):
        answer = servers[n % 2].upload(declared["id"], data[offset : offset + chunk], offset)
        assert answer.status_code == 200, answer.json
        assert servers[(n + 1) % 2].upload_status(declared["id"]).json["received"] == offset + len(
            data[offset : offset + chunk]
        ), "the other server sees every byte the first one took"
    assert answer is not None and answer.json["complete"] is True
    assert officer.get(f"/api/v1/officer/attachments/{declared['id']}").data == data


@on_each_store
def test_a_restart_cut_before_its_bytes_were_dropped_still_ends_with_the_exact_bytes(
    app, phone, demo, monkeypatch
) -> None:
    """A checksum mismatch restarts the upload; if the process dies before the old chunks are removed, what
    is left of them must never count: the phone sends again, in other chunk sizes, and the photo is exact."""
    data = photo(random.Random(4), 40_000)
    wrong = photo(random.Random(5), 40_000)[: len(data)]
    declared = photo_declaration(data, "image/png")
    phone.send_report(attachments=[declared])
    monkeypatch.setattr(storage, "discard_part", lambda attachment_id: None)  # the process dies before it
    for offset in range(0, len(wrong), 10_000):
        answer = phone.upload(declared["id"], wrong[offset : offset + 10_000], offset)
    assert answer.status_code == 422 and answer.json["error"]["code"] == "checksum_mismatch"
    monkeypatch.undo()
    assert storage.part_size(declared["id"]) > 0, "stale bytes are left in the store"
    assert phone.upload_status(declared["id"]).json["received"] == 0
    for offset in range(0, len(data), 7_000):
        answer = phone.upload(declared["id"], data[offset : offset + 7_000], offset)
        assert answer.status_code == 200, answer.json
    assert answer.json["complete"] is True
    assert storage.read_final(declared["id"]) == data
    assert storage.part_size(declared["id"]) == 0


def _uploaded(phone: Phone, data: bytes, content_type: str) -> str:
    declared = photo_declaration(data, content_type)
    phone.send_report(attachments=[declared])
    assert phone.upload(declared["id"], data).json["complete"] is True
    return str(declared["id"])


@on_each_store
def test_a_download_has_its_type_and_length_and_is_revalidated_by_etag(phone, officer, demo) -> None:
    data = photo(random.Random(6), 20_000)
    attachment_id = _uploaded(phone, data, "image/png")
    first = officer.get(f"/api/v1/officer/attachments/{attachment_id}")
    assert first.status_code == 200 and first.data == data
    assert first.mimetype == "image/png"
    assert first.headers["Content-Length"] == str(len(data))
    assert "no-cache" in first.headers["Cache-Control"]
    again = officer.get(
        f"/api/v1/officer/attachments/{attachment_id}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""


@on_each_store
def test_a_form_is_stored_whole_downloaded_by_phones_and_removed_from_a_draft(phone, officer, demo) -> None:
    forms = "/api/v1/officer/announcements"
    draft = officer.post(forms, json={"title": "Mẫu đơn tạm trú", "body": "Tải về và điền."}).json["id"]
    kept = officer.post(f"{forms}/{draft}/files?name=mau-don.pdf", data=PDF, content_type="application/pdf").json
    dropped = officer.post(f"{forms}/{draft}/files?name=nham.pdf", data=PDF, content_type="application/pdf").json
    assert storage.read_final(dropped["id"]) == PDF
    assert officer.request("DELETE", f"{forms}/{draft}/files/{dropped['id']}").status_code == 204
    assert storage.read_final(dropped["id"]) is None
    assert officer.post(f"{forms}/{draft}/publish").status_code == 200
    phone.pull_all()
    url = f"/api/v1/announcements/{draft}/files/{kept['id']}"
    download = phone.client.get(url, headers=phone.headers, buffered=True)
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == "inline; filename=mau-don.pdf"
    again = phone.client.get(url, headers={**phone.headers, "If-None-Match": download.headers["ETag"]}, buffered=True)
    assert again.status_code == 304, "a phone that keeps the form offline revalidates it for nothing"


@on_each_store
def test_the_readiness_check_reaches_the_store() -> None:
    storage.check()


@pytest.mark.parametrize("attachment_store", ["s3"], indirect=True)
def test_an_unreachable_store_answers_retry_later_and_counts_nothing(app, attachment_store, phone, demo) -> None:
    data = photo(random.Random(9), 10_000)
    declared = photo_declaration(data, "image/png")
    phone.send_report(attachments=[declared])
    app.config["S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    answer = phone.upload(declared["id"], data)
    assert answer.status_code == 503, answer.json
    assert answer.json["error"]["code"] == "unavailable" and answer.headers["Retry-After"]
    assert phone.upload_status(declared["id"]).json["received"] == 0
    with pytest.raises(StoreUnavailable):
        storage.check()

"""Per-phone rate limits on sync and uploads, and a per-group photo storage quota, each with a clear answer.

Before: one phone could sync and upload without limit and store photos until the disk was full. Now a phone
past its limit gets 429 ``rate_limited`` with Retry-After (other phones are not affected), and a group past
its photo quota gets 413 ``quota_exceeded`` with Retry-After before a byte is stored; the phone keeps the
photo queued and sends it later.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from server.attachments import storage
from server.attachments.models import Attachment
from server.config import load_config
from server.extensions import db
from server.reports.models import Report
from tests.conftest import jpeg, photo_declaration, report_item


@pytest.fixture
def limits(app: Flask) -> Iterator[Flask]:
    saved = {key: app.config[key] for key in ("DEVICE_SYNC_LIMIT", "DEVICE_UPLOAD_LIMIT", "GROUP_QUOTA_MB")}
    app.config.update(DEVICE_SYNC_LIMIT="5 per minute", DEVICE_UPLOAD_LIMIT="4 per minute")
    yield app
    app.config.update(saved)


def _assert_429(answer) -> None:
    assert answer.status_code == 429
    assert answer.json["error"]["code"] == "rate_limited"
    assert int(answer.headers["Retry-After"]) > 0


def test_a_phone_past_its_sync_limit_gets_429_and_nothing_is_stored(limits, enrol_phone, demo) -> None:
    greedy, neighbour = enrol_phone("DONG-01"), enrol_phone("DONG-02")
    for _ in range(5):
        assert greedy.sync().status_code == 200
    answer = greedy.sync([report_item(demo.household("DONG-01").id)])
    _assert_429(answer)
    assert db.session.query(Report).count() == 0
    assert neighbour.sync().status_code == 200, "another phone has its own limit"


def test_a_phone_past_its_upload_limit_gets_429(limits, phone, demo) -> None:
    photo = jpeg(exif=False, size=(1200, 900))
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    for offset in range(0, 4 * 1024, 1024):
        assert phone.upload(declared["id"], photo[offset : offset + 1024], offset).status_code == 200
    _assert_429(phone.upload(declared["id"], photo[4096:5120], 4096))
    assert phone.upload_status(declared["id"]).json["received"] == 4096


def test_the_production_defaults_are_far_above_what_the_pwa_does(app) -> None:

    config = load_config(Path(app.instance_path))
    assert config["DEVICE_SYNC_LIMIT"].startswith("60 per minute")
    assert config["DEVICE_UPLOAD_LIMIT"].startswith("300 per minute")


def test_a_group_past_its_photo_quota_gets_413_before_a_byte_is_stored(app, phone, demo) -> None:
    app.config["GROUP_QUOTA_MB"] = 1
    try:
        first = os.urandom(700 * 1024)
        declared_first = photo_declaration(first, "image/jpeg")
        second = jpeg(exif=False, size=(1600, 1200)) + os.urandom(400 * 1024)
        declared_second = photo_declaration(second, "image/jpeg")
        phone.send_report(attachments=[declared_first, declared_second])
        assert phone.upload(declared_first["id"], first[: 512 * 1024], 0).status_code == 200
        answer = phone.upload(declared_second["id"], second[: 512 * 1024], 0)
        assert answer.status_code == 413
        assert answer.json["error"]["code"] == "quota_exceeded"
        assert int(answer.headers["Retry-After"]) > 0
        assert phone.upload_status(declared_second["id"]).json["received"] == 0
        assert storage.part_size(declared_second["id"]) == 0
        app.config["GROUP_QUOTA_MB"] = 2  # the commune raised it, or the month went by
        assert phone.upload(declared_second["id"], second[: 512 * 1024], 0).status_code == 200
    finally:
        app.config["GROUP_QUOTA_MB"] = 200


def test_an_upload_under_way_is_not_cut_by_the_quota(app, phone, demo) -> None:
    photo = jpeg(exif=False, size=(800, 600))
    declared = photo_declaration(photo, "image/jpeg")
    phone.send_report(attachments=[declared])
    assert phone.upload(declared["id"], photo[:1024], 0).status_code == 200
    app.config["GROUP_QUOTA_MB"] = 0
    try:
        assert upload_rest(phone, declared["id"], photo, 1024).json["complete"]
    finally:
        app.config["GROUP_QUOTA_MB"] = 200
    assert db.session.get(Attachment, uuid.UUID(declared["id"])).complete


def upload_rest(phone, attachment_id: str, data: bytes, start: int):
    answer = None
    for offset in range(start, len(data), 4096):
        answer = phone.upload(attachment_id, data[offset : offset + 4096], offset)
    return answer


def test_a_sync_answer_carries_no_rate_limit_headers(phone) -> None:
    """Only a refusal says when to come back: the headers would cost a 2G phone ~120 bytes on every sync."""
    answer = phone.sync()
    assert answer.status_code == 200
    assert not [name for name, _value in answer.headers if name.lower().startswith(("x-ratelimit", "retry-after"))]

"""The restore drill (docs/deploy.md): make data, back it up with scripts/backup.sh, wipe it, restore it with
scripts/restore.sh into a fresh database and attachment store, start the app on the copy and check through the
API that every report, thread and photo survived byte for byte, that the schema is at the migrations' head, that
a phone's feed cursor still means the same place and that its token still works. SQLite with a directory,
PostgreSQL with a directory, and PostgreSQL with an S3 bucket (moto), the province's production shape.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import pytest
from flask import Flask
from flask_migrate import upgrade

from server import create_app
from server.cli import seed_demo
from server.extensions import db
from server.feed.operations import head_position
from server.groups import operations as groups
from tests.conftest import S3_TEST_BUCKET, OfficerClient, Phone, photo_declaration, png_bytes
from tests.faults.server import ThrowawayPostgres

REPO_ROOT = Path(__file__).resolve().parents[2]
REPORTS = 30


def make_app(database_url: str, store: dict[str, str]) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "drill",
            "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://", 1),
            **store,
            "RATELIMIT_STORAGE_URI": "memory://",
            "DEVICE_SYNC_LIMIT": "100000 per minute",
            "DEVICE_UPLOAD_LIMIT": "100000 per minute",
            # Pushes after a commit run in their own thread; wait for it, or its pooled connection outlives the
            # engine this test disposes (a ResourceWarning at garbage collection).
            "PUSH_INLINE": True,
        }
    )


def run_script(name: str, *args: str, expect_failure: bool = False, **env: str) -> str:
    done = subprocess.run(
        ["bash", f"scripts/{name}", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if expect_failure:
        assert done.returncode != 0, f"{name} should have refused"
        return done.stderr
    assert done.returncode == 0, f"{name} failed:\n{done.stderr}"
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def snapshot(app: Flask, phone_token: str, group: dict[str, Any]) -> dict[str, Any]:
    """What the officers and the phone can read: every report in full, every photo's bytes, the whole feed."""
    officer = OfficerClient.login(app.test_client(), "demo", "demo-officer")
    listed = officer.get("/api/v1/officer/reports?per_page=200&sort=oldest").json
    assert listed["total"] == len(listed["items"])
    reports = {}
    photos = {}
    for item in listed["items"]:
        detail = officer.get(f"/api/v1/officer/reports/{item['id']}").json
        reports[item["id"]] = detail
        for attachment in detail["attachments"]:
            body = officer.get(f"/api/v1/officer/attachments/{attachment['id']}")
            assert body.status_code == 200
            photos[attachment["id"]] = body.data
    feed = Phone(app.test_client(), phone_token, group, cursor=None).pull_all()
    return {"reports": reports, "photos": photos, "feed": feed}


@dataclass
class Drill:
    """Where the original lives, where it is restored to, and how the disaster wipes the original."""

    original_url: str
    restored_url: str
    original_store: dict[str, str]
    restored_store: dict[str, str]
    wipe: Callable[[], None]


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("postgresql+s3", marks=[pytest.mark.postgres, pytest.mark.s3]),
    ]
)
def drill(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Drill]:
    databases = request.getfixturevalue("postgres_pair" if "postgresql" in request.param else "sqlite_pair")
    if request.param.endswith("s3"):
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = f"{uuid.uuid4()}/"  # a prefix per drill in the session's bucket: "empty" means empty
        store = {"ATTACHMENTS_STORE": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": S3_TEST_BUCKET}
        original, restored = {**store, "S3_PREFIX": bucket}, {**store, "S3_PREFIX": f"restored-{bucket}"}
        wipe_files = partial(empty_prefix, endpoint, bucket)
    else:
        original = {"ATTACHMENTS_DIR": str(tmp_path / "attachments")}
        restored = {"ATTACHMENTS_DIR": str(tmp_path / "restored-attachments")}
        wipe_files = partial(shutil.rmtree, original["ATTACHMENTS_DIR"])
    original_url, restored_url, wipe_database = databases

    def wipe() -> None:
        wipe_database()
        wipe_files()

    yield Drill(original_url, restored_url, original, restored, wipe)


def empty_prefix(endpoint: str, prefix: str) -> None:
    """The disaster on the bucket's side: every object under the drill's prefix is gone."""
    s3 = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1")
    listed = s3.list_objects_v2(Bucket=S3_TEST_BUCKET, Prefix=prefix).get("Contents", [])
    assert listed, "the original store held the photos"
    s3.delete_objects(Bucket=S3_TEST_BUCKET, Delete={"Objects": [{"Key": o["Key"]} for o in listed]})


@pytest.fixture
def sqlite_pair(tmp_path: Path) -> Iterator[tuple[str, str, Any]]:
    """(original URL, restore target URL, how to wipe the original)."""
    original = tmp_path / "original" / "binhan.db"
    original.parent.mkdir()
    yield (
        f"sqlite:///{original}",
        f"sqlite:///{tmp_path / 'restored' / 'binhan.db'}",
        (lambda: shutil.rmtree(original.parent)),
    )


@pytest.fixture
def postgres_pair() -> Iterator[tuple[str, str, Any]]:
    """(original URL, restore target URL, how to wipe the original)."""
    first = ThrowawayPostgres(f"binhan_drill_{os.getpid()}_original")
    second = ThrowawayPostgres(f"binhan_drill_{os.getpid()}_restored")
    try:
        yield first.create(), second.create(), first.drop
    finally:
        first.drop()
        second.drop()


def test_restore_drill(drill: Drill, tmp_path: Path) -> None:
    started = time.monotonic()
    original = make_app(drill.original_url, drill.original_store)
    with original.app_context():
        upgrade()
        seed_demo()
        code = groups.issue_enrolment_code(groups.find_group_by_code("DONG-01"))
    client = original.test_client()
    phone = Phone.enrol(client, code)
    households = [h["id"] for h in phone.group["households"]]
    photos = [png_bytes(color, size) for color, size in (("red", 8), ("green", 64), ("blue", 300))]
    declared_sha256 = {}
    for n in range(REPORTS):
        declared = [photo_declaration(photos[n % 3])] if n % 5 == 0 else []
        phone.send_report(n % len(households), body=f"Báo cáo số {n}: trộm gà ở xóm {n % 4}", attachments=declared)
        for attachment in declared:
            declared_sha256[attachment["id"]] = attachment["sha256"]
            assert phone.upload(attachment["id"], photos[n % 3]).json["complete"]
    officer = OfficerClient.login(original.test_client(), "demo", "demo-officer")
    queue = officer.get("/api/v1/officer/reports?per_page=200").json["items"]
    for report in queue[:6]:
        assert (
            officer.post(f"/api/v1/officer/reports/{report['id']}/messages", json={"body": "Đã nhận."}).status_code
            == 201
        )
    for report in queue[6:10]:
        assert (
            officer.post(f"/api/v1/officer/reports/{report['id']}/status", json={"status": "acknowledged"}).status_code
            == 200
        )
    phone.pull_all()
    cursor = phone.cursor
    with original.app_context():
        before_head = head_position()
    before = snapshot(original, phone.token, phone.group)
    assert len(before["reports"]) == REPORTS and len(before["photos"]) == REPORTS // 5
    with original.app_context():
        db.engine.dispose()
    seeded = time.monotonic()

    backup = run_script("backup.sh", str(tmp_path / "backups"), DATABASE_URL=drill.original_url, **drill.original_store)
    backed_up = time.monotonic()
    # Work the backup missed: an officer answers, the phone pulls the answer, its cursor passes the backup's end.
    officer.post(f"/api/v1/officer/reports/{queue[10]['id']}/messages", json={"body": "Câu trả lời bị mất."})
    late = Phone(original.test_client(), phone.token, phone.group, cursor=cursor)
    assert [change["type"] for change in late.pull_all()] == ["message"]
    with original.app_context():
        db.engine.dispose()
    drill.wipe()
    run_script("restore.sh", backup, DATABASE_URL=drill.restored_url, **drill.restored_store)
    restored_at = time.monotonic()

    refused = run_script(
        "restore.sh", backup, expect_failure=True, DATABASE_URL=drill.restored_url, **drill.original_store
    )
    assert "exists" in refused or "not empty" in refused, "a restore never overwrites a database"

    restored = make_app(drill.restored_url, drill.restored_store)  # no `db upgrade`: the copy must be at head already
    ready = restored.test_client().get("/readyz")
    assert ready.status_code == 200, ready.json
    assert ready.json["checks"]["migrations"]["status"] == "ok"
    after = snapshot(restored, phone.token, phone.group)
    assert after["reports"] == before["reports"]
    assert after["feed"] == [*before["feed"], {"type": "restored", "backup_position": before_head}]
    assert after["photos"] == before["photos"]
    assert {key: hashlib.sha256(data).hexdigest() for key, data in after["photos"].items()} == declared_sha256

    # The phone carries on from its cursor: nothing replayed, nothing skipped, and new work gets through; the
    # one change waiting says the server went back to a backup.
    again = Phone(restored.test_client(), phone.token, phone.group, cursor=cursor)
    late = Phone(restored.test_client(), phone.token, phone.group, cursor=late.cursor)
    assert again.pull_all() == late.pull_all() == [{"type": "restored", "backup_position": before_head}]
    again.send_report(0, body="Sau khi khôi phục")
    officer = OfficerClient.login(restored.test_client(), "demo", "demo-officer")
    newest = before["reports"][next(iter(before["reports"]))]["id"]
    assert (
        officer.post(f"/api/v1/officer/reports/{newest}/messages", json={"body": "Sau khôi phục."}).status_code == 201
    )
    assert [change["type"] for change in again.pull_all()] == ["message"]
    # A phone that synced after the backup holds a cursor past it: the new reply is not hidden behind it.
    assert [change["body"] for change in late.pull_all()] == ["Sau khôi phục."]
    with restored.app_context():
        db.engine.dispose()
    print(
        f"restore drill: {REPORTS} reports, {len(before['photos'])} photos, {len(before['feed'])} feed changes; "
        f"seed {seeded - started:.2f} s, backup {backed_up - seeded:.2f} s, "
        f"wipe + restore {restored_at - backed_up:.2f} s"
    )

"""The restore drill (docs/deploy.md): make data, back it up with scripts/backup.sh, wipe it, restore it with
scripts/restore.sh into a fresh database and directory, start the app on the copy and check through the API
that every report, thread and photo survived byte for byte, that the schema is at the migrations' head, that
a phone's feed cursor still means the same place and that its token still works. SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade

from server import create_app
from server.cli import seed_demo
from server.extensions import db
from server.groups import operations as groups
from tests.conftest import OfficerClient, Phone, photo_declaration, png_bytes
from tests.faults.server import ThrowawayPostgres

REPO_ROOT = Path(__file__).resolve().parents[2]
REPORTS = 30


def make_app(database_url: str, attachments: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "drill",
            "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://", 1),
            "ATTACHMENTS_DIR": str(attachments),
            "RATELIMIT_STORAGE_URI": "memory://",
            "DEVICE_SYNC_LIMIT": "100000 per minute",
            "DEVICE_UPLOAD_LIMIT": "100000 per minute",
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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, Any]]:
    """(original URL, restore target URL, how to wipe the original)."""
    if request.param == "sqlite":
        original = tmp_path / "original" / "binhan.db"
        original.parent.mkdir()
        yield (
            f"sqlite:///{original}",
            f"sqlite:///{tmp_path / 'restored' / 'binhan.db'}",
            (lambda: shutil.rmtree(original.parent)),
        )
        return
    first = ThrowawayPostgres(f"binhan_drill_{os.getpid()}_original")
    second = ThrowawayPostgres(f"binhan_drill_{os.getpid()}_restored")
    try:
        yield first.create(), second.create(), first.drop
    finally:
        first.drop()
        second.drop()


def test_restore_drill(databases: tuple[str, str, Any], tmp_path: Path) -> None:
    original_url, restored_url, wipe = databases
    started = time.monotonic()
    attachments = tmp_path / "attachments"
    original = make_app(original_url, attachments)
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
    before = snapshot(original, phone.token, phone.group)
    assert len(before["reports"]) == REPORTS and len(before["photos"]) == REPORTS // 5
    with original.app_context():
        db.engine.dispose()
    seeded = time.monotonic()

    backup = run_script(
        "backup.sh", str(tmp_path / "backups"), DATABASE_URL=original_url, ATTACHMENTS_DIR=str(attachments)
    )
    backed_up = time.monotonic()
    wipe()
    shutil.rmtree(attachments)
    restored_attachments = tmp_path / "restored-attachments"
    run_script("restore.sh", backup, DATABASE_URL=restored_url, ATTACHMENTS_DIR=str(restored_attachments))
    restored_at = time.monotonic()

    refused = run_script(
        "restore.sh", backup, expect_failure=True, DATABASE_URL=restored_url, ATTACHMENTS_DIR=str(tmp_path / "x")
    )
    assert "exists" in refused or "not empty" in refused, "a restore never overwrites a database"

    restored = make_app(restored_url, restored_attachments)  # no `db upgrade`: the copy must be at head already
    ready = restored.test_client().get("/readyz")
    assert ready.status_code == 200, ready.json
    assert ready.json["checks"]["migrations"]["status"] == "ok"
    after = snapshot(restored, phone.token, phone.group)
    assert after["reports"] == before["reports"]
    assert after["feed"] == before["feed"]
    assert after["photos"] == before["photos"]
    assert {key: hashlib.sha256(data).hexdigest() for key, data in after["photos"].items()} == declared_sha256

    # The phone carries on from its cursor: nothing replayed, nothing skipped, and new work gets through.
    again = Phone(restored.test_client(), phone.token, phone.group, cursor=cursor)
    assert again.pull_all() == []
    again.send_report(0, body="Sau khi khôi phục")
    officer = OfficerClient.login(restored.test_client(), "demo", "demo-officer")
    newest = before["reports"][next(iter(before["reports"]))]["id"]
    assert (
        officer.post(f"/api/v1/officer/reports/{newest}/messages", json={"body": "Sau khôi phục."}).status_code == 201
    )
    assert [change["type"] for change in again.pull_all()] == ["message"]
    with restored.app_context():
        db.engine.dispose()
    print(
        f"restore drill: {REPORTS} reports, {len(before['photos'])} photos, {len(before['feed'])} feed changes; "
        f"seed {seeded - started:.2f} s, backup {backed_up - seeded:.2f} s, "
        f"wipe + restore {restored_at - backed_up:.2f} s"
    )

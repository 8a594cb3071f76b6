"""The server is restored from last night's backup: what the phone sent since comes back by itself.

The phone keeps what the server confirmed, still encrypted, for a week (pwa/js/store.js, ``sent``). The restore
(scripts/restore.sh) numbers new feed changes past every phone's cursor and leaves one ``restored`` change there;
the phone, seeing it, sends everything it kept again: the server answers ``duplicate`` for what the backup
holds and ``created`` for what it lost (docs/deploy.md, "Backups and the restore drill").
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from benchmarks.live import free_port, prepare
from tests.conftest import HttpOfficer

from .conftest import DEMO_OFFICER, REPO_ROOT, LiveServer, live_env, serving
from .household import count, enrol, eventually, open_household, write_report

pytestmark = pytest.mark.browser
HOUSEHOLD = "Hộ bà Trần Thị Bình"  # DONG-01's second household: this module's server is its own
BEFORE_BACKUP, AFTER_BACKUP = "Làm lại căn cước cần giấy gì?", "Đăng ký tạm trú cho con ở đâu?"
BOTH = [BEFORE_BACKUP, AFTER_BACKUP]


def script(name: str, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", f"scripts/{name}", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def bodies(server: LiveServer) -> list[str]:
    officer = HttpOfficer(server.port, *DEMO_OFFICER)
    return [item["body"] for item in officer.request("GET", "/api/v1/officer/reports?per_page=100").json["items"]]


def test_reports_confirmed_after_the_backup_are_sent_again_after_a_restore(browser: Browser, tmp_path: Path) -> None:
    server = LiveServer("127.0.0.1", free_port(), live_env(tmp_path), tmp=tmp_path)
    prepare(server.env)
    context = browser.new_context(base_url=server.url, viewport={"width": 360, "height": 640}, locale="vi-VN")
    page = context.new_page()
    with serving(server):
        enrol(page, server.enrolment_code("DONG-01"))
        open_household(page, HOUSEHOLD)
        write_report(page, "Hỏi thủ tục", BEFORE_BACKUP)
        eventually(page, lambda: count(page, "outbox") == 0)
        backup = script("backup.sh", str(tmp_path / "backups"), env=server.env).splitlines()[-1]
        write_report(page, "Hỏi thủ tục", AFTER_BACKUP)
        eventually(page, lambda: count(page, "outbox") == 0)
        assert sorted(bodies(server)) == sorted(BOTH)
        assert count(page, "sent") == 2

    # The disaster: the database and files are gone; last night's backup goes into a fresh place.
    os.remove(tmp_path / "app.db")
    shutil.rmtree(tmp_path / "attachments", ignore_errors=True)
    restored = {**server.env, "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.db'}"}
    restored["ATTACHMENTS_DIR"] = str(tmp_path / "restored-attachments")
    script("restore.sh", backup, env=restored)
    server = LiveServer(server.host, server.port, restored, tmp=tmp_path)

    with serving(server):
        assert bodies(server) == [BEFORE_BACKUP], "the backup missed the second report"
        page.reload()  # the app syncs when it opens: it pulls the `restored` change and sends its kept reports
        eventually(page, lambda: len(bodies(server)) == 2)
        assert sorted(bodies(server)) == sorted(BOTH)
        eventually(page, lambda: count(page, "outbox") == 0)
        assert sorted(bodies(server)) == sorted(BOTH), "each report once: the kept one the backup had is a duplicate"
    context.close()

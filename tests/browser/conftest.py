"""Browser-test fixtures: one real gunicorn server per session, Debian's Chromium through Playwright.

The household PWA and the officer console are tested as people use them: against the real server
(migrations, demo data, two gunicorn workers), through a real browser with its service worker and
IndexedDB. Reuse these fixtures for any browser test:

- ``live_server``: the running server (``.url``, ``.port``, ``.env``, ``.flask(...)``, ``.enrolment_code(...)``,
  ``.officer()`` for a signed-in ``HttpOfficer``, ``.attachment_path(id)``, ``.pwa_dir``).
  It serves a copy of ``pwa/`` (``PWA_DIR``) so that a test can publish a "new version" of the app
  by editing the copy: Playwright's routing does not see the service worker's update check.
- ``browser`` (session), ``context`` and ``page`` (per test, a phone-sized window).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, expect, sync_playwright

from benchmarks.live import REPO_ROOT, Server, free_port, prepare, stop, wait_until_up
from server import queue_key
from tests.conftest import HttpOfficer

from .chromium import CHROMIUM, CHROMIUM_ARGS

DEMO_OFFICER = ("demo", "demo-officer")
# Waiting on a sync (PBKDF2, then a round trip) can take seconds on a loaded 2-core CI machine.
expect.set_options(timeout=15_000)
DEMO_HEAD = ("truongcongan", "demo-head")


@dataclass(frozen=True)
class LiveServer(Server):
    """The real server of the browser tests: ``benchmarks.live.Server`` (``url``, ``port``, ``env``, ``flask(...)``,
    ``enrolment_code(...)``) with its own SQLite database and attachments, serving the copy of pwa/ in
    ``pwa_dir``."""

    tmp: Path = Path()
    pwa_dir: Path = Path()

    def officer(self, username: str = DEMO_OFFICER[0], password: str = DEMO_OFFICER[1]) -> HttpOfficer:
        """A signed-in officer (the demo officer unless told; the commune head is ``DEMO_HEAD``)."""
        return HttpOfficer(self.port, username, password)

    def open_queued(self, sent: dict[str, Any]) -> dict[str, Any]:
        """A queued item sealed to the server's queue key (issue 11), opened as ``/sync`` opens it."""
        _, private, _ = queue_key.key_for(self.env["SECRET_KEY"].encode())
        return dict(queue_key.unseal(private, sent["sealed"]))

    def attachment_path(self, attachment_id: str) -> Path:
        """Where the server stores a finished attachment (``<dir>/<2 hex>/<uuid hex>``)."""
        hex_id = uuid.UUID(attachment_id).hex
        return Path(self.env["ATTACHMENTS_DIR"]) / hex_id[:2] / hex_id


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server with demo data. Rate limits are off: every test enrols from 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("live")
    pwa_dir = tmp / "pwa"
    shutil.copytree(REPO_ROOT / "pwa", pwa_dir)
    server = LiveServer("127.0.0.1", free_port(), live_env(tmp, PWA_DIR=str(pwa_dir)), tmp=tmp, pwa_dir=pwa_dir)
    prepare(server.env)  # migrations and the demo data
    with serving(server):
        yield server


def live_env(tmp: Path, **extra: str) -> dict[str, str]:
    """A browser-test server's settings: its own SQLite database and attachments under ``tmp``, no rate limits."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'app.db'}",
        "SECRET_KEY": "browser-tests",
        "ATTACHMENTS_DIR": str(tmp / "attachments"),
        "RATELIMIT_ENABLED": "0",
        **extra,
    }
    env.pop("REDIS_URL", None)
    return env


@contextmanager
def serving(server: LiveServer) -> Iterator[None]:
    """Gunicorn (two workers) answering on the server's port with its settings, stopped on leaving."""
    log = server.tmp / "gunicorn.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{server.port}", "--workers", "2", "wsgi:app"],
            cwd=REPO_ROOT,
            env=server.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(server.url + "/manifest.webmanifest", proc, log, seconds=30)
        yield
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """One Playwright driver for the session."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium (never a downloaded build), headless."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


# The shared phone as every browser test sees it: a 360x640 screen, in Vietnamese, its service worker allowed.
PHONE: dict[str, Any] = {"viewport": {"width": 360, "height": 640}, "locale": "vi-VN", "service_workers": "allow"}


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh profile (empty IndexedDB, no service worker) on the phone's screen."""
    ctx = browser.new_context(base_url=live_server.url, **PHONE)
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A tab in the fresh profile."""
    return context.new_page()


@pytest.fixture(autouse=True)
def _no_script_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a browser test on an uncaught exception or a Content-Security-Policy violation in any of its pages.

    A test module that sets ``ALLOWED_CONSOLE_ERRORS`` (substrings) fails on every other console error as well;
    the household app logs expected network errors while offline, so it keeps the default.
    """
    if "context" not in request.fixturenames:
        yield
        return
    context: BrowserContext = request.getfixturevalue("context")
    allowed = getattr(request.module, "ALLOWED_CONSOLE_ERRORS", None)
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type != "error":
            return
        strict = allowed is not None and not any(expected in msg.text for expected in allowed)
        if strict or "Content Security Policy" in msg.text:
            errors.append(msg.text)

    context.on("weberror", lambda e: errors.append(str(e.error)))
    context.on("console", on_console)
    yield
    assert errors == []

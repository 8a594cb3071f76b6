"""Browser-test fixtures: one real gunicorn server per session, Debian's Chromium through Playwright.

The household PWA and the officer console are tested as people use them: against the real server
(migrations, demo data, two gunicorn workers), through a real browser with its service worker and
IndexedDB. Reuse these fixtures for any browser test:

- ``live_server``: the running server (``.url``, ``.env``, ``.flask(...)``, ``.enrolment_code(...)``,
  ``.officer()`` for an officer API client, ``.attachment_path(id)``, ``.pwa_dir``).
  It serves a copy of ``pwa/`` (``PWA_DIR``) so that a test can publish a "new version" of the app
  by editing the copy: Playwright's routing does not see the service worker's update check.
- ``browser`` (session), ``context`` and ``page`` (per test, a phone-sized window).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, expect, sync_playwright

from .chromium import CHROMIUM, CHROMIUM_ARGS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_OFFICER = ("demo", "demo-officer")
# Waiting on a sync (PBKDF2, then a round trip) can take seconds on a loaded 2-core CI machine.
expect.set_options(timeout=15_000)
DEMO_HEAD = ("truongcongan", "demo-head")


class OfficerClient:
    """The officer API over HTTP with a session cookie and the CSRF header, as the console uses it."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.csrf = ""
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/octet-stream",
    ) -> tuple[int, Any]:
        """Sends one call with a JSON body or ``raw`` bytes; returns (status, JSON or raw bytes).

        HTTP errors are returned, not raised, so that a test can assert on them.
        """
        data = json.dumps(body).encode() if body is not None else raw
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json" if body is not None else content_type)
        if method != "GET" and self.csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self._opener.open(req, timeout=30) as res:
                status, raw, ctype = res.status, res.read(), res.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            status, raw, ctype = err.code, err.read(), err.headers.get("Content-Type", "")
        return status, json.loads(raw) if "json" in ctype and raw else raw

    def login(self, username: str = DEMO_OFFICER[0], password: str = DEMO_OFFICER[1]) -> OfficerClient:
        """Signs in and keeps the CSRF token for later non-GET calls."""
        status, body = self.request("POST", "/api/v1/officer/login", {"username": username, "password": password})
        assert status == 200, body
        self.csrf = body["csrf_token"]
        return self

    def reports(self, **query: str) -> list[dict[str, Any]]:
        """Every report of the officer's commune (all pages)."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            qs = urllib.parse.urlencode({**query, "page": page, "per_page": 100})
            status, body = self.request("GET", f"/api/v1/officer/reports?{qs}")
            assert status == 200, body
            items += body["items"]
            if len(items) >= body.get("total", len(items)) or not body["items"]:
                return items
            page += 1


@dataclass
class LiveServer:
    """A gunicorn server on a free port with its own SQLite database and attachments directory."""

    url: str
    env: dict[str, str]
    tmp: Path
    pwa_dir: Path

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def flask(self, *args: str) -> str:
        """Runs ``flask --app wsgi ARGS`` against this server's database; returns its stdout."""
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout

    def enrolment_code(self, group_code: str = "DONG-01") -> str:
        """A fresh one-time enrolment code (the CLI prints it alone on its last line)."""
        return self.flask("enrolment-code", group_code).strip().splitlines()[-1].strip()

    def officer(self, username: str = DEMO_OFFICER[0], password: str = DEMO_OFFICER[1]) -> OfficerClient:
        """A signed-in officer (the demo officer unless told; the commune head is ``DEMO_HEAD``)."""
        return OfficerClient(self.url).login(username, password)

    def attachment_path(self, attachment_id: str) -> Path:
        """Where the server stores a finished attachment (``<dir>/<2 hex>/<uuid hex>``)."""
        hex_id = uuid.UUID(attachment_id).hex
        return Path(self.env["ATTACHMENTS_DIR"]) / hex_id[:2] / hex_id


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/manifest.webmanifest", timeout=2) as res:
                if res.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 30 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server with demo data. Rate limits are off: every test enrols from 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("live")
    pwa_dir = tmp / "pwa"
    shutil.copytree(REPO_ROOT / "pwa", pwa_dir)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'app.db'}",
        "SECRET_KEY": "browser-tests",
        "ATTACHMENTS_DIR": str(tmp / "attachments"),
        "RATELIMIT_ENABLED": "0",
        "PWA_DIR": str(pwa_dir),
    }
    env.pop("REDIS_URL", None)
    port = _free_port()
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=env, tmp=tmp, pwa_dir=pwa_dir)
    server.flask("db", "upgrade")
    server.flask("seed-demo")
    log = tmp / "gunicorn.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(server.url, proc, log)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh profile (empty IndexedDB, no service worker) with a 360x640 phone screen, in Vietnamese."""
    ctx = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 360, "height": 640},
        locale="vi-VN",
        service_workers="allow",
    )
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

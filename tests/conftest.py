"""The one set of test fixtures, builders and clients: every test folder uses these, none has its own copy.

- the app on SQLite and on PostgreSQL (``app`` is parametrised, so every API test runs on both); the schema
  comes from the Alembic migrations, as in production, once per database per session; tables are emptied
  between tests;
- demo data (``demo``, ``other_commune``);
- push items as the PWA builds them (``report_item``, ``message_item``, ``receipt_item``) and the bytes and
  declarations of photos (``png_bytes``, ``jpeg``, ``photo_declaration``);
- ``Phone``: a phone speaking the device API, either through the Flask test client (``enrol_phone``,
  ``phone``) or over real HTTP (``HttpClient``, for the live gunicorn servers of the browser, fault and
  security tests);
- the attachment stores: ``attachment_store`` runs a test on the local directory and on an S3 bucket
  (``s3_endpoint``: moto in server mode, started once per session);
- a signed-in console: ``OfficerClient`` on the Flask test client (``officer``, ``head``, ``admin``,
  ``sign_in``), ``HttpOfficer`` over real HTTP.

Benchmarks keep their own clients and corpus (benchmarks/wire.py, corpus.py): they measure bytes and time on
the wire and must not change when a test helper does.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json as json_module  # ``json`` is the name of the request body argument below, as in Flask's client
import os
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import text

from server import create_app, queue_key
from server.cli import seed_demo
from server.commune_keys.cli import write_recovery_key
from server.communes.models import Commune, Village
from server.extensions import db, limiter
from server.groups import operations as groups
from server.groups.models import Household, HouseholdGroup
from server.mailbox import sealing
from server.officers import auth
from server.officers.auth import hash_password
from server.officers.models import Officer, Role
from tests.live.push_service import PushService

# Argon2 at production cost takes ~50 ms a hash, and tests seed and sign in officers hundreds of times (the
# authorization table alone): the same code paths with cheap parameters, set once here for every test.
# tests/officers/test_session.py still checks that what is stored is an Argon2id hash.
auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://127.0.0.1:5432/test")
# One database per test session, so that parallel runs (xdist workers, two developers) never share one.
POSTGRES_TEST_DB = f"binhan_test_{os.getpid()}"


def _postgres_admin(sql: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def postgres_url() -> str:
    """Create this session's test database on the local server and return its URL."""
    _postgres_admin(f'DROP DATABASE IF EXISTS "{POSTGRES_TEST_DB}" WITH (FORCE)')
    _postgres_admin(f'CREATE DATABASE "{POSTGRES_TEST_DB}"')
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + POSTGRES_TEST_DB


def _make_app(database_url: str, tmp: Path) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://", 1),
            "ATTACHMENTS_DIR": str(tmp / "attachments"),
            "RATELIMIT_STORAGE_URI": "memory://",
            # Property and fuzz tests sync one phone hundreds of times a minute; tests/security/test_quotas.py
            # sets the production limits back where it checks them.
            "DEVICE_SYNC_LIMIT": "100000 per minute",
            "DEVICE_UPLOAD_LIMIT": "100000 per minute",
            # The province's recovery key for commune keys (tests/commune_keys has its private half when it needs it).
            "PROVINCE_RECOVERY_KEY": sealing.b64url(sealing.public_point(ec.generate_private_key(ec.SECP256R1()))),
            # The live console's stream (server/live/stream.py) ends after this long instead of 5 minutes: a test
            # that calls every GET operation reads it to its end (tests/live sets its own length).
            "LIVE_STREAM_SECONDS": 0.2,
        }
    )
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp(request.param)
    url = f"sqlite:///{tmp / 'test.db'}" if request.param == "sqlite" else postgres_url()
    app = _make_app(url, tmp)
    yield app
    with app.app_context():
        db.engine.dispose()
    if request.param == "postgresql":
        _postgres_admin(f'DROP DATABASE IF EXISTS "{POSTGRES_TEST_DB}" WITH (FORCE)')


def _empty_tables() -> None:
    # DELETE, children first: on a few rows it is much faster than TRUNCATE on PostgreSQL.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(text(f"DELETE FROM {table.name}"))
    db.session.commit()


@pytest.fixture
def app(backend_app: Flask, tmp_path: Path) -> Iterator[Flask]:
    backend_app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    with backend_app.app_context():
        limiter.reset()
        yield backend_app
        db.session.rollback()  # first: on SQLite a test's last read holds the write lock its pushes wait for
        _finish_pushes()
        _empty_tables()
        db.session.remove()


def _finish_pushes() -> None:
    """Wait for the pushes a test's commits started after it: a late one would read the next test's subscriptions
    (SQLite gives the emptied tables' ids again) and land in its push service."""
    for thread in threading.enumerate():
        if thread.name == "binhan-push":
            thread.join(timeout=30)


@pytest.fixture
def push_service(app: Flask) -> Iterator[PushService]:
    """A local Web Push service that decrypts what it receives; the app pushes to it at once (PUSH_INLINE)."""
    service = PushService().start()
    app.config.update(PUSH_INLINE=True, PUSH_ALLOW_HTTP=True)
    yield service
    app.config.update(PUSH_INLINE=False, PUSH_ALLOW_HTTP=False)
    service.stop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


S3_TEST_BUCKET = "binhan-test"
S3_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "binhan-test", "AWS_SECRET_ACCESS_KEY": "binhan-test-secret"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A local S3 server for the session (moto in server mode, on a free port) with the bucket ``binhan-test``."""
    import boto3
    from moto.server import ThreadedMotoServer

    from benchmarks.live import free_port

    saved = {name: os.environ.get(name) for name in S3_TEST_CREDENTIALS}
    os.environ.update(S3_TEST_CREDENTIALS)  # what boto3 reads, in this process and in servers it starts
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
        Bucket=S3_TEST_BUCKET
    )
    yield endpoint
    server.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name)
        else:
            os.environ[name] = value


# Longest first, so that the workers share out the short modules at the end instead of one waiting for another's
# long one: a fault run, fuzzing, a restore, two servers behind nginx (a minute or more each); then the browser's and
# the property tests (tens of seconds a module); then the rest.
LONG_MODULES = (
    (
        "tests/faults/",
        "tests/fuzz/",
        "tests/cluster/",
        "tests/browser/test_restore_resend.py",
        "tests/ops/",
        "tests/benchmarks/",
    ),
    ("tests/browser/", "tests/properties/", "tests/security/test_unlinkable_tips.py"),
)


def _longest_first(item: pytest.Item) -> int:
    return next(
        (rank for rank, prefixes in enumerate(LONG_MODULES) if item.nodeid.startswith(prefixes)), len(LONG_MODULES)
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The S3 store runs with PostgreSQL only: app servers that share a bucket share a PostgreSQL database. The long
    modules go first (a stable sort: each module's tests stay together and in order)."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        params = item.callspec.params if hasattr(item, "callspec") else {}
        s3_on_sqlite = params.get("attachment_store") == "s3" and params.get("backend_app") == "sqlite"
        (drop if s3_on_sqlite else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    keep.sort(key=_longest_first)
    items[:] = keep


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def attachment_store(request: pytest.FixtureRequest, app: Flask) -> Iterator[str]:
    """Runs a test on each attachment store: the local directory, and an S3 bucket (a key prefix per test)."""
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        app.config.update(
            ATTACHMENTS_STORE="s3", S3_ENDPOINT_URL=endpoint, S3_BUCKET=S3_TEST_BUCKET, S3_PREFIX=f"{uuid.uuid4()}/"
        )
    yield request.param
    app.config.update(ATTACHMENTS_STORE="local", S3_PREFIX="")


# --- domain data ----------------------------------------------------------------------------------------


@dataclass
class Demo:
    commune: Commune
    groups: dict[str, HouseholdGroup]

    def household(self, group_code: str, index: int = 0) -> Household:
        return self.groups[group_code].households[index]


@pytest.fixture
def demo(app: Flask) -> Demo:
    """The demo commune: 3 villages, groups DONG-01, DONG-02, TAY-01, BAC-01; officers demo, truongcongan, admin."""
    seed_demo()
    commune = db.session.scalar(db.select(Commune).where(Commune.code == "BINHAN"))
    found = db.session.scalars(db.select(HouseholdGroup).where(HouseholdGroup.commune_id == commune.id))
    return Demo(commune, {group.code: group for group in found})


def make_other_commune(households: int = 5) -> Demo:
    """Hoà Lợi: one village, one group NAM-01 of ``households`` households, one officer ``khac``."""
    commune = Commune(code="HOALOI", name="Xã Hoà Lợi")
    village = Village(commune=commune, name="Thôn Nam")
    group = HouseholdGroup(commune=commune, village=village, code="NAM-01", name="Tổ 1 — Thôn Nam")
    db.session.add_all([commune, village, group])
    db.session.flush()
    db.session.add_all([Household(group_id=group.id, name=f"Hộ số {n + 1}") for n in range(households)])
    db.session.add(
        Officer(
            username="khac",
            display_name="Cán bộ xã khác",
            role=Role.OFFICER,
            commune_id=commune.id,
            password_hash=hash_password("other-officer"),
        )
    )
    db.session.commit()
    return Demo(commune, {"NAM-01": group})


@pytest.fixture
def other_commune(app: Flask) -> Demo:
    """A second commune with one village, one group of five households and one officer ``khac``."""
    return make_other_commune()


# --- push items, as the PWA builds them ------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def report_item(household_id: int, **overrides: Any) -> dict[str, Any]:
    """A valid report push item, as the PWA builds it; ``overrides`` replace any field."""
    item = {
        "type": "report",
        "id": str(uuid.uuid4()),
        "household_id": household_id,
        "kind": "tip",
        "category": "theft",
        "body": "Có người lạ đi xe máy không biển số, đêm qua vào nhà bà Lan lấy trộm hai con gà.",
        "anonymous": False,
        "location": "Cuối xóm, gần cầu tre",
        "urgency": "normal",
        "created_at": now_iso(),
        "attachments": [],
    }
    item.update(overrides)
    return item


def sealed_for_server(client: Any, item: dict[str, Any]) -> dict[str, Any]:
    """``item`` as the phone queues it (issue 11, pwa/js/outbox.js ``forServer``): sealed to the server's queue key
    from the rules, ``{id, key_id, sealed}``."""
    key = client.get("/api/v1/rules").json["queue_key"]
    box = sealing.seal(sealing.from_b64url(key["public_key"]), json_module.dumps(item).encode(), queue_key.INFO)
    return {"id": item["id"], "key_id": key["key_id"], "sealed": box}


def message_item(
    report_id: str, body: str = "Tối nay họ lại đến, cháu thấy rõ mặt.", **overrides: Any
) -> dict[str, Any]:
    """A household's follow-up on one of its reports."""
    return {
        "type": "message",
        "id": str(uuid.uuid4()),
        "report_id": report_id,
        "body": body,
        "created_at": now_iso(),
        **overrides,
    }


def receipt_item(target_id: str, target: str = "message", **overrides: Any) -> dict[str, Any]:
    """A "read" mark on an officer's reply (``target="message"``) or an announcement (``target="announcement"``)."""
    return {
        "type": "receipt",
        "id": str(uuid.uuid4()),
        "target": target,
        "target_id": target_id,
        "read_at": now_iso(),
        **overrides,
    }


def png_bytes(color: str | tuple[int, int, int] = "red", size: int = 8) -> bytes:
    """A small plain PNG (no metadata: the server keeps it byte for byte)."""
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, format="PNG")
    return out.getvalue()


GPS_IFD = 0x8825


def jpeg(*, exif: bool, size: tuple[int, int] = (640, 480), orientation: int | None = None) -> bytes:
    """A camera-like JPEG; with ``exif`` it carries a maker, a model and a GPS position the server must strip."""
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


def photo_declaration(data: bytes, content_type: str = "image/png") -> dict[str, Any]:
    """The attachment entry a report declares for a photo before uploading it."""
    return {
        "id": str(uuid.uuid4()),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "content_type": content_type,
    }


# --- phones --------------------------------------------------------------------------------------------


class RetryLater(Exception):
    """Nothing is known about the request: the server may or may not have acted on it."""


@dataclass
class Answer:
    """An answer over real HTTP, with the names of Flask's test response so one ``Phone`` runs over either."""

    status_code: int
    json: Any
    headers: dict[str, str]
    content: bytes = b""

    def __iter__(self) -> Iterator[Any]:
        """``status, body = answer``: the JSON body, or the bytes of a file, for tests that check both at once."""
        return iter((self.status_code, self.json if self.json is not None else self.content))


class HttpClient:
    """The API over real HTTP on 127.0.0.1, with the rules of ``pwa/js/api.js``.

    ``http.client`` is used (not ``benchmarks/wire.py`` or urllib) because it checks ``Content-Length``: a body
    cut by the fault proxy must read as a failure, never as a short but parseable answer. What the PWA calls
    "retry later" (a cut connection or body, a 5xx, and ``retry_statuses``) raises ``RetryLater``.
    """

    def __init__(self, port: int) -> None:
        self.port = port

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
        retry_statuses: tuple[int, ...] = (408, 409, 429),
    ) -> Answer:
        sent = {"Accept": "application/json", "Accept-Encoding": "gzip", **(headers or {})}
        body = data
        if json is not None:
            body = json_module.dumps(json, ensure_ascii=False).encode()
            sent["Content-Type"] = "application/json"
            if len(body) > 4096:  # as the PWA: gzip only pays on larger pushes
                body = gzip.compress(body)
                sent["Content-Encoding"] = "gzip"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            raw = response.read()  # raises IncompleteRead on a cut body
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
        except (OSError, http.client.HTTPException) as exc:
            raise RetryLater(f"{type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()
        if answer_headers.get("content-encoding") == "gzip":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise RetryLater("cut gzip body") from exc
        # A file download is not JSON; anything else that does not parse is a body cut short.
        expect_json = "json" in answer_headers.get("content-type", "json")
        try:
            parsed = json_module.loads(raw) if raw and expect_json else None
        except ValueError:
            parsed = None
        status = response.status
        if 200 <= status < 300 and parsed is None and method != "HEAD" and raw and expect_json:
            raise RetryLater("2xx with a body that is not JSON")
        if status >= 500 or status in retry_statuses:
            raise RetryLater(f"HTTP {status} {parsed}")
        return Answer(status, parsed, answer_headers, raw)

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Answer:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Answer:
        return self.request("PATCH", path, **kwargs)


@dataclass
class Phone:
    """A group's shared phone as the API sees it: its token, its group, its cursor and what the feed brought it.

    ``client`` is the Flask test client (API tests) or an ``HttpClient`` (tests against a live server); both
    answer with ``status_code`` and ``json``.
    """

    client: Any
    token: str
    group: dict[str, Any]
    cursor: str | None = None
    seen: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def enrol(cls, client: Any, code: str, label: str | None = None, **fields: Any) -> Any:
        """Enrols with a one-time code, as the PWA's first screen does; ``fields`` go to a subclass."""
        body = {"code": code} if label is None else {"code": code, "label": label}
        response = client.post("/api/v1/enrol", json=body)
        assert response.status_code == 201, response.json
        return cls(client, response.json["device_token"], response.json["group"], response.json["cursor"], **fields)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def sync(self, push: list[dict[str, Any]] | None = None, cursor: str | None = "__mine__") -> Any:
        """One ``POST /api/v1/sync`` from the phone's cursor (or ``cursor``); a 200 moves the cursor on."""
        body = {"cursor": self.cursor if cursor == "__mine__" else cursor, "push": push or []}
        response = self.client.post("/api/v1/sync", json=body, headers=self.headers)
        if response.status_code == 200:
            self.cursor = response.json["cursor"]
            self.seen.extend(response.json["changes"])
        return response

    def pull_all(self) -> list[dict[str, Any]]:
        """Pull until ``more`` is false; returns the changes of this call series."""
        start = len(self.seen)
        while True:
            response = self.sync()
            assert response.status_code == 200, response.json
            if not response.json["more"]:
                return self.seen[start:]

    def send_report(self, household_index: int = 0, household_id: int | None = None, **overrides: Any) -> str:
        """A report from one of the group's households (or ``household_id``) through the real sync API; its id."""
        item = report_item(household_id or self.group["households"][household_index]["id"], **overrides)
        response = self.sync([item])
        assert response.status_code == 200, response.json
        assert response.json["results"][0]["status"] == "created", response.json
        return str(item["id"])

    def upload_status(self, attachment_id: str) -> Any:
        """What the server holds of an attachment (``received``, ``complete``): where a resumed upload starts."""
        return self.client.get(f"/api/v1/attachments/{attachment_id}", headers=self.headers)

    def upload(
        self, attachment_id: str, data: bytes, offset: int = 0, content_type: str = "application/octet-stream"
    ) -> Any:
        """One ``PATCH`` of an attachment's bytes from ``offset``, as the PWA sends each chunk."""
        return self.client.patch(
            f"/api/v1/attachments/{attachment_id}?offset={offset}",
            data=data,
            headers={**self.headers, "Content-Type": content_type},
        )


@pytest.fixture
def enrol_phone(app: Flask, demo: Demo) -> Callable[[str], Phone]:
    def enrol(group_code: str = "DONG-01") -> Phone:
        code = groups.issue_enrolment_code(groups.find_group_by_code(group_code))
        return Phone.enrol(app.test_client(), code)

    return enrol


@pytest.fixture
def phone(enrol_phone: Callable[[str], Phone]) -> Phone:
    return enrol_phone("DONG-01")


@pytest.fixture
def tipster(phone: Phone) -> Any:
    """The phone's anonymous half (tests/tips/tipster.py): tokens with its device token, tips with none."""
    from tests.tips.tipster import Tipster  # here: that module imports this one

    return Tipster.of(phone)


@pytest.fixture
def province(app: Flask, tmp_path: Path) -> Iterator[ec.EllipticCurvePrivateKey]:
    """The province's recovery key for commune keys: its public half configured, its private half in a file."""
    path = tmp_path / "province.pem"
    before = app.config["PROVINCE_RECOVERY_KEY"]
    app.config["PROVINCE_RECOVERY_KEY"] = write_recovery_key(path)
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    yield private
    app.config["PROVINCE_RECOVERY_KEY"] = before


# --- officers ------------------------------------------------------------------------------------------


class HttpOfficer:
    """A signed-in console over real HTTP (live servers): the session cookie, and the CSRF token on changes.

    ``retry_for`` seconds of "retry later" answers are waited out: in a fault run the server may be down or
    killed mid-request, while the commune office's own link is good.
    """

    def __init__(
        self, port: int, username: str = "demo", password: str = "demo-officer", *, retry_for: float = 0
    ) -> None:
        self.http = HttpClient(port)
        self.retry_for = retry_for
        self.cookie = ""
        self.csrf = ""
        answer = self.request("POST", "/api/v1/officer/login", {"username": username, "password": password})
        assert answer.status_code == 200, answer.json
        self.cookie = answer.headers["set-cookie"].split(";", 1)[0]
        self.csrf = answer.json["csrf_token"]

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/octet-stream",
    ) -> Answer:
        """One call with a JSON ``body`` or ``raw`` bytes; error statuses are answered, not raised."""
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if method != "GET" and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        if raw is not None:
            headers["Content-Type"] = content_type
        stop = time.monotonic() + self.retry_for
        while True:
            try:
                return self.http.request(method, path, json=body, data=raw, headers=headers, retry_statuses=())
            except RetryLater:
                if time.monotonic() > stop:
                    raise
                time.sleep(0.2)

    def reports(self, **query: str) -> list[dict[str, Any]]:
        """Every report of the officer's commune (all pages)."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            qs = urllib.parse.urlencode({**query, "page": page, "per_page": 100})
            answer = self.request("GET", f"/api/v1/officer/reports?{qs}")
            assert answer.status_code == 200, answer.json
            items += answer.json["items"]
            if len(items) >= answer.json.get("total", len(items)) or not answer.json["items"]:
                return items
            page += 1


class OfficerClient:
    """A signed-in console: the session cookie lives in the client, the CSRF token is sent on changes."""

    def __init__(self, client: FlaskClient, csrf_token: str) -> None:
        self.client = client
        self.csrf_token = csrf_token

    @classmethod
    def login(cls, client: FlaskClient, username: str, password: str) -> OfficerClient:
        """Signs in through the real endpoint; the client keeps the session cookie."""
        response = client.post("/api/v1/officer/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.json
        return cls(client, response.json["csrf_token"])

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, buffered=True, **kwargs)  # buffered: file responses get closed

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """Any method with the session's CSRF token, as the console's api module sends it."""
        headers = {"X-CSRF-Token": self.csrf_token, **kwargs.pop("headers", {})}
        return self.client.open(url, method=method, headers=headers, buffered=True, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.request("PATCH", url, **kwargs)


@pytest.fixture
def sign_in(app: Flask, demo: Demo) -> Callable[[str, str], OfficerClient]:
    def login(username: str = "demo", password: str = "demo-officer") -> OfficerClient:
        return OfficerClient.login(app.test_client(), username, password)

    return login


@pytest.fixture
def officer(sign_in: Callable[..., OfficerClient]) -> OfficerClient:
    """The demo commune's officer."""
    return sign_in()


@pytest.fixture
def head(sign_in: Callable[..., OfficerClient]) -> OfficerClient:
    """The demo commune's head (manages villages, groups, phones and officers)."""
    return sign_in("truongcongan", "demo-head")


@pytest.fixture
def admin(sign_in: Callable[..., OfficerClient]) -> OfficerClient:
    return sign_in("admin", "demo-admin")

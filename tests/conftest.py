"""Shared fixtures: the app on SQLite and on PostgreSQL, demo data, enrolled phones and signed-in officers.

Every API test runs on both databases (``app`` is parametrised). The schema comes from the Alembic
migrations, as in production, once per database per session; tables are emptied between tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from server import create_app
from server.cli import seed_demo
from server.communes.models import Commune, Village
from server.extensions import db, limiter
from server.groups import operations as groups
from server.groups.models import Household, HouseholdGroup
from server.officers import auth
from server.officers.auth import hash_password
from server.officers.models import Officer, Role

# Argon2 at production cost takes ~50 ms a hash; tests hash officers' passwords in every test.
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
        db.session.rollback()
        _empty_tables()
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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


# --- phones and officers --------------------------------------------------------------------------------


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def report_item(household_id: int, **overrides: Any) -> dict[str, Any]:
    """A valid report push item, as the PWA builds it."""
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


def message_item(report_id: str, body: str = "Tối nay họ lại đến, cháu thấy rõ mặt.") -> dict[str, Any]:
    return {
        "type": "message",
        "id": str(uuid.uuid4()),
        "report_id": report_id,
        "body": body,
        "created_at": now_iso(),
    }


@dataclass
class Phone:
    """A phone as the API sees it: it calls the real sync endpoint through the Flask test client, as the PWA does."""

    client: FlaskClient
    token: str
    group: dict[str, Any]
    cursor: str | None = None
    seen: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def sync(self, push: list[dict[str, Any]] | None = None, cursor: str | None = "__mine__") -> Any:
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


@pytest.fixture
def enrol_phone(app: Flask, demo: Demo):
    def enrol(group_code: str = "DONG-01") -> Phone:
        code = groups.issue_enrolment_code(groups.find_group_by_code(group_code))
        client = app.test_client()
        response = client.post("/api/v1/enrol", json={"code": code})
        assert response.status_code == 201, response.json
        return Phone(client, response.json["device_token"], response.json["group"], response.json["cursor"])

    return enrol


@pytest.fixture
def phone(enrol_phone) -> Phone:
    return enrol_phone("DONG-01")


class OfficerClient:
    """A signed-in console: the session cookie lives in the client, the CSRF token is sent on changes."""

    def __init__(self, client: FlaskClient, csrf_token: str) -> None:
        self.client = client
        self.csrf_token = csrf_token

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, buffered=True, **kwargs)  # buffered: file responses get closed

    def post(self, url: str, **kwargs: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf_token, **kwargs.pop("headers", {})}
        return self.client.post(url, headers=headers, **kwargs)


@pytest.fixture
def sign_in(app: Flask, demo: Demo):
    def login(username: str = "demo", password: str = "demo-officer") -> OfficerClient:
        client = app.test_client()
        response = client.post("/api/v1/officer/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.json
        return OfficerClient(client, response.json["csrf_token"])

    return login


@pytest.fixture
def officer(sign_in) -> OfficerClient:
    return sign_in()

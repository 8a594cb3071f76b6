"""Fixtures for the officer console's API tests (imported by the conftest of each console test folder).

``fast_passwords`` swaps the Argon2 parameters for cheap ones: the same code paths, a hundredth of the time
(the authorization table signs in hundreds of times). Production parameters are tested in tests/officers.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from PIL import Image

from server.officers import auth
from tests.conftest import OfficerClient, Phone, report_item

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield


def send(client: OfficerClient, method: str, url: str, **kwargs: Any) -> Any:
    """Any method with the session's CSRF token, as the console's api module sends it."""
    headers = {"X-CSRF-Token": client.csrf_token, **kwargs.pop("headers", {})}
    return client.client.open(url, method=method, headers=headers, buffered=True, **kwargs)


@pytest.fixture
def head(sign_in) -> OfficerClient:
    return sign_in("truongcongan", "demo-head")


@pytest.fixture
def admin(sign_in) -> OfficerClient:
    return sign_in("admin", "demo-admin")


def push_report(phone: Phone, household_index: int = 0, **overrides: Any) -> str:
    """A report sent by the phone through the real sync API; returns its id."""
    household_id = phone.group["households"][household_index]["id"]
    item = report_item(household_id, **overrides)
    response = phone.sync([item])
    assert response.status_code == 200, response.json
    assert response.json["results"][0]["status"] == "created", response.json
    return item["id"]


def png_bytes(color: str = "red", size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, format="PNG")
    return out.getvalue()


def photo_declaration(data: bytes) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "content_type": "image/png",
    }


def upload(phone: Phone, attachment_id: str, data: bytes) -> Any:
    return phone.client.patch(
        f"/api/v1/attachments/{attachment_id}?offset=0",
        data=data,
        headers={**phone.headers, "Content-Type": "application/octet-stream"},
    )


@dataclass
class Changes:
    """What a phone learnt in one pull, by change type."""

    items: list[dict[str, Any]]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [change for change in self.items if change["type"] == kind]

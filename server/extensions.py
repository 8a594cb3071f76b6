"""Extension singletons, created unbound here so that feature modules can import them without cycles."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import current_app, request
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from . import ratelimit_storage  # noqa: F401  (registers the binhan-sqlite:// storage with limits)


class Base(DeclarativeBase):
    """Declarative base shared by every feature's models."""


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:  # type checkers cannot follow ``db.Model``, built at run time from ``Base``
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
compress = Compress()


def _client_key() -> str:
    """Rate-limit key: the client address as the proxy in front of gunicorn reported it."""
    return get_remote_address() or request.remote_addr or "unknown"


def device_key() -> str:
    """Rate-limit key of a phone: a hash of its bearer token (known before the token is even looked up, so a
    flood of requests costs no database work); without a token, the client address."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and len(header) > 7:
        return "device:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return _client_key()


def device_limit(setting: str) -> Callable[[], str]:
    """The limit named by a config key, read at each request (tests and deployments can change it)."""
    return lambda: str(current_app.config[setting])


limiter = Limiter(key_func=_client_key, default_limits=[])

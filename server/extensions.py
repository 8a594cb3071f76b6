"""Extension singletons, created unbound here so that feature modules can import them without cycles."""

from __future__ import annotations

from flask import request
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
migrate = Migrate()
compress = Compress()


def _client_key() -> str:
    """Rate-limit key: the client address as the proxy in front of gunicorn reported it."""
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_key, default_limits=[])

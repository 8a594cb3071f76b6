"""Officer sign-in: Argon2id password hashes, a signed session cookie, and a CSRF token for every change.

The session cookie is HttpOnly and SameSite=Lax (Secure behind HTTPS via SESSION_COOKIE_SECURE); on top of
that every non-GET officer request must echo the session's CSRF token in ``X-CSRF-Token`` (the token is given
at sign-in and by ``GET /api/v1/officer/me``). See docs/adr/0003-officer-sessions.md.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, request, session
from sqlalchemy import select

from ..api import Blueprint
from ..errors import ApiError, Forbidden, Unauthorized
from ..extensions import db
from .models import Officer, Role

F = TypeVar("F", bound=Callable[..., Any])

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong name and a wrong password take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(officer: Officer | None, password: str) -> bool:
    try:
        ok = _hasher.verify(officer.password_hash if officer else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and officer is not None and _hasher.check_needs_rehash(officer.password_hash):
        officer.password_hash = _hasher.hash(password)
    return ok and officer is not None


def sign_in(username: str, password: str) -> Officer:
    officer = db.session.scalar(select(Officer).where(Officer.username == username.strip().lower()))
    if not verify_password(officer, password) or officer is None or not officer.active:
        raise Unauthorized("Wrong username or password.", code="invalid_credentials")
    session.clear()
    session.permanent = True
    session["officer_id"] = officer.id
    session["session_version"] = officer.session_version
    session["csrf_token"] = secrets.token_urlsafe(32)
    return officer


def sign_out() -> None:
    session.clear()


def csrf_token() -> str:
    return str(session.get("csrf_token", ""))


def current_officer() -> Officer:
    """The signed-in officer, checked against the database on every request (revocation is immediate)."""
    officer_id = session.get("officer_id")
    officer = db.session.get(Officer, officer_id) if officer_id else None
    if officer is None or not officer.active or officer.session_version != session.get("session_version"):
        session.clear()
        raise Unauthorized("Please sign in.")
    return officer


def _check_csrf() -> None:
    if request.method in _SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, csrf_token()):
        raise ApiError("Missing or wrong CSRF token.", status=403, code="csrf_failed")


def officer_required(*roles: Role) -> Callable[[F], F]:
    """Require a signed-in officer (of one of ``roles`` if given) and, for changes, the CSRF token; the
    endpoint's spec names the officer session as its security."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            officer = current_officer()
            _check_csrf()
            if roles and officer.role not in roles:
                raise Forbidden("Your role does not allow this.")
            g.officer = officer
            return view(*args, **kwargs)

        documented: F = Blueprint.doc(security=[{"officerSession": []}])(wrapper)
        return documented

    return decorator

"""Officer sign-in: Argon2id password hashes, a signed session cookie, and a CSRF token for every change.

The session cookie is HttpOnly and SameSite=Lax (Secure behind HTTPS via SESSION_COOKIE_SECURE); on top of
that every non-GET officer request must echo the session's CSRF token in ``X-CSRF-Token`` (the token is given
at sign-in and by ``GET /api/v1/officer/me``). See docs/adr/0003-officer-sessions.md.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request, session
from limits import parse
from sqlalchemy import CursorResult, delete, select

from ..api import Blueprint
from ..database import utcnow
from ..errors import ApiError, Forbidden, Unauthorized
from ..extensions import db, limiter
from .models import Officer, OfficerSession, Role

F = TypeVar("F", bound=Callable[..., Any])

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong name and a wrong password take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# last_seen_at is written at most this often: a console polling every few seconds must not write every time.
_TOUCH_EVERY = timedelta(seconds=60)


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


# Per account, whatever the address: guessing one officer's password from many addresses (the per-address
# limit alone allows 30 an hour from each) locks that account for the rest of the window.
ACCOUNT_FAILURES = parse("10 per 15 minutes")


class AccountLocked(ApiError):
    status, code = 429, "account_locked"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many wrong passwords for this account: it is locked for a while. Try again later, or ask the "
            "commune head to reset the password."
        )
        self.headers = {"Retry-After": str(max(retry_after, 1))}


def _account_key(username: str) -> tuple[str, ...]:
    """The account's counter, under the deployment's RATELIMIT_KEY_PREFIX like the per-address limits: two
    deployments sharing one Redis must not lock each other's "admin"."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    return (prefix, "account", username) if prefix else ("account", username)


def _check_not_locked(username: str) -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    if not limiter.limiter.test(ACCOUNT_FAILURES, *_account_key(username)):
        reset_at = limiter.limiter.get_window_stats(ACCOUNT_FAILURES, *_account_key(username)).reset_time
        raise AccountLocked(int(reset_at - time.time()) + 1)


def _count_failure(username: str) -> None:
    if current_app.config.get("RATELIMIT_ENABLED", True):
        limiter.limiter.hit(ACCOUNT_FAILURES, *_account_key(username))


def unlock_account(username: str) -> None:
    """Forget the wrong passwords counted against an account (after a head resets its password)."""
    if current_app.config.get("RATELIMIT_ENABLED", True):
        limiter.limiter.clear(ACCOUNT_FAILURES, *_account_key(username))


def sign_in(username: str, password: str) -> Officer:
    username = username.strip().lower()
    _check_not_locked(username)
    officer = db.session.scalar(select(Officer).where(Officer.username == username))
    if not verify_password(officer, password) or officer is None or not officer.active:
        _count_failure(username)
        raise Unauthorized("Wrong username or password.", code="invalid_credentials")
    session.clear()
    token = secrets.token_urlsafe(32)
    db.session.add(OfficerSession(id=_token_hash(token), officer_id=officer.id))
    session.permanent = True
    session["officer_id"] = officer.id
    session["session_version"] = officer.session_version
    session["sid"] = token
    session["csrf_token"] = secrets.token_urlsafe(32)
    return officer


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_session_id() -> str | None:
    """The stored id of this browser's session (None when there is none)."""
    token = session.get("sid")
    return _token_hash(token) if isinstance(token, str) and token else None


def sign_out() -> None:
    """End this browser's session on the server too: a copy of the cookie is worthless from now on."""
    session_id = current_session_id()
    if session_id:
        db.session.execute(delete(OfficerSession).where(OfficerSession.id == session_id))
        db.session.commit()
    session.clear()


def end_sessions(officer: Officer, *, keep: str | None = None) -> int:
    """Delete every stored session of ``officer`` but ``keep``; returns how many ended (caller commits)."""
    query = delete(OfficerSession).where(OfficerSession.officer_id == officer.id)
    if keep:
        query = query.where(OfficerSession.id != keep)
    result = cast(CursorResult[Any], db.session.execute(query))  # a DELETE's result counts its rows
    return int(result.rowcount or 0)


def csrf_token() -> str:
    return str(session.get("csrf_token", ""))


def current_officer() -> Officer:
    """The signed-in officer, checked against the database on every request (revocation is immediate)."""
    officer_id = session.get("officer_id")
    officer = db.session.get(Officer, officer_id) if officer_id else None
    stored = _live_session(officer)
    if officer is None or stored is None or not officer.active:
        session.clear()
        raise Unauthorized("Please sign in.", code="session_expired" if officer_id else "unauthorized")
    if officer.session_version != session.get("session_version"):
        session.clear()
        raise Unauthorized("Please sign in.", code="session_expired")
    _touch(stored)
    return officer


def _live_session(officer: Officer | None) -> OfficerSession | None:
    """This browser's stored session if it is still alive: not signed out, not idle or old past the limits."""
    session_id = current_session_id()
    if officer is None or session_id is None:
        return None
    stored = db.session.get(OfficerSession, session_id)
    if stored is None or stored.officer_id != officer.id:
        return None
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    lifetime = timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    if now - stored.last_seen_at > idle or now - stored.created_at > lifetime:
        db.session.delete(stored)
        db.session.commit()
        return None
    return stored


def _touch(stored: OfficerSession) -> None:
    """Move the idle clock forward (at most once a minute, in its own small commit)."""
    now = utcnow()
    if now - stored.last_seen_at >= _TOUCH_EVERY:
        stored.last_seen_at = now
        db.session.commit()


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

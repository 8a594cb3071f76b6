"""Officer accounts: password changes and what a head or an admin may do to other accounts.

A head manages the officers and heads of their own commune; an admin manages every account. Changing a
password or deactivating an account bumps ``session_version``, which ends every other session at once
(auth.current_officer compares it on each request).
"""

from __future__ import annotations

from typing import Any

from flask import session

from ..audit import operations as audit
from ..communes.models import Commune
from ..errors import ApiError, Conflict, Forbidden, Unprocessable
from ..extensions import db
from . import auth
from .auth import current_session_id, end_sessions, hash_password, unlock_account, verify_password
from .models import Officer, Role


def sign_in(username: str, password: str) -> Officer:
    officer = auth.sign_in(username, password)
    audit.record("officer.signed_in", commune_id=officer.commune_id, officer_id=officer.id)
    db.session.commit()
    return officer


def _audit(action: str, actor: Officer, target: Officer, **details: Any) -> None:
    audit.record(
        action, commune_id=target.commune_id, officer_id=actor.id, target_type="officer", target_id=target.id, **details
    )


def _end_other_sessions(officer: Officer) -> None:
    """Every session of ``officer`` but this browser's (if it is theirs) ends at once."""
    officer.session_version += 1
    end_sessions(officer, keep=current_session_id() if session.get("officer_id") == officer.id else None)


def sign_out_everywhere(actor: Officer, officer: Officer) -> int:
    """End every session of ``officer``, this browser's included: a lost laptop, or "sign out everywhere".

    An officer may do it to themselves; a head to the accounts of their commune; an admin to any account.
    Returns how many sessions ended.
    """
    if actor.id != officer.id:
        _check_may_manage(actor, officer.role, officer.commune_id)
    officer.session_version += 1
    ended = end_sessions(officer)
    _audit("officer.signed_out_everywhere", actor, officer, sessions=ended)
    db.session.commit()
    if actor.id == officer.id:
        session.clear()
    return ended


def change_own_password(officer: Officer, current: str, new: str) -> None:
    """The officer's own change: the current password is checked; this browser stays signed in."""
    if not verify_password(officer, current):
        raise ApiError(
            "The current password is wrong.",
            status=422,
            code="wrong_password",
            fields={"current_password": ["Wrong password."]},
        )
    officer.password_hash = hash_password(new)
    _end_other_sessions(officer)
    session["session_version"] = officer.session_version
    _audit("officer.password_changed", officer, officer)
    db.session.commit()


def _check_may_manage(actor: Officer, target_role: Role, commune_id: int | None) -> None:
    """A head acts on non-admin accounts of their commune; an admin on any account."""
    if actor.role is Role.ADMIN:
        return
    if target_role is Role.ADMIN or commune_id != actor.commune_id:
        raise Forbidden("Only an administrator can manage this account.")


def _commune_for(actor: Officer, role: Role, commune_id: int | None) -> int | None:
    if actor.role is not Role.ADMIN:
        return actor.commune_id if commune_id is None else commune_id  # another commune: refused below
    if commune_id is None:
        if role is not Role.ADMIN:
            raise Unprocessable(fields={"commune_id": ["Required for officers and heads."]})
        return None
    if db.session.get(Commune, commune_id) is None:
        raise Unprocessable(fields={"commune_id": ["Unknown commune."]})
    return commune_id


def create_officer(actor: Officer, data: dict[str, Any]) -> Officer:
    role: Role = data["role"]
    commune_id = _commune_for(actor, role, data.get("commune_id"))
    _check_may_manage(actor, role, commune_id)
    username = data["username"].strip().lower()
    if db.session.scalar(db.select(Officer.id).where(Officer.username == username)) is not None:
        raise Conflict("This username is taken.", code="username_taken")
    officer = Officer(
        username=username,
        display_name=data["display_name"],
        role=role,
        commune_id=commune_id,
        password_hash=hash_password(data["password"]),
    )
    db.session.add(officer)
    db.session.flush()
    _audit("officer.created", actor, officer, role=role.value)
    db.session.commit()
    return officer


def update_officer(actor: Officer, officer: Officer, changes: dict[str, Any]) -> Officer:
    """Rename, change the role of, or (de)activate an account; nobody can lock themselves out."""
    _check_may_manage(actor, officer.role, officer.commune_id)
    if "role" in changes:
        _check_may_manage(actor, changes["role"], officer.commune_id)
    if officer.id == actor.id and (changes.get("active") is False or changes.get("role", actor.role) != actor.role):
        raise Conflict("You cannot deactivate or demote your own account.", code="own_account")
    for name in ("display_name", "role", "active"):
        if name in changes:
            setattr(officer, name, changes[name])
    if changes.get("active") is False:
        _end_other_sessions(officer)
    _audit("officer.updated", actor, officer, **{k: getattr(v, "value", v) for k, v in changes.items()})
    db.session.commit()
    return officer


def reset_password(actor: Officer, officer: Officer, new: str) -> None:
    """Set a new password for someone who forgot theirs; their open sessions end."""
    _check_may_manage(actor, officer.role, officer.commune_id)
    officer.password_hash = hash_password(new)
    _end_other_sessions(officer)
    unlock_account(officer.username)
    if officer.id == actor.id:
        session["session_version"] = officer.session_version
    _audit("officer.password_reset", actor, officer)
    db.session.commit()

"""Officer sign-in, sign-out, "who am I" (which also hands the console its CSRF token), and accounts."""

from __future__ import annotations

from typing import Any

from flask import g

from ..api import Blueprint
from ..extensions import limiter
from . import auth, operations, queries
from .models import MANAGERS, Officer
from .schemas import (
    LoginSchema,
    OfficerCreateSchema,
    OfficerListArgsSchema,
    OfficerSchema,
    OfficerUpdateSchema,
    PasswordChangeSchema,
    PasswordResetSchema,
    SessionSchema,
)

blp = Blueprint("officer_session", __name__, url_prefix="/api/v1/officer", description="Officer sessions")
accounts = Blueprint(
    "officer_accounts",
    __name__,
    url_prefix="/api/v1/officer/officers",
    description="Officer accounts, managed by heads and admins",
)


@blp.route("/login", methods=["POST"])
@limiter.limit("5 per minute;30 per hour")  # per client address; Redis-backed when REDIS_URL is set
@blp.arguments(LoginSchema)
@blp.response(200, SessionSchema)
def login(args: dict[str, Any]) -> dict[str, Any]:
    """Sign in; the answer carries the CSRF token to send with every change."""
    return {"officer": operations.sign_in(args["username"], args["password"]), "csrf_token": auth.csrf_token()}


@blp.route("/logout", methods=["POST"])
@auth.officer_required()
@blp.response(204)
def logout() -> None:
    """Sign out of this browser."""
    auth.sign_out()


@blp.route("/logout-everywhere", methods=["POST"])
@auth.officer_required()
@blp.response(204)
def logout_everywhere() -> None:
    """Sign out of every browser, this one included (a laptop left signed in somewhere)."""
    operations.sign_out_everywhere(g.officer, g.officer)


@blp.route("/me", methods=["GET"])
@auth.officer_required()
@blp.response(200, SessionSchema)
def me() -> dict[str, Any]:
    """The signed-in officer and the session's CSRF token (the console calls this on load)."""
    return {"officer": g.officer, "csrf_token": auth.csrf_token()}


@blp.route("/me/password", methods=["POST"])
@limiter.limit("5 per minute")  # it checks the current password: the same guessing risk as sign-in
@auth.officer_required()
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
def change_password(args: dict[str, Any]) -> None:
    """Change your password; every other session of yours ends, this one stays."""
    operations.change_own_password(g.officer, args["current_password"], args["new_password"])


@accounts.route("", methods=["GET"])
@auth.officer_required()
@accounts.arguments(OfficerListArgsSchema, location="query")
@accounts.response(200, OfficerSchema(many=True))
def list_officers(args: dict[str, Any]) -> list[Officer]:
    """The commune's officers (to assign reports); an admin may name another commune, or see everyone."""
    return queries.accounts(g.officer, args.get("commune_id"), args["include_inactive"])


@accounts.route("", methods=["POST"])
@auth.officer_required(*MANAGERS)
@accounts.arguments(OfficerCreateSchema)
@accounts.response(201, OfficerSchema)
def create_officer(args: dict[str, Any]) -> Officer:
    """Open an account: a head in their commune (officer or head), an admin anywhere."""
    return operations.create_officer(g.officer, args)


@accounts.route("/<int:officer_id>", methods=["PATCH"])
@auth.officer_required(*MANAGERS)
@accounts.arguments(OfficerUpdateSchema)
@accounts.response(200, OfficerSchema)
def update_officer(args: dict[str, Any], officer_id: int) -> Officer:
    """Rename, change the role of, or deactivate an account (its sessions end at once)."""
    return operations.update_officer(g.officer, queries.account(g.officer, officer_id), args)


@accounts.route("/<int:officer_id>/logout", methods=["POST"])
@auth.officer_required(*MANAGERS)
@accounts.response(204)
def logout_officer(officer_id: int) -> None:
    """End every session of an officer of the commune (an admin: of anyone), e.g. for a lost laptop."""
    operations.sign_out_everywhere(g.officer, queries.account(g.officer, officer_id))


@accounts.route("/<int:officer_id>/password", methods=["POST"])
@auth.officer_required(*MANAGERS)
@accounts.arguments(PasswordResetSchema)
@accounts.response(204)
def reset_password(args: dict[str, Any], officer_id: int) -> None:
    """Give an officer who forgot their password a new one; their sessions end."""
    operations.reset_password(g.officer, queries.account(g.officer, officer_id), args["new_password"])

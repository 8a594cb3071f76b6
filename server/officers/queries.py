"""What an officer may name by role: an admin any commune and any account, everyone else their own commune's."""

from __future__ import annotations

from sqlalchemy import select

from ..communes.models import Commune
from ..errors import ApiError, NotFound
from ..extensions import db
from .models import Officer, Role


def commune(officer: Officer, commune_id: int) -> Commune:
    found = db.session.get(Commune, commune_id)
    if found is None or (officer.role is not Role.ADMIN and found.id != officer.commune_id):
        raise NotFound("No such commune.")
    return found


def account(officer: Officer, officer_id: int) -> Officer:
    found = db.session.get(Officer, officer_id)
    if found is None or (officer.role is not Role.ADMIN and found.commune_id != officer.commune_id):
        raise NotFound("No such officer.")
    return found


def accounts(officer: Officer, commune_id: int | None, include_inactive: bool) -> list[Officer]:
    """The commune's officers (to assign reports); an admin may name another commune, or see everyone."""
    query = select(Officer).order_by(Officer.display_name, Officer.id)
    if officer.role is Role.ADMIN:
        if commune_id is not None:
            query = query.where(Officer.commune_id == commune(officer, commune_id).id)
    else:
        query = query.where(Officer.commune_id == officer.commune_id)
    if not include_inactive:
        query = query.where(Officer.active.is_(True))
    return list(db.session.scalars(query))


def active_in_commune(commune_id: int, officer_id: int, purpose: str) -> Officer:
    """The named officer, who must be active in this commune to be given its work (reports to take, slots to
    staff): a 422 on ``officer_id`` otherwise, whatever the reason, so a caller learns nothing of other communes."""
    found = db.session.get(Officer, officer_id)
    if found is None or found.commune_id != commune_id or not found.active:
        raise ApiError(
            f"This officer cannot {purpose} in this commune.",
            status=422,
            code="validation_error",
            fields={"officer_id": ["Not an active officer of this commune."]},
        )
    return found

"""The commune scope of every object an officer names in a URL: one helper per kind of object.

Each helper returns the object if the signed-in officer (``g.officer``) may see it, and raises 404 otherwise
— never 403 — so that an officer cannot learn whether another commune's report, group or phone exists.
Reports, announcements, villages, groups, households and phones belong to the officer's own commune, for
every role (an admin is the head of their own commune there); only communes and officer accounts are
visible to an admin everywhere.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import g

from ..announcements.models import Announcement
from ..communes.models import Commune, Village
from ..errors import NotFound
from ..extensions import db
from ..groups.models import Device, Household, HouseholdGroup
from ..reports.models import Report
from .models import Officer, Role


def _own_commune_id() -> int | None:
    return g.officer.commune_id


def _get_in_commune(model: type, object_id: Any, commune_of: Any, what: str) -> Any:
    found = db.session.get(model, object_id)
    if found is None or _own_commune_id() is None or commune_of(found) != _own_commune_id():
        raise NotFound(f"No such {what}.")
    return found


def report(report_id: uuid.UUID) -> Report:
    return _get_in_commune(Report, report_id, lambda r: r.commune_id, "report")


def announcement(announcement_id: uuid.UUID) -> Announcement:
    return _get_in_commune(Announcement, announcement_id, lambda a: a.commune_id, "announcement")


def village(village_id: int) -> Village:
    return _get_in_commune(Village, village_id, lambda v: v.commune_id, "village")


def group(group_id: int) -> HouseholdGroup:
    return _get_in_commune(HouseholdGroup, group_id, lambda grp: grp.commune_id, "group")


def household(household_id: int) -> Household:
    return _get_in_commune(Household, household_id, lambda h: h.group.commune_id, "household")


def device(device_id: int) -> Device:
    return _get_in_commune(Device, device_id, lambda d: d.group.commune_id, "phone")


def commune(commune_id: int) -> Commune:
    """Any commune for an admin; a head or officer sees their own only."""
    found = db.session.get(Commune, commune_id)
    if found is None or (g.officer.role is not Role.ADMIN and found.id != _own_commune_id()):
        raise NotFound("No such commune.")
    return found


def officer(officer_id: int) -> Officer:
    """Any account for an admin; otherwise the accounts of the officer's own commune."""
    found = db.session.get(Officer, officer_id)
    if found is None or (g.officer.role is not Role.ADMIN and found.commune_id != _own_commune_id()):
        raise NotFound("No such officer.")
    return found

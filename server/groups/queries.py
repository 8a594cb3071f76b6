"""The commune's groups, households and phones as its officers may name them (404 outside their commune)."""

from __future__ import annotations

from sqlalchemy import select

from ..database import get_in_commune
from ..extensions import db
from ..officers.models import Officer
from .models import Device, Household, HouseholdGroup


def groups(officer: Officer, village_id: int | None) -> list[HouseholdGroup]:
    query = select(HouseholdGroup).where(HouseholdGroup.commune_id == officer.commune_id)
    if village_id is not None:
        query = query.where(HouseholdGroup.village_id == village_id)
    return list(db.session.scalars(query.order_by(HouseholdGroup.code)))


def group(officer: Officer, group_id: int) -> HouseholdGroup:
    return get_in_commune(HouseholdGroup, group_id, officer.commune_id, "group")


def household(officer: Officer, household_id: int) -> Household:
    return get_in_commune(Household, household_id, officer.commune_id, "household", lambda h: h.group.commune_id)


def device(officer: Officer, device_id: int) -> Device:
    return get_in_commune(Device, device_id, officer.commune_id, "phone", lambda d: d.group.commune_id)

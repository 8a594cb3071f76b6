"""Managing the commune's household groups for its head: groups, households, enrolment codes, phones.

Every change to a group's households is published to the group's phone through the feed (a ``group``
change), so the household list on the shared phone follows the commune's records.
"""

from __future__ import annotations

from sqlalchemy import select

from ..audit import operations as audit
from ..communes.models import Village
from ..errors import Conflict
from ..extensions import db
from ..officers.models import Officer
from .models import Household, HouseholdGroup
from .operations import publish_group_profile


def create_group(actor: Officer, village: Village, code: str, name: str) -> HouseholdGroup:
    code = code.strip().upper()
    if db.session.scalar(select(HouseholdGroup.id).where(HouseholdGroup.code == code)) is not None:
        raise Conflict("A group already has this code.", code="code_taken")
    group = HouseholdGroup(commune_id=village.commune_id, village_id=village.id, code=code, name=name)
    db.session.add(group)
    db.session.flush()
    audit.record(
        "group.created",
        commune_id=group.commune_id,
        officer_id=actor.id,
        target_type="group",
        target_id=group.id,
        code=code,
    )
    db.session.commit()
    return group


def rename_group(actor: Officer, group: HouseholdGroup, name: str) -> HouseholdGroup:
    group.name = name
    audit.record(
        "group.renamed",
        commune_id=group.commune_id,
        officer_id=actor.id,
        target_type="group",
        target_id=group.id,
        name=name,
    )
    publish_group_profile(group)
    db.session.commit()
    return group


def add_household(actor: Officer, group: HouseholdGroup, name: str) -> Household:
    household = Household(group_id=group.id, name=name)
    db.session.add(household)
    db.session.flush()
    db.session.refresh(group, ["households"])
    audit.record(
        "household.created",
        commune_id=group.commune_id,
        officer_id=actor.id,
        target_type="household",
        target_id=household.id,
    )
    publish_group_profile(group)
    db.session.commit()
    return household


def update_household(actor: Officer, household: Household, changes: dict[str, object]) -> Household:
    """Rename or (de)activate; a deactivated household disappears from the phone, its reports stay."""
    for name in ("name", "active"):
        if name in changes:
            setattr(household, name, changes[name])
    audit.record(
        "household.updated",
        commune_id=household.group.commune_id,
        officer_id=actor.id,
        target_type="household",
        target_id=household.id,
        **changes,
    )
    db.session.flush()
    publish_group_profile(household.group)
    db.session.commit()
    return household

"""Communes (created by an admin) and their villages (managed by the commune's head).

Renaming either republishes the profiles of the groups there: their phones show the new name after a sync.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from ..audit import operations as audit
from ..communes.models import Commune, Village
from ..errors import Conflict
from ..extensions import db
from ..groups.models import HouseholdGroup
from ..groups.operations import publish_group_profile
from ..officers.models import Officer


def create_commune(actor: Officer, code: str, name: str, village_names: list[str]) -> Commune:
    code = code.strip().upper()
    if db.session.scalar(select(Commune.id).where(Commune.code == code)) is not None:
        raise Conflict("A commune already has this code.", code="code_taken")
    commune = Commune(code=code, name=name)
    db.session.add(commune)
    db.session.flush()
    for village_name in dict.fromkeys(village_names):  # drop repeats, keep order
        db.session.add(Village(commune_id=commune.id, name=village_name))
    audit.record(
        "commune.created", commune_id=commune.id, officer_id=actor.id, target_type="commune", target_id=commune.id
    )
    db.session.commit()
    return commune


def rename_commune(actor: Officer, commune: Commune, name: str) -> Commune:
    commune.name = name
    audit.record(
        "commune.renamed",
        commune_id=commune.id,
        officer_id=actor.id,
        target_type="commune",
        target_id=commune.id,
        name=name,
    )
    _republish_groups(select(HouseholdGroup).where(HouseholdGroup.commune_id == commune.id))
    db.session.commit()
    return commune


def _check_free_name(commune_id: int, name: str, village_id: int | None = None) -> None:
    query = select(Village.id).where(Village.commune_id == commune_id, Village.name == name)
    found = db.session.scalar(query)
    if found is not None and found != village_id:
        raise Conflict("The commune already has a village of this name.", code="name_taken")


def create_village(actor: Officer, name: str) -> Village:
    if actor.commune_id is None:
        raise Conflict("Your account belongs to no commune.", code="no_commune")
    commune_id = actor.commune_id
    _check_free_name(commune_id, name)
    village = Village(commune_id=commune_id, name=name)
    db.session.add(village)
    db.session.flush()
    audit.record(
        "village.created",
        commune_id=commune_id,
        officer_id=actor.id,
        target_type="village",
        target_id=village.id,
        name=name,
    )
    db.session.commit()
    return village


def rename_village(actor: Officer, village: Village, name: str) -> Village:
    """Rename; the phones of its groups show the new name after their next sync."""
    _check_free_name(village.commune_id, name, village.id)
    village.name = name
    audit.record(
        "village.renamed",
        commune_id=village.commune_id,
        officer_id=actor.id,
        target_type="village",
        target_id=village.id,
        name=name,
    )
    _republish_groups(select(HouseholdGroup).where(HouseholdGroup.village_id == village.id))
    db.session.commit()
    return village


def _republish_groups(query: Select[Any]) -> None:
    db.session.flush()
    for group in db.session.scalars(query):
        publish_group_profile(group)

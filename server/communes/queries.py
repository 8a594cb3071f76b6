"""Communes and their villages, as the officer console lists and names them."""

from __future__ import annotations

from sqlalchemy import select

from ..database import get_in_commune
from ..extensions import db
from .models import Commune, Village


def communes() -> list[Commune]:
    return list(db.session.scalars(select(Commune).order_by(Commune.name)))


def villages(commune_id: int | None) -> list[Village]:
    return list(db.session.scalars(select(Village).where(Village.commune_id == commune_id).order_by(Village.name)))


def village(commune_id: int | None, village_id: int) -> Village:
    return get_in_commune(Village, village_id, commune_id, "village")

"""Writing audit entries inside the caller's transaction, so an action and its record commit together; reading
the commune's log, newest first, filtered by action, target or officer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from ..extensions import db
from .models import AuditEvent


def record(
    action: str,
    *,
    commune_id: int | None,
    officer_id: int | None = None,
    device_id: int | None = None,
    target_type: str = "",
    target_id: object = "",
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        commune_id=commune_id,
        officer_id=officer_id,
        device_id=device_id,
        target_type=target_type,
        target_id=str(target_id),
        details=details,
    )
    db.session.add(event)
    return event


_EQUAL_FILTERS = ("action", "target_type", "target_id", "officer_id")


def events(commune_id: int | None, filters: dict[str, Any]) -> Select[Any]:
    query = select(AuditEvent).where(AuditEvent.commune_id == commune_id)
    for name in _EQUAL_FILTERS:
        if filters.get(name) is not None:
            query = query.where(getattr(AuditEvent, name) == filters[name])
    return query.order_by(AuditEvent.id.desc())

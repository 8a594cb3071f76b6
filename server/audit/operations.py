"""Writing audit entries inside the caller's transaction, so an action and its record commit together."""

from __future__ import annotations

from typing import Any

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

"""Enrolment of phones, device authentication and revocation: the rules and their transactions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import tokens
from ..audit import operations as audit
from ..database import utcnow
from ..errors import Gone, NotFound, Unauthorized
from ..extensions import db
from ..sync import feed
from .models import Device, EnrolmentCode, Household, HouseholdGroup


def issue_enrolment_code(group: HouseholdGroup, officer_id: int | None = None) -> str:
    """Create a one-time code for ``group``; only its hash is kept, so it is shown once."""
    code = tokens.new_enrolment_code()
    ttl = timedelta(hours=current_app.config["ENROLMENT_CODE_TTL_HOURS"])
    db.session.add(
        EnrolmentCode(
            group_id=group.id,
            code_hash=tokens.sha256_hex(tokens.normalise_code(code)),
            expires_at=utcnow() + ttl,
            created_by_id=officer_id,
        )
    )
    audit.record(
        "enrolment_code.issued",
        commune_id=group.commune_id,
        officer_id=officer_id,
        target_type="group",
        target_id=group.id,
    )
    db.session.commit()
    return code


def enrol_device(code: str, label: str = "", request_id: str | None = None) -> tuple[Device, str]:
    """Exchange a one-time code for a device token; the code is spent in the same transaction.

    A phone on a bad link may enrol and never hear the answer. It sends a random ``request_id`` with the
    code, so its retry (same code, same request_id, within a few minutes) gets a fresh token for the device
    that request created; the unheard token is replaced. Anything else with a spent code stays 410.
    """
    code_hash = tokens.sha256_hex(tokens.normalise_code(code))
    request_hash = tokens.sha256_hex(request_id) if request_id else None
    enrolment = db.session.scalar(select(EnrolmentCode).where(EnrolmentCode.code_hash == code_hash).with_for_update())
    if enrolment is None:
        raise NotFound("This enrolment code is not known.", code="enrolment_code_unknown")
    if enrolment.used_at is not None:
        if _is_retry(enrolment, request_hash):
            return _reissue_token(enrolment)
        raise Gone("This enrolment code was already used.", code="enrolment_code_used")
    if enrolment.expires_at <= utcnow():
        raise Gone("This enrolment code has expired.", code="enrolment_code_expired")
    token = tokens.new_device_token()
    device = Device(
        group_id=enrolment.group_id,
        token_hash=tokens.sha256_hex(token),
        label=label,
        feed_floor=feed.head_position(),
    )
    db.session.add(device)
    db.session.flush()
    enrolment.used_at = utcnow()
    enrolment.device_id = device.id
    enrolment.request_hash = request_hash
    _audit_enrolment("device.enrolled", enrolment, device)
    db.session.commit()
    return device, token


def _audit_enrolment(action: str, enrolment: EnrolmentCode, device: Device) -> None:
    audit.record(
        action,
        commune_id=enrolment.group.commune_id,
        device_id=device.id,
        target_type="group",
        target_id=enrolment.group_id,
    )


def _is_retry(enrolment: EnrolmentCode, request_hash: str | None) -> bool:
    """The same phone asking again for the answer it lost: same request, recent, device still live."""
    window = timedelta(minutes=current_app.config["ENROLMENT_RETRY_MINUTES"])
    return (
        request_hash is not None
        and enrolment.request_hash == request_hash
        and enrolment.used_at is not None
        and enrolment.used_at + window > utcnow()
        and enrolment.device_id is not None
        and db.session.get(Device, enrolment.device_id).revoked_at is None
    )


def _reissue_token(enrolment: EnrolmentCode) -> tuple[Device, str]:
    """A new token for the device the lost answer was about; its old token stops working at once."""
    device = db.session.get(Device, enrolment.device_id)
    token = tokens.new_device_token()
    device.token_hash = tokens.sha256_hex(token)
    _audit_enrolment("device.token_reissued", enrolment, device)
    db.session.commit()
    return device, token


def authenticate_device(authorization: str | None) -> Device:
    """Resolve ``Authorization: Bearer <token>`` to a live device, or refuse with 401."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A device token is required.")
    # With its group: every phone call needs it (scope of a push, audience of a pull), so one statement, not two.
    token_hash = tokens.sha256_hex(token.strip())
    query = select(Device).options(joinedload(Device.group)).where(Device.token_hash == token_hash)
    device = db.session.scalar(query)
    if device is None:
        raise Unauthorized("This device token is not valid.")
    if device.revoked_at is not None:
        raise Unauthorized("This phone was revoked by the commune; enrol it again.", code="device_revoked")
    return device


def touch(device: Device) -> None:
    """Remember when a phone was last heard from (shown to officers managing devices)."""
    device.last_seen_at = utcnow()


def revoke_device(device: Device, officer_id: int | None) -> None:
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        device.revoked_by_id = officer_id
        audit.record(
            "device.revoked",
            commune_id=device.group.commune_id,
            officer_id=officer_id,
            target_type="device",
            target_id=device.id,
        )
    db.session.commit()


def active_households(group: HouseholdGroup) -> list[Household]:
    return [household for household in group.households if household.active]


def group_profile(group: HouseholdGroup) -> dict[str, Any]:
    """The group as a phone sees it (enrolment answer and ``group`` feed changes)."""
    return {
        "id": group.id,
        "name": group.name,
        "code": group.code,
        "village": {"id": group.village.id, "name": group.village.name},
        "commune": {"id": group.commune.id, "name": group.commune.name},
        "households": [{"id": h.id, "name": h.name} for h in active_households(group)],
    }


def publish_group_profile(group: HouseholdGroup) -> None:
    """Tell the group's phone that its households changed (call before commit)."""
    feed.append("group", {"group": group_profile(group)}, commune_id=group.commune_id, group_id=group.id)


def find_group_by_code(code: str) -> HouseholdGroup:
    group = db.session.scalar(select(HouseholdGroup).where(HouseholdGroup.code == code))
    if group is None:
        raise NotFound(f"No group has the code {code!r}.")
    return group

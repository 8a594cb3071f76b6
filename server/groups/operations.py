"""Groups and their phones: enrolment, device authentication and revocation, and the head's management of groups
and households. Every change to what a group's phone shows is published to it through the feed (a ``group``
change), so the household list on the shared phone follows the commune's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import tokens
from ..audit import operations as audit
from ..communes.models import Village
from ..database import local_day_start, utcnow
from ..errors import Conflict, Gone, NotFound, Unauthorized
from ..extensions import db
from ..feed import operations as feed
from ..officers.models import Officer
from .models import Device, EnrolmentCode, Household, HouseholdGroup


@dataclass(frozen=True)
class IssuedCode:
    """A fresh enrolment code, its expiry and its group: what the head reads out or prints."""

    code: str
    expires_at: datetime
    group: HouseholdGroup


def issue_enrolment_code(group: HouseholdGroup, officer_id: int | None = None) -> str:
    """The code alone, for the command line."""
    return issue_code(group, officer_id).code


def issue_code(group: HouseholdGroup, officer_id: int | None = None) -> IssuedCode:
    """Create a one-time code for ``group``; only its hash is kept, so it is shown once."""
    issued = IssuedCode(
        tokens.new_enrolment_code(),
        utcnow() + timedelta(hours=current_app.config["ENROLMENT_CODE_TTL_HOURS"]),
        group,
    )
    db.session.add(
        EnrolmentCode(
            group_id=group.id,
            code_hash=tokens.sha256_hex(tokens.normalise_code(issued.code)),
            expires_at=issued.expires_at,
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
    return issued


def enrol_device(code: str, label: str = "", request_id: str | None = None) -> dict[str, Any]:
    """Exchange a one-time code for a device token and the group's profile; the code is spent in the same
    transaction.

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
        if retried := _retried_device(enrolment, request_hash):
            return _reissue_token(enrolment, retried)
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
    return _enrolled(device, token)


def _enrolled(device: Device, token: str) -> dict[str, Any]:
    # The cursor starts at the beginning: the feed floor (not the cursor) hides older group changes.
    return {"device_token": token, "group": group_profile(device.group), "cursor": feed.encode_cursor(0)}


def _audit_enrolment(action: str, enrolment: EnrolmentCode, device: Device) -> None:
    audit.record(
        action,
        commune_id=enrolment.group.commune_id,
        device_id=device.id,
        target_type="group",
        target_id=enrolment.group_id,
    )


def _retried_device(enrolment: EnrolmentCode, request_hash: str | None) -> Device | None:
    """The device of the same phone asking again for the answer it lost: same request, recent, still live."""
    window = timedelta(minutes=current_app.config["ENROLMENT_RETRY_MINUTES"])
    if (
        request_hash is None
        or enrolment.request_hash != request_hash
        or enrolment.used_at is None
        or enrolment.used_at + window <= utcnow()
        or enrolment.device_id is None
    ):
        return None
    device = db.session.get(Device, enrolment.device_id)
    return device if device is not None and device.revoked_at is None else None


def _reissue_token(enrolment: EnrolmentCode, device: Device) -> dict[str, Any]:
    """A new token for the device the lost answer was about; its old token stops working at once."""
    token = tokens.new_device_token()
    device.token_hash = tokens.sha256_hex(token)
    _audit_enrolment("device.token_reissued", enrolment, device)
    db.session.commit()
    return _enrolled(device, token)


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
    """Remember on which day a phone was last heard from (enough to spot a lost phone), the commune's day only:
    an hour still told an officer which groups synced in the hour an anonymous tip arrived (issue 10)."""
    day = local_day_start(utcnow(), current_app.config["TIMEZONE"])
    if device.last_seen_at != day:
        device.last_seen_at = day


def revoke_device(device: Device, officer_id: int | None) -> Device:
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
    return device


def feed_audience(device: Device) -> feed.Audience:
    """What the phone pulls: its group's changes since it enrolled (Device.feed_floor), its village's, its commune's."""
    group = device.group
    return feed.Audience(group.commune_id, group.village_id, group.id, device.feed_floor)


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


# --- the head's management of groups and households ------------------------------------------------------


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


def update_household(actor: Officer, household: Household, changes: dict[str, Any]) -> Household:
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

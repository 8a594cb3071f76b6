"""Claiming a household (its first PIN), the online PIN check that releases the server's share, and the
officer's household codes and unlocks. See docs/adr/0005-household-keys.md for the key schedule on the phone.

The PIN never reaches the server: the phone stretches it and sends a 32-byte check value derived from it. The
server keeps a peppered verifier of that value and counts wrong checks per household and commune-local day;
at ``HOUSEHOLD_PIN_TRIES`` the household locks until an officer unlocks it. The counter is a row of the
database, changed in the same transaction as the check, so every worker and app server shares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update

from .. import tokens
from ..audit import operations as audit
from ..database import utcnow
from ..errors import ApiError, Conflict, Forbidden, Gone, NotFound
from ..extensions import db
from ..groups.models import Device, Household, HouseholdGroup
from ..officers.models import Officer
from . import secrets
from .models import CodePurpose, HouseholdCode, HouseholdKey


class HouseholdLocked(ApiError):
    status, code = 423, "household_locked"
    message = "Too many wrong PINs today: this household is locked until the commune unlocks it."


class PinWrong(ApiError):
    """A wrong PIN; the answer says how many tries are left today (the phone says it in Vietnamese)."""

    status, code, message = 403, "pin_wrong", "The PIN is not right."

    def __init__(self, remaining: int) -> None:
        super().__init__(f"The PIN is not right: {remaining} tries left today.")
        self.remaining = remaining

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "remaining": self.remaining}


@dataclass(frozen=True)
class IssuedHouseholdCode:
    code: str
    purpose: CodePurpose
    expires_at: datetime
    household: Household


# --- the phone --------------------------------------------------------------------------------------------


def household_of(device: Device, household_id: int) -> Household:
    """A live household of the phone's own group; any other is "not found", whoever it belongs to."""
    household = db.session.get(Household, household_id)
    if household is None or household.group_id != device.group_id or not household.active:
        raise NotFound("This household is not on this phone.", code="household_not_found")
    return household


def current_key(household_id: int, *, lock: bool = False) -> HouseholdKey | None:
    query = select(HouseholdKey).where(HouseholdKey.household_id == household_id, HouseholdKey.retired_at.is_(None))
    return db.session.scalar(query.with_for_update() if lock else query)


def claim(device: Device, household: Household, args: dict[str, Any]) -> dict[str, Any]:
    """Spend a household code on a new key set (the first PIN, or a new PIN after a reset) and hand out the share.

    A phone on a bad link may never hear the answer: its retry (same code, same ``request_id``) gets the same
    share again, for as long as that key set is current.
    """
    code = db.session.scalar(
        select(HouseholdCode)
        .where(HouseholdCode.code_hash == _code_hash(args["code"]), HouseholdCode.household_id == household.id)
        .with_for_update()
    )
    if code is None:
        raise Forbidden("This household code is not right.", code="household_code_wrong")
    request_hash = tokens.sha256_hex(str(args["request_id"]))
    if code.used_at is not None:
        retried = db.session.get(HouseholdKey, code.key_id) if code.request_hash == request_hash else None
        if retried is not None and retried.retired_at is None:
            return _share_answer(retried)
        raise Gone("This household code was already used.", code="household_code_used")
    if code.expires_at <= utcnow():
        raise Gone("This household code has expired.", code="household_code_expired")
    _retire_current(household, code.purpose)
    share = secrets.new_share()
    key = HouseholdKey(
        household_id=household.id,
        box_public_key=args["box_public_key"],
        sign_public_key=args["sign_public_key"],
        pin_verifier=secrets.pin_verifier(args["pin_check"]),
        wrapped_share=secrets.wrap_share(share, household.id),
    )
    db.session.add(key)
    db.session.flush()
    code.used_at, code.request_hash, code.key_id = utcnow(), request_hash, key.id
    action = "household.claimed" if code.purpose is CodePurpose.CLAIM else "household.pin_reset"
    _audit(action, household, device_id=device.id)
    db.session.commit()
    return {"household_id": household.id, "key_id": key.id, "share": share}


def _retire_current(household: Household, purpose: CodePurpose) -> None:
    current = current_key(household.id, lock=True)
    if current is None:
        return
    if purpose is CodePurpose.CLAIM:
        raise Conflict(
            "This household already has a PIN; a forgotten PIN needs a reset code from the commune.",
            code="household_claimed",
        )
    current.retired_at = utcnow()
    db.session.flush()  # before the new row: at most one current key per household (a unique index)


def unlock(household: Household, pin_check: bytes) -> dict[str, Any]:
    """Check the PIN online; the right one releases the share, a wrong one is counted before the answer."""
    key = current_key(household.id, lock=True)
    if key is None:
        raise Conflict("This household has no PIN yet: enter the household code first.", code="household_unclaimed")
    if key.locked_at is not None:
        raise HouseholdLocked()
    today = _local_today()
    if key.failed_day != today:
        key.failed_count, key.failed_day = 0, today
    if secrets.pin_matches(pin_check, key.pin_verifier):
        key.failed_count = 0
        db.session.commit()
        return _share_answer(key)
    key.failed_count += 1
    remaining = current_app.config["HOUSEHOLD_PIN_TRIES"] - key.failed_count
    if remaining <= 0:
        key.locked_at = utcnow()
        _audit("household.locked", household)
    db.session.commit()
    raise HouseholdLocked() if remaining <= 0 else PinWrong(remaining)


def _audit(action: str, household: Household, **who: int) -> None:
    audit.record(action, commune_id=household.group.commune_id, target_type="household", target_id=household.id, **who)


def _share_answer(key: HouseholdKey) -> dict[str, Any]:
    share = secrets.unwrap_share(key.wrapped_share, key.household_id)
    return {"household_id": key.household_id, "key_id": key.id, "share": share}


def _local_today() -> date:
    return utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _code_hash(code: str) -> str:
    return tokens.sha256_hex(tokens.normalise_code(code))


# --- the officer ------------------------------------------------------------------------------------------


def issue_code(actor: Officer, household: Household, purpose: CodePurpose) -> IssuedHouseholdCode:
    """A one-time code for one household; earlier unused codes of the household stop working."""
    if not household.active:
        raise Conflict("This household is no longer active.", code="household_inactive")
    claimed = current_key(household.id) is not None
    if purpose is CodePurpose.CLAIM and claimed:
        raise Conflict("This household already has a PIN: issue a reset code.", code="household_claimed")
    if purpose is CodePurpose.RESET and not claimed:
        raise Conflict("This household has no PIN yet: issue a household code.", code="household_unclaimed")
    issued = _new_code(actor, household, purpose)
    db.session.commit()
    return issued


def issue_group_codes(actor: Officer, group: HouseholdGroup) -> list[IssuedHouseholdCode]:
    """Household codes for every active household of the group with no PIN yet: the sheet printed with the
    group's enrolment code."""
    claimed = set(
        db.session.scalars(
            select(HouseholdKey.household_id)
            .join(Household, Household.id == HouseholdKey.household_id)
            .where(Household.group_id == group.id, HouseholdKey.retired_at.is_(None))
        )
    )
    issued = [
        _new_code(actor, household, CodePurpose.CLAIM)
        for household in group.households
        if household.active and household.id not in claimed
    ]
    db.session.commit()
    return issued


def _new_code(actor: Officer, household: Household, purpose: CodePurpose) -> IssuedHouseholdCode:
    now = utcnow()
    db.session.execute(
        update(HouseholdCode)
        .where(HouseholdCode.household_id == household.id, HouseholdCode.used_at.is_(None))
        .values(expires_at=now)
    )
    issued = IssuedHouseholdCode(
        tokens.new_household_code(),
        purpose,
        now + timedelta(hours=current_app.config["HOUSEHOLD_CODE_TTL_HOURS"]),
        household,
    )
    db.session.add(
        HouseholdCode(
            household_id=household.id,
            purpose=purpose,
            code_hash=_code_hash(issued.code),
            expires_at=issued.expires_at,
            created_by_id=actor.id,
        )
    )
    _audit(f"household_code.{purpose.value}_issued", household, officer_id=actor.id)
    return issued


def unlock_household(actor: Officer, household: Household) -> dict[str, Any]:
    """Lift a PIN lock (the officer has checked who is asking); the household gets a fresh day of tries."""
    key = current_key(household.id, lock=True)
    if key is not None and key.locked_at is not None:
        key.locked_at, key.failed_count = None, 0
        _audit("household.unlocked", household, officer_id=actor.id)
    db.session.commit()
    return key_state(household, key)


def key_states(group: HouseholdGroup) -> list[dict[str, Any]]:
    keys = {
        key.household_id: key
        for key in db.session.scalars(
            select(HouseholdKey)
            .join(Household, Household.id == HouseholdKey.household_id)
            .where(Household.group_id == group.id, HouseholdKey.retired_at.is_(None))
        )
    }
    return [key_state(household, keys.get(household.id)) for household in group.households if household.active]


def key_state(household: Household, key: HouseholdKey | None) -> dict[str, Any]:
    today = _local_today()
    return {
        "household_id": household.id,
        "claimed": key is not None,
        "locked": key is not None and key.locked_at is not None,
        "failed_today": key.failed_count if key is not None and key.failed_day == today else 0,
    }

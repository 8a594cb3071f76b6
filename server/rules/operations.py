"""Builds the rules document from where each rule is defined: the models' enums, the schemas' validators, the
config. Nothing is restated here, so a rule changed on the server reaches the phones and the console as is."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Collection
from typing import Any

from flask import current_app
from marshmallow import Schema, validate

from .. import queue_key
from ..announcements.schemas import AnnouncementCreateSchema
from ..attachments import audio
from ..officers.models import ROLE_LABELS, Role
from ..reports.models import LABELS, NEEDS_REASON, OPEN_STATUSES, ReportKind, ReportStatus, TipCategory, Urgency
from ..reports.schemas import SORTS, ReplySchema, StatusChangeSchema
from ..sync.schemas import MAX_PHOTOS, AttachmentDeclarationSchema, MessageItemSchema, ReportItemSchema


def _values(members: type[enum.Enum] | Collection[enum.Enum]) -> list[str]:
    """Enum values in declaration order (a set such as NEEDS_REASON is put in that order too)."""
    if isinstance(members, type):
        return [member.value for member in members]
    order = list(type(next(iter(members))))
    return [member.value for member in sorted(members, key=order.index)]


def _limit(schema: type[Schema], field: str, kind: type[validate.Length] | type[validate.Range]) -> int:
    """The ``max`` of a field's Length or Range validator, as the schema enforces it."""
    for validator in schema().fields[field].validators:
        if isinstance(validator, kind) and validator.max is not None:
            return int(validator.max)
    raise LookupError(f"{schema.__name__}.{field} has no {kind.__name__} maximum")


# The rules document's name for each labelled enum, in the words the front ends already use (``label('status', v)``).
_LABELLED: dict[str, type[enum.StrEnum]] = {
    "kind": ReportKind,
    "category": TipCategory,
    "status": ReportStatus,
    "urgency": Urgency,
    "role": Role,
}
LANGUAGES = ("vi", "en")


def _labels() -> dict[str, dict[str, dict[str, str]]]:
    """``{lang: {enum: {value: name}}}`` from the one vocabulary beside the enums, so both screens say the same."""
    names: dict[enum.StrEnum, tuple[str, str]] = dict(LABELS)
    names.update(ROLE_LABELS.items())
    return {
        lang: {key: {member.value: names[member][i] for member in members} for key, members in _LABELLED.items()}
        for i, lang in enumerate(LANGUAGES)
    }


def _tips(config: Any) -> dict[str, Any]:
    """How the phone sends anonymous tips alone (ADR 0004): tokens a day, random delays, mailbox polling."""

    def span(name: str) -> dict[str, int]:
        low, high = config[name]
        return {"min": int(low), "max": int(high)}

    return {
        "tokens_per_day": config["TIP_TOKENS_PER_DAY"],
        "delay_seconds": span("TIP_DELAY_SECONDS"),
        "urgent_delay_seconds": span("TIP_URGENT_DELAY_SECONDS"),
        "mailbox_poll_seconds": config["TIP_MAILBOX_POLL_SECONDS"],
        "quiet_seconds": config["TIP_QUIET_SECONDS"],
    }


def current_rules() -> dict[str, Any]:
    """The rules document, with ``version``: a hash of the rest, which the answer's ETag also carries."""
    config = current_app.config
    rules: dict[str, Any] = {
        "time_zone": config["TIMEZONE"],
        "kinds": _values(ReportKind),
        "categories": _values(TipCategory),
        "statuses": _values(ReportStatus),
        "open_statuses": _values(OPEN_STATUSES),
        "statuses_needing_reason": _values(NEEDS_REASON),
        "urgencies": _values(Urgency),
        "roles": _values(Role),
        "sorts": list(SORTS),
        "labels": _labels(),
        "limits": {
            "report_body": _limit(ReportItemSchema, "body", validate.Length),
            "location": _limit(ReportItemSchema, "location", validate.Length),
            "photos_per_report": MAX_PHOTOS,
            "voice_seconds": audio.MAX_SECONDS,
            "voice_bytes": audio.MAX_BYTES,
            "photo_bytes": _limit(AttachmentDeclarationSchema, "size", validate.Range),
            "message_body": _limit(MessageItemSchema, "body", validate.Length),
            "reply_body": _limit(ReplySchema, "body", validate.Length),
            "status_reason": _limit(StatusChangeSchema, "reason", validate.Length),
            "announcement_title": _limit(AnnouncementCreateSchema, "title", validate.Length),
            "announcement_body": _limit(AnnouncementCreateSchema, "body", validate.Length),
            "announcement_file_bytes": config["ANNOUNCEMENT_FILE_MAX_BYTES"],
            "upload_chunk_bytes": config["ATTACHMENT_CHUNK_MAX_BYTES"],
        },
        "tips": _tips(config),
        "queue_key": queue_key.public(),
    }
    canonical = json.dumps(rules, sort_keys=True, ensure_ascii=False).encode()
    return {"version": hashlib.sha256(canonical).hexdigest()[:16], **rules}

"""The sync contract's shapes (docs/api-contract.md); the OpenAPI spec is generated from these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from .. import queue_key
from ..attachments import audio
from ..commune_keys.schemas import SealedTextSchema, check_text_or_sealed
from ..fields import StoredText
from ..reports.models import ReportKind, TipCategory, Urgency

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_PHOTOS = 3  # and one recording (issue 16)
SHA256_HEX = validate.Regexp(r"^[0-9a-f]{64}$", error="Must be a lowercase hex SHA-256.")
DB_ID = validate.Range(min=1, max=2**31 - 1)  # an INTEGER key on PostgreSQL; larger values cannot name a row


class SealedOrNested(fields.Nested):
    """A nested item sent as it is, or sealed to the server's queue key (issue 11, queue_key.py) as
    ``{id, key_id, sealed}``: opened here, then validated by the nested schema exactly as the item in clear."""

    def _deserialize(
        self,
        value: Any,
        attr: str | None,
        data: Mapping[str, Any] | None,
        partial: bool | Sequence[str] | AbstractSet[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        try:
            value = queue_key.opened(value)
        except queue_key.Unreadable as exc:
            raise ValidationError(str(exc)) from exc
        return super()._deserialize(value, attr, data, partial, **kwargs)


class StoredDateTime(fields.AwareDateTime):
    """An ISO-8601 time with an offset that still exists once moved to UTC (9999-12-31T23:59-14:00 does not)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError("Out of range once converted to UTC.") from exc
        return moment


class ItemSchema(Schema):
    """Fields every pushed item has. Unknown fields are ignored so newer phones can talk to older servers."""

    class Meta:
        unknown = EXCLUDE

    type = fields.String(required=True)
    id = fields.UUID(required=True)
    signature = fields.String(
        load_only=True,
        validate=validate.Length(max=100),
        metadata={"description": "ECDSA P-256 r‖s (base64url) of the household's sign key (ADR 0005)."},
    )


MAX_FILE_BYTES = 5 * 1024 * 1024
SEALED_OVERHEAD = 93  # what sealing adds to a file: the ephemeral key (65), the nonce (12) and the tag (16)


class AttachmentDeclarationSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True)
    sha256 = fields.String(required=True, validate=SHA256_HEX)
    size = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_FILE_BYTES + SEALED_OVERHEAD))
    content_type = fields.String(required=True, validate=validate.OneOf(IMAGE_TYPES + audio.AUDIO_TYPES))
    # A tip's file sealed on the phone to its commune's key (issue 11): size and sha256 are the sealed bytes'.
    key_version = fields.Integer(
        load_default=None,
        validate=DB_ID,
        metadata={"description": "On a tip: the version of the commune's key the file is sealed to."},
    )
    duration_ms = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=audio.MAX_SECONDS * 1000),
        metadata={"description": "A sealed recording's length (the server cannot count it)."},
    )
    # Any report's file sealed in the phone's queue to the server's queue key (issue 11): opened once uploaded.
    key_id = fields.String(
        load_default=None,
        validate=validate.Length(max=16),
        metadata={"description": "The server's queue key (rules.queue_key) the file is sealed to."},
    )

    @validates_schema
    def _sealing_and_size(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Sealed to one key (issue 11), one this server has; a photo at most MAX_FILE_BYTES, SEALED_OVERHEAD more
        when sealed (recordings: check_attachments)."""
        if data["key_version"] is not None and data["key_id"] is not None:
            raise ValidationError("A file is sealed to the commune's key or to the server's, not both.", "key_id")
        if data["key_id"] is not None and data["key_id"] not in queue_key.key_ids():
            raise ValidationError("No key of this server has this id: seal the file again.", "key_id")
        if data["content_type"] in audio.AUDIO_TYPES:
            return
        limit = MAX_FILE_BYTES + (SEALED_OVERHEAD if is_sealed_file(data) else 0)
        if data["size"] > limit:
            raise ValidationError(f"A photo is at most {limit} bytes.", "size")


def is_sealed_file(declared: dict[str, Any]) -> bool:
    """Whether a declared file comes sealed: to the commune's key, or to the server's queue key."""
    return declared.get("key_version") is not None or declared.get("key_id") is not None


def check_attachments(data: dict[str, Any], *, tip: bool = True) -> None:
    """At most MAX_PHOTOS photos and one recording, ids unique; a report or tip without text needs its recording;
    only a tip's files are sealed to the commune."""
    declared = data.get("attachments", [])
    if not tip and any(attachment["key_version"] is not None for attachment in declared):
        raise ValidationError("Only a tip's files are sealed to the commune.", "attachments")
    ids = [attachment["id"] for attachment in declared]
    if len(ids) != len(set(ids)):
        raise ValidationError("Attachment ids must differ.", "attachments")
    voices = [a for a in declared if a["content_type"] in audio.AUDIO_TYPES]
    if len(voices) > 1 or len(declared) - len(voices) > MAX_PHOTOS:
        raise ValidationError(f"At most {MAX_PHOTOS} photos and one recording.", "attachments")
    if any(voice["size"] > audio.MAX_BYTES + (SEALED_OVERHEAD if is_sealed_file(voice) else 0) for voice in voices):
        raise ValidationError(f"A recording is at most {audio.MAX_BYTES} bytes.", "attachments")


def check_text_or_voice(data: dict[str, Any], *, tip: bool) -> None:
    """A report or tip says something: in text (a tip's perhaps sealed to the commune), or in a recording (run even
    when other fields failed)."""
    voices = [a for a in data.get("attachments", []) if a.get("content_type") in audio.AUDIO_TYPES]
    check_text_or_sealed(data, tip=tip, recorded=bool(voices))


class ReportItemSchema(ItemSchema):
    type = fields.String(required=True, validate=validate.Equal("report"))
    household_id = fields.Integer(required=True, strict=True, validate=DB_ID)
    kind = fields.Enum(ReportKind, by_value=True, required=True)
    category = fields.Enum(TipCategory, by_value=True, load_default=None, allow_none=True)
    # Empty when the report is a recording (issue 16) or a tip sealed to the commune (issue 11).
    body = StoredText(load_default="", validate=validate.Length(max=5000))
    sealed = fields.Nested(
        SealedTextSchema,
        load_default=None,
        metadata={"description": "A tip's text and location sealed to the commune's key, instead of body."},
    )
    anonymous = fields.Boolean(required=True)
    location = StoredText(load_default="", validate=validate.Length(max=200))
    urgency = fields.Enum(Urgency, by_value=True, load_default=Urgency.NORMAL)
    created_at = StoredDateTime(required=True)
    appointment_at = StoredDateTime(load_default=None, allow_none=True)
    # Issue 15: an appointment names one of the commune's open slots (from the feed) and its procedure. No
    # load_default: absent stays absent, so the content hash of reports stored before them does not change.
    slot_id = fields.Integer(strict=True, validate=DB_ID, metadata={"description": "Appointments: the slot."})
    procedure_id = fields.Integer(strict=True, validate=DB_ID, metadata={"description": "Appointments: the procedure."})
    attachments = fields.List(
        fields.Nested(AttachmentDeclarationSchema),
        load_default=list,
        validate=validate.Length(max=MAX_PHOTOS + 1),
        metadata={"description": f"Up to {MAX_PHOTOS} photos (image/*) and one recording (audio/webm or audio/ogg)."},
    )

    @validates_schema
    def _check_kind_fields(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("category") is not None and data.get("kind") is not ReportKind.TIP:
            raise ValidationError("Only tips have a category.", "category")
        if (data.get("slot_id") or data.get("procedure_id")) and data.get("kind") is not ReportKind.APPOINTMENT:
            raise ValidationError("Only appointments name a slot or a procedure.", "slot_id")
        check_attachments(data, tip=data.get("kind") is ReportKind.TIP)

    @validates_schema(skip_on_field_errors=False)  # a missing body is named beside a bad kind
    def _check_said(self, data: dict[str, Any], **_: Any) -> None:
        check_text_or_voice(data, tip=data.get("kind") is ReportKind.TIP)

    @post_load
    def _default_category(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data["kind"] is ReportKind.TIP and data["category"] is None:
            data["category"] = TipCategory.OTHER
        return data


class MessageItemSchema(ItemSchema):
    type = fields.String(required=True, validate=validate.Equal("message"))
    report_id = fields.UUID(required=True)
    body = StoredText(load_default="", validate=validate.Length(max=5000))
    sealed = fields.Nested(SealedTextSchema, load_default=None, metadata={"description": "On a tip: sealed body."})
    created_at = StoredDateTime(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _check_text(self, data: dict[str, Any], **_: Any) -> None:
        check_text_or_sealed(data, tip=True)  # whether the report is a tip is checked when it is looked up


class ReceiptItemSchema(ItemSchema):
    type = fields.String(required=True, validate=validate.Equal("receipt"))
    target = fields.String(required=True, validate=validate.OneOf(("message", "announcement")))
    target_id = fields.UUID(required=True)
    read_at = StoredDateTime(required=True)


class BookingItemSchema(ItemSchema):
    """The household picks a slot again for its appointment (after a proposal): issue 15."""

    type = fields.String(required=True, validate=validate.Equal("booking"))
    report_id = fields.UUID(required=True)
    slot_id = fields.Integer(required=True, strict=True, validate=DB_ID)
    created_at = StoredDateTime(required=True)


class SyncRequestSchema(Schema):
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    push = fields.List(
        fields.Raw(),  # each item is validated on its own, so that one bad item cannot block the rest
        load_default=list,
        validate=validate.Length(max=100),
        metadata={
            "description": "Queued items: report, message or receipt objects (see the item schemas). "
            "Results come back in the same order."
        },
    )
    results = fields.String(
        load_default="full",
        validate=validate.OneOf(("full", "compact")),
        metadata={
            "description": "`compact`: results in push order carry `id` only when `rejected` (the position names "
            "the item), saving the echo of every UUID; `full` (default): every result carries its `id`."
        },
    )


class ItemErrorSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    problems = fields.Dict(data_key="fields", attribute="fields")  # a field named "fields" would hide Schema.fields


class ItemResultSchema(Schema):
    id = fields.String(metadata={"description": "Always in `full` results; in `compact` ones only when rejected."})
    status = fields.String(required=True, validate=validate.OneOf(("created", "duplicate", "rejected")))
    tracking_code = fields.String()
    error = fields.Nested(ItemErrorSchema)


class SyncResponseSchema(Schema):
    results = fields.List(fields.Nested(ItemResultSchema), required=True)
    changes = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "report_status, message, announcement, announcement_withdrawn or group changes; "
            "see docs/api-contract.md."
        },
    )
    cursor = fields.String(required=True)
    more = fields.Boolean(required=True)

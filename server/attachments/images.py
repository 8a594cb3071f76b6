"""Validating uploaded images and stripping what they say about the phone and the place (EXIF, GPS, XMP).

An image with no metadata is kept byte for byte (the phone's canvas output has none, and the phone can then
check what arrived); one that has metadata is re-encoded by Pillow with the orientation applied first, so the
photo does not turn sideways when its EXIF orientation tag goes.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import Unprocessable

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000  # far above a phone photo, far below what a decompression bomb asks for
_METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "iptc")


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    reencoded: bool


class InvalidImage(Unprocessable):
    code = "invalid_image"
    message = "The file is not a JPEG, PNG or WebP image that can be read."


def _has_metadata(image: Image.Image) -> bool:
    if any(key in image.info for key in _METADATA_KEYS):
        return True
    if getattr(image, "text", None):  # PNG tEXt/iTXt/zTXt chunks
        return True
    return len(image.getexif()) > 0


def clean(data: bytes) -> CleanImage:
    """Check that ``data`` is a readable image of an accepted format and remove its metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise InvalidImage()
            if image.width * image.height > MAX_PIXELS:
                raise InvalidImage("The image has too many pixels.", code="image_too_large")
            image.load()  # a full decode: truncated or corrupt files fail here, not in an officer's browser
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise InvalidImage() from exc
    content_type = FORMATS[image.format]
    if not _has_metadata(image):
        return CleanImage(data, content_type, reencoded=False)
    fmt = image.format
    icc_profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    upright.info = {}  # Pillow writes some of ``info`` back by default (a JPEG's COM comment): start from nothing
    out = io.BytesIO()
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile  # colour, not identity: keep it
    if fmt == "JPEG":
        upright = upright.convert("RGB") if upright.mode not in ("RGB", "L") else upright
        options.update(quality=90, optimize=True, comment=b"")
    elif fmt == "WEBP":
        options.update(quality=90)
    upright.save(out, format=fmt, **options)
    return CleanImage(out.getvalue(), content_type, reencoded=True)

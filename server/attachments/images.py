"""Validating uploaded images and stripping what they say about the phone and the place (EXIF, GPS, XMP).

An image with no metadata is kept byte for byte (the phone's canvas output has none, and the phone can then
check what arrived); one that has metadata is re-encoded by Pillow with the orientation applied first, so the
photo does not turn sideways when its EXIF orientation tag goes.

Decoding is where memory goes: a 155 KB PNG can declare 40 M pixels and a 627 KB CMYK JPEG took 680 MB to
re-encode. Phones shrink photos to 1280 px before sending, so what no phone sends is refused from the header
alone (more than MAX_PIXELS, or a decoded size above MAX_DECODED_BYTES); a big JPEG is decoded at a reduced
scale instead (Pillow's draft mode) and stored at that scale. Each process decodes one image at a time
(a semaphore): the threads of a worker then never hold several decoded images at once, and a worker's
memory stays bounded whatever many phones upload together (benchmarks/image_bombs.py).
"""

from __future__ import annotations

import contextlib
import io
import math
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ApiError, Unprocessable

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 16_000_000  # 10x what the PWA sends (1280 px a side); a bomb asks for far more
MAX_DECODED_BYTES = 24 * 1024 * 1024  # one decoded image, before any copy (re-encoding makes two or three)
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own bomb check, for any other caller
_DECODING = threading.BoundedSemaphore(1)  # per process: one decoded image in memory at a time
# A request waiting for the slot holds one of the worker's threads: wait briefly, then let the phone retry
# (so that photo uploads can never take every thread and starve the syncs).
_WAIT_SECONDS = 2.0
_RETRY_AFTER_SECONDS = 10
_OPTIMIZE_UP_TO = 8 * 1024 * 1024
_METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "iptc")


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    reencoded: bool


class InvalidImage(Unprocessable):
    code = "invalid_image"
    message = "The file is not a JPEG, PNG or WebP image that can be read."


class ImagesBusy(ApiError):
    """Every image slot of this process stayed busy: the phone keeps the photo and tries again later."""

    status, code, message = 503, "unavailable", "The server is busy with other photos; try again shortly."

    def __init__(self) -> None:
        super().__init__()
        self.headers = {"Retry-After": str(_RETRY_AFTER_SECONDS)}


def _decoded_bytes(image: Image.Image) -> int:
    return image.width * image.height * len(image.getbands())


def _fit_budget(image: Image.Image) -> None:
    """Refuse from the header what would not fit in memory; a big JPEG is decoded at 1/2, 1/4 or 1/8 scale."""
    if image.width * image.height > MAX_PIXELS:
        raise InvalidImage("The image has too many pixels.", code="image_too_large")
    if _decoded_bytes(image) <= MAX_DECODED_BYTES:
        return
    if image.format == "JPEG":
        scale = min(8, 2 ** math.ceil(math.log2(math.sqrt(_decoded_bytes(image) / MAX_DECODED_BYTES))))
        mode = "RGB" if image.mode in ("CMYK", "YCbCr", "RGB") else image.mode
        image.draft(mode, (math.ceil(image.width / scale), math.ceil(image.height / scale)))
    if _decoded_bytes(image) > MAX_DECODED_BYTES:
        raise InvalidImage("The image is too large once decoded.", code="image_too_large")


def _has_metadata(image: Image.Image) -> bool:
    if any(key in image.info for key in _METADATA_KEYS):
        return True
    if getattr(image, "text", None):  # PNG tEXt/iTXt/zTXt chunks
        return True
    return len(image.getexif()) > 0


def clean(data: bytes) -> CleanImage:
    """Check that ``data`` is a readable image of an accepted format and remove its metadata.

    The header is read and judged first, outside the slot (a refusal costs no wait); then one image at a time
    per process is decoded (see the module's docstring): 503 ``unavailable`` if the slot stays busy.
    """
    with _readable():
        image = Image.open(io.BytesIO(data))
        if image.format not in FORMATS:
            raise InvalidImage()
        full_size = image.size
        _fit_budget(image)
    if not _DECODING.acquire(timeout=_WAIT_SECONDS):
        raise ImagesBusy()
    try:
        with _readable():
            image.load()  # a full decode: truncated or corrupt files fail here, not in an officer's browser
        content_type = FORMATS[image.format]
        if not _has_metadata(image) and image.size == full_size:
            return CleanImage(data, content_type, reencoded=False)
        return _reencode(image, content_type)
    finally:
        _DECODING.release()


@contextlib.contextmanager
def _readable() -> Iterator[None]:
    """Pillow's ways of saying "not an image we can read" become 422 ``invalid_image`` / ``image_too_large``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImage("The image has too many pixels.", code="image_too_large") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage() from exc


def _reencode(image: Image.Image, content_type: str) -> CleanImage:
    """Write a metadata-free copy; in place where Pillow allows, so at most two decoded copies live at once."""
    fmt = image.format
    icc_profile = image.info.get("icc_profile")
    ImageOps.exif_transpose(image, in_place=True)
    image.info = {}  # Pillow writes some of ``info`` back by default (a JPEG's COM comment): start from nothing
    upright = image
    out = io.BytesIO()
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile  # colour, not identity: keep it
    if fmt == "JPEG":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
            image.close()
        # optimize keeps every DCT coefficient in memory (2 bytes a sample): only for photo-sized images.
        options.update(quality=90, optimize=_decoded_bytes(upright) <= _OPTIMIZE_UP_TO, comment=b"")
    elif fmt == "WEBP":
        options.update(quality=90)
    upright.save(out, format=fmt, **options)
    return CleanImage(out.getvalue(), content_type, reencoded=True)

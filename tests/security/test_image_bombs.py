"""Images that no phone sends are refused from their header, and big JPEGs are decoded at a reduced scale.

Before: a 155 KB PNG of 6324×6324 pixels with a tEXt chunk (under the old 40 M pixel limit) was decoded and
re-encoded, ~250 MB more in a worker; a CMYK JPEG with an EXIF orientation took ~680 MB. The PWA sends at
most 1280 px a side. Now anything above 16 M pixels, or above 24 MB once decoded, is 422 ``image_too_large``
before any decoding (and leaves nothing behind), and a JPEG above the decoded budget is decoded and stored at
1/2, 1/4 or 1/8 scale. The memory figures under load are in benchmarks/image_bombs.py.
"""

from __future__ import annotations

import io
import threading
import time

import pytest
from PIL import Image, PngImagePlugin

from server.attachments import images, storage
from tests.conftest import photo_declaration
from tests.security.test_uploads import assert_clear_error, assert_nothing_behind


def png_with_text(side: int, mode: str = "RGB") -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "made to be re-encoded")
    out = io.BytesIO()
    Image.new(mode, (side, side), 7).save(out, "PNG", pnginfo=info, optimize=True)
    return out.getvalue()


def cmyk_jpeg(width: int, height: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° on display: re-encoding must apply it
    out = io.BytesIO()
    Image.new("CMYK", (width, height), (10, 20, 30, 0)).save(out, "JPEG", quality=50, exif=exif)
    return out.getvalue()


def _upload(phone, demo, payload: bytes, content_type: str):
    declared = photo_declaration(payload, content_type)
    phone.send_report(attachments=[declared])
    return declared, patch_all(phone, declared["id"], payload)


def patch_all(phone, attachment_id: str, payload: bytes, chunk: int = 512 * 1024):
    answer = None
    for offset in range(0, len(payload), chunk):
        answer = phone.upload(attachment_id, payload[offset : offset + chunk], offset)
    return answer


@pytest.mark.parametrize(
    ("name", "payload", "content_type"),
    [
        ("40 M pixel PNG with text", lambda: png_with_text(6324), "image/png"),
        ("16 M pixel RGBA PNG (64 MB decoded)", lambda: png_with_text(4000, "RGBA"), "image/png"),
        ("36 M pixel CMYK JPEG", lambda: cmyk_jpeg(6000, 6000), "image/jpeg"),
    ],
)
def test_what_no_phone_sends_is_refused_before_decoding(app, phone, demo, name, payload, content_type) -> None:
    data = payload()
    declared, answer = _upload(phone, demo, data, content_type)
    assert_clear_error(answer, 422, {"image_too_large"})
    assert_nothing_behind(app, phone, declared["id"])


def test_a_big_cmyk_jpeg_is_decoded_at_a_smaller_scale_and_stored_upright(app, phone, demo) -> None:
    declared, answer = _upload(phone, demo, cmyk_jpeg(4000, 3000), "image/jpeg")
    assert answer.status_code == 200 and answer.json["complete"], answer.json
    with Image.open(io.BytesIO(storage.read_final(declared["id"]))) as stored:
        assert stored.mode == "RGB"
        assert stored.size == (1500, 2000), "half scale, and turned upright by its EXIF orientation"
        assert not stored.getexif()


def test_a_phone_sized_photo_is_kept_at_full_size(app, phone, demo) -> None:
    out = io.BytesIO()
    Image.new("RGB", (1280, 960), (90, 60, 30)).save(out, "JPEG", quality=85)
    declared, answer = _upload(phone, demo, out.getvalue(), "image/jpeg")
    assert answer.status_code == 200 and answer.json["complete"]
    assert storage.read_final(declared["id"]) == out.getvalue()


def test_one_image_at_a_time_per_process_and_503_when_the_slot_stays_busy(monkeypatch) -> None:
    monkeypatch.setattr(images, "_WAIT_SECONDS", 0.2)
    holder = threading.Thread(target=lambda: (images._DECODING.acquire(), time.sleep(1), images._DECODING.release()))
    holder.start()
    time.sleep(0.05)
    with pytest.raises(images.ImagesBusy) as refused:
        images.clean(png_with_text(16))
    holder.join()
    assert refused.value.status == 503 and refused.value.code == "unavailable"
    assert images.clean(png_with_text(16)).reencoded

"""A crash at each step of a photo upload, replayed in-process: resuming must complete with the exact bytes.

The SIGKILL runs hit these steps only by chance; here each is hit on purpose. ``Crash`` is a BaseException,
so nothing in the app catches it: the request dies where it stands; the test then rolls the session back (as
PostgreSQL or SQLite roll back the transaction of a killed process), and whatever reached the store stays.
Each test runs on both attachment stores (the local directory and an S3 bucket).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from typing import Any

import pytest

from server.attachments import storage
from server.extensions import db
from tests.conftest import photo_declaration
from tests.faults.device import photo

pytestmark = pytest.mark.usefixtures("attachment_store")


class Crash(BaseException):
    """The process dies here."""


def crash_after(target: Any, name: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Make ``target.name`` do its work and then kill the request, once."""
    real = getattr(target, name)
    fired: list[bool] = []

    def dying(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if not fired:
            fired.append(True)
            raise Crash(name)
        return result

    monkeypatch.setattr(target, name, dying)
    return lambda: monkeypatch.setattr(target, name, real)


def resume(phone: Any, attachment_id: str, data: bytes, chunk: int) -> Any:
    """What the phone does after a cut: ask where the server stands, send from there (offset_mismatch: ask again)."""
    for _ in range(10):
        held = phone.upload_status(attachment_id).json
        if held["complete"]:
            return held
        offset = held["received"]
        answer = phone.upload(attachment_id, data[offset : offset + chunk], offset)
        assert answer.status_code in (200, 409), answer.json
    raise AssertionError("the upload did not complete")


@pytest.mark.parametrize(
    ("target", "step"),
    [
        (storage, "write_chunk"),  # bytes in the store, database not yet told
        (storage, "store_final"),  # whole file checked and stored, database not yet told
    ],
)
def test_an_upload_killed_at_any_step_resumes_to_the_exact_bytes(app, phone, demo, monkeypatch, target, step) -> None:
    data = photo(random.Random(7), 30_000)
    chunk = 8192
    declared = photo_declaration(data, "image/png")
    phone.send_report(attachments=[declared])
    for offset in range(0, len(data) - chunk, chunk):  # all but the last chunk
        assert phone.upload(declared["id"], data[offset : offset + chunk], offset).status_code == 200
    last = (len(data) - 1) // chunk * chunk
    restore = crash_after(target, step, monkeypatch)
    with pytest.raises(Crash):
        phone.upload(declared["id"], data[last:], last)
    db.session.rollback()  # the killed process's transaction never commits
    restore()

    held = resume(phone, declared["id"], data, chunk)
    assert held["complete"] and held["received"] == len(data)
    assert storage.read_final(declared["id"]) == data
    assert hashlib.sha256(data).hexdigest() == declared["sha256"]
    assert storage.part_size(declared["id"]) == 0, "nothing half-written left behind"


def test_a_lost_part_is_told_not_padded_with_zeros(app, phone, demo) -> None:
    """If the bytes the database counts are gone from the store, the server says so instead of zero-filling
    the gap (a disk restored from an older backup, an expiry rule on the bucket's unfinished parts)."""
    data = photo(random.Random(8), 30_000)
    declared = photo_declaration(data, "image/png")
    phone.send_report(attachments=[declared])
    assert phone.upload(declared["id"], data[:10_000]).status_code == 200
    storage.discard_part(declared["id"])
    answer = phone.upload(declared["id"], data[10_000:20_000], 10_000)
    assert answer.status_code == 409 and answer.json["error"]["code"] == "offset_mismatch"
    assert phone.upload_status(declared["id"]).json["received"] == 0
    held = resume(phone, declared["id"], data, 10_000)
    assert held["complete"]
    assert storage.read_final(declared["id"]) == data

"""One 3 MB photo uploaded in 256 KiB chunks (as the PWA sends it), into each attachment store: time and store
requests.

    python benchmarks/attachment_stores.py [--runs 5]

In-process (Flask's test client, SQLite in a temp directory), so what is timed is the server's own work: the
chunk requests from the first to the completing one (SHA-256 check, the decode that validates the image, the
final write) and the officer's download. The S3 store is moto in server mode in a process of its own on
loopback, which answers in about a millisecond: against a real store each request adds its network round
trip, which is why the count matters. Store calls are counted at the interface (storage.py); S3 requests by
operation, from boto3's own events.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.live import check, free_port, machine, percentile, write_results

CHUNK = 256 * 1024
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret"}
BUCKET = "binhan-bench"


def photo(size: int) -> bytes:
    """A metadata-free PNG of about ``size`` bytes (noise: it does not compress), kept byte for byte."""
    side = int(size**0.5)
    out = io.BytesIO()
    Image.frombytes("L", (side, side), random.Random(1).randbytes(side * side)).save(out, "PNG", compress_level=1)
    return out.getvalue()


def start_moto(tmp: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **CREDENTIALS},
        stdout=open(f"{tmp}/moto.log", "wb"),  # noqa: SIM115 (the child keeps it)
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(endpoint, timeout=2).close()
            return proc, endpoint
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("moto did not start")


def run(store: str, tmp: str, endpoint: str, data: bytes, runs: int) -> dict[str, Any]:
    from flask_migrate import upgrade

    from server import create_app
    from server.attachments import storage
    from server.cli import seed_demo
    from server.groups import operations as groups

    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/{store}.db",
        "ATTACHMENTS_DIR": f"{tmp}/{store}-attachments",
        "RATELIMIT_ENABLED": False,
        "ATTACHMENTS_STORE": store,
    }
    if store == "s3":
        config.update(S3_ENDPOINT_URL=endpoint, S3_BUCKET=BUCKET, S3_REGION="us-east-1")
    app = create_app(config)
    calls: Counter[str] = Counter()
    requests: Counter[str] = Counter()
    with app.app_context():
        upgrade()
        seed_demo()
        code = groups.issue_enrolment_code(groups.find_group_by_code("DONG-01"))
        target = storage.current()
        for name in ("write_chunk", "part_size", "read_part", "discard_part", "store_final", "send"):
            real = getattr(target, name)

            def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
                calls[_name] += 1
                return _real(*args, **kwargs)

            setattr(target, name, counted)
        if store == "s3":
            target.client.meta.events.register(  # type: ignore[attr-defined]
                "before-send.s3.*", lambda request, **_: requests.update([_operation(request)])
            )
    client = app.test_client()
    enrolled = client.post("/api/v1/enrol", json={"code": code}).json
    token = {"Authorization": f"Bearer {enrolled['device_token']}"}
    household = enrolled["group"]["households"][0]["id"]
    officer = app.test_client()
    login = officer.post("/api/v1/officer/login", json={"username": "demo", "password": "demo-officer"})
    check(login.status_code == 200, login.json)
    upload_s, download_s = [], []
    last: dict[str, Any] = {}
    for n in range(runs):
        attachment_id = str(uuid.uuid4())
        declared = {"id": attachment_id, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        item = {
            "type": "report",
            "id": str(uuid.uuid4()),
            "household_id": household,
            "kind": "question",
            "body": "Ảnh giấy tờ tạm trú",
            "anonymous": False,
            "urgency": "normal",
            "created_at": "2026-12-02T08:00:00+07:00",
            "attachments": [{**declared, "content_type": "image/png"}],
        }
        answer = client.post("/api/v1/sync", json={"cursor": None, "push": [item]}, headers=token)
        check(answer.json["results"][0]["status"] == "created", answer.json)
        calls.clear()
        requests.clear()
        started = time.perf_counter()
        for offset in range(0, len(data), CHUNK):
            answer = client.patch(
                f"/api/v1/attachments/{attachment_id}?offset={offset}",
                data=data[offset : offset + CHUNK],
                headers={**token, "Content-Type": "application/octet-stream"},
            )
            check(answer.status_code == 200, answer.json)
        upload_s.append(time.perf_counter() - started)
        check(answer.json["complete"] is True, answer.json)
        upload_calls, upload_requests = Counter(calls), Counter(requests)
        calls.clear()
        requests.clear()
        started = time.perf_counter()
        downloaded = officer.get(f"/api/v1/officer/attachments/{attachment_id}", buffered=True)
        download_s.append(time.perf_counter() - started)
        check(downloaded.data == data and downloaded.mimetype == "image/png", "the download differs")
        if n == runs - 1:
            last = {
                "upload_store_calls": dict(upload_calls),
                "upload_s3_requests": dict(upload_requests),
                "upload_s3_requests_total": sum(upload_requests.values()),
                "download_store_calls": dict(calls),
                "download_s3_requests": dict(requests),
            }
    return {
        "store": store,
        "photo_bytes": len(data),
        "chunks": -(-len(data) // CHUNK),
        "upload_s_median": round(percentile(upload_s, 0.5), 3),
        "upload_s_min_max": [round(min(upload_s), 3), round(max(upload_s), 3)],
        "download_s_median": round(percentile(download_s, 0.5), 4),
        **last,
    }


def _operation(request: Any) -> str:
    """The S3 operation of a request boto3 is about to send (its method and the shape of its URL)."""
    url = str(request.url)
    if request.method == "GET":
        return "LIST" if "list-type=2" in url else "GET"
    if request.method == "POST" and "delete" in url:
        return "DELETE (batch)"
    return str(request.method)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=3_000_000)
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)
    data = photo(args.size)
    with tempfile.TemporaryDirectory(prefix="binhan-stores-") as tmp:
        proc, endpoint = start_moto(tmp)
        try:
            import boto3

            boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
                Bucket=BUCKET
            )
            results = [run(store, tmp, endpoint, data, args.runs) for store in ("local", "s3")]
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
    write_results("attachment_stores", {"machine": machine(), "runs": args.runs, "results": results})


if __name__ == "__main__":
    main()

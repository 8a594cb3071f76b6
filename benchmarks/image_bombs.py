"""Image bombs against a real gunicorn: 20 hostile photo uploads at once, workers' peak RSS, legit syncs answered.

    python benchmarks/image_bombs.py [--small] [--uploads 20]

A fresh PostgreSQL database, gunicorn with 2 workers × 4 threads on loopback. Enrolled phones declare photos
that no phone app sends (a 40 M pixel PNG with a text chunk, a 36 M pixel CMYK JPEG, a 16 M pixel CMYK JPEG
with an EXIF orientation, a 16 M pixel RGBA PNG, a 7 M pixel PNG with a text chunk that must be re-encoded),
upload them in 512 KB chunks and send every last chunk at the same moment (a barrier), so that all the
decoding lands together. Meanwhile other phones sync in a loop; every one of their syncs must be answered
200. Reported: each hostile upload's final status and code, each worker's resident memory (VmRSS from /proc,
sampled every 50 ms) at the start and at its peak, and the legit syncs' count, errors and p95 latency.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import sys
import threading
import time
import uuid
from contextlib import ExitStack
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus
from benchmarks.live import MemoryWatch, Server, check, gunicorn, machine, percentile, pg_database, write_results
from benchmarks.wire import WireClient

CHUNK = 512 * 1024
MIB = 1024 * 1024
RSS_BUDGET_MIB = 200


def _png(side: tuple[int, int], mode: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "re-encode me")
    out = io.BytesIO()
    Image.new(mode, side, 7).save(out, "PNG", pnginfo=info, optimize=True)
    return out.getvalue()


def _cmyk_jpeg(side: tuple[int, int]) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.new("CMYK", side, (10, 20, 30, 0)).save(out, "JPEG", quality=50, exif=exif)
    return out.getvalue()


@cache
def bombs(small: bool) -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, content type); ``small`` keeps the kinds but makes them quick to build."""
    if small:
        return {
            "png 40 M px + tEXt": (_png((6324, 6324), "1"), "image/png"),
            "cmyk jpeg 16 M px + EXIF orientation": (_cmyk_jpeg((4000, 4000)), "image/jpeg"),
        }
    return {
        "png 40 M px + tEXt": (_png((6324, 6324), "RGB"), "image/png"),
        "cmyk jpeg 36 M px + EXIF": (_cmyk_jpeg((6000, 6000)), "image/jpeg"),
        "cmyk jpeg 16 M px + EXIF orientation": (_cmyk_jpeg((4000, 4000)), "image/jpeg"),
        "rgba png 16 M px + tEXt": (_png((4000, 4000), "RGBA"), "image/png"),
        "png 7 M px + tEXt (re-encoded)": (_png((3500, 2000), "RGB"), "image/png"),
    }


def enrol(server: Server, code: str) -> tuple[str, list[int]]:
    answer = WireClient(server.host, server.port).post_json("/api/v1/enrol", {"code": code}, compress=False)
    check(answer.status == 201, answer.body)
    return answer.body["device_token"], [h["id"] for h in answer.body["group"]["households"]]


class HostileUpload(threading.Thread):
    """Declare one photo in a report, send all but the last chunk, wait at the barrier, send the last."""

    def __init__(
        self, server: Server, token: str, household: int, bomb: tuple[str, bytes, str], barrier: threading.Barrier
    ) -> None:
        super().__init__(daemon=True)
        self.server, self.token, self.barrier = server, token, barrier
        self.name, data, content_type = bomb
        self.data = data
        self.declared = {
            "id": str(uuid.uuid4()),
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "content_type": content_type,
        }
        [report] = corpus.reports(1, [household], seed=hash(self.declared["id"]) % 10_000)
        report["attachments"] = [self.declared]
        self.report = report
        self.result: dict[str, Any] = {}

    def _patch(self, offset: int) -> Any:
        chunk = self.data[offset : offset + CHUNK]
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/octet-stream"}
        url = f"/api/v1/attachments/{self.declared['id']}?offset={offset}"
        return WireClient(self.server.host, self.server.port).request("PATCH", url, body=chunk, headers=headers)

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # reported in the figures; the other uploads must not wait for this one
            self.barrier.abort()
            self.result = {"kind": self.name, "status": 0, "code": f"client error: {type(exc).__name__}: {exc}"}

    def _run(self) -> None:
        client = WireClient(self.server.host, self.server.port)
        pushed = client.post_json("/api/v1/sync", {"cursor": None, "push": [self.report]}, token=self.token)
        check(pushed.status == 200 and pushed.body["results"][0]["status"] == "created", pushed.body)
        offsets = list(range(0, len(self.data), CHUNK))
        for offset in offsets[:-1]:
            sent = self._patch(offset)
            check(sent.status == 200, f"chunk at {offset} of {self.name}: {sent.status} {sent.body}")
        with contextlib.suppress(threading.BrokenBarrierError):  # another upload failed early: send anyway
            self.barrier.wait(timeout=300)
        started = time.monotonic()
        answer = self._patch(offsets[-1])
        body = answer.body if isinstance(answer.body, dict) else {}
        self.result = {
            "kind": self.name,
            "bytes": len(self.data),
            "status": answer.status,
            "code": body.get("error", {}).get("code") if answer.status >= 400 else "complete",
            "seconds": round(time.monotonic() - started, 2),
        }


class LegitPhone(threading.Thread):
    """A well-behaved phone syncing (a report every other time) until told to stop."""

    def __init__(self, server: Server, token: str, households: list[int], stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.server, self.token, self.households, self.stop = server, token, households, stop
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.cursor: str | None = None

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            items = corpus.reports(number % 2, self.households, seed=number, id_seed=id(self) + number)
            client = WireClient(self.server.host, self.server.port)
            try:
                answer = client.post_json("/api/v1/sync", {"cursor": self.cursor, "push": items}, token=self.token)
            except OSError as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            self.latencies.append(answer.seconds)
            if answer.status != 200:
                self.errors.append(f"HTTP {answer.status}: {str(answer.body)[:200]}")
            else:
                self.cursor = answer.body["cursor"]
            self.stop.wait(0.2)


def drive(server: Server, uploads: int, small: bool) -> dict[str, Any]:
    kinds = [(name, data, content_type) for name, (data, content_type) in bombs(small).items()]
    codes = server.enrolment_codes(*(["DONG-01", "DONG-02", "TAY-01"] + ["BAC-01"] * 2))
    hostile = [enrol(server, code) for code in codes[:3]]
    legit = [enrol(server, code) for code in codes[3:]]
    barrier = threading.Barrier(uploads)
    attackers = [
        HostileUpload(server, hostile[n % 3][0], hostile[n % 3][1][0], kinds[n % len(kinds)], barrier)
        for n in range(uploads)
    ]
    stop = threading.Event()
    phones = [LegitPhone(server, token, households, stop) for token, households in legit]
    watch = MemoryWatch(server.worker_pids(), interval=0.05)
    watch.start()
    for thread in (*phones, *attackers):
        thread.start()
    for attacker in attackers:
        attacker.join()
    time.sleep(1)  # a last round of syncs after the storm
    stop.set()
    for phone in phones:
        phone.join()
    watch.stopped.set()
    latencies = [x for p in phones for x in p.latencies]
    errors = [e for p in phones for e in p.errors]
    workers = watch.report()
    return {
        "uploads": [a.result for a in attackers],
        "workers": workers,
        "worst_worker_rss_peak_mib": max(w["rss_peak_mib"] for w in workers),
        "rss_budget_mib": RSS_BUDGET_MIB,
        "legit_syncs": len(latencies),
        "legit_errors": len(errors),
        "legit_error_samples": errors[:5],
        "legit_p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "legit_max_ms": round(max(latencies, default=0) * 1000, 1),
    }


def run(uploads: int, small: bool, server: Server | None = None) -> dict[str, Any]:
    bombs(small)  # built before the clock and the memory watch start
    with ExitStack() as stack:
        if server is None:
            server = stack.enter_context(gunicorn(stack.enter_context(pg_database("bench_bombs"))))
        figures = drive(server, uploads, small)
    return {"server": "gunicorn 2 workers × 4 threads, PostgreSQL", **figures, "machine": machine()}


def main(argv: list[str] | None = None, server: Server | None = None) -> dict[str, Any]:
    """The command line; ``server`` lets the smoke test reuse a running Bình An instead of starting one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="4 uploads of 2 quick-to-build kinds")
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    uploads = 4 if args.small else args.uploads
    figures = run(uploads, args.small, server)
    write_results("image_bombs", figures, args.out)
    outcome = {f"{u['kind']}: {u['status']} {u['code']}" for u in figures["uploads"]}
    print(
        f"{uploads} hostile uploads ({'; '.join(sorted(outcome))}); worker RSS peak "
        f"{[w['rss_peak_mib'] for w in figures['workers']]} MiB (budget {RSS_BUDGET_MIB}); legit syncs "
        f"{figures['legit_syncs']}, errors {figures['legit_errors']}, p95 {figures['legit_p95_ms']} ms"
    )
    return figures


if __name__ == "__main__":
    main()

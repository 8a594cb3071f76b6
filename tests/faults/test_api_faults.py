"""Thousands of items from concurrent phones, through a faulty network, while the server is SIGKILLed.

The promise under test (DESIGN.md): nothing is lost or stored twice, photos arrive byte for byte, and the
feed gives each phone every change for its group and nothing of another group's. PostgreSQL, as in
production; gunicorn with gthread workers; the fault proxy between phones and server.

``FAULT_ITEMS`` (default 2000 reports) and ``FAULT_SEED`` tune and replay a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import HttpClient

from .device import OutboxPhone
from .officer import Officer
from .proxy import FaultPlan, FaultProxy
from .server import CrashableServer, ThrowawayPostgres, server_env

pytestmark = pytest.mark.postgres

PHONES = (("DONG-01", 2), ("DONG-02", 1), ("TAY-01", 1), ("BAC-01", 2))  # two phones share a group twice
MAX_KILLS = 4


def device_calls(method: str, path: str) -> bool:
    """Faults hit what phones call (tips sent alone too); the officer at the commune office has a good link."""
    return path.startswith(("/api/v1/sync", "/api/v1/attachments", "/api/v1/tips"))


PLAN = FaultPlan(
    drop_before=0.06,
    drop_after=0.08,
    duplicate=0.08,
    cut_request=0.05,
    cut_response=0.06,
    delay=0.15,
    max_delay=0.2,
    slow=0.03,
    bandwidth=400_000,
    applies=device_calls,
)


def _kill_now_and_then(server: CrashableServer, proxy: FaultProxy, rng: random.Random, stop: threading.Event) -> None:
    """SIGKILL the server at random moments, then start it again (a new port: the proxy is told)."""
    while server.kills < MAX_KILLS and not stop.wait(rng.uniform(1.0, 3.0)):
        server.kill()
        stop.wait(rng.uniform(0.05, 0.5))
        server.start()
        proxy.upstream_port = server.port


def _officer_works(officer: Officer, rng: random.Random, stop: threading.Event) -> None:
    while not stop.wait(rng.uniform(0.02, 0.15)):
        officer.act_once(rng)


def _feed_for(conn: psycopg.Connection[Any], phone: OutboxPhone) -> Counter[str]:
    """The changes this phone's audience rule selects (ADR 0002, feed._addressed_to), as canonical JSON."""
    token_hash = hashlib.sha256(phone.token.encode()).hexdigest()
    rows = conn.execute(
        """
        SELECT f.kind, f.payload FROM feed_entry f
        JOIN device d ON d.token_hash = %s
        JOIN household_group g ON g.id = d.group_id
        WHERE f.commune_id = g.commune_id AND (
            (f.group_id = g.id AND f.id > d.feed_floor)
            OR (f.group_id IS NULL AND (f.village_id IS NULL OR f.village_id = g.village_id)))
        """,
        (token_hash,),
    ).fetchall()
    return Counter(_key({"type": kind, **payload}) for kind, payload in rows)


def _key(change: dict[str, Any]) -> str:
    return json.dumps(change, sort_keys=True, ensure_ascii=False)


def test_thousands_of_items_from_concurrent_phones_survive_faults_and_kills(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    reports_wanted = int(os.environ.get("FAULT_ITEMS", "2000"))
    database = ThrowawayPostgres()
    env = server_env(tmp_path, database.create(), TIP_TOKENS_PER_DAY="100000")
    server = CrashableServer(env, tmp_path / "gunicorn.log")
    proxy: FaultProxy | None = None
    started = time.monotonic()
    try:
        server.prepare()
        server.start()
        proxy = FaultProxy(server.port, seed, PLAN).start()
        head = Officer(proxy.port, "truongcongan", "demo-head")
        group_ids = head.group_ids()
        phones: list[OutboxPhone] = []
        for code, count in PHONES:
            for n in range(count):
                phones.append(
                    OutboxPhone.enrol(
                        HttpClient(proxy.port),
                        head.enrolment_code(group_ids[code]),
                        name=f"{code}#{n}",
                        rng=random.Random(rng.random()),
                    )
                )
        written: dict[str, dict[str, Any]] = {}
        tips_written: list[dict[str, Any]] = []
        for i in range(reports_wanted):
            phone = phones[i % len(phones)]
            photos = rng.choice((1, 2)) if rng.random() < 0.04 else 0
            item = phone.write_report(f"R{i:05d}-{uuid.uuid4().hex[:6]}", photos)
            if item["id"] is None:
                tips_written.append(item)  # anonymous: sent alone, its id drawn when it is sent
            else:
                written[item["id"]] = item
        messages = {i["id"]: i for p in phones for i in p.outbox if i["type"] == "message"}

        prepared = time.monotonic()
        stop = threading.Event()
        deadline = time.monotonic() + 150
        errors: list[BaseException] = []

        def guarded(target: Any, *args: Any) -> None:
            try:
                target(*args)
            except BaseException as exc:  # reported in the main thread
                errors.append(exc)
                stop.set()

        officer = Officer(proxy.port, "demo", "demo-officer")
        helpers = [
            threading.Thread(target=guarded, args=(_kill_now_and_then, server, proxy, random.Random(seed + 1), stop)),
            threading.Thread(target=guarded, args=(_officer_works, officer, random.Random(seed + 2), stop)),
        ]
        workers = [threading.Thread(target=guarded, args=(p.run, deadline)) for p in phones]
        for thread in helpers + workers:
            thread.start()
        for thread in workers:
            thread.join()
        stop.set()
        for thread in helpers:
            thread.join()
        ran = time.monotonic()
        assert not errors, errors
        if server.proc is None or server.proc.poll() is not None:
            server.start()
            proxy.upstream_port = server.port

        # Faults off: every phone pulls what is left of its feed; then compare with the database.
        proxy.enabled = False
        for phone in phones:
            phone.pull_all()
            for tip in phone.tips_sent.values():
                phone.read_mailbox(tip)  # the last sealed entries
            while phone.tip_items:  # receipts of the last replies
                for tip in {id(t): t for t, _ in phone.tip_items}.values():
                    phone.read_mailbox(tip)
        with psycopg.connect(database.url) as conn:
            stored = dict(conn.execute("SELECT id::text, body FROM report WHERE group_id IS NOT NULL").fetchall())
            stored_tips = conn.execute(
                "SELECT id::text, body, device_id, created_at FROM report WHERE group_id IS NULL"
            ).fetchall()
            tokens_issued = conn.execute("SELECT coalesce(sum(issued), 0) FROM tip_token_issue").fetchone()[0]
            tokens_spent = conn.execute("SELECT count(*) FROM spent_tip_token").fetchone()[0]
            sealed = dict(
                conn.execute(
                    "SELECT r.id::text, m.last_seq FROM tip_mailbox m JOIN report r ON r.id = m.report_id"
                ).fetchall()
            )
            bodies = Counter(stored.values())
            stored_messages = {
                row[0] for row in conn.execute("SELECT id::text FROM message WHERE author = 'household'")
            }
            attachments = conn.execute("SELECT id, complete, sha256 FROM attachment").fetchall()
            lost_changes = leaked = 0
            for phone in phones:
                expected = _feed_for(conn, phone)
                seen = Counter(_key(c) for c in phone.seen)
                lost_changes += len(set(expected) - set(seen))
                leaked += len(set(seen) - set(expected))
        photos = {k: v for p in phones for k, v in p.photos.items()}
        tips_sent = {tip_id: tip for p in phones for tip_id, tip in p.tips_sent.items()}
        tip_bodies = Counter(body for _, body, _, _ in stored_tips)
        tips_lost = len(tips_written) - len(stored_tips) + len(set(tips_sent) - {row[0] for row in stored_tips})
        tips_duplicated = sum(n - 1 for n in tip_bodies.values() if n > 1)
        tokens_got = sum(p.tokens_got for p in phones)
        tokens_held = sum(len(p.tipster.wallet) for p in phones if p.tipster)
        mailbox_entries_missed = sum(sealed[tip_id] != len(tip.opened) for tip_id, tip in tips_sent.items())
        messages.update({k: v for p in phones for k, v in p.tip_follow_ups.items()})
        bad_photos = 0
        for attachment_id, complete, sha256 in attachments:
            path = Path(server.env["ATTACHMENTS_DIR"]) / attachment_id.hex[:2] / attachment_id.hex
            data = path.read_bytes() if complete and path.exists() else b""
            bad_photos += data != photos[str(attachment_id)] or sha256 != hashlib.sha256(data).hexdigest()
        lost = len(set(written) - set(stored)) + len(set(messages) - stored_messages)
        duplicated = sum(n - 1 for n in bodies.values() if n > 1) + len(set(stored) - set(written))
        rejected = [r for p in phones for r in p.rejected]
        totals = sum((p.stats for p in phones), Counter())
        receipts = sum(len(p.replies_read) for p in phones)
        elapsed = time.monotonic() - started
        print(f"set-up {prepared - started:.1f} s, run {ran - prepared:.1f} s")
        print(
            f"\nAPI fault run (PostgreSQL, seed {seed}, {elapsed:.0f} s): {len(phones)} phones, "
            f"{len(written)} reports + {len(messages)} follow-ups + {receipts} read receipts, {len(photos)} photos; "
            f"{totals['sync_requests']} sync and {totals['chunk_requests']}"
            f" chunk requests, {totals['retries']} retried runs; officer actions {officer.actions}\n"
            f"  faults injected: {proxy.summary()}\n"
            f"  restarts (SIGKILL): {server.kills}\n"
            f"  lost: {lost}, duplicated: {duplicated}, rejected: {len(rejected)}, photos not byte-identical: "
            f"{bad_photos}, feed changes lost: {lost_changes}, leaked to another group: {leaked}\n"
            f"  tips sent alone: {len(tips_written)} written, {len(stored_tips)} stored, lost {tips_lost}, duplicated "
            f"{tips_duplicated}; tokens issued {tokens_issued}, got {tokens_got}, spent {tokens_spent}, held "
            f"{tokens_held}; mailboxes not fully read {mailbox_entries_missed}; "
            f"{totals['token_requests']} token, {totals['tip_requests']} tip, "
            f"{totals['mailbox_requests']} mailbox requests"
        )
        assert server.kills >= 3, "the run ended before the server could be killed a few times"
        assert lost == 0 and duplicated == 0
        assert rejected == []
        assert len(attachments) == len(photos) and bad_photos == 0
        assert lost_changes == 0 and leaked == 0
        assert tips_written and tips_lost == 0 and tips_duplicated == 0
        assert all(device_id is None and created_at is None for _, _, device_id, created_at in stored_tips)
        assert tokens_issued == tokens_got, "a token request retried after a lost answer counted once"
        assert tokens_spent == len(stored_tips) == tokens_got - tokens_held
        assert mailbox_entries_missed == 0
        assert "Traceback" not in server.log(), server.log()[-5000:]
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()
        database.drop()

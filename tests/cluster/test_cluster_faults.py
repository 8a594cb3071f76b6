"""Two app servers behind nginx, sharing PostgreSQL, Redis and an S3 bucket; one is SIGKILLed now and then.

The production shape of DESIGN.md ("several stateless gunicorn instances behind a reverse proxy"): the fault
run's scripted phones (tests/faults) sync and upload through a bad network (the fault proxy) into nginx, which
balances round robin between two gunicorn instances (2 workers each). Their state is all shared: reports in
one PostgreSQL database, rate-limit counters in Redis, photo bytes (unfinished ones too) in the bucket, officer
sessions in the database and a cookie signed with the shared SECRET_KEY. The servers are killed in turn with
SIGKILL and started again on their port while the phones work.

What must hold: nothing lost, nothing stored twice, every photo byte-identical when downloaded through the
officer API, chunks of one photo handled by both servers, and the officer who signed in before the first kill
still signed in on whichever process answers afterwards.

``CLUSTER_ITEMS`` (default 200 reports) and ``FAULT_SEED`` tune and replay a run.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import S3_TEST_BUCKET, S3_TEST_CREDENTIALS, HttpClient, photo_declaration
from tests.faults.device import OutboxPhone, photo
from tests.faults.officer import Officer
from tests.faults.proxy import FaultProxy
from tests.faults.server import RUN_PACE_LIMITS, CrashableServer, ThrowawayPostgres, server_env
from tests.faults.test_api_faults import PHONES, PLAN

from .ledger import follow_ups, tally, write_reports
from .nginx import Nginx, NginxUnavailable, two_free_ports

pytestmark = [pytest.mark.postgres, pytest.mark.s3, pytest.mark.cluster]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
KILL_AT = (0.2, 0.6)  # the share of items delivered when the first and the second server are killed
WORKERS = 1  # per instance, 4 threads each: two instances on 2 cores (and a restart that takes seconds, not tens)
BIG_PHOTOS = 6  # of about 1 MB: four chunks each, so one photo's chunks land on both servers
PHOTO_SHARE = 0.12  # of reports carry one or two photos (the API fault run has 4 %: here the store is the point)


@pytest.fixture
def cluster(tmp_path: Path, s3_process: str) -> Iterator[tuple[list[CrashableServer], Nginx, ThrowawayPostgres]]:
    database = ThrowawayPostgres(f"binhan_cluster_{os.getpid()}")
    env = server_env(
        tmp_path,
        database.create(),
        ATTACHMENTS_STORE="s3",
        S3_ENDPOINT_URL=s3_process,
        **S3_TEST_CREDENTIALS,
        S3_BUCKET=S3_TEST_BUCKET,
        S3_PREFIX=f"cluster-{uuid.uuid4()}/",
        S3_REGION="us-east-1",
        REDIS_URL=REDIS_URL,
        RATELIMIT_ENABLED="1",  # on, counted in Redis, with room for a fault run's pace
        RATELIMIT_KEY_PREFIX=f"cluster-{uuid.uuid4().hex[:8]}",
        **RUN_PACE_LIMITS,
        TRUSTED_PROXIES="1",
    )
    servers = [
        CrashableServer(env, tmp_path / f"gunicorn-{n}.log", port=port, workers=WORKERS)
        for n, port in enumerate(two_free_ports())
    ]
    nginx = Nginx(tmp_path / "nginx", [s.fixed_port for s in servers])
    try:
        servers[0].prepare()
        starting = [threading.Thread(target=server.start) for server in servers]
        for thread in starting:
            thread.start()
        for thread in starting:
            thread.join()
        assert all(s.proc is not None and s.proc.poll() is None for s in servers), "both app servers started"
        try:
            nginx.start()
        except NginxUnavailable as exc:
            pytest.skip(str(exc))
        yield servers, nginx, database
    finally:
        nginx.stop()
        for server in servers:
            server.stop()
        database.drop()


def _kill_in_turn(
    servers: list[CrashableServer], phones: list[OutboxPhone], rng: random.Random, stop: threading.Event
) -> None:
    """SIGKILL one server, then the other, at set points of the phones' progress (whatever the machine's
    speed); each is started again on its port before the next kill, so the other one serves meanwhile."""
    total = sum(len(p.outbox) for p in phones)
    for server, at in zip(servers, KILL_AT, strict=True):
        while sum(len(p.delivered) for p in phones) < at * total:
            if stop.wait(0.05):
                return
        if stop.is_set():
            return  # the phones are done: a kill now would prove nothing
        server.kill()
        stop.wait(rng.uniform(0.1, 0.5))
        server.start()


def _p50_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values) or [0.0]
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def test_two_app_servers_behind_nginx_lose_nothing_while_one_is_killed(cluster: Any, seed: int) -> None:
    servers, nginx, database = cluster
    rng = random.Random(seed)
    started = time.monotonic()
    proxy = FaultProxy(nginx.port, seed, PLAN).start()
    try:
        head = Officer(proxy.port, "truongcongan", "demo-head")
        officer = Officer(proxy.port, "demo", "demo-officer")  # signed in before any kill
        group_ids = head.group_ids()
        phones = [
            OutboxPhone.enrol(
                HttpClient(proxy.port),
                head.enrolment_code(group_ids[code]),
                name=f"{code}#{n}",
                rng=random.Random(rng.random()),
            )
            for code, count in PHONES
            for n in range(count)
        ]
        written = write_reports(phones, rng, int(os.environ.get("CLUSTER_ITEMS", "200")), PHOTO_SHARE)
        for n in range(BIG_PHOTOS):
            phone = phones[n % len(phones)]
            item = phone.write_report(f"C-big-{n}")  # still in the outbox: the photo joins it before any sync
            data = photo(rng, 1_000_000)
            declared = photo_declaration(data, "image/png")
            item["attachments"].append(declared)  # a tip's too: its photo goes up with its mailbox secret
            phone.photos[declared["id"]] = data
            written.add(item)
        messages = follow_ups(phones)
        photos = {k: v for p in phones for k, v in p.photos.items()}

        prepared = time.monotonic()
        stop = threading.Event()
        errors: list[BaseException] = []

        def guarded(target: Any, *args: Any) -> None:
            try:
                target(*args)
            except BaseException as exc:  # reported in the main thread
                errors.append(exc)
                stop.set()

        deadline = time.monotonic() + 120
        helpers = [
            threading.Thread(target=guarded, args=(_kill_in_turn, servers, phones, random.Random(seed + 1), stop)),
            threading.Thread(target=guarded, args=(officer.work_until, stop, random.Random(seed + 2))),
        ]
        workers = [threading.Thread(target=guarded, args=(p.run, deadline)) for p in phones]
        for thread in helpers + workers:
            thread.start()
        for thread in workers:
            thread.join()
        ran = time.monotonic()
        stop.set()
        for thread in helpers:
            thread.join()
        assert not errors, errors
        run_kills = [s.kills for s in servers]
        for server in servers:  # a kill may have come last: both up again for the checks
            if server.proc is None or server.proc.poll() is not None:
                server.start()

        # Faults off: what the database holds, and every photo downloaded through the officer API.
        proxy.enabled = False
        for phone in phones:
            phone.pull_all()
        counted = tally(database.url, written, messages)
        with psycopg.connect(database.url) as conn:
            attachments = conn.execute("SELECT id::text, complete FROM attachment").fetchall()
        rejected = [r for p in phones for r in p.rejected]
        not_identical = 0
        for attachment_id, complete in attachments:
            answer = officer.request("GET", f"/api/v1/officer/attachments/{attachment_id}")
            not_identical += not complete or answer.status_code != 200 or answer.content != photos[attachment_id]

        # The session of before the kills, on one process and then the other, both started since sign-in.
        session_answers = []
        for down in servers:
            down.kill()
            me = officer.request("GET", "/api/v1/officer/me")
            session_answers.append(me.status_code)
            assert me.status_code == 200, (me.status_code, me.json)
            if down is servers[0]:
                down.start()

        entries = nginx.access_entries()
        chunk_servers: dict[str, set[str]] = {}
        for entry in entries:
            if entry.method == "PATCH" and entry.path.startswith("/api/v1/attachments/") and entry.upstreams:
                chunk_servers.setdefault(entry.path.rsplit("/", 1)[1], set()).add(entry.upstreams[-1])
        served = Counter(e.upstreams[-1] for e in entries if e.upstreams)
        passed_on = sum(len(e.upstreams) > 1 for e in entries)
        bad_gateway = sum(e.status == 502 and bool(e.upstreams) for e in entries)
        none_live = sum(e.status == 502 and not e.upstreams for e in entries)
        timing = {
            kind: _p50_p95([e.seconds for e in entries if e.method == method and e.path.startswith(prefix)])
            for kind, method, prefix in (("sync", "POST", "/api/v1/sync"), ("chunk", "PATCH", "/api/v1/attachments"))
        }
        totals = sum((p.stats for p in phones), Counter())
        print(
            f"\ncluster fault run (2 gunicorn x {WORKERS} worker(s) behind nginx, PostgreSQL + Redis + S3/moto, "
            f"seed {seed}, "
            f"{time.monotonic() - started:.0f} s, set-up {prepared - started:.1f} s, "
            f"phones' run {ran - prepared:.1f} s):"
            f"\n  {len(phones)} phones, {len(written.reports)} reports + {len(written.tips)} tips sent alone + "
            f"{len(messages)} follow-ups, {len(photos)} photos; "
            f"{totals['sync_requests']} sync and {totals['chunk_requests']} chunk requests, "
            f"{totals['retries']} retried runs; officer actions {officer.actions}; nginx p50/p95 seconds {timing}"
            f"\n  faults injected: {proxy.summary()}"
            f"\n  SIGKILLs during the run: {run_kills} (then one each for the session check)"
            f"\n  requests per app server {dict(served)}; passed on to the other after a connection error: "
            f"{passed_on}; answered 502: {bad_gateway} in flight on a killed server, "
            f"{none_live} with no server marked live"
            f"\n  photos whose chunks landed on both servers: "
            f"{sum(len(s) > 1 for s in chunk_servers.values())} of {len(chunk_servers)}"
            f"\n  lost: {counted.lost}, duplicated: {counted.duplicated}, rejected: {len(rejected)}, "
            f"photos not byte-identical: {not_identical}, session after kills: {session_answers}"
        )
        assert counted.lost == 0 and counted.duplicated == 0 and rejected == [], (counted.missing, rejected)
        assert len(attachments) == len(photos) and not_identical == 0
        assert min(run_kills) >= 1, "each server was killed and restarted while the phones worked"
        assert len(served) == 2, "nginx balanced between both servers"
        assert any(len(s) > 1 for s in chunk_servers.values()), "some photo's chunks went to both servers"
        for server in servers:
            assert "Traceback" not in server.log(), server.log()[-5000:]
    finally:
        proxy.stop()

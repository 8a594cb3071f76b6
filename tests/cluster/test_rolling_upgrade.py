"""The release in the field upgraded to this code on a live cluster, as docs/deploy.md ("Upgrades") says to.

Two app servers behind nginx run the last release's code (migrations/releases.txt, checked out with
``git archive``) on its own schema, seeded by it. Phones keep writing and syncing reports (some with photos,
some anonymous tips) and an officer keeps answering, through nginx, while:

1. ``flask db upgrade`` runs once with this code: the old servers keep serving on the newer schema and stay
   ready;
2. the first server is stopped (SIGTERM, gunicorn's graceful stop) and started on this code, then the second.

What must hold: every report, tip and follow-up stored exactly once, none refused; the officer signed in on
the old release is still signed in on the new one; both servers end on this code and ready; no traceback in
either release's logs.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from benchmarks.live import REPO_ROOT
from tests.conftest import HttpClient
from tests.faults.device import OutboxPhone
from tests.faults.officer import Officer
from tests.faults.server import RUN_PACE_LIMITS, CrashableServer, ThrowawayPostgres, server_env
from tests.faults.test_api_faults import PHONES
from tests.releases import Release, check_out, previous_release

from .ledger import Written, follow_ups, tally
from .nginx import Nginx, NginxUnavailable, two_free_ports

pytestmark = [pytest.mark.postgres, pytest.mark.cluster]

WORKERS = 1  # per instance, 4 threads each (two instances on 2 cores)
PHOTO_SHARE = 0.1
DELIVERIES_PER_STEP = 12  # reports delivered between two steps of the upgrade: each step happens under traffic


class Cluster:
    """The two app servers, nginx and the database, and which code each server runs."""

    def __init__(self, tmp: Path, release: Release) -> None:
        self.release = release
        self.old_root = check_out(release, tmp / "release")
        self.database = ThrowawayPostgres(f"binhan_upgrade_{os.getpid()}")
        self.new_env = server_env(tmp, self.database.create(), **RUN_PACE_LIMITS)
        self.old_env = {**self.new_env, "PWA_DIR": str(self.old_root / "pwa")}
        self.servers = [
            CrashableServer(self.old_env, tmp / f"gunicorn-{n}.log", port=port, workers=WORKERS, root=self.old_root)
            for n, port in enumerate(two_free_ports())
        ]
        self.nginx = Nginx(tmp / "nginx", [s.fixed_port for s in self.servers])

    def start(self) -> None:
        self.servers[0].prepare()  # the old release migrates its own schema and seeds its demo data
        for server in self.servers:
            server.start()
        self.nginx.start()

    def upgrade_database(self) -> float:
        """``flask db upgrade`` with this code, once, while the old servers serve; its seconds."""
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=REPO_ROOT,
            env=self.new_env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        return time.monotonic() - started

    def restart_on_new_code(self, server: CrashableServer) -> float:
        started = time.monotonic()
        server.stop()
        server.root, server.env = REPO_ROOT, self.new_env
        server.start()
        return time.monotonic() - started

    def schema(self) -> str:
        with psycopg.connect(self.database.url) as conn:
            return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])

    def stop(self) -> None:
        self.nginx.stop()
        for server in self.servers:
            server.stop()
        self.database.drop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path, previous_release())
    try:
        try:
            cluster.start()
        except NginxUnavailable as exc:
            pytest.skip(str(exc))
        yield cluster
    finally:
        cluster.stop()


def _ready(port: int) -> int:
    return HttpClient(port).request("GET", "/readyz").status_code


class Traffic:
    """Phones writing and syncing reports in their own threads until told to stop, then emptying their outboxes."""

    def __init__(self, phones: list[OutboxPhone], rng: random.Random) -> None:
        self.phones = phones
        self.written = Written()
        self.messages: dict[str, dict[str, Any]] = {}
        self.rng = rng
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self.guarded, args=(self._phone, p)) for p in phones]

    def guarded(self, target: Callable[..., None], *args: Any) -> None:
        try:
            target(*args)
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
            self.stop.set()

    def _phone(self, phone: OutboxPhone) -> None:
        rng = random.Random(self.rng.random())
        deadline = time.monotonic() + 240
        n = 0
        while not self.stop.is_set():
            photos = 1 if rng.random() < PHOTO_SHARE else 0
            self.written.add(phone.write_report(f"U-{phone.name}-{n:04d}", photos))
            self.messages.update(follow_ups([phone]))
            n += 1
            phone.run(deadline)  # retries through restarts (a connection nginx could not pass on, a 502)
            self.stop.wait(rng.uniform(0.1, 0.3))
        phone.run(deadline)

    @property
    def delivered(self) -> int:
        return sum(len(p.delivered) for p in self.phones)

    def wait_for(self, deliveries: int) -> None:
        """Until ``deliveries`` more items are delivered (the step before ran under traffic, not between it)."""
        target = self.delivered + deliveries
        deadline = time.monotonic() + 120
        while self.delivered < target and not self.stop.is_set():
            assert time.monotonic() < deadline, f"the phones delivered {self.delivered} of {target}"
            time.sleep(0.05)
        assert not self.errors, self.errors


def test_the_release_in_the_field_upgrades_to_this_code_under_traffic(cluster: Cluster) -> None:
    rng = random.Random(int(os.environ.get("FAULT_SEED", "20261203")))
    started = time.monotonic()
    assert cluster.schema() == cluster.release.revision, "the old release made its own schema"
    head = Officer(cluster.nginx.port, "truongcongan", "demo-head")
    officer = Officer(cluster.nginx.port, "demo", "demo-officer")  # signed in on the old release
    group_ids = head.group_ids()
    phones = [
        OutboxPhone.enrol(
            HttpClient(cluster.nginx.port),
            head.enrolment_code(group_ids[code]),
            name=f"{code}#{n}",
            rng=random.Random(rng.random()),
        )
        for code, count in PHONES
        for n in range(count)
    ]
    traffic = Traffic(phones, rng)
    officer_stop = threading.Event()
    officer_thread = threading.Thread(target=traffic.guarded, args=(officer.work_until, officer_stop, rng))
    for thread in [*traffic.threads, officer_thread]:
        thread.start()
    try:
        traffic.wait_for(DELIVERIES_PER_STEP)
        upgrade_seconds = cluster.upgrade_database()
        old_ready = [_ready(s.fixed_port) for s in cluster.servers]  # old code on the new schema
        traffic.wait_for(DELIVERIES_PER_STEP)
        restart_seconds = []
        for server in cluster.servers:
            restart_seconds.append(cluster.restart_on_new_code(server))
            traffic.wait_for(DELIVERIES_PER_STEP)
    finally:
        traffic.stop.set()
        for thread in traffic.threads:
            thread.join()
        officer_stop.set()
        officer_thread.join()
    assert not traffic.errors, traffic.errors

    for phone in phones:
        phone.pull_all()
    counted = tally(cluster.database.url, traffic.written, traffic.messages)
    rejected = [r for p in phones for r in p.rejected]
    me = officer.request("GET", "/api/v1/officer/me")
    entries = cluster.nginx.access_entries()
    print(
        f"\nrolling upgrade from {cluster.release.revision} ({cluster.release.commit[:8]}) to {cluster.schema()}: "
        f"{time.monotonic() - started:.0f} s; db upgrade {upgrade_seconds:.1f} s under traffic, restarts "
        f"{', '.join(f'{s:.1f}' for s in restart_seconds)} s"
        f"\n  {len(phones)} phones, {len(traffic.written.reports)} reports + {len(traffic.written.tips)} tips + "
        f"{len(traffic.messages)} follow-ups; officer actions {officer.actions}; {len(entries)} requests through "
        f"nginx, {sum(e.status >= 500 for e in entries)} answered 5xx (retried)"
        f"\n  lost {counted.lost}, duplicated {counted.duplicated}, rejected {len(rejected)}; "
        f"old servers ready on the new schema: {old_ready}"
    )
    assert counted.lost == 0 and counted.duplicated == 0 and rejected == [], (counted.missing, rejected)
    assert old_ready == [200, 200], "the old release kept serving while the schema moved ahead of it"
    assert me.status_code == 200, "the officer signed in on the old release is still signed in"
    assert [s.root for s in cluster.servers] == [REPO_ROOT, REPO_ROOT]
    assert [_ready(s.fixed_port) for s in cluster.servers] == [200, 200]
    for server in cluster.servers:
        assert "Traceback" not in server.log(), server.log()[-5000:]

"""The fault proxy does what each fault kind says: the fault runs' figures are only as good as this."""

from __future__ import annotations

import http.client
import http.server
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from .proxy import FaultPlan, FaultProxy

BODY = b'{"results": [], "changes": [], "cursor": "x", "more": false}' * 20


@dataclass
class Upstream:
    port: int
    seen: list[bytes] = field(default_factory=list)  # request bodies the server received whole


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    record = Upstream(0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            data = self.rfile.read(length)
            if len(data) == length:
                record.seen.append(data)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield record
    server.shutdown()
    server.server_close()


def exchange(proxy: FaultProxy, payload: bytes = b'{"push": []}') -> tuple[int, bytes] | str:
    """One POST through the proxy: (status, body), or the name of the failure the client saw."""
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    try:
        conn.request("POST", "/api/v1/sync", body=payload, headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        return answer.status, answer.read()
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    finally:
        conn.close()


def run(upstream: Upstream, **plan: float) -> tuple[tuple[int, bytes] | str, list[bytes], dict[str, int]]:
    proxy = FaultProxy(upstream.port, 1, FaultPlan(**plan)).start()  # type: ignore[arg-type]
    try:
        outcome = exchange(proxy, b'{"push": [' + b'{"id": 1}, ' * 50 + b"]}")
        return outcome, list(upstream.seen), proxy.faults()
    finally:
        proxy.stop()


def test_no_fault_passes_the_exchange_through(upstream: Upstream) -> None:
    outcome, seen, counts = run(upstream)
    assert outcome == (200, BODY) and len(seen) == 1 and counts["requests"] == 1


def test_drop_before_the_server_sees_nothing(upstream: Upstream) -> None:
    outcome, seen, counts = run(upstream, drop_before=1.0)
    assert isinstance(outcome, str) and seen == [] and counts["drop_before"] == 1


def test_drop_after_the_server_acted_but_the_client_hears_nothing(upstream: Upstream) -> None:
    outcome, seen, counts = run(upstream, drop_after=1.0)
    assert isinstance(outcome, str) and len(seen) == 1 and counts["drop_after"] == 1


def test_duplicate_the_server_gets_it_twice_the_client_one_answer(upstream: Upstream) -> None:
    outcome, seen, counts = run(upstream, duplicate=1.0)
    assert outcome == (200, BODY) and len(seen) == 2 and seen[0] == seen[1] and counts["duplicate"] == 1


def test_cut_request_the_server_never_gets_the_whole_body(upstream: Upstream) -> None:
    outcome, seen, counts = run(upstream, cut_request=1.0)
    assert isinstance(outcome, str) and seen == [] and counts["cut_request"] == 1


def test_cut_response_the_client_gets_a_short_body(upstream: Upstream) -> None:
    outcome, seen, counts = run(upstream, cut_response=1.0)
    assert outcome == "IncompleteRead" and len(seen) == 1 and counts["cut_response"] == 1


def test_slow_and_delayed_answers_still_arrive_whole(upstream: Upstream) -> None:
    outcome, seen, counts = run(upstream, delay=1.0, max_delay=0.05, slow=1.0, bandwidth=20_000)
    assert len(seen) == 1
    assert outcome == (200, BODY) and counts["delay"] == 1 and counts["slow"] == 1


def test_a_down_server_is_a_502(upstream: Upstream) -> None:
    proxy = FaultProxy(1, 1).start()  # nothing listens on port 1
    try:
        outcome = exchange(proxy)
        assert isinstance(outcome, tuple) and outcome[0] == 502 and proxy.faults()["server_down"] == 1
    finally:
        proxy.stop()


def test_the_same_seed_draws_the_same_faults() -> None:
    plan = FaultPlan(drop_before=0.2, drop_after=0.2, duplicate=0.2, cut_request=0.1, cut_response=0.1)
    draws = [[plan.draw(random.Random(42)) for _ in range(3)] for _ in range(2)]
    assert draws[0] == draws[1]

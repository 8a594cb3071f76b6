"""What anonymity costs on the wire: an anonymous tip sent alone (ADR 0004) beside the same text as a named report.

    python benchmarks/anonymity_cost.py [--database-url postgresql://...] [--out FILE]

The phone follows the household PWA's rules, as benchmarks/round_trips.py does: Chromium-on-Android headers,
gzip request bodies over 200 characters, gzip answers, one kept-alive connection. It enrols, catches up, and then
sends one realistic tip (benchmarks/corpus.py) two ways:

- **named, today**: the report inside ``POST /api/v1/sync`` (one round trip; the officer's reply later arrives
  in the feed of a sync the phone makes anyway, counted as the extra bytes of that pull);
- **anonymous, alone**: ``GET /api/v1/tips/key`` + ``POST /api/v1/tips/tokens`` for 3 blinded tokens (done once
  for up to 3 tips, after a sync), ``POST /api/v1/tips`` with a token and the mailbox keys (no device token, no
  cookie: a fresh connection, as the PWA's ``credentials: 'omit'`` request may get), then
  ``POST /api/v1/tips/mailbox`` once with one sealed officer reply waiting and once with nothing new (one such
  poll per open tip every ``rules.tips.mailbox_poll_seconds`` while the phone is online).

Bytes are HTTP-level (headers included, no TCP/TLS). The 2G estimate is the budget of benchmarks/pwa_2g.py: one
300 ms latency per request, bytes up over 50 kbit/s and down over 250 kbit/s (a new connection's handshake is
not included).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from benchmarks import corpus
from benchmarks.live import Server, check, gunicorn, machine, write_results
from benchmarks.pwa_2g import PROFILE
from benchmarks.round_trips import BROWSER_HEADERS, GZIP_ABOVE, compact, full_sync
from benchmarks.wire import WireClient
from tests.security.tipping import Mailbox, b64url, unb64url
from tests.tips.blinding import blind, finalize

TOKENS_PER_FETCH = 3  # pwa/js/tips.js: up to min(3, remaining) when the stock is below 2


def post(client: WireClient, path: str, body: Any, token: str | None = None, headers: dict[str, str] | None = None):
    return client.post_json(path, body, token=token, compress=len(compact(body)) > GZIP_ABOVE, headers=headers)


def counted(client: WireClient) -> dict[str, int]:
    return {"round_trips": client.exchanges, "bytes_sent": client.sent, "bytes_received": client.received}


def two_g_seconds(row: dict[str, int]) -> float:
    latency = row["round_trips"] * PROFILE["latency_ms"] / 1000
    up = row["bytes_sent"] * 8 / (PROFILE["up_kbit_s"] * 1000)
    down = row["bytes_received"] * 8 / (PROFILE["down_kbit_s"] * 1000)
    return round(latency + up + down, 2)


class Console:
    """The officer's side, only to put a reply in the thread (not measured)."""

    def __init__(self, server: Server) -> None:
        self.client = WireClient(server.host, server.port, keep_alive=True)
        answer = self.client.post_json(
            "/api/v1/officer/login", {"username": "demo", "password": "demo-officer"}, compress=False
        )
        check(answer.status == 200, answer.body)
        self.headers = {
            "Cookie": answer.headers["set-cookie"].split(";", 1)[0],
            "X-CSRF-Token": answer.body["csrf_token"],
        }

    def reply(self, report_id: str, body: str) -> None:
        path = f"/api/v1/officer/reports/{report_id}/messages"
        answer = self.client.post_json(path, {"body": body}, compress=False, headers=self.headers)
        check(answer.status == 201, answer.body)


def measure(server: Server) -> dict[str, Any]:
    (code,) = server.enrolment_codes("DONG-01")
    rows: dict[str, dict[str, Any]] = {}
    console = Console(server)
    reply = "Cảm ơn bác đã báo. Công an xã đã ghi nhận và sẽ xác minh trong tuần này; bác có thấy biển số xe không?"
    with WireClient(server.host, server.port, keep_alive=True, headers=BROWSER_HEADERS) as phone:
        enrolled = phone.post_json("/api/v1/enrol", {"code": code}, compress=False)
        check(enrolled.status == 201, enrolled.body)
        token = enrolled.body["device_token"]
        village = enrolled.body["group"]["village"]["id"]
        households = [h["id"] for h in enrolled.body["group"]["households"]]
        cursor = full_sync(phone, token, enrolled.body["cursor"], [])
        # One tip's text, sent both ways: the first tip of the corpus, as a named report and as an anonymous tip.
        named = next(r for r in corpus.reports(20, households, seed=11) if r["kind"] == "tip" and r["category"])
        named.update(anonymous=False, urgency="normal")

        phone.reset_counters()
        cursor = full_sync(phone, token, cursor, [named])
        rows["named report in /sync"] = counted(phone)
        console.reply(named["id"], reply)
        phone.reset_counters()
        cursor = full_sync(phone, token, cursor, [])
        with_reply = counted(phone)
        phone.reset_counters()
        full_sync(phone, token, cursor, [])  # the same pull with nothing new: what the phone pays anyway
        rows["named reply, extra bytes of the next pull"] = {
            "round_trips": 0,
            "bytes_sent": with_reply["bytes_sent"] - phone.sent,
            "bytes_received": with_reply["bytes_received"] - phone.received,
        }

        phone.reset_counters()
        key = phone.get("/api/v1/tips/key", token=token)
        check(key.status == 200, key.body)
        public = serialization.load_der_public_key(unb64url(key.body["public_key"]))
        check(isinstance(public, rsa.RSAPublicKey), "an RSA key")
        messages = [secrets.token_bytes(32) for _ in range(TOKENS_PER_FETCH)]
        blinded = [blind(public, m) for m in messages]
        body = {
            "request_id": str(uuid.uuid4()),
            "key_id": key.body["key_id"],
            "blinded": [b64url(b.blinded) for b in blinded],
        }
        signed = post(phone, "/api/v1/tips/tokens", body, token=token)
        check(signed.status == 200, signed.body)
        tokens = [
            finalize(public, m, unb64url(s), b.inv)
            for m, b, s in zip(messages, blinded, signed.body["blind_signatures"], strict=True)
        ]
        rows[f"tip: key + {TOKENS_PER_FETCH} tokens (once per {TOKENS_PER_FETCH} tips)"] = counted(phone)

    mailbox = Mailbox.new()
    tip = {
        "id": str(uuid.uuid4()),
        "village_id": village,
        "category": named["category"],
        "urgency": "normal",
        "body": named["body"],
        "location": named["location"],
        "attachments": [],
        "mailbox": mailbox.wire(),
    }
    request = {
        "token": {"key_id": signed.body["key_id"], "message": b64url(messages[0]), "signature": b64url(tokens[0])},
        "tip": tip,
    }
    with WireClient(server.host, server.port, keep_alive=True, headers=BROWSER_HEADERS) as alone:
        sent = post(alone, "/api/v1/tips", request)
        check(sent.status == 201, sent.body)
        rows["tip: the tip alone"] = counted(alone)
        console.reply(tip["id"], reply)
        alone.reset_counters()
        polled = post(alone, "/api/v1/tips/mailbox", {"secret": b64url(mailbox.secret), "since": None, "items": []})
        check(polled.status == 200 and len(polled.body["entries"]) == 1, polled.body)
        check(mailbox.open(polled.body["entries"][0]["sealed"])["body"] == reply, "the reply opens")
        rows["tip: mailbox poll, one sealed reply"] = counted(alone)
        alone.reset_counters()
        since = polled.body["since"]
        polled = post(alone, "/api/v1/tips/mailbox", {"secret": b64url(mailbox.secret), "since": since, "items": []})
        check(polled.status == 200 and polled.body["entries"] == [], polled.body)
        rows["tip: mailbox poll, nothing new"] = counted(alone)
    console.client.close()
    for row in rows.values():
        row["bytes_total"] = row["bytes_sent"] + row["bytes_received"]
        row["2g_seconds"] = two_g_seconds(row)
    fetch = rows[f"tip: key + {TOKENS_PER_FETCH} tokens (once per {TOKENS_PER_FETCH} tips)"]
    anonymous = {
        k: rows["tip: the tip alone"][k] + rows["tip: mailbox poll, one sealed reply"][k] + fetch[k] / TOKENS_PER_FETCH
        for k in ("round_trips", "bytes_sent", "bytes_received")
    }
    named_total = {
        k: rows["named report in /sync"][k] + rows["named reply, extra bytes of the next pull"][k]
        for k in ("round_trips", "bytes_sent", "bytes_received")
    }
    summary = {
        "named: report + its reply": {**named_total, "2g_seconds": two_g_seconds(named_total)},
        "anonymous: tip + its reply (tokens shared by 3 tips)": {
            **{k: round(v, 1) for k, v in anonymous.items()},
            "2g_seconds": two_g_seconds(anonymous),  # type: ignore[arg-type]
        },
    }
    return {"rows": rows, "summary": summary}


def run(database_url: str | None = None, server: Server | None = None) -> dict[str, Any]:
    with ExitStack() as stack:
        if server is None:
            server = stack.enter_context(gunicorn(database_url))
        figures = measure(server)
    return {"client": "PWA rules, Chromium-like headers", "profile_2g": PROFILE, **figures, "machine": machine()}


def table(figures: dict[str, Any]) -> str:
    lines = [f"{'':<54} {'round trips':>11} {'sent':>7} {'received':>9} {'total':>7} {'2G s':>6}"]
    for name, row in [*figures["rows"].items(), *figures["summary"].items()]:
        total = row["bytes_sent"] + row["bytes_received"]
        lines.append(
            f"{name:<54} {row['round_trips']:>11} {row['bytes_sent']:>7.0f} {row['bytes_received']:>9.0f} "
            f"{total:>7.0f} {row['2g_seconds']:>6}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None, server: Server | None = None) -> dict[str, Any]:
    """The command line; ``server`` lets the smoke test reuse a running Bình An."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--out")
    parser.add_argument("--small", action="store_true", help="the same run (it is small already)")
    args = parser.parse_args(argv)
    figures = run(args.database_url, server)
    write_results("anonymity_cost", figures, args.out)
    print(table(figures))
    print(json.dumps(figures["summary"], ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()

"""Fill PostgreSQL with a province: 1,000 communes, 100,000 groups, 1,000,000 reports (by default).

Everything is made by the database itself with ``INSERT … SELECT … FROM generate_series`` (no ORM objects,
no rows through Python), so the full size takes minutes, not hours. Values are drawn from a hash of the row
number (``hashint8extended``), not ``random()``: the same sizes always give the same province, and a value
used twice in one row is the same value. Shapes follow the design: 5 villages per commune, groups of 7
households, one phone per group, reports received over the last year (older ones mostly resolved, recent ones
mostly open), status changes and officer replies in the change feed, a dozen announcements per commune.
Report texts come from benchmarks/corpus.py (Vietnamese with tones), each made unique by its number, with the
folded search copy the server would store (server/reports/search.py).
"""

# ruff: noqa: S608 - the SQL is built from this module's own integers and constants, never from input

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from benchmarks import corpus
from server.reports.search import fold

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # server/tokens.py: tracking codes in Crockford's base32
VILLAGES_PER_COMMUNE = 5
HOUSEHOLDS_PER_GROUP = 7
ANNOUNCEMENTS_PER_COMMUNE = 12
TEXTS = 500  # distinct report texts; each report adds its own number
TOKEN_PREFIX = "bat_province_"  # noqa: S105 - device token of generated group gi: TOKEN_PREFIX + gi
OFFICER_PREFIX = "province"  # officer of generated commune ci: OFFICER_PREFIX + ci, the demo officer's password


@dataclass(frozen=True)
class Size:
    communes: int = 1000
    groups: int = 100_000
    reports: int = 1_000_000


@dataclass(frozen=True)
class Bases:
    """Ids already used (the demo seed): generated ids start above them."""

    commune: int
    village: int
    group: int
    household: int
    device: int


def u(k: int, n: str = "n") -> str:
    """SQL for a uniform number in [0, 1) drawn from the hash of ``n`` with seed ``k``."""
    return f"((hashint8extended({n}::bigint, {k}) & 2147483647)::float8 / 2147483648)"


def tracking_code_sql(n: str = "n") -> str:
    """SQL for an 8-character base32 code of ``n``, as ``XXXX-XXXX``: unique per report."""
    digits = [
        f"substr('{ALPHABET}', ((({n}::bigint * 40503) # 711800046053) >> {5 * k} & 31)::int + 1, 1)" for k in range(8)
    ]
    return f"({' || '.join(digits[:4])} || '-' || {' || '.join(digits[4:])})"


def texts() -> tuple[list[str], list[str], list[str], list[str | None]]:
    """Report bodies, their folded copies, kinds and categories, for the database to pick from."""
    rng = random.Random(2026)
    bodies, folded, kinds, categories = [], [], [], []
    for number in range(TEXTS):
        body, category = corpus.body_text(number, rng)
        body = body.rsplit(" (tin số", 1)[0]
        bodies.append(body)
        folded.append(fold(body))
        kinds.append("tip" if category else rng.choice(["question", "complaint", "appointment", "help"]))
        categories.append(category)
    return bodies, folded, kinds, categories


def bases(conn: psycopg.Connection[Any]) -> Bases:
    row = conn.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM commune), (SELECT coalesce(max(id), 0) FROM village),"
        " (SELECT coalesce(max(id), 0) FROM household_group), (SELECT coalesce(max(id), 0) FROM household),"
        " (SELECT coalesce(max(id), 0) FROM device)"
    ).fetchone()
    return Bases(*row)


def is_filled(conn: psycopg.Connection[Any]) -> bool:
    return conn.execute("SELECT exists(SELECT 1 FROM commune WHERE code = 'P0000')").fetchone()[0]


def geography(conn: psycopg.Connection[Any], size: Size, b: Bases) -> None:
    """Communes, villages, groups (round-robin over communes), households, one phone per group, officers."""
    c, v, h = size.communes, VILLAGES_PER_COMMUNE, HOUSEHOLDS_PER_GROUP
    conn.execute(
        f"INSERT INTO commune (id, code, name, created_at) SELECT {b.commune} + ci + 1, 'P' || lpad(ci::text, 4, '0'),"
        f" 'Xã Bình An ' || ci, now() - interval '3 years' FROM generate_series(0, {c} - 1) ci"
    )
    conn.execute(
        f"INSERT INTO village (id, commune_id, name) SELECT {b.village} + vi + 1, {b.commune} + vi / {v} + 1,"
        f" 'Thôn ' || (ARRAY['Đông','Tây','Nam','Bắc','Trung'])[vi % {v} + 1] FROM generate_series(0, {c * v} - 1) vi"
    )
    conn.execute(
        f"INSERT INTO household_group (id, commune_id, village_id, code, name, created_at)"
        f" SELECT {b.group} + gi + 1, {b.commune} + gi % {c} + 1,"
        f" {b.village} + (gi % {c}) * {v} + (gi / {c}) % {v} + 1, 'PG-' || gi, 'Tổ liên gia ' || gi,"
        f" now() - interval '2 years' FROM generate_series(0, {size.groups} - 1) gi"
    )
    conn.execute(
        f"INSERT INTO household (id, group_id, name, active, created_at)"
        f" SELECT {b.household} + n + 1, {b.group} + n / {h} + 1, 'Hộ số ' || n, true, now() - interval '2 years'"
        f" FROM generate_series(0, {size.groups * h} - 1) n"
    )
    conn.execute(
        f"INSERT INTO device (id, group_id, token_hash, label, created_at, feed_floor)"
        f" SELECT {b.device} + gi + 1, {b.group} + gi + 1,"
        f" encode(sha256(convert_to('{TOKEN_PREFIX}' || gi, 'UTF8')), 'hex'), 'Điện thoại tổ',"
        f" now() - interval '2 years', 0"
        f" FROM generate_series(0, {size.groups} - 1) gi"
    )
    conn.execute(
        "INSERT INTO officer (commune_id, username, display_name, password_hash, role, active, session_version,"
        f" created_at) SELECT {b.commune} + ci + 1, '{OFFICER_PREFIX}' || ci, 'Cán bộ xã ' || ci, o.password_hash,"
        f" o.role, true, 1, now() FROM generate_series(0, {c} - 1) ci, officer o WHERE o.username = 'demo'"
    )


def _pick(values: list[str], k: int) -> str:
    """SQL choosing one of ``values`` (repeat a value to weigh it) with the row's draw number ``k``."""
    array = ",".join(f"'{v}'" for v in values)
    return f"(ARRAY[{array}])[1 + floor({u(k)} * {len(values)})::int]"


# Recent reports are mostly open, older ones mostly closed: the queue's "open" filter then selects about 10 %.
STATUS_SQL = f"""CASE
  WHEN age < 3 THEN {_pick(["new"] * 3 + ["acknowledged", "in_progress"], 6)}
  WHEN age < 14 THEN {_pick(["new", "acknowledged"] + ["in_progress", "resolved"] * 2, 6)}
  ELSE {_pick(["resolved"] * 16 + ["rejected", "rejected", "referred", "in_progress"], 6)}
END"""


def reports(conn: psycopg.Connection[Any], size: Size, b: Bases) -> None:
    """The reports, spread evenly over groups (so over communes) and over the last 365 days."""
    bodies, folded, kinds, categories = texts()
    c, v, h = size.communes, VILLAGES_PER_COMMUNE, HOUSEHOLDS_PER_GROUP
    code = tracking_code_sql()
    conn.execute(
        f"""
        INSERT INTO report (id, tracking_code, commune_id, village_id, group_id, household_id, device_id, kind,
            category, body, location, urgency, anonymous, status, status_reason, content_hash, created_at,
            received_at, updated_at, first_response_at, search_text)
        SELECT id, code, {b.commune} + mod(gi, {c}) + 1, {b.village} + (mod(gi, {c})) * {v} + mod(gi / {c}, {v}) + 1,
            {b.group} + gi + 1, CASE WHEN anonymous THEN NULL ELSE {b.household} + gi * {h} + hi + 1 END,
            {b.device} + gi + 1, (%(kinds)s::text[])[t], (%(categories)s::text[])[t],
            (%(bodies)s::text[])[t] || ' (tin số ' || n || ')', location, CASE WHEN {u(8)} < 0.08 THEN 'urgent'
            ELSE 'normal' END, anonymous, status, CASE WHEN status IN ('rejected', 'referred')
            THEN 'Chuyển công an huyện' ELSE '' END, md5(n::text) || md5(code),
            received - interval '1 hour' * {u(9)} * 48, received, coalesce(answered, received), answered,
            lower(code) || ' ' || (%(folded)s::text[])[t] || ' (tin so ' || n || ') ' || folded_location
        FROM (
            SELECT *, CASE WHEN status = 'new' THEN NULL ELSE received + interval '1 hour' * (1 + {u(7)} * 47) END
                AS answered
            FROM (
                SELECT *, {STATUS_SQL} AS status, now() - interval '1 day' * age AS received
                FROM (
                    SELECT n, gen_random_uuid() AS id, {code} AS code, floor({u(1)} * {size.groups})::int AS gi,
                        1 + (mod(n, {TEXTS}))::int AS t, floor({u(5)} * {h})::int AS hi, {u(2)} * 365 AS age,
                        {u(4)} < 0.3 AS anonymous, (%(locations)s::text[])[1 + mod(n, 4)] AS location,
                        (%(folded_locations)s::text[])[1 + mod(n, 4)] AS folded_location
                    FROM generate_series(1, {size.reports}) n
                ) drawn
            ) with_status
        ) answered
        """,
        {
            "bodies": bodies,
            "folded": folded,
            "kinds": kinds,
            "categories": categories,
            "locations": list(corpus.LOCATIONS),
            "folded_locations": [fold(x) for x in corpus.LOCATIONS],
        },
    )


def replies(conn: psycopg.Connection[Any]) -> None:
    """An officer reply on a third of the answered reports (what the feed carries as ``message``)."""
    conn.execute(
        """
        INSERT INTO message (id, report_id, author, officer_id, internal, body, content_hash, created_at, received_at)
        SELECT gen_random_uuid(), id, 'officer', NULL, false,
            'Công an xã đã nhận tin, sẽ cử người xác minh. Cảm ơn bà con.', '', first_response_at, first_response_at
        FROM report WHERE first_response_at IS NOT NULL AND get_byte(uuid_send(id), 0) % 3 = 0
        """
    )


def feed(conn: psycopg.Connection[Any], size: Size, b: Bases) -> None:
    """Status changes, replies and announcements, appended in time order (feed ids follow commit order)."""
    conn.execute(
        f"""
        INSERT INTO feed_entry (commune_id, group_id, village_id, kind, payload, created_at)
        SELECT commune_id, group_id, village_id, kind, payload, at FROM (
            SELECT commune_id, group_id, NULL::int AS village_id, 'report_status' AS kind,
                json_build_object('report_id', id, 'status', status, 'changed_at', first_response_at) AS payload,
                first_response_at AS at
            FROM report WHERE first_response_at IS NOT NULL
            UNION ALL
            SELECT r.commune_id, r.group_id, NULL, 'message', json_build_object('id', m.id, 'report_id', r.id,
                'body', m.body, 'created_at', m.created_at, 'author', 'officer'), m.created_at
            FROM message m JOIN report r ON r.id = m.report_id
            UNION ALL
            SELECT {b.commune} + ci + 1, NULL, NULL, 'announcement', json_build_object('id', gen_random_uuid(),
                'title', 'Cảnh báo lừa đảo qua điện thoại số ' || k, 'body', 'Công an xã đề nghị bà con không cung cấp'
                ' mã OTP, số tài khoản cho người lạ gọi điện tự xưng là công an, ngân hàng.', 'published_at',
                now() - interval '30 days' * k, 'expires_at', NULL, 'village_ids', json_build_array(), 'files',
                json_build_array()), now() - interval '30 days' * k
            FROM generate_series(0, {size.communes} - 1) ci, generate_series(1, {ANNOUNCEMENTS_PER_COMMUNE}) k
        ) changes ORDER BY at
        """
    )


def fix_sequences(conn: psycopg.Connection[Any]) -> None:
    for table in ("commune", "village", "household_group", "household", "device", "officer", "feed_entry"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


# Tables filled in bulk: their secondary indexes are dropped first and built again at the end, as a restore does.
BULK_TABLES = ("household", "device", "report", "message", "feed_entry")


@contextmanager
def indexes_built_after(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Drop the bulk tables' plain indexes for the fill and create them again after it.

    Updating seven B-trees row by row, one of them on a random UUID, made the 10 M-report fill take over an
    hour; building each index once from sorted data takes minutes. Constraint indexes (primary keys, unique
    keys) stay: foreign keys depend on them. The indexes are the same definitions, so queries see the schema
    the migrations made (freshly built, so without the bloat a long-lived table would have).
    """
    definitions = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        " AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        (list(BULK_TABLES),),
    ).fetchall()
    for name, _definition in definitions:
        conn.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for _name, definition in definitions:
            conn.execute(definition)


def generate(database_url: str, size: Size, log: Any = print) -> dict[str, float]:
    """Fill the (migrated, demo-seeded) database; returns seconds per step."""
    seconds: dict[str, float] = {}
    with psycopg.connect(database_url, autocommit=True) as conn:
        if is_filled(conn):
            log("province already generated in this database: reusing it")
            return seconds
        b = bases(conn)
        steps = (
            ("geography", lambda: geography(conn, size, b)),
            ("reports", lambda: reports(conn, size, b)),
            ("replies", lambda: replies(conn)),
            ("feed", lambda: feed(conn, size, b)),
        )
        with indexes_built_after(conn):
            for name, step in steps:
                _timed_step(seconds, name, step, log)
            started = time.perf_counter()
        seconds["indexes"] = round(time.perf_counter() - started, 1)
        log(f"  indexes: {seconds['indexes']} s")
        _timed_step(seconds, "sequences", lambda: fix_sequences(conn), log)
        # A production database is vacuumed by autovacuum: visibility maps set, statistics fresh.
        _timed_step(seconds, "vacuum analyze", lambda: conn.execute("VACUUM (ANALYZE)"), log)
    return seconds


def _timed_step(seconds: dict[str, float], name: str, step: Any, log: Any) -> None:
    started = time.perf_counter()
    step()
    seconds[name] = round(time.perf_counter() - started, 1)
    log(f"  {name}: {seconds[name]} s")

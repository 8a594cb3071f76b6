"""The console's heaviest requests stay served by their indexes on PostgreSQL (migration 0019), in every plan.

At 10 million reports a commune's reports sit one to a table block, seldom in memory (docs/deploy.md): a page
that has to sort every open report, or a stats screen that has to read a year of rows, costs thousands of
random reads. These tests ask PostgreSQL how it would run the SQL the console really sends, in the plan it
keeps for a statement prepared once and reused (what psycopg does after a few runs), with the alternatives
priced out: a lost index then shows up as a sort or a table read, however few rows the test database holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from psycopg import sql
from sqlalchemy import event

from server.database import utcnow
from server.extensions import db

QUEUE = "/api/v1/officer/reports"


@contextmanager
def statements_on_report() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The SELECTs on ``report`` that requests run inside the block, with their parameters."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM report" in statement:
            seen.append((statement, dict(params or {})))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def generic_plan(statement: str, params: dict[str, Any], *, disabled: tuple[str, ...]) -> str:
    """EXPLAIN of ``statement`` prepared with its parameters as $n, in its generic plan, with ``disabled`` off."""
    names: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    prepared = re.sub(r"%\((\w+)\)s", numbered, statement)
    values = sql.SQL(", ").join(sql.Literal(params[name]) for name in names)
    with db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        with raw.transaction(force_rollback=True):
            raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            for setting in disabled:
                raw.execute(sql.SQL("SET LOCAL {} = off").format(sql.Identifier(setting)))
            raw.execute(sql.SQL("PREPARE console_query AS {}").format(sql.SQL(prepared)))
            try:
                rows = raw.execute(sql.SQL("EXPLAIN EXECUTE console_query ({})").format(values)).fetchall()
            finally:
                raw.execute("DEALLOCATE console_query")
    return "\n".join(row[0] for row in rows)


def test_the_open_reports_in_triage_order_are_read_in_index_order(postgresql, officer, phone) -> None:
    for urgency in ("normal", "urgent", "normal"):
        phone.send_report(urgency=urgency)
    with statements_on_report() as seen:
        page = officer.get(QUEUE + "?open=true&sort=waiting")
    assert page.status_code == 200 and page.json["total"] == 3
    statement, params = next((s, p) for s, p in seen if "LIMIT" in s)
    plan = generic_plan(statement, params, disabled=("enable_seqscan", "enable_bitmapscan", "enable_sort"))
    assert "ix_report_commune_triage" in plan, plan
    assert "Sort" not in plan, plan


def test_a_years_stats_are_counted_from_the_index_alone(postgresql, officer, phone) -> None:
    phone.send_report()
    year_ago = (utcnow() - timedelta(days=364)).date().isoformat()
    with statements_on_report() as seen:
        stats = officer.get(f"/api/v1/officer/stats?date_from={year_ago}&bucket=month")
    assert stats.status_code == 200 and stats.json["total"] == 1
    statement, params = next((s, p) for s, p in seen if "report.first_response_at" in s)
    plan = generic_plan(statement, params, disabled=("enable_seqscan", "enable_bitmapscan", "enable_indexscan"))
    assert "Index Only Scan using ix_report_commune_received" in plan, plan

"""Database helpers shared by every feature: UTC timestamps, counts, commune scope, SQLite tuning, the dialect."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, DateTime, Engine, Insert, Select, Table, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from .errors import NotFound
from .extensions import db

M = TypeVar("M")


def system_clock() -> datetime:
    return datetime.now(UTC)


# What ``utcnow`` reads. Only tests replace it (tests/security/test_unlinkable_tips.py simulates a village's day:
# the server must floor the times it stores, so the test must control them); production never does.
clock: Callable[[], datetime] = system_clock


def utcnow() -> datetime:
    return clock()


def hour_floor(moment: datetime) -> datetime:
    """``moment`` cut to its hour (UTC): the only precision stored for what an anonymous tipster does (ADR 0004)."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def coarse_now() -> datetime:
    """Now, floored to the hour."""
    return hour_floor(utcnow())


def local_day_start(moment: datetime, zone: str) -> datetime:
    """The start (in UTC) of ``moment``'s day in the time zone ``zone``: a phone's "last seen" keeps only this."""
    local = moment.astimezone(ZoneInfo(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite has no time zones and drops them)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def count(query: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def get_in_commune(
    model: type[M], object_id: Any, commune_id: int | None, what: str, commune_of: Callable[[M], int] | None = None
) -> M:
    """The row if it belongs to ``commune_id``; otherwise 404, never 403, so another commune's rows stay unseen."""
    found = db.session.get(model, object_id)
    if found is None or commune_id is None or (commune_of or attrgetter("commune_id"))(found) != commune_id:
        raise NotFound(f"No such {what}.")
    return found


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """WAL + busy timeout, and let SQLAlchemy own transactions so SAVEPOINT works (pysqlite quirk).

    See SQLAlchemy's "Serializable isolation / Savepoints / Transactional DDL" notes for pysqlite.
    """
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection: Any) -> None:
    """BEGIN IMMEDIATE: take the write lock up front so two workers never deadlock upgrading a read lock.
    A connection opened with ``reading`` writes nothing: a plain BEGIN, which WAL lets run beside a writer."""
    if connection.dialect.name == "sqlite":
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_READ_ONLY = "binhan_read_only"


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for a background reader (the live poller): on SQLite it neither waits behind a writer's
    transaction nor holds the next writer up, as every session's BEGIN IMMEDIATE would."""
    with engine.connect() as connection:
        connection.execution_options(**{_READ_ONLY: True})
        yield connection


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, for Core statements (a batch's multi-row INSERT skips the ORM's unit of work)."""
    return cast(Table, model.__table__)


_DIALECTS = {"postgresql": postgresql, "sqlite": sqlite}


@cache
def insert_new(table: Table, dialect: str) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING <primary key>`` in ``dialect``: a row whose key is taken is
    skipped, and the answer names the rows stored (a batch's reports, its alerts). Executed with a list of rows it is
    one multi-row statement (SQLAlchemy's "insertmanyvalues")."""
    key = table.primary_key.columns.values()[0]
    return cast(Insert, _DIALECTS[dialect].insert(table).on_conflict_do_nothing().returning(key))

"""Readiness: is every dependency this process needs reachable, and is the database schema at the code's head?

Each check answers ``None`` (or a note) when ready, or raises; ``readiness`` runs them all (a failing one does
not hide the others) and names what failed by the exception's class only: messages can carry hosts, URLs or
passwords.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import redis
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text

from ..attachments import storage
from ..extensions import db

TIMEOUT_SECONDS = 2.0


class NotReady(Exception):
    """A dependency answered, but not as needed (e.g. a migration is pending); the message is safe to show."""


@lru_cache(maxsize=4)
def scripts(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    """(head revisions, every revision) of the migration scripts shipped with this code (read once per process)."""
    script = ScriptDirectory(directory)
    return frozenset(script.get_heads()), frozenset(rev.revision for rev in script.walk_revisions())


def check_database() -> str | None:
    db.session.execute(text("SELECT 1"))
    return None


def check_migrations() -> str | None:
    """No migration of this code may be pending: code ahead of its schema is not ready.

    A database *ahead* of the code (a revision these scripts do not know) is ready: during a rolling upgrade
    the new release's expand migration has run and the old instances keep serving until they are replaced
    (docs/deploy.md, Upgrades); that is what expand/contract migrations are for.
    """
    current = frozenset(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    heads, known = scripts(current_app.extensions["migrate"].directory)
    if current == heads:
        return None
    if current and not current & known:
        return f"database at {', '.join(sorted(current))}, newer than this code"
    raise NotReady(f"database at {', '.join(sorted(current)) or 'no revision'}, code at {', '.join(sorted(heads))}")


def check_redis() -> str | None:
    client = redis.Redis.from_url(
        current_app.config["REDIS_URL"], socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return None


def check_attachments() -> str | None:
    storage.check()
    return None


def readiness() -> tuple[bool, dict[str, dict[str, Any]]]:
    """(ready, {check: {"status": "ok" | "fail" | "skipped", "ms", "error"? "note"?}})."""
    checks: dict[str, Callable[[], str | None] | None] = {
        "database": check_database,
        "migrations": check_migrations,
        "redis": check_redis if current_app.config.get("REDIS_URL") else None,
        "attachments": check_attachments,
    }
    report: dict[str, dict[str, Any]] = {}
    for name, check in checks.items():
        if check is None:
            report[name] = {"status": "skipped"}
            continue
        if name == "migrations" and report["database"]["status"] != "ok":
            report[name] = {"status": "fail", "error": "database unreachable"}
            continue
        started = time.perf_counter()
        try:
            note = check()
        except NotReady as exc:
            report[name] = {"status": "fail", "error": str(exc)}
        except Exception as exc:  # any failure of a dependency means "not ready"
            report[name] = {"status": "fail", "error": type(exc).__name__}
        else:
            report[name] = {"status": "ok", **({"note": note} if note else {})}
        report[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
        if name in ("database", "migrations"):
            db.session.rollback()  # a failed statement leaves the session unusable for the next check
    return all(entry["status"] != "fail" for entry in report.values()), report

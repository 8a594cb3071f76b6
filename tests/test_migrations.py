"""The schema comes from migrations only: they match the models, go down and up again on both databases, and
keep the release in the field running while they run."""

from __future__ import annotations

import threading
import time
import warnings

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, inspect
from sqlalchemy.exc import SAWarning

from server.extensions import db
from server.reports.models import POSTGRESQL_ONLY_INDEXES
from tests.releases import previous_release, rolling_upgrade_breaks


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite's reflection cannot read an index on expressions (ix_report_commune_triage): SQLAlchemy and
        # Alembic say so and leave it out of the comparison there; PostgreSQL compares it.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context = MigrationContext.configure(connection, opts={"include_object": _declared})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def _declared(_obj, name, type_, _reflected, _compare_to) -> bool:
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)


def test_downgrade_to_base_and_upgrade_again(app):
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert {"report", "feed_entry", "device", "attachment"} <= set(inspect(db.engine).get_table_names())


def test_migrations_since_the_last_release_keep_it_running(app):
    """Every migration after the release in the field is expand-only (docs/deploy.md, "Upgrades"): statement by
    statement, as PostgreSQL runs them, nothing the running release needs is dropped, renamed or tightened, and
    nothing blocks its writes for a table's length."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the lock rules are PostgreSQL's (production); SQLite is the embedded single-server set-up")
    release = previous_release()
    downgrade(revision=release.revision)
    released_tables = set(inspect(db.engine).get_table_names())
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    since = [r.revision for r in script.iterate_revisions("heads", release.revision)][::-1][1:]
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    breaks = []
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for revision in since:
            statements.clear()
            upgrade(revision=revision)
            breaks += [(revision, why, s) for s in statements if (why := rolling_upgrade_breaks(s, released_tables))]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        upgrade()
    assert breaks == []


@pytest.mark.parametrize(
    ("statement", "breaks"),
    [
        ("ALTER TABLE report DROP COLUMN location", True),
        ('ALTER TABLE "report" RENAME COLUMN body TO text', True),
        ("ALTER TABLE report ALTER COLUMN urgency TYPE VARCHAR(20)", True),
        ("ALTER TABLE report ALTER COLUMN location SET NOT NULL", True),
        ("ALTER TABLE report ADD COLUMN voice_seconds INTEGER NOT NULL", True),
        ("ALTER TABLE report ADD COLUMN has_voice BOOLEAN DEFAULT false NOT NULL", False),
        ("ALTER TABLE report ADD COLUMN transcript TEXT", False),
        ("CREATE INDEX ix_report_voice ON report (commune_id, has_voice)", True),
        ("CREATE INDEX CONCURRENTLY ix_report_voice ON report (commune_id, has_voice)", False),
        ("ALTER TABLE report ADD CONSTRAINT fk_slot FOREIGN KEY(slot_id) REFERENCES slot (id)", True),
        ("ALTER TABLE report ADD CONSTRAINT fk_slot FOREIGN KEY(slot_id) REFERENCES slot (id) NOT VALID", False),
        ("DROP TABLE report", True),
        ("CREATE TABLE slot (id SERIAL NOT NULL, PRIMARY KEY (id))", False),
        ("CREATE INDEX ix_slot_day ON slot (day)", False),  # a table the same upgrade made: nobody uses it yet
        ("ALTER TABLE slot ADD COLUMN capacity INTEGER NOT NULL", False),
    ],
)
def test_what_breaks_a_running_release(statement, breaks):
    assert (rolling_upgrade_breaks(statement, {"report", "feed_entry"}) is not None) is breaks


def test_a_migration_waiting_for_a_busy_table_never_holds_the_traffic_behind_it(app):
    """The running release's transactions keep a table busy while a migration wants it (ALTER TABLE attachment, in
    0011): the migration gives up its lock request within half a second and tries again, so the release's other
    queries on that table never queue behind it for long (nor deadlock with it), and the upgrade ends once the
    table is free."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("lock queues are PostgreSQL's; SQLite serialises writers")
    downgrade(revision="0010")
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    flask_app = current_app._get_current_object()
    done: list[str] = []

    def migrate() -> None:
        with flask_app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                done.append(MigrationContext.configure(connection).get_current_revision() or "")

    thread = threading.Thread(target=migrate)
    try:
        waits = _query_while_migrating(url, thread)
    finally:
        if thread.ident is not None:
            thread.join(30)
        upgrade()  # a failed run must not leave the schema behind for the next test
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    assert done == [script.get_current_head()]
    assert max(waits) < 1.0, waits


def _query_while_migrating(url: str, thread: threading.Thread) -> list[float]:
    """How long each of the release's reads of ``attachment`` waited, over 3 s of the migration trying; then the
    release's long transaction ends and the migration may go."""
    with psycopg.connect(url) as busy, psycopg.connect(url, autocommit=True) as release:
        busy.execute("SELECT count(*) FROM attachment")  # an open transaction of the running release
        thread.start()
        release.execute("SET statement_timeout = '1500ms'")  # queued behind an ACCESS EXCLUSIVE wait: it fails
        waits = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            started = time.monotonic()
            release.execute("SELECT count(*) FROM attachment")
            waits.append(time.monotonic() - started)
            time.sleep(0.05)
        assert thread.is_alive(), "the table was busy: the migration could not have ended"
        busy.commit()
    return waits

"""Alembic environment for Flask-Migrate: the engine and metadata come from the running Flask app."""

import logging
import time
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from server.reports.models import POSTGRESQL_ONLY_INDEXES

config = context.config
# Keep the application's loggers alive (fileConfig would silence them) when migrating from tests or the CLI.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
config.set_main_option("sqlalchemy.url", db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))
target_metadata = db.metadata

# On PostgreSQL, under live traffic (docs/deploy.md, "Upgrades"), each migration commits on its own, so that no
# lock taken by one is held through the next; and a statement waits for a table lock at most LOCK_TIMEOUT, which is
# below PostgreSQL's deadlock_timeout (1 s): a migration that would deadlock with the running release's writes, or
# queue them all behind its ACCESS EXCLUSIVE request, gives up first and is tried again, not the phones' syncs.
LOCK_TIMEOUT = "500ms"
LOCK_ATTEMPTS = 30
LOCK_NOT_AVAILABLE = "55P03"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What autogenerate compares: not the PostgreSQL-only indexes, which no model declares."""
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``flask db upgrade --sql``)."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(_context, _revision, directives):
        # Never write an empty migration when nothing changed.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("include_object", include_object)
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            _upgrade(conf_args)
            return
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE or attempt == LOCK_ATTEMPTS:
                raise
            logger.warning("A table stayed busy for %s: migrating again (attempt %d).", LOCK_TIMEOUT, attempt + 1)
            time.sleep(min(5.0, 0.1 * 2**attempt))


def _upgrade(conf_args: dict) -> None:
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            conf_args = {**conf_args, "transaction_per_migration": True}
            event.listen(connection, "begin", _limit_lock_waits)
        context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


def _limit_lock_waits(connection) -> None:
    """For this migration's transaction only (SET LOCAL): CREATE INDEX CONCURRENTLY runs outside it, unlimited, as a
    timed-out one would leave an invalid index behind."""
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
